/*
 * writer.c - turns records into blocks of columns, and blocks into rows.
 *
 * Two halves, so that ingest can build blocks on several threads and write
 * them from one:
 *
 *  - a block set (cq_blockset) buffers records per (sourcetype, source,
 *    host) in a builder; a full builder (CQ_BLOCK_ROWS rows) is encoded into
 *    an encoded block: every column as its stored blob, plus the block's term
 *    filter.  No SQLite here: a block set belongs to one thread at a time.
 *  - cq_index_put_blocks() writes a set's encoded blocks: one blocks row,
 *    one cols row per field, and the term filter into the current group of
 *    the terms table (terms.h), which is written every CQ_TERM_GROUP blocks.
 *
 * Within a block rows are sorted by _time so readers can return events
 * newest first by walking a block backwards.  Builder memory (dictionaries,
 * value bytes, filters) is kept from block to block: fresh pages cost more
 * than the work done in them here.
 */
#include "index/index_int.h"
#include "index/colenc.h"
#include "index/terms.h"
#include "common/hash.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BUILDERS 8      /* distinct (sourcetype, source, host) in flight */

/* Open-addressing set of indices (1-based) into an array of byte strings. */
typedef struct htab {
    uint32_t *slot;         /* 0 empty, else index + 1 */
    uint32_t cap;           /* power of two */
} htab;

typedef struct colb {
    char *name;             /* malloc'd */
    uint32_t name_len;
    htab map;               /* value -> dict index */
    uint32_t *dict_off, *dict_len;  /* into the builder's byte store */
    uint64_t *dict_hash;
    uint32_t n_dict, cap_dict;
    uint32_t *ent_row;      /* entries in the order added: row ... */
    uint32_t *ent_code;     /* ... and code (dict index + 1) */
    uint32_t n_ent, cap_ent;
    uint32_t last_code;     /* code of the last value added, 0 none */
    int mv;                 /* some row has two or more values */
} colb;

struct cq_builder {
    char *sourcetype, *source, *host;
    cq_strbuf store;        /* value bytes and _raw of the pending rows */
    htab field_map;         /* field name -> index in cols */
    uint64_t *field_hash;
    colb *cols;
    uint32_t n_cols, cap_cols;
    int64_t times[CQ_BLOCK_ROWS];
    uint32_t raw_off[CQ_BLOCK_ROWS], raw_len[CQ_BLOCK_ROWS];
    uint32_t n_rows;
    uint8_t *bloom;         /* CQ_BLOOM_BYTES */
    uint64_t *seen;         /* token hashes in bloom (terms.h), 1 << CQ_BLOOM_SEEN_BITS */
    /* Records of one source list their fields in the same order: the
     * column of the i-th field of the last record, tried first (+ 1). */
    uint32_t *pred;
    uint32_t n_pred;
};

/* One block ready to be written. */
typedef struct cq_eblock {
    char *sourcetype, *source, *host;
    int64_t t_min, t_max;
    uint32_t n_rows;
    cq_strbuf data;         /* per column: u32 name_len, name, u32 blob_len, blob */
    uint8_t *bloom;         /* CQ_BLOOM_BYTES */
} cq_eblock;

struct cq_blockset {
    cq_builder *b[MAX_BUILDERS];
    size_t n_b;
    cq_eblock *eb;          /* eb[0..n_eb) are ready; the rest keep their buffers */
    size_t n_eb, cap_eb;
    /* scratch for encoding */
    uint32_t *start, *codes, *row_off;
    size_t cap_codes;
    cq_sv *dict;
    size_t cap_dict;
    cq_sv raw[CQ_BLOCK_ROWS];
    int64_t t[CQ_BLOCK_ROWS];
    cq_strbuf colbuf;       /* _raw before packing */
    struct done_col {       /* columns of the block being encoded (dedup_col) */
        size_t at, len;
        uint64_t hash;
        uint32_t col;
    } *done;
    uint32_t cap_done;
    cq_col_packer lz;       /* packing scratch */
};


/* ---- hash set helpers ---- */

static void htab_clear(htab *h)
{
    if (h->slot)
        memset(h->slot, 0, h->cap * sizeof *h->slot);
}

/* Grows to hold n entries at load <= 1/2, re-inserting with hashes[]. */
static void htab_fit(htab *h, uint32_t n, const uint64_t *hashes)
{
    if (h->cap && n * 2 < h->cap)
        return;
    uint32_t cap = h->cap ? h->cap * 2 : 64;
    while (n * 2 >= cap)
        cap *= 2;
    free(h->slot);
    h->slot = cq_xcalloc(cap, sizeof *h->slot);
    h->cap = cap;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = (uint32_t)hashes[i] & (cap - 1);
        while (h->slot[j])
            j = (j + 1) & (cap - 1);
        h->slot[j] = i + 1;
    }
}

/* Adds entry n - 1 (hash hashes[n - 1]) of a table of n entries. */
static void htab_add(htab *h, uint32_t n, const uint64_t *hashes)
{
    uint32_t old_cap = h->cap;
    htab_fit(h, n, hashes);
    if (h->cap != old_cap)
        return;                                 /* the resize inserted it */
    uint32_t j = (uint32_t)hashes[n - 1] & (h->cap - 1);
    while (h->slot[j])
        j = (j + 1) & (h->cap - 1);
    h->slot[j] = n;
}

/* ---- builders ---- */

static void colb_free(colb *c)
{
    free(c->name);
    free(c->map.slot);
    free(c->dict_off);
    free(c->dict_len);
    free(c->dict_hash);
    free(c->ent_row);
    free(c->ent_code);
}

static void builder_free(cq_builder *b)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        colb_free(&b->cols[i]);
    free(b->cols);
    free(b->field_hash);
    free(b->field_map.slot);
    cq_strbuf_free(&b->store);
    free(b->sourcetype);
    free(b->source);
    free(b->host);
    free(b->bloom);
    free(b->seen);
    free(b->pred);
    free(b);
}

/* Empties a builder for the next block of the same key (memory kept). */
static void builder_clear(cq_builder *b)
{
    for (uint32_t i = 0; i < b->n_cols; i++) {
        colb *c = &b->cols[i];
        if (c->n_dict)
            htab_clear(&c->map);
        c->n_dict = c->n_ent = 0;
        c->last_code = 0;
        c->mv = 0;
    }
    b->n_rows = 0;
    cq_strbuf_reset(&b->store);
    memset(b->bloom, 0, CQ_BLOOM_BYTES);
    memset(b->seen, 0, sizeof *b->seen << CQ_BLOOM_SEEN_BITS);
}

/* Column of field `name` (made when new). */
static colb *builder_col_find(cq_builder *b, const char *name, uint32_t len)
{
    uint64_t h = cq_hash_key(name, len);
    htab *m = &b->field_map;
    if (m->cap) {
        for (uint32_t j = (uint32_t)h & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1)) {
            colb *c = &b->cols[m->slot[j] - 1];
            if (b->field_hash[m->slot[j] - 1] == h && c->name_len == len &&
                !memcmp(c->name, name, len))
                return c;
        }
    }
    if (b->n_cols == b->cap_cols) {
        b->cap_cols = b->cap_cols ? b->cap_cols * 2 : 32;
        b->cols = cq_xrealloc(b->cols, b->cap_cols * sizeof *b->cols);
        b->field_hash = cq_xrealloc(b->field_hash, b->cap_cols * sizeof *b->field_hash);
    }
    colb *c = &b->cols[b->n_cols];
    memset(c, 0, sizeof *c);
    c->name = cq_xmalloc(len + 1);
    memcpy(c->name, name, len);
    c->name[len] = '\0';
    c->name_len = len;
    b->field_hash[b->n_cols] = h;
    b->n_cols++;
    htab_add(m, b->n_cols, b->field_hash);
    return c;
}

/* Column of field `name`, the i-th of its record. */
static colb *builder_col(cq_builder *b, uint32_t i, const char *name, uint32_t len)
{
    if (i < b->n_pred && b->pred[i]) {
        colb *c = &b->cols[b->pred[i] - 1];
        if (c->name_len == len && !memcmp(c->name, name, len))
            return c;
    }
    colb *c = builder_col_find(b, name, len);
    if (i >= b->n_pred) {
        uint32_t n = i + 32;
        b->pred = cq_xrealloc(b->pred, n * sizeof *b->pred);
        memset(b->pred + b->n_pred, 0, (n - b->n_pred) * sizeof *b->pred);
        b->n_pred = n;
    }
    b->pred[i] = (uint32_t)(c - b->cols) + 1;
    return c;
}

static uint32_t store_add(cq_builder *b, const char *s, size_t len)
{
    uint32_t off = (uint32_t)b->store.len;
    cq_strbuf_add(&b->store, s, len);
    return off;
}

/* Dictionary code (index + 1) of val in column c, added when new. */
static uint32_t colb_code(cq_builder *b, colb *c, const char *val, uint32_t len)
{
    uint64_t h = cq_hash_key(val, len);
    htab *m = &c->map;
    if (m->cap) {
        for (uint32_t j = (uint32_t)h & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1)) {
            uint32_t d = m->slot[j] - 1;
            if (c->dict_hash[d] == h && c->dict_len[d] == len &&
                !memcmp(b->store.buf + c->dict_off[d], val, len))
                return d + 1;
        }
    }
    if (c->n_dict == c->cap_dict) {
        c->cap_dict = c->cap_dict ? c->cap_dict * 2 : 16;
        c->dict_off = cq_xrealloc(c->dict_off, c->cap_dict * sizeof *c->dict_off);
        c->dict_len = cq_xrealloc(c->dict_len, c->cap_dict * sizeof *c->dict_len);
        c->dict_hash = cq_xrealloc(c->dict_hash, c->cap_dict * sizeof *c->dict_hash);
    }
    uint32_t d = c->n_dict++;
    c->dict_off[d] = store_add(b, val, len);
    c->dict_len[d] = len;
    c->dict_hash[d] = h;
    htab_add(m, c->n_dict, c->dict_hash);
    return d + 1;
}

static void colb_add(cq_builder *b, colb *c, uint32_t row, const char *val, uint32_t len)
{
    /* Many columns repeat the last row's value (verb, user, namespace):
     * one compare instead of a hash and a probe. */
    uint32_t code = c->last_code;
    if (code && (c->dict_len[code - 1] != len ||
                 memcmp(b->store.buf + c->dict_off[code - 1], val, len)))
        code = 0;
    if (!code)
        code = colb_code(b, c, val, len);
    c->last_code = code;
    if (c->n_ent == c->cap_ent) {
        c->cap_ent = c->cap_ent ? c->cap_ent * 2 : 64;
        c->ent_row = cq_xrealloc(c->ent_row, c->cap_ent * sizeof *c->ent_row);
        c->ent_code = cq_xrealloc(c->ent_code, c->cap_ent * sizeof *c->ent_code);
    }
    if (c->n_ent && c->ent_row[c->n_ent - 1] == row)
        c->mv = 1;
    c->ent_row[c->n_ent] = row;
    c->ent_code[c->n_ent] = code;
    c->n_ent++;
}

typedef struct trow {
    int64_t t;
    uint32_t row;
} trow;

static int trow_cmp(const void *a, const void *b)
{
    const trow *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* ---- encoding ---- */

static void put_u32(cq_strbuf *o, uint32_t v)
{
    cq_strbuf_add(o, &v, 4);
}

/* Appends column `name` (header + blob written by the caller's encoder). */
static size_t col_begin(cq_strbuf *o, const char *name, uint32_t len)
{
    put_u32(o, len);
    cq_strbuf_add(o, name, len);
    put_u32(o, 0);
    return o->len;
}

static void col_end(cq_strbuf *o, size_t at)
{
    uint32_t n = (uint32_t)(o->len - at);
    memcpy(o->buf + at - 4, &n, 4);
}

/* Encodes column c with rows reordered by perm (new row j = old perm[j]). */
static void encode_col(cq_blockset *bs, const cq_builder *b, const colb *c, const trow *perm,
                       uint32_t n_rows, cq_strbuf *out)
{
    uint32_t *start = bs->start, *codes = bs->codes, *row_off = bs->row_off;
    memset(start, 0, (n_rows + 1) * sizeof *start);
    for (uint32_t e = 0; e < c->n_ent; e++)
        start[c->ent_row[e] + 1]++;
    for (uint32_t r = 0; r < n_rows; r++)
        start[r + 1] += start[r];
    uint32_t k = 0;
    for (uint32_t j = 0; j < n_rows; j++) {
        uint32_t old = perm[j].row, from = start[old], to = start[old + 1];
        if (c->mv) {
            row_off[j] = k;
            for (uint32_t e = from; e < to; e++)
                codes[k++] = c->ent_code[e];
        } else {
            codes[j] = from < to ? c->ent_code[from] : 0;
        }
    }
    if (c->mv)
        row_off[n_rows] = k;
    if (bs->cap_dict < c->n_dict) {
        bs->cap_dict = c->n_dict * 2;
        bs->dict = cq_xrealloc(bs->dict, bs->cap_dict * sizeof *bs->dict);
    }
    for (uint32_t d = 0; d < c->n_dict; d++)
        bs->dict[d] = (cq_sv){b->store.buf + c->dict_off[d], c->dict_len[d]};
    /* Low-cardinality dictionaries stay as they are, for stats and filters
     * to read without expanding them: packing user.username's costs Q2
     * (bench/quick.sh) a third more time for a tenth of the index. */
    int high = (size_t)c->n_dict * 4 > n_rows;
    cq_col_encode_dict(out, bs->dict, c->n_dict, codes, c->mv ? row_off : NULL, n_rows,
                       high ? &bs->lz : NULL);
}

static cq_eblock *next_eblock(cq_blockset *bs)
{
    if (bs->n_eb == bs->cap_eb) {
        size_t cap = bs->cap_eb ? bs->cap_eb * 2 : 8;
        bs->eb = cq_xrealloc(bs->eb, cap * sizeof *bs->eb);
        memset(bs->eb + bs->cap_eb, 0, (cap - bs->cap_eb) * sizeof *bs->eb);
        bs->cap_eb = cap;
    }
    cq_eblock *e = &bs->eb[bs->n_eb++];
    cq_strbuf_reset(&e->data);
    if (!e->bloom)
        e->bloom = cq_xmalloc(CQ_BLOOM_BYTES);
    free(e->sourcetype);
    free(e->source);
    free(e->host);
    return e;
}

/*
 * The column just encoded at e->data[at..] when it equals one encoded
 * before it in this block: replaced by a reference (CQ_COL_SAME).
 * Normalized copies (user of user.username, src_ip of sourceIPs{}) would
 * otherwise be stored twice: 6% of an audit index.
 */
static void dedup_col(cq_blockset *bs, const cq_builder *b, cq_eblock *e, size_t at, uint32_t col,
                      uint32_t *n_done)
{
    size_t len = e->data.len - at;
    uint64_t h = cq_hash_bytes(e->data.buf + at, len);
    for (uint32_t k = 0; k < *n_done; k++) {
        const struct done_col *d = &bs->done[k];
        if (d->hash == h && d->len == len && !memcmp(e->data.buf + d->at, e->data.buf + at, len)) {
            const colb *c = &b->cols[d->col];
            e->data.len = at;
            cq_col_encode_same(&e->data, b->n_rows, c->name, c->name_len);
            return;
        }
    }
    if (*n_done == bs->cap_done) {
        bs->cap_done = bs->cap_done ? bs->cap_done * 2 : 64;
        bs->done = cq_xrealloc(bs->done, bs->cap_done * sizeof *bs->done);
    }
    bs->done[(*n_done)++] = (struct done_col){at, len, h, col};
}

/* Encodes builder b into a new encoded block and empties it. */
static void builder_encode(cq_blockset *bs, cq_builder *b)
{
    uint32_t n = b->n_rows;
    if (!n)
        return;
    trow perm[CQ_BLOCK_ROWS];
    for (uint32_t r = 0; r < n; r++)
        perm[r] = (trow){b->times[r], r};
    qsort(perm, n, sizeof *perm, trow_cmp);
    for (uint32_t j = 0; j < n; j++) {
        bs->t[j] = perm[j].t;
        bs->raw[j] = (cq_sv){b->store.buf + b->raw_off[perm[j].row], b->raw_len[perm[j].row]};
    }
    uint32_t max_ent = 0;
    for (uint32_t i = 0; i < b->n_cols; i++)
        if (b->cols[i].n_ent > max_ent)
            max_ent = b->cols[i].n_ent;
    if (bs->cap_codes < (size_t)max_ent + n + 1) {
        bs->cap_codes = (size_t)max_ent + n + 1;
        bs->codes = cq_xrealloc(bs->codes, bs->cap_codes * sizeof *bs->codes);
    }
    if (!bs->start) {
        bs->start = cq_xmalloc((CQ_BLOCK_ROWS + 1) * sizeof *bs->start);
        bs->row_off = cq_xmalloc((CQ_BLOCK_ROWS + 1) * sizeof *bs->row_off);
    }
    cq_eblock *e = next_eblock(bs);
    e->sourcetype = cq_xstrdup(b->sourcetype);
    e->source = cq_xstrdup(b->source);
    e->host = b->host ? cq_xstrdup(b->host) : NULL;
    e->t_min = bs->t[0];
    e->t_max = bs->t[n - 1];
    e->n_rows = n;
    size_t at = col_begin(&e->data, "_time", 5);
    cq_col_encode_time(&e->data, bs->t, n);
    col_end(&e->data, at);
    at = col_begin(&e->data, "_raw", 4);
    cq_strbuf_reset(&bs->colbuf);
    cq_col_encode_plain(&bs->colbuf, bs->raw, n);
    cq_col_pack(&e->data, bs->colbuf.buf, bs->colbuf.len, &bs->lz);
    col_end(&e->data, at);
    uint32_t n_done = 0;
    for (uint32_t i = 0; i < b->n_cols; i++) {
        const colb *c = &b->cols[i];
        if (!c->n_ent)
            continue;               /* not in this block */
        at = col_begin(&e->data, c->name, c->name_len);
        encode_col(bs, b, c, perm, n, &e->data);
        dedup_col(bs, b, e, at, i, &n_done);
        col_end(&e->data, at);
    }
    memcpy(e->bloom, b->bloom, CQ_BLOOM_BYTES);
    builder_clear(b);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static cq_builder *builder_for(cq_blockset *bs, const cq_record *rec)
{
    const char *st = rec->sourcetype ? rec->sourcetype : "unknown";
    const char *src = rec->source ? rec->source : "-";
    for (size_t i = 0; i < bs->n_b; i++) {
        cq_builder *b = bs->b[i];
        if (!strcmp(b->sourcetype, st) && !strcmp(b->source, src) && same(b->host, rec->host))
            return b;
    }
    if (bs->n_b == MAX_BUILDERS) {
        /* Rare (many hosts in one file): write out the oldest early. */
        cq_builder *old = bs->b[0];
        builder_encode(bs, old);
        builder_free(old);
        memmove(bs->b, bs->b + 1, (MAX_BUILDERS - 1) * sizeof *bs->b);
        bs->n_b--;
    }
    cq_builder *b = cq_xcalloc(1, sizeof *b);
    b->sourcetype = cq_xstrdup(st);
    b->source = cq_xstrdup(src);
    b->host = rec->host ? cq_xstrdup(rec->host) : NULL;
    b->bloom = cq_xcalloc(1, CQ_BLOOM_BYTES);
    b->seen = cq_xcalloc((size_t)1 << CQ_BLOOM_SEEN_BITS, sizeof *b->seen);
    bs->b[bs->n_b++] = b;
    return b;
}

/* _time and _raw of a record are stored once per row, not as columns: a log
 * key of that name is what they were read from. */
static int is_row_field(const cq_kv *kv)
{
    return (kv->name_len == 4 && !memcmp(kv->name, "_raw", 4)) ||
           (kv->name_len == 5 && !memcmp(kv->name, "_time", 5));
}

/* The block-level fields, which come from the ingest (sourcetype, source,
 * host) or the index (index), never from what the log says: a log key of
 * that name is kept as extracted_<name>, as Splunk names a search-time
 * field that collides with a default field, so log content cannot spoof
 * them and nothing is lost. */
static const char *block_field_rename(const cq_kv *kv)
{
    static const char *const names[][2] = {{"host", "extracted_host"},
                                           {"index", "extracted_index"},
                                           {"source", "extracted_source"},
                                           {"sourcetype", "extracted_sourcetype"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (kv->name_len == strlen(names[i][0]) && !memcmp(kv->name, names[i][0], kv->name_len))
            return names[i][1];
    return NULL;
}

/* ---- the block set API ---- */

cq_blockset *cq_blockset_new(void)
{
    return cq_xcalloc(1, sizeof(cq_blockset));
}

void cq_blockset_free(cq_blockset *bs)
{
    if (!bs)
        return;
    for (size_t i = 0; i < bs->n_b; i++)
        builder_free(bs->b[i]);
    for (size_t i = 0; i < bs->cap_eb; i++) {
        cq_strbuf_free(&bs->eb[i].data);
        free(bs->eb[i].bloom);
        free(bs->eb[i].sourcetype);
        free(bs->eb[i].source);
        free(bs->eb[i].host);
    }
    free(bs->eb);
    free(bs->start);
    free(bs->codes);
    free(bs->row_off);
    free(bs->dict);
    cq_strbuf_free(&bs->colbuf);
    cq_col_packer_free(&bs->lz);
    free(bs->done);
    free(bs);
}

void cq_blockset_add(cq_blockset *bs, const cq_record *rec)
{
    cq_builder *b = builder_for(bs, rec);
    uint32_t row = b->n_rows++;
    b->times[row] = rec->time_us == CQ_TIME_NONE ? cq_time_now_us() : rec->time_us;
    b->raw_off[row] = store_add(b, rec->raw ? rec->raw : "", rec->raw_len);
    b->raw_len[row] = (uint32_t)rec->raw_len;
    if (rec->raw)
        cq_bloom_add_text(b->bloom, b->seen, rec->raw, rec->raw_len);
    for (size_t i = 0; i < rec->n_kv; i++) {
        const cq_kv *kv = &rec->kv[i];
        if (is_row_field(kv))
            continue;
        const char *name = block_field_rename(kv);
        colb_add(b, name ? builder_col(b, (uint32_t)i, name, strlen(name))
                         : builder_col(b, (uint32_t)i, kv->name, kv->name_len),
                 row, kv->val, kv->val_len);
    }
    if (b->n_rows == CQ_BLOCK_ROWS)
        builder_encode(bs, b);
}

void cq_blockset_finish(cq_blockset *bs)
{
    for (size_t i = 0; i < bs->n_b; i++) {
        builder_encode(bs, bs->b[i]);
        builder_free(bs->b[i]);
    }
    bs->n_b = 0;
}

void cq_blockset_discard(cq_blockset *bs)
{
    for (size_t i = 0; i < bs->n_b; i++)
        builder_free(bs->b[i]);
    bs->n_b = 0;
    bs->n_eb = 0;
}

size_t cq_blockset_pending(const cq_blockset *bs)
{
    return bs->n_eb;
}

/* ---- writing encoded blocks ---- */

/* Field id with a per-transaction cache (ids from a rolled back
 * transaction are forgotten in cq_writer_discard). */
static int field_id(cq_index *idx, const char *name, uint32_t len, int64_t *id)
{
    uint32_t v;
    if (cq_strmap_get(&idx->field_ids, name, len, &v)) {
        *id = v;
        return 0;
    }
    if (cq_index_field_id(idx, name, len, id))
        return -1;
    v = (uint32_t)*id;
    cq_strmap_upsert(&idx->field_ids, cq_arena_strndup(&idx->field_names, name, len), len, &v);
    return 0;
}

/* A column waiting in idx->pend for flush_cols(). */
struct cq_pend_col {
    int64_t field, block;
    size_t off;                 /* into idx->pend_data */
    uint32_t len;
};

static int pend_cmp(const void *a, const void *b)
{
    const struct cq_pend_col *x = a, *y = b;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    return (x->block > y->block) - (x->block < y->block);
}

/*
 * Writes the held-back columns field by field, each field's blocks in
 * block order.  Rows of cols are stored in insertion (rowid) order, so a
 * search reading a few fields of many blocks reads runs of pages instead
 * of one page per block and field (measured in the commit that made it).
 */
static int flush_cols(cq_index *idx)
{
    if (!idx->n_pend)
        return 0;
    qsort(idx->pend, idx->n_pend, sizeof *idx->pend, pend_cmp);
    if (cq_index_prepare(idx, &idx->st_col_put,
                         "INSERT INTO cols(block_id, field_id, data) VALUES(?1, ?2, ?3)"))
        return -1;
    sqlite3_stmt *st = idx->st_col_put;
    for (size_t i = 0; i < idx->n_pend; i++) {
        const struct cq_pend_col *c = &idx->pend[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->block);
        sqlite3_bind_int64(st, 2, c->field);
        sqlite3_bind_blob(st, 3, idx->pend_data.buf + c->off, (int)c->len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return cq_index_fail_db(idx, "write column");
    }
    idx->n_pend = 0;
    cq_strbuf_reset(&idx->pend_data);
    return 0;
}

static int put_col(cq_index *idx, int64_t block, const char *name, uint32_t name_len,
                   const void *data, uint32_t len)
{
    int64_t fid;
    if (field_id(idx, name, name_len, &fid))
        return -1;
    if (idx->n_pend == idx->cap_pend) {
        idx->cap_pend = idx->cap_pend ? idx->cap_pend * 2 : 1024;
        idx->pend = cq_xrealloc(idx->pend, idx->cap_pend * sizeof *idx->pend);
    }
    idx->pend[idx->n_pend++] =
        (struct cq_pend_col){fid, block, idx->pend_data.len, len + CQ_SUM_BYTES};
    cq_strbuf_add(&idx->pend_data, data, len);
    uint64_t sum = cq_index_sum(data, len, cq_col_seed(block, fid));
    cq_strbuf_add(&idx->pend_data, &sum, sizeof sum);   /* little-endian hosts only, as the blocks */
    idx->chunk_bytes += len + CQ_SUM_BYTES;
    return 0;
}

/* The blocks row's checksum, seeded by its id (known once inserted). */
static int put_block_sum(cq_index *idx, const cq_eblock *e, int64_t id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(idx->db, "UPDATE blocks SET sum=?1 WHERE id=?2", -1,
                           SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "write block");
    uint64_t sum = cq_block_sum(id, e->sourcetype, e->source, e->host, e->t_min, e->t_max,
                                e->n_rows);
    sqlite3_bind_int64(st, 1, (int64_t)sum);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "write block");
}

static int put_block(cq_index *idx, const cq_eblock *e, int64_t *id)
{
    if (cq_index_file_row(idx))
        return -1;
    if (cq_index_prepare(idx, &idx->st_block_put,
                         "INSERT INTO blocks(id, file_id, sourcetype, source, host, t_min,"
                         " t_max, n_rows) VALUES(?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
        return -1;
    sqlite3_stmt *st = idx->st_block_put;
    /* ?8 NULL: the next rowid; above a forgotten id once (forget.c) */
    if (idx->block_floor)
        sqlite3_bind_int64(st, 8, idx->block_floor + 1);
    sqlite3_bind_int64(st, 1, idx->file_id);
    sqlite3_bind_text(st, 2, e->sourcetype, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->source, -1, SQLITE_STATIC);
    if (e->host)
        sqlite3_bind_text(st, 4, e->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->t_min);
    sqlite3_bind_int64(st, 6, e->t_max);
    sqlite3_bind_int64(st, 7, e->n_rows);
    if (sqlite3_step(st) != SQLITE_DONE)
        return cq_index_fail_db(idx, "write block");
    *id = sqlite3_last_insert_rowid(idx->db);
    idx->block_floor = 0;
    return put_block_sum(idx, e, *id);
}

/* Writes the pending term-filter group: one terms row per slice. */
static int flush_group(cq_index *idx)
{
    uint32_t n = idx->grp_n;
    if (!n)
        return 0;
    if (cq_index_prepare(idx, &idx->st_term_put,
                         "INSERT INTO terms(slice, first_block, n_blocks, bits)"
                         " VALUES(?1, ?2, ?3, ?4)"))
        return -1;
    uint8_t row[CQ_TERM_GROUP * CQ_SLICE_BYTES + CQ_SUM_BYTES];
    for (uint32_t s = 0; s < CQ_N_SLICES; s++) {
        for (uint32_t j = 0; j < n; j++)
            memcpy(row + (size_t)j * CQ_SLICE_BYTES,
                   idx->grp_bits + (size_t)j * CQ_BLOOM_BYTES + (size_t)s * CQ_SLICE_BYTES,
                   CQ_SLICE_BYTES);
        sqlite3_stmt *st = idx->st_term_put;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, s);
        sqlite3_bind_int64(st, 2, idx->grp_first);
        sqlite3_bind_int64(st, 3, n);
        size_t len = (size_t)n * CQ_SLICE_BYTES;
        uint64_t sum = cq_index_sum(row, len, cq_col_seed(idx->grp_first, s));
        memcpy(row + len, &sum, sizeof sum);
        sqlite3_bind_blob(st, 4, row, (int)(len + CQ_SUM_BYTES), SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return cq_index_fail_db(idx, "write term filter");
    }
    idx->grp_n = 0;
    return 0;
}

static int add_to_group(cq_index *idx, int64_t block, const uint8_t *bloom)
{
    if (idx->grp_n && (idx->grp_n == CQ_TERM_GROUP || block != idx->grp_first + idx->grp_n))
        if (flush_group(idx))
            return -1;
    if (!idx->grp_bits)
        idx->grp_bits = cq_xmalloc((size_t)CQ_TERM_GROUP * CQ_BLOOM_BYTES);
    if (!idx->grp_n)
        idx->grp_first = block;
    memcpy(idx->grp_bits + (size_t)idx->grp_n * CQ_BLOOM_BYTES, bloom, CQ_BLOOM_BYTES);
    idx->grp_n++;
    return 0;
}

static int put_eblock(cq_index *idx, const cq_eblock *e)
{
    int64_t block = 0;
    if (put_block(idx, e, &block))
        return -1;
    const char *p = e->data.buf, *end = p + e->data.len;
    while (p < end) {
        uint32_t nl, bl;
        memcpy(&nl, p, 4);
        const char *name = p + 4;
        memcpy(&bl, name + nl, 4);
        const char *blob = name + nl + 4;
        if (put_col(idx, block, name, nl, blob, bl))
            return -1;
        p = blob + bl;
    }
    return add_to_group(idx, block, e->bloom);
}

int cq_index_put_blocks(cq_index *idx, cq_blockset *bs)
{
    if (!idx->in_file)
        return cq_index_fail(idx, "internal: put_blocks outside a file");
    for (size_t i = 0; i < bs->n_eb; i++)
        if (put_eblock(idx, &bs->eb[i])) {
            bs->n_eb = 0;
            return -1;
        }
    bs->n_eb = 0;
    /* A chunk's worth of columns is written at once, committed or not (a
     * file without the writer lock stays one transaction). */
    if (idx->pend_data.len >= idx->chunk_limit && flush_cols(idx))
        return -1;
    if (idx->chunk_bytes >= idx->chunk_limit)
        return cq_index_chunk_commit(idx);
    return 0;
}

int cq_index_add(cq_index *idx, const cq_record *rec)
{
    if (!idx->in_file)
        return cq_index_fail(idx, "internal: add outside a file");
    if (!idx->bs)
        idx->bs = cq_blockset_new();
    cq_blockset_add(idx->bs, rec);
    idx->n_added++;
    return idx->bs->n_eb ? cq_index_put_blocks(idx, idx->bs) : 0;
}

int cq_writer_flush_all(cq_index *idx)
{
    if (idx->bs) {
        cq_blockset_finish(idx->bs);
        if (cq_index_put_blocks(idx, idx->bs))
            return -1;
    }
    if (flush_cols(idx) || flush_group(idx))
        return -1;
    cq_writer_discard(idx);
    return 0;
}

void cq_writer_discard(cq_index *idx)
{
    if (idx->bs)
        cq_blockset_discard(idx->bs);
    idx->grp_n = 0;
    idx->n_pend = 0;
    cq_strbuf_reset(&idx->pend_data);
    /* Field ids made inside a rolled back transaction no longer exist;
     * after a commit they stay valid but are cheap to look up again. */
    cq_strmap_clear(&idx->field_ids);
    cq_arena_reset(&idx->field_names);
}

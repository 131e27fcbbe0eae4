/*
 * writer.c - turns records into blocks of columns.
 *
 * Records are buffered per (sourcetype, source, host) in a builder.  A full
 * builder (CQ_BLOCK_ROWS rows) is written as one blocks row plus one cols row
 * per field.  Within a block rows are sorted by _time so readers can return
 * events newest first by walking a block backwards.
 */
#include "index/index_int.h"
#include "index/colenc.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BUILDERS 8      /* distinct (sourcetype, source, host) in flight */

typedef struct colb {
    const char *name;
    uint32_t name_len;
    cq_strmap dict_map;     /* value -> dict index */
    cq_sv *dict;
    uint32_t n_dict, cap_dict;
    uint32_t *ent_row;      /* entries in the order added: row ... */
    uint32_t *ent_code;     /* ... and code (dict index + 1) */
    uint32_t n_ent, cap_ent;
    int mv;                 /* some row has two or more values */
} colb;

struct cq_builder {
    char *sourcetype, *source, *host;
    cq_arena arena;         /* names, values and _raw of the pending rows */
    cq_strmap field_map;    /* field name -> index in cols */
    colb *cols;
    uint32_t n_cols, cap_cols;
    int64_t times[CQ_BLOCK_ROWS];
    cq_sv raws[CQ_BLOCK_ROWS];
    uint32_t n_rows;
};

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void colb_free(colb *c)
{
    cq_strmap_free(&c->dict_map);
    free(c->dict);
    free(c->ent_row);
    free(c->ent_code);
}

static void builder_free(cq_builder *b)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        colb_free(&b->cols[i]);
    free(b->cols);
    cq_strmap_free(&b->field_map);
    cq_arena_free(&b->arena);
    free(b->sourcetype);
    free(b->source);
    free(b->host);
    free(b);
}

/* Empties a builder for the next block of the same key. */
static void builder_clear(cq_builder *b)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        colb_free(&b->cols[i]);
    b->n_cols = 0;
    b->n_rows = 0;
    cq_strmap_clear(&b->field_map);
    cq_arena_reset(&b->arena);
}

static colb *builder_col(cq_builder *b, const char *name, uint32_t len)
{
    uint32_t i = b->n_cols;
    if (cq_strmap_get(&b->field_map, name, len, &i))
        return &b->cols[i];
    if (b->n_cols == b->cap_cols) {
        b->cap_cols = b->cap_cols ? b->cap_cols * 2 : 32;
        b->cols = cq_xrealloc(b->cols, b->cap_cols * sizeof *b->cols);
    }
    colb *c = &b->cols[b->n_cols];
    memset(c, 0, sizeof *c);
    c->name = cq_arena_strndup(&b->arena, name, len);
    c->name_len = len;
    cq_strmap_upsert(&b->field_map, c->name, len, &i);
    b->n_cols++;
    return c;
}

static void colb_add(cq_builder *b, colb *c, uint32_t row, const char *val, uint32_t len)
{
    uint32_t code = c->n_dict;
    if (!cq_strmap_get(&c->dict_map, val, len, &code)) {
        if (c->n_dict == c->cap_dict) {
            c->cap_dict = c->cap_dict ? c->cap_dict * 2 : 16;
            c->dict = cq_xrealloc(c->dict, c->cap_dict * sizeof *c->dict);
        }
        char *copy = cq_arena_strndup(&b->arena, val, len);
        c->dict[c->n_dict] = (cq_sv){copy, len};
        code = c->n_dict++;
        cq_strmap_upsert(&c->dict_map, copy, len, &code);
    }
    if (c->n_ent == c->cap_ent) {
        c->cap_ent = c->cap_ent ? c->cap_ent * 2 : 64;
        c->ent_row = cq_xrealloc(c->ent_row, c->cap_ent * sizeof *c->ent_row);
        c->ent_code = cq_xrealloc(c->ent_code, c->cap_ent * sizeof *c->ent_code);
    }
    if (c->n_ent && c->ent_row[c->n_ent - 1] == row)
        c->mv = 1;
    c->ent_row[c->n_ent] = row;
    c->ent_code[c->n_ent] = code + 1;
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

static int put_col(cq_index *idx, int64_t block, const char *name, const cq_strbuf *data)
{
    int64_t fid;
    if (field_id(idx, name, (uint32_t)strlen(name), &fid))
        return -1;
    if (cq_index_prepare(idx, &idx->st_col_put,
                         "INSERT INTO cols(block_id, field_id, data) VALUES(?1, ?2, ?3)"))
        return -1;
    sqlite3_bind_int64(idx->st_col_put, 1, block);
    sqlite3_bind_int64(idx->st_col_put, 2, fid);
    sqlite3_bind_blob(idx->st_col_put, 3, data->buf, (int)data->len, SQLITE_STATIC);
    if (sqlite3_step(idx->st_col_put) != SQLITE_DONE)
        return cq_index_fail_db(idx, "write column");
    return 0;
}

static int put_block(cq_index *idx, cq_builder *b, int64_t t_min, int64_t t_max, int64_t *id)
{
    if (cq_index_prepare(idx, &idx->st_block_put,
                         "INSERT INTO blocks(file_id, sourcetype, source, host, t_min, t_max, n_rows)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
        return -1;
    sqlite3_stmt *st = idx->st_block_put;
    sqlite3_bind_int64(st, 1, idx->file_id);
    sqlite3_bind_text(st, 2, b->sourcetype, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b->source, -1, SQLITE_STATIC);
    if (b->host)
        sqlite3_bind_text(st, 4, b->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, t_min);
    sqlite3_bind_int64(st, 6, t_max);
    sqlite3_bind_int64(st, 7, b->n_rows);
    if (sqlite3_step(st) != SQLITE_DONE)
        return cq_index_fail_db(idx, "write block");
    *id = sqlite3_last_insert_rowid(idx->db);
    return 0;
}

/* Encodes column c with rows reordered by perm (new row j = old perm[j]). */
static void encode_col(const colb *c, const trow *perm, uint32_t n_rows, uint32_t *start,
                       uint32_t *codes, uint32_t *row_off, cq_strbuf *out)
{
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
    cq_col_encode_dict(out, c->dict, c->n_dict, codes, c->mv ? row_off : NULL, n_rows);
}

static int builder_flush(cq_index *idx, cq_builder *b)
{
    uint32_t n = b->n_rows;
    if (!n)
        return 0;
    trow *perm = cq_xmalloc(n * sizeof *perm);
    for (uint32_t r = 0; r < n; r++)
        perm[r] = (trow){b->times[r], r};
    qsort(perm, n, sizeof *perm, trow_cmp);
    int64_t *t = cq_xmalloc(n * sizeof *t);
    cq_sv *raw = cq_xmalloc(n * sizeof *raw);
    for (uint32_t j = 0; j < n; j++) {
        t[j] = perm[j].t;
        raw[j] = b->raws[perm[j].row];
    }
    uint32_t max_ent = 0;
    for (uint32_t i = 0; i < b->n_cols; i++)
        if (b->cols[i].n_ent > max_ent)
            max_ent = b->cols[i].n_ent;
    uint32_t *start = cq_xmalloc((n + 1) * sizeof *start);
    uint32_t *codes = cq_xmalloc((max_ent + n + 1) * sizeof *codes);
    uint32_t *row_off = cq_xmalloc((n + 1) * sizeof *row_off);
    cq_strbuf data = CQ_STRBUF_INIT;
    int64_t block = 0;
    int rc = put_block(idx, b, t[0], t[n - 1], &block);
    if (!rc) {
        cq_col_encode_time(&data, t, n);
        rc = put_col(idx, block, "_time", &data);
    }
    if (!rc) {
        cq_strbuf_reset(&data);
        cq_col_encode_plain(&data, raw, n);
        rc = put_col(idx, block, "_raw", &data);
    }
    for (uint32_t i = 0; i < b->n_cols && !rc; i++) {
        cq_strbuf_reset(&data);
        encode_col(&b->cols[i], perm, n, start, codes, row_off, &data);
        rc = put_col(idx, block, b->cols[i].name, &data);
    }
    cq_strbuf_free(&data);
    free(perm);
    free(t);
    free(raw);
    free(start);
    free(codes);
    free(row_off);
    builder_clear(b);
    return rc;
}

static cq_builder *builder_for(cq_index *idx, const cq_record *rec)
{
    const char *st = rec->sourcetype ? rec->sourcetype : "unknown";
    const char *src = rec->source ? rec->source : "-";
    for (size_t i = 0; i < idx->n_builders; i++) {
        cq_builder *b = idx->builders[i];
        if (!strcmp(b->sourcetype, st) && !strcmp(b->source, src) && same(b->host, rec->host))
            return b;
    }
    if (idx->n_builders == MAX_BUILDERS) {
        /* Rare (many hosts in one file): write out the oldest early. */
        cq_builder *old = idx->builders[0];
        if (builder_flush(idx, old))
            return NULL;
        builder_free(old);
        memmove(idx->builders, idx->builders + 1, (MAX_BUILDERS - 1) * sizeof *idx->builders);
        idx->n_builders--;
    }
    cq_builder *b = cq_xcalloc(1, sizeof *b);
    b->sourcetype = cq_xstrdup(st);
    b->source = cq_xstrdup(src);
    b->host = rec->host ? cq_xstrdup(rec->host) : NULL;
    cq_arena_init(&b->arena);
    idx->builders = cq_xrealloc(idx->builders, (idx->n_builders + 1) * sizeof *idx->builders);
    idx->builders[idx->n_builders++] = b;
    return b;
}

int cq_index_add(cq_index *idx, const cq_record *rec)
{
    if (!idx->in_file)
        return cq_index_fail(idx, "internal: add outside a file");
    cq_builder *b = builder_for(idx, rec);
    if (!b)
        return -1;
    uint32_t row = b->n_rows++;
    b->times[row] = rec->time_us == CQ_TIME_NONE ? cq_time_now_us() : rec->time_us;
    b->raws[row] = (cq_sv){cq_arena_strndup(&b->arena, rec->raw ? rec->raw : "", rec->raw_len),
                           (uint32_t)rec->raw_len};
    for (size_t i = 0; i < rec->n_kv; i++) {
        const cq_kv *kv = &rec->kv[i];
        /* _time, _raw and the block-level fields are stored once, not as columns. */
        if (kv->name_len && kv->name[0] == '_' &&
            (!strcmp(kv->name, "_time") || !strcmp(kv->name, "_raw")))
            continue;
        if (!strcmp(kv->name, "sourcetype") || !strcmp(kv->name, "source") ||
            !strcmp(kv->name, "host"))
            continue;
        colb_add(b, builder_col(b, kv->name, kv->name_len), row, kv->val, kv->val_len);
    }
    idx->n_added++;
    if (b->n_rows == CQ_BLOCK_ROWS)
        return builder_flush(idx, b);
    return 0;
}

int cq_writer_flush_all(cq_index *idx)
{
    for (size_t i = 0; i < idx->n_builders; i++)
        if (builder_flush(idx, idx->builders[i]))
            return -1;
    cq_writer_discard(idx);
    return 0;
}

void cq_writer_discard(cq_index *idx)
{
    for (size_t i = 0; i < idx->n_builders; i++)
        builder_free(idx->builders[i]);
    idx->n_builders = 0;
    /* Field ids made inside a rolled back transaction no longer exist;
     * after a commit they stay valid but are cheap to look up again. */
    cq_strmap_clear(&idx->field_ids);
    cq_arena_reset(&idx->field_names);
}

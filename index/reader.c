/*
 * reader.c - selecting blocks and decoding their columns.
 *
 * The block query is assembled from fixed SQL fragments; the only variable
 * parts are `?` placeholders, bound afterwards.  Column names in the SQL come
 * from a fixed table indexed by cq_attr, never from the query text.
 */
#include "index/reader.h"
#include "index/index_int.h"
#include "index/terms.h"
#include "common/strbuf.h"
#include "common/strmap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct cq_scan {
    cq_index *idx;
    cq_arena arena;             /* block metadata strings, field names */
    cq_block_info *blocks;
    size_t n_blocks;
    cq_strmap field_ids;        /* name -> id */
    char **field_names;         /* id -> name (sparse) */
    size_t n_field_names;
    sqlite3_stmt *st_col;
    sqlite3_stmt *st_all;
    int owns_txn;               /* began the read transaction (an outer scan,
                                   e.g. a join's, may hold it: subsearches share
                                   its snapshot) */
    int borrowed;               /* a fork: blocks and field names are its parent's */
};

static const char *const attr_col[] = {
    [CQ_ATTR_SOURCETYPE] = "sourcetype",
    [CQ_ATTR_SOURCE] = "source",
    [CQ_ATTR_HOST] = "host",
};

static int usable_term(const char *t)
{
    return t && !strchr(t, '*') && !strchr(t, '\\');
}

static size_t n_usable_terms(const cq_pushdown *pd)
{
    size_t n = 0;
    for (size_t i = 0; i < pd->n_terms; i++)
        n += usable_term(pd->terms[i]);
    return n;
}

/* The block query without its term part, for running. */
static void block_sql(const cq_pushdown *pd, cq_strbuf *sql)
{
    cq_pushdown p = *pd;
    p.n_terms = 0;
    cq_scan_describe(&p, sql);
}

void cq_scan_describe(const cq_pushdown *pd, cq_strbuf *sql)
{
    /* Blocks of a file still being ingested (or of a killed ingest) are
     * committed under a files row without ingested_at: not part of the index. */
    cq_strbuf_adds(sql, "SELECT id, sourcetype, source, host, t_min, t_max, n_rows, sum FROM blocks"
                        " WHERE " CQ_SQL_BLOCK_DONE);
    const char *sep = " AND ";
    for (size_t i = 0; pd && i < pd->n_clauses; i++) {
        cq_strbuf_adds(sql, sep);
        sep = " AND ";
        cq_strbuf_addc(sql, '(');
        for (size_t j = 0; j < pd->clauses[i].n_atoms; j++)
            cq_strbuf_addf(sql, "%slower(%s) GLOB ?", j ? " OR " : "",
                           attr_col[pd->clauses[i].atoms[j].attr]);
        cq_strbuf_addc(sql, ')');
    }
    if (pd && pd->earliest != INT64_MIN) {
        cq_strbuf_adds(sql, sep);
        sep = " AND ";
        cq_strbuf_adds(sql, "t_max >= ?");
    }
    if (pd && pd->latest != INT64_MAX) {
        cq_strbuf_adds(sql, sep);
        sep = " AND ";
        cq_strbuf_adds(sql, "t_min < ?");
    }
    if (pd && n_usable_terms(pd)) {
        /* The candidate ids come from the terms table (read in C, see
         * term_candidates); explain shows which terms chose them. */
        cq_strbuf_adds(sql, sep);
        cq_strbuf_adds(sql, "id IN term_filter(");
        for (size_t i = 0, k = 0; i < pd->n_terms; i++)
            if (usable_term(pd->terms[i]))
                cq_strbuf_adds(sql, k++ ? ", ?" : "?");
        cq_strbuf_addc(sql, ')');
    }
    /* No ORDER BY: the scan sorts the rows newest first itself (block_cmp).
     * Sorting in SQLite walked blocks_time and looked every row up: 7 ms
     * for 11,116 blocks, against 1 ms for a table scan and a qsort. */
}

/* Splunk value (case-insensitive, * wildcard) -> SQLite GLOB on lower(). */
static char *to_glob(cq_arena *a, const char *v)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (const char *p = v; *p; p++) {
        if (*p == '?')
            cq_strbuf_adds(&sb, "[?]");
        else if (*p == '[')
            cq_strbuf_adds(&sb, "[[]");
        else
            cq_strbuf_addc(&sb, (char)tolower((unsigned char)*p));
    }
    char *g = cq_arena_strdup(a, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return g;
}

typedef struct grp_mask {
    int64_t first;              /* first block id of a group */
    uint64_t mask;              /* bit j: block first+j may hold every token so far */
} grp_mask;

/* ANDs into m[0..*n) the groups read for one slice (both sorted by first). */
static size_t intersect(grp_mask *m, size_t n, const grp_mask *r, size_t nr)
{
    size_t i = 0, j = 0, k = 0;
    while (i < n && j < nr) {
        if (m[i].first < r[j].first) {
            i++;
        } else if (m[i].first > r[j].first) {
            j++;
        } else {
            uint64_t v = m[i].mask & r[j].mask;
            if (v)
                m[k++] = (grp_mask){m[i].first, v};
            i++;
            j++;
        }
    }
    return k;
}

static int cmp_probe(const void *a, const void *b)
{
    const cq_token_probe *x = a, *y = b;
    return (x->slice > y->slice) - (x->slice < y->slice);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Whether the CQ_SUM_BYTES after p[0..n) are p's checksum under seed. */
static int sum_ok(const void *p, size_t n, uint64_t seed)
{
    uint64_t want;
    memcpy(&want, (const char *)p + n, sizeof want);
    return cq_index_sum(p, n, seed) == want;
}

/*
 * Reads the term filter: *ids (sorted) gets the blocks that may hold every
 * token of every usable term.  *all = 1 when no term narrows anything.
 */
static int term_candidates(cq_scan *s, const cq_pushdown *pd, int64_t **ids, size_t *n_ids,
                           int *all)
{
    cq_token_probe *pr = NULL;
    size_t np = 0;
    *ids = NULL;
    *n_ids = 0;
    *all = 1;
    for (size_t i = 0; i < pd->n_terms; i++)
        if (usable_term(pd->terms[i]))
            cq_term_probes(pd->terms[i], strlen(pd->terms[i]), &pr, &np);
    if (!np)
        return 0;
    *all = 0;
    qsort(pr, np, sizeof *pr, cmp_probe);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->idx->db, "SELECT first_block, n_blocks, bits FROM terms"
                           " WHERE slice=?1 ORDER BY first_block", -1, &st, NULL) != SQLITE_OK) {
        free(pr);
        return cq_index_fail_db(s->idx, "read term filter");
    }
    grp_mask *acc = NULL, *cur = NULL;
    size_t n_acc = 0, n_cur = 0, cap_cur = 0;
    int ret = 0, first = 1;
    for (size_t a = 0; a < np && !ret; ) {
        size_t b = a;
        while (b < np && pr[b].slice == pr[a].slice)
            b++;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, pr[a].slice);
        n_cur = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t fb = sqlite3_column_int64(st, 0);
            int64_t nb = sqlite3_column_int64(st, 1);
            const unsigned char *bits = sqlite3_column_blob(st, 2);
            int len = sqlite3_column_bytes(st, 2);
            if (nb < 1 || nb > 64 || len != nb * CQ_SLICE_BYTES + CQ_SUM_BYTES || !bits) {
                ret = cq_index_fail(s->idx, "index %s is damaged: a term filter row is malformed",
                                    s->idx->path);
                break;
            }
            if (!sum_ok(bits, (size_t)len - CQ_SUM_BYTES, cq_col_seed(fb, pr[a].slice))) {
                ret = cq_index_fail(s->idx, "index %s is damaged: the term filter of blocks"
                                    " %lld-%lld fails its checksum", s->idx->path,
                                    (long long)fb, (long long)(fb + nb - 1));
                break;
            }
            uint64_t mask = 0;
            for (int64_t j = 0; j < nb; j++) {
                const unsigned char *w = bits + j * CQ_SLICE_BYTES;
                int ok = 1;
                for (size_t p = a; p < b && ok; p++)
                    for (int k = 0; k < CQ_SLICE_BYTES / 8 && ok; k++) {
                        uint64_t v;
                        memcpy(&v, w + k * 8, 8);
                        ok = (v & pr[p].words[k]) == pr[p].words[k];
                    }
                if (ok)
                    mask |= 1ull << j;
            }
            if (!mask)
                continue;
            if (n_cur == cap_cur) {
                cap_cur = cap_cur ? cap_cur * 2 : 256;
                cur = cq_xrealloc(cur, cap_cur * sizeof *cur);
            }
            cur[n_cur++] = (grp_mask){fb, mask};
        }
        if (!ret && rc != SQLITE_DONE)
            ret = cq_index_fail_db(s->idx, "read term filter");
        if (first) {
            acc = cq_xmalloc((n_cur ? n_cur : 1) * sizeof *acc);
            if (n_cur)      /* cur is NULL until the first group */
                memcpy(acc, cur, n_cur * sizeof *acc);
            n_acc = n_cur;
            first = 0;
        } else {
            n_acc = intersect(acc, n_acc, cur, n_cur);
        }
        a = b;
    }
    sqlite3_finalize(st);
    free(pr);
    free(cur);
    if (!ret) {
        size_t n = 0;
        for (size_t i = 0; i < n_acc; i++)
            n += (size_t)__builtin_popcountll(acc[i].mask);
        *ids = cq_xmalloc((n ? n : 1) * sizeof **ids);
        for (size_t i = 0; i < n_acc; i++)
            for (int j = 0; j < 64; j++)
                if (acc[i].mask >> j & 1)
                    (*ids)[(*n_ids)++] = acc[i].first + j;
        qsort(*ids, *n_ids, sizeof **ids, cmp_i64);
    }
    free(acc);
    return ret;
}

static int block_cmp(const void *a, const void *b)
{
    const cq_block_info *x = a, *y = b;
    if (x->t_max != y->t_max)
        return x->t_max < y->t_max ? 1 : -1;
    return (x->id < y->id) - (x->id > y->id);
}

/* Binds the pushdown's parameters from index 1; returns the next index. */
static int bind_pd(cq_scan *s, sqlite3_stmt *st, const cq_pushdown *pd)
{
    int k = 1;
    for (size_t i = 0; pd && i < pd->n_clauses; i++)
        for (size_t j = 0; j < pd->clauses[i].n_atoms; j++)
            sqlite3_bind_text(st, k++, to_glob(&s->arena, pd->clauses[i].atoms[j].value), -1,
                              SQLITE_STATIC);
    if (pd && pd->earliest != INT64_MIN)
        sqlite3_bind_int64(st, k++, pd->earliest);
    if (pd && pd->latest != INT64_MAX)
        sqlite3_bind_int64(st, k++, pd->latest);
    return k;
}

/* Adds the block of st's row; -1 if the row fails its checksum. */
static int add_block_row(cq_scan *s, sqlite3_stmt *st, size_t *cap)
{
    int64_t id = sqlite3_column_int64(st, 0);
    if (id <= s->idx->scan_after || (s->idx->scan_upto && id > s->idx->scan_upto))
        return 0;               /* not this batch of search --follow */
    if (s->n_blocks == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        s->blocks = cq_xrealloc(s->blocks, *cap * sizeof *s->blocks);
    }
    cq_block_info *b = &s->blocks[s->n_blocks++];
    b->id = sqlite3_column_int64(st, 0);
    b->sourcetype = cq_arena_strdup(&s->arena, (const char *)sqlite3_column_text(st, 1));
    b->source = cq_arena_strdup(&s->arena, (const char *)sqlite3_column_text(st, 2));
    const char *h = (const char *)sqlite3_column_text(st, 3);
    b->host = h ? cq_arena_strdup(&s->arena, h) : NULL;
    b->t_min = sqlite3_column_int64(st, 4);
    b->t_max = sqlite3_column_int64(st, 5);
    int64_t n_rows = sqlite3_column_int64(st, 6);
    b->n_rows = (uint32_t)n_rows;
    uint64_t want = (uint64_t)sqlite3_column_int64(st, 7);
    if (cq_block_sum(b->id, b->sourcetype, b->source, b->host, b->t_min, b->t_max, n_rows)
        != want)
        return cq_index_fail(s->idx, "index %s is damaged: block %lld fails its checksum"
                             " (its sourcetype, source, host, time range or row count)",
                             s->idx->path, (long long)b->id);
    return 0;
}

/* Few candidates: look each one up with the pushdown's conditions. */
static int load_candidates(cq_scan *s, const cq_pushdown *pd, const int64_t *ids, size_t n)
{
    cq_strbuf sql = CQ_STRBUF_INIT;
    block_sql(pd, &sql);
    cq_strbuf_adds(&sql, strstr(sql.buf, " WHERE ") ? " AND id=?" : " WHERE id=?");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->idx->db, sql.buf, -1, &st, NULL);
    cq_strbuf_free(&sql);
    if (rc != SQLITE_OK)
        return cq_index_fail_db(s->idx, "select blocks");
    int k = bind_pd(s, st, pd);
    size_t cap = 0;
    rc = SQLITE_DONE;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, k, ids[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && add_block_row(s, st, &cap)) {
            sqlite3_finalize(st);
            return -1;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cq_index_fail_db(s->idx, "select blocks");
    if (s->n_blocks)    /* s->blocks is NULL when no candidate matched */
        qsort(s->blocks, s->n_blocks, sizeof *s->blocks, block_cmp);
    return 0;
}

static int load_blocks(cq_scan *s, const cq_pushdown *pd)
{
    int64_t *ids = NULL;
    size_t n_ids = 0;
    int all = 1;
    if (pd && pd->n_terms && term_candidates(s, pd, &ids, &n_ids, &all))
        return -1;
    if (!all && n_ids <= 4096) {
        int rc = load_candidates(s, pd, ids, n_ids);
        free(ids);
        return rc;
    }
    cq_strbuf sql = CQ_STRBUF_INIT;
    if (pd)
        block_sql(pd, &sql);
    else
        cq_scan_describe(pd, &sql);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->idx->db, sql.buf, -1, &st, NULL);
    cq_strbuf_free(&sql);
    if (rc != SQLITE_OK) {
        free(ids);
        return cq_index_fail_db(s->idx, "select blocks");
    }
    bind_pd(s, st, pd);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!all && !bsearch(&(int64_t){sqlite3_column_int64(st, 0)}, ids, n_ids, sizeof *ids,
                             cmp_i64))
            continue;
        if (add_block_row(s, st, &cap)) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_finalize(st);
    free(ids);
    if (rc == SQLITE_ERROR && s->idx->err[0])
        return -1;
    if (rc != SQLITE_DONE)
        return cq_index_fail_db(s->idx, "select blocks");
    if (s->n_blocks)
        qsort(s->blocks, s->n_blocks, sizeof *s->blocks, block_cmp);
    return 0;
}

static int load_fields(cq_scan *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->idx->db, "SELECT id, name, sum FROM fields", -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(s->idx, "read field names");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (id < 0 || id > (1 << 24) || !name)
            continue;
        if (cq_index_sum(name, (size_t)len, (uint64_t)id) != (uint64_t)sqlite3_column_int64(st, 2)) {
            sqlite3_finalize(st);
            return cq_index_fail(s->idx, "index %s is damaged: field name %lld fails its checksum",
                                 s->idx->path, (long long)id);
        }
        char *copy = cq_arena_strndup(&s->arena, name, (size_t)len);
        uint32_t v = (uint32_t)id;
        cq_strmap_upsert(&s->field_ids, copy, (size_t)len, &v);
        if ((size_t)id >= s->n_field_names) {
            size_t n = (size_t)id + 64;
            s->field_names = cq_xrealloc(s->field_names, n * sizeof *s->field_names);
            memset(s->field_names + s->n_field_names, 0,
                   (n - s->n_field_names) * sizeof *s->field_names);
            s->n_field_names = n;
        }
        s->field_names[id] = copy;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cq_index_fail_db(s->idx, "read field names");
    return 0;
}

int cq_scan_open(cq_index *idx, const cq_pushdown *pd, cq_scan **out)
{
    cq_scan *s = cq_xcalloc(1, sizeof *s);
    s->idx = idx;
    cq_arena_init(&s->arena);
    cq_strmap_init(&s->field_ids);
    /* One read transaction for the whole scan: a consistent snapshot even
     * while an ingest commits (WAL). */
    s->owns_txn = sqlite3_get_autocommit(idx->db);
    if ((s->owns_txn && sqlite3_exec(idx->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) ||
        load_fields(s) || load_blocks(s, pd)) {
        if (!idx->err[0])
            cq_index_fail_db(idx, "begin read");
        cq_scan_close(s);
        *out = NULL;
        return -1;
    }
    *out = s;
    return 0;
}

void cq_scan_close(cq_scan *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->st_col);
    sqlite3_finalize(s->st_all);
    if (s->owns_txn && !sqlite3_get_autocommit(s->idx->db))
        sqlite3_exec(s->idx->db, "COMMIT", NULL, NULL, NULL);
    if (!s->borrowed) {
        cq_strmap_free(&s->field_ids);
        free(s->field_names);
        free(s->blocks);
    }
    cq_arena_free(&s->arena);
    free(s);
}

int cq_scan_fork(const cq_scan *parent, cq_index *idx, size_t first, size_t n, cq_scan **out)
{
    cq_scan *s = cq_xcalloc(1, sizeof *s);
    *s = *parent;
    s->idx = idx;
    cq_arena_init(&s->arena);
    s->blocks = parent->blocks + (first < parent->n_blocks ? first : parent->n_blocks);
    s->n_blocks = first + n <= parent->n_blocks ? n : parent->n_blocks - first;
    s->st_col = s->st_all = NULL;
    s->borrowed = 1;
    s->owns_txn = sqlite3_get_autocommit(idx->db);
    if (s->owns_txn && sqlite3_exec(idx->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        cq_index_fail_db(idx, "begin read");
        s->owns_txn = 0;
        cq_scan_close(s);
        *out = NULL;
        return -1;
    }
    *out = s;
    return 0;
}

size_t cq_scan_n_blocks(const cq_scan *s)
{
    return s->n_blocks;
}

const cq_block_info *cq_scan_block(const cq_scan *s, size_t i)
{
    return i < s->n_blocks ? &s->blocks[i] : NULL;
}

int cq_scan_field_id(const cq_scan *s, const char *name, int64_t *id)
{
    uint32_t v;
    if (!cq_strmap_get(&s->field_ids, name, strlen(name), &v))
        return -1;
    *id = v;
    return 0;
}

static const char *field_name(const cq_scan *s, int64_t fid)
{
    const char *n = fid >= 0 && (size_t)fid < s->n_field_names ? s->field_names[fid] : NULL;
    return n ? n : "?";
}

/* The column blob in st's colno, checked against its checksum: 0 and the
 * bytes before the checksum in *out, or -1 naming block i and field fid. */
static int col_blob(cq_scan *s, sqlite3_stmt *st, int colno, size_t i, int64_t fid, cq_sv *out)
{
    const void *blob = sqlite3_column_blob(st, colno);
    int len = sqlite3_column_bytes(st, colno);
    if (!blob || len < CQ_SUM_BYTES ||
        !sum_ok(blob, (size_t)len - CQ_SUM_BYTES, cq_col_seed(s->blocks[i].id, fid)))
        return cq_index_fail(s->idx, "index %s is damaged: column %s of block %lld fails its"
                             " checksum", s->idx->path, field_name(s, fid),
                             (long long)s->blocks[i].id);
    *out = (cq_sv){blob, (size_t)len - CQ_SUM_BYTES};
    return 0;
}

static int decode_or_fail(cq_scan *s, const cq_sv *blob, size_t i, int64_t fid, cq_arena *a,
                          cq_col *col, unsigned how)
{
    if (cq_col_decode(blob->p, blob->len, a, col, how))
        return cq_index_fail(s->idx, "index %s is damaged: column %s of block %lld does not"
                             " decode", s->idx->path, field_name(s, fid),
                             (long long)s->blocks[i].id);
    return 0;
}

/* Steps st_col for field fid of block i: 1 row, 0 none, -1 error. */
static int col_row(cq_scan *s, size_t i, int64_t fid)
{
    if (cq_index_prepare(s->idx, &s->st_col,
                         "SELECT data FROM cols WHERE block_id=?1 AND field_id=?2"))
        return -1;
    sqlite3_reset(s->st_col);
    sqlite3_bind_int64(s->st_col, 1, s->blocks[i].id);
    sqlite3_bind_int64(s->st_col, 2, fid);
    int rc = sqlite3_step(s->st_col);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(s->idx, "read column");
}

/* The SAME blob in st_col's row, if it is one: 1 and its target's field
 * id (the name copied before st_col moves on), 0 for any other blob, -1
 * for a malformed one or a name no field has. */
static int same_target(cq_scan *s, const cq_sv *blob, int64_t *fid)
{
    cq_sv name;
    int same = cq_col_same_target(blob->p, blob->len, &name);
    if (same <= 0)
        return same;
    char buf[4097];
    memcpy(buf, name.p, name.len);
    buf[name.len] = '\0';
    return cq_scan_field_id(s, buf, fid) ? -1 : 1;
}

static int damaged_ref(cq_scan *s)
{
    return cq_index_fail(s->idx, "index %s is damaged: a column refers to a missing one",
                         s->idx->path);
}

/* Decodes field fid of block i, following one SAME reference (its target
 * must be there and not be a reference itself). */
static int read_col(cq_scan *s, size_t i, int64_t fid, cq_arena *a, cq_col *col, unsigned how)
{
    int rc = col_row(s, i, fid);
    if (rc != 1)
        return rc;
    cq_sv blob;
    if (col_blob(s, s->st_col, 0, i, fid, &blob))
        return -1;
    int same = same_target(s, &blob, &fid);
    if (same < 0)
        return damaged_ref(s);
    if (same) {
        if ((rc = col_row(s, i, fid)) < 0)
            return -1;
        if (!rc)
            return damaged_ref(s);
        if (col_blob(s, s->st_col, 0, i, fid, &blob))
            return -1;
        if (same_target(s, &blob, &fid))
            return damaged_ref(s);
    }
    return decode_or_fail(s, &blob, i, fid, a, col, how);
}

int cq_scan_column(cq_scan *s, size_t i, const char *name, cq_arena *a, cq_col *col,
                   unsigned how)
{
    memset(col, 0, sizeof *col);
    col->n_rows = s->blocks[i].n_rows;
    int64_t fid;
    if (cq_scan_field_id(s, name, &fid))
        return 0;   /* no block has this field */
    int ret = read_col(s, i, fid, a, col, how);
    sqlite3_reset(s->st_col);
    if (ret < 0)
        return -1;
    if (col->n_rows != s->blocks[i].n_rows)
        return cq_index_fail(s->idx, "index %s is damaged: column length mismatch", s->idx->path);
    return 0;
}

int cq_scan_all_columns(cq_scan *s, size_t i, cq_arena *a, cq_col_fn fn, void *ctx)
{
    if (cq_index_prepare(s->idx, &s->st_all,
                         "SELECT field_id, data FROM cols WHERE block_id=?1 ORDER BY field_id"))
        return -1;
    sqlite3_bind_int64(s->st_all, 1, s->blocks[i].id);
    int rc, ret = 0;
    while (!ret && (rc = sqlite3_step(s->st_all)) == SQLITE_ROW) {
        int64_t fid = sqlite3_column_int64(s->st_all, 0);
        const char *name = fid >= 0 && (size_t)fid < s->n_field_names ? s->field_names[fid] : NULL;
        if (!name)
            continue;   /* a field added after this scan began */
        cq_col col;
        cq_sv blob, target;
        if (col_blob(s, s->st_all, 1, i, fid, &blob))
            ret = -1;
        else if (cq_col_same_target(blob.p, blob.len, &target))
            ret = cq_scan_column(s, i, name, a, &col, CQ_DECODE_FULL);
        else
            ret = decode_or_fail(s, &blob, i, fid, a, &col, CQ_DECODE_FULL);
        if (!ret && col.n_rows != s->blocks[i].n_rows)
            ret = cq_index_fail(s->idx, "index %s is damaged: column length mismatch",
                                s->idx->path);
        if (!ret)
            ret = fn(ctx, name, &col);
    }
    if (!ret && rc != SQLITE_DONE)
        ret = cq_index_fail_db(s->idx, "read columns");
    sqlite3_reset(s->st_all);
    return ret;
}

/*
 * reader.c - selecting blocks and decoding their columns.
 *
 * The block query is assembled from fixed SQL fragments; the only variable
 * parts are `?` placeholders, bound afterwards.  Column names in the SQL come
 * from a fixed table indexed by cq_attr, never from the query text.
 */
#include "index/reader.h"
#include "index/index_int.h"
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
};

static const char *const attr_col[] = {
    [CQ_ATTR_SOURCETYPE] = "sourcetype",
    [CQ_ATTR_SOURCE] = "source",
    [CQ_ATTR_HOST] = "host",
};

void cq_scan_describe(const cq_pushdown *pd, cq_strbuf *sql)
{
    cq_strbuf_adds(sql, "SELECT id, sourcetype, source, host, t_min, t_max, n_rows FROM blocks");
    const char *sep = " WHERE ";
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
        cq_strbuf_adds(sql, "t_min < ?");
    }
    cq_strbuf_adds(sql, " ORDER BY t_max DESC, id DESC");
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

static int load_blocks(cq_scan *s, const cq_pushdown *pd)
{
    cq_strbuf sql = CQ_STRBUF_INIT;
    cq_scan_describe(pd, &sql);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->idx->db, sql.buf, -1, &st, NULL);
    cq_strbuf_free(&sql);
    if (rc != SQLITE_OK)
        return cq_index_fail_db(s->idx, "select blocks");
    int k = 1;
    for (size_t i = 0; pd && i < pd->n_clauses; i++)
        for (size_t j = 0; j < pd->clauses[i].n_atoms; j++)
            sqlite3_bind_text(st, k++, to_glob(&s->arena, pd->clauses[i].atoms[j].value), -1,
                              SQLITE_STATIC);
    if (pd && pd->earliest != INT64_MIN)
        sqlite3_bind_int64(st, k++, pd->earliest);
    if (pd && pd->latest != INT64_MAX)
        sqlite3_bind_int64(st, k++, pd->latest);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->n_blocks == cap) {
            cap = cap ? cap * 2 : 64;
            s->blocks = cq_xrealloc(s->blocks, cap * sizeof *s->blocks);
        }
        cq_block_info *b = &s->blocks[s->n_blocks++];
        b->id = sqlite3_column_int64(st, 0);
        b->sourcetype = cq_arena_strdup(&s->arena, (const char *)sqlite3_column_text(st, 1));
        b->source = cq_arena_strdup(&s->arena, (const char *)sqlite3_column_text(st, 2));
        const char *h = (const char *)sqlite3_column_text(st, 3);
        b->host = h ? cq_arena_strdup(&s->arena, h) : NULL;
        b->t_min = sqlite3_column_int64(st, 4);
        b->t_max = sqlite3_column_int64(st, 5);
        b->n_rows = (uint32_t)sqlite3_column_int64(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cq_index_fail_db(s->idx, "select blocks");
    return 0;
}

static int load_fields(cq_scan *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->idx->db, "SELECT id, name FROM fields", -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(s->idx, "read field names");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (id < 0 || id > (1 << 24) || !name)
            continue;
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
    if (sqlite3_exec(idx->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
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
    if (!sqlite3_get_autocommit(s->idx->db))
        sqlite3_exec(s->idx->db, "COMMIT", NULL, NULL, NULL);
    cq_strmap_free(&s->field_ids);
    free(s->field_names);
    free(s->blocks);
    cq_arena_free(&s->arena);
    free(s);
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

static int decode_or_fail(cq_scan *s, sqlite3_stmt *st, int colno, cq_arena *a, cq_col *col)
{
    const void *blob = sqlite3_column_blob(st, colno);
    int len = sqlite3_column_bytes(st, colno);
    if (cq_col_decode(blob, (size_t)len, a, col))
        return cq_index_fail(s->idx, "index %s is damaged: a column does not decode",
                             s->idx->path);
    return 0;
}

int cq_scan_column(cq_scan *s, size_t i, const char *name, cq_arena *a, cq_col *col)
{
    memset(col, 0, sizeof *col);
    col->n_rows = s->blocks[i].n_rows;
    int64_t fid;
    if (cq_scan_field_id(s, name, &fid))
        return 0;   /* no block has this field */
    if (cq_index_prepare(s->idx, &s->st_col,
                         "SELECT data FROM cols WHERE block_id=?1 AND field_id=?2"))
        return -1;
    sqlite3_bind_int64(s->st_col, 1, s->blocks[i].id);
    sqlite3_bind_int64(s->st_col, 2, fid);
    int rc = sqlite3_step(s->st_col), ret = 0;
    if (rc == SQLITE_ROW)
        ret = decode_or_fail(s, s->st_col, 0, a, col);
    else if (rc != SQLITE_DONE)
        ret = cq_index_fail_db(s->idx, "read column");
    sqlite3_reset(s->st_col);
    if (!ret && col->n_rows != s->blocks[i].n_rows)
        ret = cq_index_fail(s->idx, "index %s is damaged: column length mismatch", s->idx->path);
    return ret;
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
        ret = decode_or_fail(s, s->st_all, 1, a, &col);
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

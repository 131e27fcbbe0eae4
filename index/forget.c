/*
 * forget.c - removing ingested files from the index: `cquery forget` and
 * the old rows an `ingest --force` replaces.
 *
 * A file's rows: its files row, its blocks (file_id), their columns (cols,
 * by block id), their term filters and the field names only its columns
 * used.  Every checksum (index_int.h) is seeded by its own row's key, so
 * removing rows leaves every other row's checksum right: nothing is
 * rewritten.
 *
 * The term filter.  A terms row holds one slice of the filters of a group
 * of up to CQ_TERM_GROUP consecutive blocks, and the writer never lets a
 * group span two files (a group is flushed at each file's commit and at a
 * gap in the ids), so the groups of a forgotten file are removed whole and
 * no bit of it stays.  Should a group ever reach past the forgotten blocks
 * (an index this writer did not make), it is kept: deleting it would make
 * the term filter miss the other blocks' events, and keeping it only keeps
 * bits for ids that have no blocks row, which no search returns.  Those ids
 * must then never name a new block, whose filter would be OR-ed with stale
 * bits or collide with the stale row's key: meta key `block_floor` records
 * the highest id forgotten, and the writer starts the next block above it
 * (cq_index_read_block_floor, writer.c put_block), so block ids are never
 * reused, which SQLite's rowids would otherwise do after the highest ids
 * are deleted.  Rebuilding the affected slices instead would rewrite up to
 * 512 rows per group to no benefit.
 */
#include "index/index_int.h"
#include "index/terms.h"

#include <stdlib.h>
#include <string.h>

static int run(cq_index *idx, const char *sql)
{
    if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "forget");
    return 0;
}

/* Runs sql with ?1 = a (when a >= 0); *out (may be NULL) gets the first
 * column of its first row (0 without one). */
static int run_int(cq_index *idx, const char *sql, int64_t a, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "forget");
    if (a >= 0)
        sqlite3_bind_int64(st, 1, a);
    int rc = sqlite3_step(st);
    if (out)
        *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "forget");
}

/* temp.forget_files and temp.forget_blocks: what goes. */
static int collect(cq_index *idx, const int64_t *ids, size_t n)
{
    if (run(idx, "CREATE TEMP TABLE IF NOT EXISTS forget_files(id INTEGER PRIMARY KEY);"
                 "CREATE TEMP TABLE IF NOT EXISTS forget_blocks(id INTEGER PRIMARY KEY);"
                 "CREATE TEMP TABLE IF NOT EXISTS forget_groups(id INTEGER PRIMARY KEY);"
                 "CREATE TEMP TABLE IF NOT EXISTS forget_fields(id INTEGER PRIMARY KEY);"
                 "DELETE FROM temp.forget_files; DELETE FROM temp.forget_blocks;"
                 "DELETE FROM temp.forget_groups; DELETE FROM temp.forget_fields"))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (run_int(idx, "INSERT OR IGNORE INTO temp.forget_files VALUES(?1)", ids[i], NULL))
            return -1;
    return run(idx, "INSERT INTO temp.forget_blocks SELECT id FROM blocks"
                    " WHERE file_id IN (SELECT id FROM temp.forget_files)");
}

/* The groups of the term filter that hold forgotten blocks only (every
 * group has a slice-0 row), into temp.forget_groups. */
static int whole_groups(cq_index *idx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, "SELECT first_block, n_blocks FROM terms WHERE slice=0"
                           " AND first_block IN (SELECT id FROM temp.forget_blocks)",
                           -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "forget");
    int rc, ret = 0;
    while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0), nb = sqlite3_column_int64(st, 1), in = -1;
        sqlite3_stmt *c = NULL;
        if (sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM temp.forget_blocks"
                               " WHERE id BETWEEN ?1 AND ?2", -1, &c, NULL) != SQLITE_OK) {
            ret = cq_index_fail_db(idx, "forget");
            break;
        }
        sqlite3_bind_int64(c, 1, first);
        sqlite3_bind_int64(c, 2, first + nb - 1);
        if (sqlite3_step(c) == SQLITE_ROW)
            in = sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
        if (in == nb)       /* else kept: see the top of this file */
            ret = run_int(idx, "INSERT OR IGNORE INTO temp.forget_groups VALUES(?1)", first, NULL);
    }
    if (!ret && rc != SQLITE_DONE)
        ret = cq_index_fail_db(idx, "forget");
    sqlite3_finalize(st);
    return ret;
}

/* Deletes the whole groups' rows, slice by slice: the key is (slice,
 * first_block), so each slice is a few seeks, where one statement over all
 * slices would read the whole terms table (32 KiB per block). */
static int drop_groups(cq_index *idx)
{
    int64_t n;
    if (run_int(idx, "SELECT count(*) FROM temp.forget_groups", -1, &n))
        return -1;
    if (!n)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, "DELETE FROM terms WHERE slice=?1"
                           " AND first_block IN (SELECT id FROM temp.forget_groups)",
                           -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "forget");
    int rc = SQLITE_DONE;
    for (uint32_t s = 0; s < CQ_N_SLICES && rc == SQLITE_DONE; s++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, s);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "forget");
}

/* Raises meta block_floor to the highest forgotten block id. */
static int raise_floor(cq_index *idx)
{
    return run(idx, "INSERT OR REPLACE INTO meta(key, value) SELECT 'block_floor',"
                    " CAST(max(coalesce((SELECT CAST(value AS INTEGER) FROM meta"
                    " WHERE key='block_floor'), 0), (SELECT max(id) FROM temp.forget_blocks))"
                    " AS TEXT) WHERE EXISTS (SELECT 1 FROM temp.forget_blocks)");
}

int cq_index_forget_rows(cq_index *idx, const int64_t *ids, size_t n, cq_forget_counts *done)
{
    memset(done, 0, sizeof *done);
    if (collect(idx, ids, n) ||
        run_int(idx, "SELECT count(*) FROM files WHERE id IN (SELECT id FROM temp.forget_files)",
                -1, &done->files) ||
        run_int(idx, "SELECT count(*) FROM temp.forget_blocks", -1, &done->blocks) ||
        run_int(idx, "SELECT coalesce(sum(n_rows), 0) FROM blocks"
                     " WHERE id IN (SELECT id FROM temp.forget_blocks)", -1, &done->events) ||
        whole_groups(idx) || drop_groups(idx) ||
        /* the fields whose last column may go with them */
        run(idx, "INSERT OR IGNORE INTO temp.forget_fields SELECT field_id FROM cols"
                 " WHERE block_id IN (SELECT id FROM temp.forget_blocks)") ||
        run(idx, "DELETE FROM cols WHERE block_id IN (SELECT id FROM temp.forget_blocks)") ||
        raise_floor(idx) ||
        run(idx, "DELETE FROM blocks WHERE id IN (SELECT id FROM temp.forget_blocks)") ||
        run(idx, "DELETE FROM files WHERE id IN (SELECT id FROM temp.forget_files)"))
        return -1;
    /* `sources --fields` (and completion) list the fields table: a name no
     * block stores any more goes with its last column.  NOT EXISTS per
     * candidate: most are found in the first blocks. */
    if (run(idx, "DELETE FROM fields WHERE id IN (SELECT id FROM temp.forget_fields)"
                 " AND NOT EXISTS (SELECT 1 FROM cols WHERE field_id=fields.id)"))
        return -1;
    done->fields = sqlite3_changes(idx->db);
    return run(idx, "DELETE FROM temp.forget_files; DELETE FROM temp.forget_blocks;"
                    "DELETE FROM temp.forget_groups; DELETE FROM temp.forget_fields");
}

int cq_index_read_block_floor(cq_index *idx)
{
    int64_t floor = 0, top = 0;
    idx->block_floor = 0;
    if (run_int(idx, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='block_floor'", -1,
                &floor) ||
        run_int(idx, "SELECT coalesce(max(id), 0) FROM blocks", -1, &top))
        return -1;
    if (floor > top)
        idx->block_floor = floor;
    return 0;
}

void cq_index_set_scan_range(cq_index *idx, int64_t after, int64_t upto)
{
    idx->scan_after = after;
    idx->scan_upto = upto;
}

int cq_index_last_block(cq_index *idx, int64_t *id)
{
    return run_int(idx, "SELECT coalesce(max(id), 0) FROM blocks WHERE " CQ_SQL_BLOCK_DONE, -1, id);
}

/* ---- listing ---- */

int cq_index_list_files(cq_index *idx, cq_indexed_file **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT f.id, f.path, f.sourcetype, coalesce(sum(b.n_rows), 0),"
                      " count(b.id) FROM files f LEFT JOIN blocks b ON b.file_id=f.id"
                      " WHERE f.ingested_at IS NOT NULL GROUP BY f.id ORDER BY f.path, f.id";
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "list files");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = cq_xrealloc(*out, cap * sizeof **out);
        }
        cq_indexed_file *f = &(*out)[(*n)++];
        const char *path = (const char *)sqlite3_column_text(st, 1);
        const char *stype = (const char *)sqlite3_column_text(st, 2);
        f->id = sqlite3_column_int64(st, 0);
        f->path = cq_xstrdup(path ? path : "");
        f->sourcetype = stype ? cq_xstrdup(stype) : NULL;
        f->events = sqlite3_column_int64(st, 3);
        f->blocks = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cq_indexed_files_free(*out, *n);
        *out = NULL;
        *n = 0;
        return cq_index_fail_db(idx, "list files");
    }
    return 0;
}

void cq_indexed_files_free(cq_indexed_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].path);
        free(f[i].sourcetype);
    }
    free(f);
}

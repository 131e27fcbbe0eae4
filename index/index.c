/*
 * index.c - opening the SQLite index, its schema, and the files table.
 *
 * Tables (README "Index layout" has the why):
 *   meta(key, value)            schema version; block_floor (forget.c: no block id reused)
 *   files(id, path, ...)        what was ingested, with content fingerprints
 *   fields(id, name, sum)       field-name dictionary
 *   blocks(id, file_id, sourcetype, source, host, t_min, t_max, n_rows, sum)
 *   cols(block_id, field_id, data)   one encoded column of one block, + its checksum
 *   terms(slice, first_block, n_blocks, bits)   term filters, bit-sliced (terms.h),
 *                               + their checksum (index_int.h: "Checksums")
 *
 * Every value that comes from a user or a log is bound as a parameter.
 */
#include "index/index_int.h"
#include "common/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY    /* XXH3_state_t on the stack */
#include <xxhash.h>

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS files("
    "  id INTEGER PRIMARY KEY, path TEXT NOT NULL, sourcetype TEXT,"
    "  head_len INTEGER NOT NULL, head_hash INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL, full_hash INTEGER NOT NULL,"
    "  n_records INTEGER NOT NULL DEFAULT 0, n_malformed INTEGER NOT NULL DEFAULT 0,"
    "  ingested_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS files_head ON files(head_hash);"
    "CREATE TABLE IF NOT EXISTS fields(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  sum INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS blocks("
    "  id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL,"
    "  sourcetype TEXT NOT NULL, source TEXT NOT NULL, host TEXT,"
    "  t_min INTEGER NOT NULL, t_max INTEGER NOT NULL, n_rows INTEGER NOT NULL,"
    "  terms BLOB, sum INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS blocks_time ON blocks(t_max);"
    "CREATE INDEX IF NOT EXISTS blocks_st ON blocks(sourcetype, t_max);"
    "CREATE TABLE IF NOT EXISTS cols("
    "  block_id INTEGER NOT NULL, field_id INTEGER NOT NULL, data BLOB NOT NULL,"
    "  PRIMARY KEY(block_id, field_id));"
    "CREATE TABLE IF NOT EXISTS terms("
    "  slice INTEGER NOT NULL, first_block INTEGER NOT NULL, n_blocks INTEGER NOT NULL,"
    "  bits BLOB NOT NULL, PRIMARY KEY(slice, first_block)) WITHOUT ROWID;";

uint64_t cq_index_sum(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}

static void sum_str(XXH3_state_t *h, const char *s)
{
    /* the length first, so that ("ab", "c") and ("a", "bc") differ; NULL apart */
    int64_t len = s ? (int64_t)strlen(s) : -1;
    XXH3_64bits_update(h, &len, sizeof len);
    if (s)
        XXH3_64bits_update(h, s, (size_t)len);
}

uint64_t cq_block_sum(int64_t id, const char *sourcetype, const char *source,
                      const char *host, int64_t t_min, int64_t t_max, int64_t n_rows)
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);     /* a state on the stack must be, before reset reads it */
    XXH3_64bits_reset_withSeed(&h, (uint64_t)id);
    sum_str(&h, sourcetype);
    sum_str(&h, source);
    sum_str(&h, host);
    int64_t nums[3] = {t_min, t_max, n_rows};
    XXH3_64bits_update(&h, nums, sizeof nums);
    return XXH3_64bits_digest(&h);
}

int cq_index_fail(cq_index *idx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(idx->err, sizeof idx->err, fmt, ap);
    va_end(ap);
    return -1;
}

int cq_index_fail_db(cq_index *idx, const char *what)
{
    int rc = sqlite3_errcode(idx->db);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return cq_index_fail(idx, "%s: index %s is busy (another cquery is writing); try again",
                             what, idx->path);
    if (rc == SQLITE_FULL)
        return cq_index_fail(idx, "%s: disk full writing %s", what, idx->path);
    return cq_index_fail(idx, "%s: %s: %s", what, idx->path, sqlite3_errmsg(idx->db));
}

int cq_index_prepare(cq_index *idx, sqlite3_stmt **st, const char *sql)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return 0;
    }
    if (sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "prepare");
    return 0;
}

const char *cq_index_errmsg(const cq_index *idx)
{
    return idx->err;
}

const char *cq_index_path(const cq_index *idx)
{
    return idx->path;
}

static int exec_sql(cq_index *idx, const char *sql, const char *what)
{
    if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, what);
    return 0;
}

/* Checks that an existing index has our schema version. */
static int check_version(cq_index *idx)
{
    sqlite3_stmt *st = NULL;
    int ok = -1;
    if (sqlite3_prepare_v2(idx->db, "SELECT value FROM meta WHERE key='schema_version'",
                           -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail(idx, "%s is not a cquery index", idx->path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v && !strcmp(v, CQ_SCHEMA_VERSION))
            ok = 0;
        else
            cq_index_fail(idx, "%s has index format %s; this cquery reads format %s",
                          idx->path, v ? v : "?", CQ_SCHEMA_VERSION);
    } else {
        cq_index_fail(idx, "%s is not a cquery index", idx->path);
    }
    sqlite3_finalize(st);
    return ok;
}

static int create_schema(cq_index *idx)
{
    /* Large pages: columns are kilobytes each (measured: 64 KiB pages read
     * column blobs ~1.5x faster than 4 KiB ones; REFERENCE-FIGURES.md). Only
     * takes effect on a new, empty file. */
    if (exec_sql(idx, "PRAGMA page_size=65536", "set page size") ||
        exec_sql(idx, "PRAGMA journal_mode=WAL", "enable WAL") ||
        exec_sql(idx, "BEGIN IMMEDIATE", "create schema") ||
        exec_sql(idx, schema_sql, "create schema") ||
        exec_sql(idx, "INSERT OR IGNORE INTO meta VALUES('schema_version','" CQ_SCHEMA_VERSION "')",
                 "create schema") ||
        exec_sql(idx, "COMMIT", "create schema")) {
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* Refuses an index whose path or SQLite side file is a symbolic link: a
 * link planted where an index goes would send security logs into a file
 * someone else owns (SQLITE_OPEN_NOFOLLOW then holds for the open itself). */
static int refuse_links(const char *path, char *err, size_t errlen)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t n = strlen(path) + 16;
        char *p = cq_xmalloc(n);
        struct stat st;
        snprintf(p, n, "%s%s", path, sfx[i]);
        int link = lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
        if (link)
            snprintf(err, errlen, "index %s: %s is a symbolic link; refused", path, p);
        free(p);
        if (link)
            return -1;
    }
    return 0;
}

/* Opens (or creates) the file for writing without following a link, and
 * makes a new or empty one private (0600) whatever its mode was: an index
 * holds security logs.  *empty says whether it still needs a schema. */
static int claim_file(const char *path, int *empty, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "index %s is a symbolic link; refused", path);
        else
            snprintf(err, errlen, "cannot open index %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    if (!rc && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "index %s is not a regular file; refused", path);
        rc = -1;
    } else if (!rc && st.st_size == 0 && (st.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
        snprintf(err, errlen, "cannot make index %s private (mode 0600): %s", path,
                 strerror(errno));
        rc = -1;
    } else if (rc) {
        snprintf(err, errlen, "cannot open index %s: %s", path, strerror(errno));
    }
    *empty = !rc && st.st_size == 0;
    close(fd);
    return rc;
}

int cq_index_open(const char *path, int mode, cq_index **out, char *err, size_t errlen)
{
    *out = NULL;
    struct stat st;
    if (refuse_links(path, err, errlen))
        return -1;
    if (mode == CQ_INDEX_READ && stat(path, &st) != 0) {
        snprintf(err, errlen, "index %s does not exist (run `cquery ingest` first)", path);
        return -1;
    }
    int empty = 0;
    if (mode == CQ_INDEX_WRITE && claim_file(path, &empty, err, errlen))
        return -1;
    cq_index *idx = cq_xcalloc(1, sizeof *idx);
    idx->path = cq_xstrdup(path);
    idx->mode = mode;
    int flags = mode == CQ_INDEX_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &idx->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open index %s: %s", path, sqlite3_errmsg(idx->db));
        cq_index_close(idx);
        return -1;
    }
    /* Another writer holds the lock for one file's transaction at most:
     * wait for it rather than failing at once. */
    sqlite3_busy_timeout(idx->db, BUSY_MS);
    sqlite3_exec(idx->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = 0;
    if (mode == CQ_INDEX_WRITE && empty)
        rc = create_schema(idx);
    /* After the page size is final: set before it, on a new file, the
     * cache's spill limit stays counted in 4 KiB pages (16,384 of them, 1 GiB
     * of 64 KiB pages), so a file's whole transaction sat in memory and went
     * to the WAL only at its commit (measured: 556 MB written at the end of a
     * 1 GB ingest, 640 MB resident).  Spilled during the transaction, those
     * writes overlap the parsing. */
    sqlite3_exec(idx->db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
    if (mode == CQ_INDEX_READ) {
        /* A search reads each column page once: through pread() into a
         * cache that starts cold in every process, kernel copies, page
         * faults and zeroing fresh cache pages took a third to three
         * quarters of the time (perf, issue 12).  Mapped, pages are read
         * in place from the page cache; SQLite maps at most
         * SQLITE_MAX_MMAP_SIZE (2 GiB in Debian's build, asked for 1 TiB)
         * and preads the rest; the cache holds only pages not mapped.  The
         * writer never shrinks the file (no VACUUM, no auto_vacuum), which
         * a mapping would not survive. */
        sqlite3_exec(idx->db, "PRAGMA mmap_size=1099511627776", NULL, NULL, NULL);  /* max */
        sqlite3_exec(idx->db, "PRAGMA cache_size=-2048", NULL, NULL, NULL);
    }
    if (!rc)
        rc = check_version(idx);
    if (!rc && mode == CQ_INDEX_WRITE) {
        idx->chunk_limit = CQ_CHUNK_BYTES;
        idx->ckpt = cq_ckpt_start(path);
        if (idx->ckpt)              /* the thread checkpoints, not the writer's commits */
            sqlite3_exec(idx->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
    }
    if (rc) {
        snprintf(err, errlen, "%s", idx->err);
        cq_index_close(idx);
        return -1;
    }
    *out = idx;
    return 0;
}

void cq_index_close(cq_index *idx)
{
    if (!idx)
        return;
    if (idx->in_file)
        cq_index_file_rollback(idx);
    sqlite3_finalize(idx->st_field_get);
    sqlite3_finalize(idx->st_field_put);
    sqlite3_finalize(idx->st_block_put);
    sqlite3_finalize(idx->st_col_put);
    sqlite3_finalize(idx->st_file_find);
    sqlite3_finalize(idx->st_term_put);
    cq_ckpt_stop(idx->ckpt);        /* before the last connection's close checkpoint */
    sqlite3_close(idx->db);
    cq_writer_discard(idx);
    if (idx->db_fd1)
        close(idx->db_fd1 - 1);
    cq_blockset_free(idx->bs);
    free(idx->pend);
    cq_strbuf_free(&idx->pend_data);
    free(idx->grp_bits);
    cq_strmap_free(&idx->field_ids);
    cq_arena_free(&idx->field_names);
    free(idx->path);
    free(idx);
}

/* The checksum of a new fields row, seeded by its id (known only once
 * inserted; new field names are rare, so a statement each time). */
static int set_field_sum(cq_index *idx, int64_t id, const char *name, size_t len)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, "UPDATE fields SET sum=?1 WHERE id=?2", -1, &st, NULL)
        != SQLITE_OK)
        return cq_index_fail_db(idx, "add field name");
    sqlite3_bind_int64(st, 1, (int64_t)cq_index_sum(name, len, (uint64_t)id));
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "add field name");
}

int cq_index_field_id(cq_index *idx, const char *name, size_t len, int64_t *id)
{
    if (cq_index_prepare(idx, &idx->st_field_get, "SELECT id FROM fields WHERE name=?1"))
        return -1;
    sqlite3_bind_text(idx->st_field_get, 1, name, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(idx->st_field_get);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(idx->st_field_get, 0);
        sqlite3_reset(idx->st_field_get);
        return 0;
    }
    sqlite3_reset(idx->st_field_get);
    if (rc != SQLITE_DONE)
        return cq_index_fail_db(idx, "read field names");
    if (cq_index_prepare(idx, &idx->st_field_put, "INSERT INTO fields(name) VALUES(?1)"))
        return -1;
    sqlite3_bind_text(idx->st_field_put, 1, name, (int)len, SQLITE_STATIC);
    if (sqlite3_step(idx->st_field_put) != SQLITE_DONE)
        return cq_index_fail_db(idx, "add field name");
    *id = sqlite3_last_insert_rowid(idx->db);
    return set_field_sum(idx, *id, name, len);
}

/* --- files --- */

int cq_index_find_files(cq_index *idx, uint64_t head_hash, cq_file_state **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (cq_index_prepare(idx, &idx->st_file_find,
                         "SELECT id, head_len, head_hash, bytes, full_hash, path FROM files"
                         " WHERE head_hash=?1 OR head_len<?2"))
        return -1;
    sqlite3_bind_int64(idx->st_file_find, 1, (int64_t)head_hash);
    sqlite3_bind_int64(idx->st_file_find, 2, CQ_HEAD_BYTES);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(idx->st_file_find)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = cq_xrealloc(*out, cap * sizeof **out);
        }
        cq_file_state *s = &(*out)[(*n)++];
        s->id = sqlite3_column_int64(idx->st_file_find, 0);
        s->head_len = (uint64_t)sqlite3_column_int64(idx->st_file_find, 1);
        s->head_hash = (uint64_t)sqlite3_column_int64(idx->st_file_find, 2);
        s->bytes = (uint64_t)sqlite3_column_int64(idx->st_file_find, 3);
        s->full_hash = (uint64_t)sqlite3_column_int64(idx->st_file_find, 4);
        const char *p = (const char *)sqlite3_column_text(idx->st_file_find, 5);
        s->path = cq_xstrdup(p ? p : "");
    }
    sqlite3_reset(idx->st_file_find);
    if (rc != SQLITE_DONE) {
        cq_index_file_states_free(*out, *n);
        *out = NULL;
        *n = 0;
        return cq_index_fail_db(idx, "read files table");
    }
    return 0;
}

void cq_index_file_states_free(cq_file_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].path);
    free(s);
}

/* --- the writer lock and pending files --- */

/* Takes the writer lock: flock on the database file, held from a file's
 * begin to its last commit or rollback, so that no other cquery writes
 * between the chunks of a file (and none mistakes its pending rows for a
 * crashed run's).  SQLite's own locks are POSIX locks, which flock does not
 * touch.  Where flock is not supported, files are not chunked. */
static int writer_lock(cq_index *idx)
{
    if (!idx->db_fd1) {
        int fd = open(idx->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cq_index_fail(idx, "cannot open index %s: %s", idx->path, strerror(errno));
        idx->db_fd1 = fd + 1;
    }
    for (int waited = 0; flock(idx->db_fd1 - 1, LOCK_EX | LOCK_NB); waited += 10) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            idx->chunk_limit = UINT64_MAX;
            return 0;
        }
        if (waited >= BUSY_MS)
            return cq_index_fail(idx, "start ingest: index %s is busy (another cquery is"
                                      " writing); try again", idx->path);
        usleep(10 * 1000);
    }
    idx->locked = 1;
    return 0;
}

static void writer_unlock(cq_index *idx)
{
    if (idx->locked)
        flock(idx->db_fd1 - 1, LOCK_UN);
    idx->locked = 0;
}

/* Removes what a killed ingest committed of a file it did not finish (its
 * files row is still pending).  Inside a write transaction, with the
 * writer lock: no live writer has pending rows then. */
static int drop_pending(cq_index *idx)
{
    static const char *const sql[] = {
#define PENDING_BLOCKS "SELECT id FROM blocks WHERE file_id IN (" CQ_SQL_PENDING_FILES ")"
        "DELETE FROM terms WHERE first_block IN (" PENDING_BLOCKS ")",
        "DELETE FROM cols WHERE block_id IN (" PENDING_BLOCKS ")",
        "DELETE FROM blocks WHERE file_id IN (" CQ_SQL_PENDING_FILES ")",
        "DELETE FROM files WHERE id IN (" CQ_SQL_PENDING_FILES ")",
#undef PENDING_BLOCKS
    };
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, CQ_SQL_PENDING_FILES " LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "read files table");
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return cq_index_fail_db(idx, "read files table");
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (exec_sql(idx, sql[i], "remove an unfinished ingest"))
            return -1;
    return 0;
}

void cq_index_set_chunk_bytes(cq_index *idx, uint64_t n)
{
    idx->chunk_limit = n ? n : CQ_CHUNK_BYTES;
}

int cq_index_file_begin(cq_index *idx)
{
    if (idx->mode != CQ_INDEX_WRITE)
        return cq_index_fail(idx, "index %s is open read-only", idx->path);
    if (idx->in_file)
        return cq_index_fail(idx, "internal: file_begin inside a file");
    if (writer_lock(idx))
        return -1;
    if (exec_sql(idx, "BEGIN IMMEDIATE", "start ingest")) {
        writer_unlock(idx);
        return -1;
    }
    if (drop_pending(idx)) {
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
        writer_unlock(idx);
        return -1;
    }
    if (cq_index_read_block_floor(idx)) {
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
        writer_unlock(idx);
        return -1;
    }
    idx->file_id = 0;           /* the files row is made on first need */
    idx->in_file = 1;
    idx->n_added = 0;
    idx->chunked = 0;
    idx->chunk_bytes = 0;
    return 0;
}

int cq_index_chunk_commit(cq_index *idx)
{
    if (!idx->locked)
        return 0;               /* no writer lock: one transaction per file */
    if (exec_sql(idx, "COMMIT", "commit ingest"))
        return -1;
    idx->chunk_bytes = 0;
    cq_ckpt_poke(idx->ckpt);
    /* Every few chunks, let the checkpoint catch up so that the next
     * transaction restarts the WAL: it stays a few chunks long instead of
     * growing with the file (unlinking a 557 MB WAL at close took 1 s). */
    if (++idx->chunked % CQ_RESTART_CHUNKS == 0)
        cq_ckpt_wait(idx->ckpt);
    return exec_sql(idx, "BEGIN IMMEDIATE", "continue ingest");
}

int cq_index_file_row(cq_index *idx)
{
    if (idx->file_id)
        return 0;
    /* The blocks need a file id before the file row is final: insert a
     * placeholder now, complete it at commit (same transaction). */
    if (exec_sql(idx, "INSERT INTO files(path, head_len, head_hash, bytes, full_hash)"
                      " VALUES('', 0, 0, 0, 0)", "start ingest"))
        return -1;
    idx->file_id = sqlite3_last_insert_rowid(idx->db);
    return 0;
}

static int write_file_row(cq_index *idx, const cq_file_commit *c)
{
    sqlite3_stmt *st = NULL;
    if (cq_index_file_row(idx))
        return -1;
    int64_t target = c->resume_id ? c->resume_id : idx->file_id;
    const char *sql =
        "UPDATE files SET path=?1, sourcetype=coalesce(?2, sourcetype), head_len=?3, head_hash=?4,"
        " bytes=?5, full_hash=?6, n_records=n_records+?7, n_malformed=n_malformed+?8,"
        " ingested_at=?9 WHERE id=?10";
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "record file");
    sqlite3_bind_text(st, 1, c->path, -1, SQLITE_STATIC);
    if (c->sourcetype)
        sqlite3_bind_text(st, 2, c->sourcetype, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)c->head_len);
    sqlite3_bind_int64(st, 4, (int64_t)c->head_hash);
    sqlite3_bind_int64(st, 5, (int64_t)c->bytes);
    sqlite3_bind_int64(st, 6, (int64_t)c->full_hash);
    sqlite3_bind_int64(st, 7, (int64_t)c->n_records);
    sqlite3_bind_int64(st, 8, (int64_t)c->n_malformed);
    sqlite3_bind_int64(st, 9, (int64_t)time(NULL));
    sqlite3_bind_int64(st, 10, target);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cq_index_fail_db(idx, "record file");
    cq_forget_counts gone;
    if (c->n_replace && cq_index_forget_rows(idx, c->replace, c->n_replace, &gone))
        return -1;
    if (c->resume_id) {
        /* Blocks of the resumed part belong to the original file row. */
        static const char *const moves[] = {
            "UPDATE blocks SET file_id=?1 WHERE file_id=?2",
            "DELETE FROM files WHERE id=?2",
        };
        for (size_t i = 0; i < 2; i++) {
            if (sqlite3_prepare_v2(idx->db, moves[i], -1, &st, NULL) != SQLITE_OK)
                return cq_index_fail_db(idx, "record file");
            sqlite3_bind_int64(st, 1, c->resume_id);
            sqlite3_bind_int64(st, 2, idx->file_id);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_DONE)
                return cq_index_fail_db(idx, "record file");
        }
    }
    return 0;
}

/* After a writer's COMMIT: the lock goes, the checkpointer may run. */
static void file_committed(cq_index *idx)
{
    idx->in_file = 0;
    writer_unlock(idx);
    cq_ckpt_poke(idx->ckpt);
}

int cq_index_file_commit(cq_index *idx, const cq_file_commit *c)
{
    if (!idx->in_file)
        return cq_index_fail(idx, "internal: commit outside a file");
    if (cq_writer_flush_all(idx) || write_file_row(idx, c) ||
        exec_sql(idx, "COMMIT", "commit ingest")) {
        cq_index_file_rollback(idx);
        return -1;
    }
    file_committed(idx);
    return 0;
}

void cq_index_file_rollback(cq_index *idx)
{
    if (!idx->in_file)
        return;
    cq_writer_discard(idx);
    sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    /* Committed chunks: remove them now (else the next ingest does). */
    if (idx->chunked && sqlite3_exec(idx->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
        if (drop_pending(idx) || sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    }
    idx->in_file = 0;
    writer_unlock(idx);
}

int cq_index_forget(cq_index *idx, const int64_t *ids, size_t n, cq_forget_counts *done)
{
    memset(done, 0, sizeof *done);
    /* the writer lock and transaction of an ingest: no chunked ingest is
     * between its commits meanwhile */
    if (cq_index_file_begin(idx))
        return -1;
    if (cq_index_forget_rows(idx, ids, n, done) || exec_sql(idx, "COMMIT", "commit forget")) {
        cq_index_file_rollback(idx);
        return -1;
    }
    file_committed(idx);
    return 0;
}

/* ------------------------------------------------------------ summary */

int cq_index_sourcetypes(cq_index *idx,
                          void (*fn)(void *ctx, const cq_sourcetype_summary *), void *ctx)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT sourcetype, sum(n_rows), min(t_min), max(t_max)"
                      " FROM blocks WHERE " CQ_SQL_BLOCK_DONE
                      " GROUP BY sourcetype ORDER BY sourcetype";
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "list sourcetypes");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cq_sourcetype_summary s = {(const char *)sqlite3_column_text(st, 0),
                                   sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                                   sqlite3_column_int64(st, 3)};
        fn(ctx, &s);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "list sourcetypes");
}

int cq_index_fields(cq_index *idx, void (*fn)(void *ctx, const char *name), void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(idx->db, "SELECT name FROM fields ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK)
        return cq_index_fail_db(idx, "list fields");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "list fields");
}

int cq_index_files(cq_index *idx, void (*fn)(void *ctx, const cq_file_summary *), void *ctx)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT path, coalesce(sourcetype, '-'), n_records, n_malformed, bytes"
                      " FROM files WHERE id NOT IN (" CQ_SQL_PENDING_FILES ") ORDER BY path";
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cq_index_fail_db(idx, "list files");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cq_file_summary f = {(const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1),
                             sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 2),
                             sqlite3_column_int64(st, 3)};
        fn(ctx, &f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cq_index_fail_db(idx, "list files");
}

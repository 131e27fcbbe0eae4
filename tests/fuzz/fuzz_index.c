/*
 * fuzz_index.c - libFuzzer target for the index reader: any bytes stored as
 * a column blob must come back as a column or as "index ... is damaged",
 * never a crash, a leak or a read past the blob.
 *
 * The target keeps a one-block index (20 events with `user`, `groups{}`,
 * `_raw` and `_time`) in a temporary file for the whole run.  The first
 * input byte picks what the rest becomes:
 *   byte % 4        which column's blob is replaced: user (dictionary),
 *                   groups{} (multivalue), _raw (packed, zstd), _time
 *   byte / 4 % 2    1: the blob is stored with its right checksum
 *                   (index/index_int.h), so the bytes reach the decoder
 *                   as a checksummed block would; 0: stored as given, which
 *                   the checksum must refuse
 * Then every column of the block is read, by name and all at once.  A
 * blob stored without its checksum that reads back is a broken invariant.
 *
 * Build and run from a configured build tree (needs clang):
 *   make fuzz-index
 *   ./tests/fuzz/fuzz_index -max_len=4096 fuzz-work $SRC/tests/fuzz/corpus_index
 * The safety suite replays tests/fuzz/corpus_index/ through cq_fuzz_index().
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/index_int.h"
#include "index/reader.h"

static const char *const fields[] = {"user", "groups{}", "_raw", "_time"};

static void add_events(cq_index *idx)
{
    cq_record r;
    cq_record_init(&r);
    if (cq_index_file_begin(idx))
        abort();
    for (int i = 0; i < 20; i++) {
        char raw[64], user[16];
        cq_record_reset(&r);
        snprintf(raw, sizeof raw, "event %d", i);
        snprintf(user, sizeof user, "user%d", i % 3);
        cq_record_set_raw(&r, raw, strlen(raw));
        r.time_us = (1000 + i) * 1000000LL;
        r.sourcetype = "t";
        r.source = "/s";
        cq_record_adds(&r, "user", user);
        if (i % 2) {
            cq_record_adds(&r, "groups{}", "a");
            cq_record_adds(&r, "groups{}", user);
        }
        if (cq_index_add(idx, &r))
            abort();
    }
    cq_record_free(&r);
    cq_file_commit c = {0, "/s", 10, 1, 100, 2, 20, 0, "t", NULL, 0};
    if (cq_index_file_commit(idx, &c))
        abort();
}

/* The index, made on first use; its file is removed at exit. */
static char db_path[64];

static void remove_db(void)
{
    char p[80];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static cq_index *the_index(void)
{
    static cq_index *idx;
    if (idx)
        return idx;
    snprintf(db_path, sizeof db_path, "/tmp/cq-fuzz-index-%d.db", (int)getpid());
    remove_db();
    char err[256];
    if (cq_index_open(db_path, CQ_INDEX_WRITE, &idx, err, sizeof err)) {
        fprintf(stderr, "fuzz_index: %s\n", err);
        abort();
    }
    atexit(remove_db);
    add_events(idx);
    return idx;
}

/* Stores blob (n bytes, + its checksum when summed) as field f of block 1. */
static void store(cq_index *idx, const char *f, const uint8_t *blob, size_t n, int summed)
{
    sqlite3_stmt *id = NULL, *up = NULL;
    if (sqlite3_prepare_v2(idx->db, "SELECT id FROM fields WHERE name=?1", -1, &id, NULL) ||
        sqlite3_prepare_v2(idx->db, "UPDATE cols SET data=?1 WHERE block_id=1 AND field_id=?2",
                           -1, &up, NULL))
        abort();
    sqlite3_bind_text(id, 1, f, -1, SQLITE_STATIC);
    if (sqlite3_step(id) != SQLITE_ROW)
        abort();
    int64_t fid = sqlite3_column_int64(id, 0);
    uint8_t *b = malloc(n + CQ_SUM_BYTES);
    if (n)
        memcpy(b, blob, n);
    uint64_t sum = cq_index_sum(b, n, cq_col_seed(1, fid));
    memcpy(b + n, &sum, sizeof sum);
    sqlite3_bind_blob(up, 1, b, (int)(n + (summed ? CQ_SUM_BYTES : 0)), SQLITE_STATIC);
    sqlite3_bind_int64(up, 2, fid);
    if (sqlite3_step(up) != SQLITE_DONE)
        abort();
    sqlite3_finalize(id);
    sqlite3_finalize(up);
    free(b);
}

/* Touches every value, so that ASan sees a bad offset or length. */
static int touch(void *ctx, const char *name, const cq_col *c)
{
    (void)ctx;
    (void)name;
    volatile unsigned char s = 0;
    for (uint32_t r = 0; r < c->n_rows; r++)
        for (uint32_t k = 0; k < cq_col_nvals(c, r); k++) {
            cq_sv v = cq_col_val(c, r, k);
            for (size_t j = 0; v.p && j < v.len; j++)
                s ^= (unsigned char)v.p[j];
        }
    return 0;
}

/* Reads every column of block 0 (the only one) by name, then all at once:
 * 0 when everything read, -1 when the damage was reported. */
static int read_all(cq_index *idx)
{
    cq_scan *s;
    if (cq_scan_open(idx, NULL, &s))
        __builtin_trap();       /* the blocks and fields rows are intact */
    cq_arena a;
    cq_arena_init(&a);
    int rc = 0;
    for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
        cq_col c;
        int r = cq_scan_column(s, 0, fields[f], &a, &c, CQ_DECODE_FULL);
        if (!r)
            touch(NULL, fields[f], &c);
        rc |= r;
        cq_arena_reset(&a);
    }
    rc |= cq_scan_all_columns(s, 0, &a, touch, NULL);
    cq_arena_free(&a);
    cq_scan_close(s);
    if (rc && !strstr(cq_index_errmsg(idx), "is damaged"))
        __builtin_trap();       /* damage is reported as damage */
    return rc ? -1 : 0;
}

int cq_fuzz_index(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    cq_index *idx = the_index();
    int summed = data[0] / 4 % 2;
    store(idx, fields[data[0] % 4], data + 1, size - 1, summed);
    if (read_all(idx) == 0 && !summed)
        __builtin_trap();       /* a blob without its checksum was read */
    return 0;
}

#ifdef CQ_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return cq_fuzz_index(data, size);
}
#endif

/* test_index.c - the column-block store: write, read back, pushdown, rollback. */
#include "tests/unit/suites.h"
#include "index/colenc.h"
#include "index/index.h"
#include "index/reader.h"
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char db_path[64];

static void setup(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/cq-index-test-%d.db", (int)getpid());
    unlink(db_path);
}

static void teardown(void)
{
    char p[80];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static cq_index *open_w(void)
{
    char err[256];
    cq_index *idx;
    ck_assert_msg(cq_index_open(db_path, CQ_INDEX_WRITE, &idx, err, sizeof err) == 0, "%s", err);
    return idx;
}

/* Adds n records of sourcetype st, time base+i seconds (reverse order to
 * check the writer sorts), with a multivalue field on even rows. */
static void add_file(cq_index *idx, const char *st, int n, int64_t base, int commit)
{
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    cq_record r;
    cq_record_init(&r);
    for (int i = n - 1; i >= 0; i--) {
        cq_record_reset(&r);
        char raw[64], user[32];
        snprintf(raw, sizeof raw, "event %d of %s", i, st);
        snprintf(user, sizeof user, "user%d", i % 3);
        cq_record_set_raw(&r, raw, strlen(raw));
        r.time_us = (base + i) * 1000000;
        r.sourcetype = st;
        r.source = "/var/log/test.log";
        cq_record_adds(&r, "user", user);
        if (i % 2 == 0) {
            cq_record_adds(&r, "groups{}", "a");
            cq_record_adds(&r, "groups{}", "b");
        }
        ck_assert_int_eq(cq_index_add(idx, &r), 0);
    }
    cq_record_free(&r);
    if (commit) {
        cq_file_commit c = {0, "/var/log/test.log", 10, 1234, 100, 5678, (uint64_t)n, 0, st, NULL, 0};
        ck_assert_int_eq(cq_index_file_commit(idx, &c), 0);
    } else {
        cq_index_file_rollback(idx);
    }
}

static size_t count_rows(cq_index *idx, const cq_pushdown *pd)
{
    cq_scan *s;
    ck_assert_int_eq(cq_scan_open(idx, pd, &s), 0);
    size_t n = 0;
    for (size_t i = 0; i < cq_scan_n_blocks(s); i++)
        n += cq_scan_block(s, i)->n_rows;
    cq_scan_close(s);
    return n;
}

START_TEST(test_write_read_back)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 2500, 1000, 1);
    cq_scan *s;
    ck_assert_int_eq(cq_scan_open(idx, NULL, &s), 0);
    ck_assert_uint_eq(cq_scan_n_blocks(s), 3);     /* 1024 + 1024 + 452 */
    const cq_block_info *b = cq_scan_block(s, 0);  /* newest first */
    ck_assert_str_eq(b->sourcetype, "kubernetes:apiserver");
    ck_assert_int_eq(b->t_max, (1000 + 2499) * 1000000LL);
    cq_arena a;
    cq_arena_init(&a);
    cq_col t, u, g, raw, missing;
    ck_assert_int_eq(cq_scan_column(s, 0, "_time", &a, &t, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(t.kind, CQ_COL_TIME);
    for (uint32_t r = 1; r < t.n_rows; r++)
        ck_assert_int_le(t.times[r - 1], t.times[r]);   /* sorted inside a block */
    ck_assert_int_eq(cq_scan_column(s, 0, "user", &a, &u, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(u.kind, CQ_COL_DICT);
    ck_assert_uint_eq(u.n_dict, 3);
    ck_assert_int_eq(cq_scan_column(s, 0, "groups{}", &a, &g, CQ_DECODE_FULL), 0);
    ck_assert_ptr_nonnull(g.row_off);
    ck_assert_int_eq(cq_scan_column(s, 0, "_raw", &a, &raw, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(raw.kind, CQ_COL_STR);
    /* row r's raw names the same event as its time */
    int64_t i0 = t.times[0] / 1000000 - 1000;
    char want[64];
    snprintf(want, sizeof want, "event %d of kubernetes:apiserver", (int)i0);
    ck_assert_int_eq(raw.strs[0].len, strlen(want));
    ck_assert(memcmp(raw.strs[0].p, want, raw.strs[0].len) == 0);
    ck_assert_uint_eq(cq_col_nvals(&g, 0), i0 % 2 == 0 ? 2 : 0);
    ck_assert_int_eq(cq_scan_column(s, 0, "no_such_field", &a, &missing, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(missing.kind, CQ_COL_NULL);
    cq_arena_free(&a);
    cq_scan_close(s);
    cq_index_close(idx);
    struct stat st;
    ck_assert_int_eq(stat(db_path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);      /* security logs stay private */
}
END_TEST

static sqlite3_int64 raw_int(const char *sql);

/* Reads column name of the only block: its values row by row, joined. */
static void read_joined(cq_index *idx, const char *name, cq_strbuf *out, int *rc)
{
    cq_scan *s;
    ck_assert_int_eq(cq_scan_open(idx, NULL, &s), 0);
    cq_arena a;
    cq_arena_init(&a);
    cq_col c;
    *rc = cq_scan_column(s, 0, name, &a, &c, CQ_DECODE_FULL);
    for (uint32_t r = 0; !*rc && r < c.n_rows; r++) {
        cq_sv v = cq_col_val(&c, r, 0);
        cq_strbuf_add(out, v.p ? v.p : "-", v.p ? v.len : 1);
        cq_strbuf_addc(out, ',');
    }
    cq_arena_free(&a);
    cq_scan_close(s);
}

/* A column equal to one before it in the block is stored as a reference
 * (CQ_COL_SAME) and reads back as that column; a reference to a column
 * the index lacks is damage, reported. */
START_TEST(test_same_columns)
{
    cq_index *idx = open_w();
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    cq_record r;
    cq_record_init(&r);
    for (int i = 0; i < 50; i++) {
        cq_record_reset(&r);
        char user[32];
        snprintf(user, sizeof user, "user%d", i % 7);
        cq_record_set_raw(&r, user, strlen(user));
        r.time_us = (1000 + i) * 1000000LL;
        r.sourcetype = "t";
        r.source = "/s";
        cq_record_adds(&r, "user.username", user);
        cq_record_adds(&r, "user", user);
        cq_record_adds(&r, "near", i == 49 ? "other" : user);   /* one row differs */
        ck_assert_int_eq(cq_index_add(idx, &r), 0);
    }
    cq_record_free(&r);
    cq_file_commit fc = {0, "/s", 10, 1234, 100, 5678, 50, 0, "t", NULL, 0};
    ck_assert_int_eq(cq_index_file_commit(idx, &fc), 0);
    ck_assert_int_eq(raw_int("SELECT unicode(data) FROM cols JOIN fields f ON f.id=field_id "
                             "WHERE f.name='user'"), CQ_COL_SAME);
    ck_assert_int_eq(raw_int("SELECT unicode(data) FROM cols JOIN fields f ON f.id=field_id "
                             "WHERE f.name='near'"), CQ_COL_DICT);
    cq_strbuf want = CQ_STRBUF_INIT, got = CQ_STRBUF_INIT;
    int rc;
    read_joined(idx, "user.username", &want, &rc);
    ck_assert_int_eq(rc, 0);
    read_joined(idx, "user", &got, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(got.buf, want.buf);
    cq_index_close(idx);
    /* point the reference at a name no field has */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE cols SET data=X'0732000000' || CAST('nosuch' AS BLOB) "
                                      "WHERE field_id=(SELECT id FROM fields WHERE name='user')",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    idx = open_w();
    cq_strbuf_reset(&got);
    read_joined(idx, "user", &got, &rc);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(cq_index_errmsg(idx), "damaged"));
    cq_index_close(idx);
    cq_strbuf_free(&want);
    cq_strbuf_free(&got);
}
END_TEST

/* Runs sql (which may change the file under the index: it is closed). */
static void raw_exec(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Flips bit `bit` of the blob in the first row that sql (SELECT key, blob
 * ...) gives, in table tab's column col; `where` is the condition (on ?2,
 * the key) that finds the row to update. */
static void flip_blob_bit(const char *sql, const char *tab, const char *col, const char *where,
                          int bit)
{
    sqlite3 *db;
    sqlite3_stmt *st, *up;
    char usql[128];
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int len = sqlite3_column_bytes(st, 1);
    ck_assert_int_gt(len, bit / 8);
    unsigned char *b = malloc((size_t)len);
    memcpy(b, sqlite3_column_blob(st, 1), (size_t)len);
    b[bit / 8] ^= (unsigned char)(1u << bit % 8);
    snprintf(usql, sizeof usql, "UPDATE %s SET %s=?1 WHERE %s", tab, col, where);
    ck_assert_int_eq(sqlite3_prepare_v2(db, usql, -1, &up, NULL), SQLITE_OK);
    sqlite3_bind_blob(up, 1, b, len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 0));
    ck_assert_int_eq(sqlite3_step(up), SQLITE_DONE);
    sqlite3_finalize(up);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(b);
}

static void expect_damage(const char *want)
{
    char err[256];
    cq_index *idx;
    ck_assert_msg(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err) == 0, "%s", err);
    cq_scan *s = NULL;
    int rc = cq_scan_open(idx, NULL, &s);
    if (!rc) {
        cq_arena a;
        cq_arena_init(&a);
        cq_col c;
        rc = cq_scan_column(s, 0, "user", &a, &c, CQ_DECODE_FULL);
        cq_arena_free(&a);
        cq_scan_close(s);
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(cq_index_errmsg(idx), want), "%s", cq_index_errmsg(idx));
    cq_index_close(idx);
}

/* Format 6: one flipped bit in a column blob, a blocks row, a field name or
 * a term filter is reported as damage naming what failed, never read. */
START_TEST(test_checksums)
{
    cq_index *idx = open_w();
    add_file(idx, "t", 10, 1000, 1);
    cq_index_close(idx);
    for (int bit = 0; bit < 24; bit += 7) {     /* the encoding's head and its values */
        flip_blob_bit("SELECT c.rowid, data FROM cols c JOIN fields f ON f.id=field_id"
                      " WHERE f.name='user'", "cols", "data", "rowid=?2", bit);
        expect_damage("damaged: column user of block 1 fails its checksum");
        flip_blob_bit("SELECT c.rowid, data FROM cols c JOIN fields f ON f.id=field_id"
                      " WHERE f.name='user'", "cols", "data", "rowid=?2", bit);     /* restored */
    }
    /* a column moved to another field (a damaged key) fails too */
    raw_exec("UPDATE cols SET field_id=(SELECT id FROM fields WHERE name='user') + 1000"
             " WHERE field_id=(SELECT id FROM fields WHERE name='user');"
             "UPDATE cols SET field_id=(SELECT id FROM fields WHERE name='user')"
             " WHERE field_id=(SELECT id FROM fields WHERE name='_raw');"
             "UPDATE cols SET field_id=(SELECT id FROM fields WHERE name='_raw')"
             " WHERE field_id>1000");
    expect_damage("column user of block 1 fails its checksum");
    raw_exec("DELETE FROM cols");
    idx = open_w();
    add_file(idx, "t2", 10, 1000, 1);
    cq_index_close(idx);
    raw_exec("UPDATE blocks SET t_max=t_max+1 WHERE id=2");
    expect_damage("damaged: block 2 fails its checksum");
    raw_exec("UPDATE blocks SET t_max=t_max-1 WHERE id=2; UPDATE fields SET name='usex'"
             " WHERE name='user'");
    expect_damage("damaged: field name");
    raw_exec("UPDATE fields SET name='user' WHERE name='usex'");
    /* bits cleared: without the checksum, no block would hold "user1" */
    raw_exec("UPDATE terms SET bits=zeroblob(length(bits)) WHERE first_block=2");
    char err[256];
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), 0);
    const char *terms[] = {"user1"};
    cq_pushdown pd = {NULL, 0, INT64_MIN, INT64_MAX, terms, 1};
    cq_scan *s = NULL;
    ck_assert_int_eq(cq_scan_open(idx, &pd, &s), -1);
    ck_assert_msg(strstr(cq_index_errmsg(idx), "term filter of blocks 2-2 fails its checksum"),
                  "%s", cq_index_errmsg(idx));
    cq_index_close(idx);
}
END_TEST

START_TEST(test_pushdown)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 100, 1000, 1);
    add_file(idx, "docker:daemon", 50, 5000, 1);
    cq_pd_atom a1[] = {{CQ_ATTR_SOURCETYPE, "DOCKER:*"}};
    cq_pd_clause c1[] = {{a1, 1}};
    cq_pushdown pd = {c1, 1, INT64_MIN, INT64_MAX, NULL, 0};
    ck_assert_uint_eq(count_rows(idx, &pd), 50);
    cq_pd_atom a2[] = {{CQ_ATTR_SOURCETYPE, "docker:daemon"}, {CQ_ATTR_SOURCETYPE, "kubernetes:apiserver"}};
    cq_pd_clause c2[] = {{a2, 2}};
    pd.clauses = c2;
    ck_assert_uint_eq(count_rows(idx, &pd), 150);
    /* a hostile value is data, not SQL */
    cq_pd_atom a3[] = {{CQ_ATTR_SOURCETYPE, "x' OR '1'='1"}};
    cq_pd_clause c3[] = {{a3, 1}};
    pd.clauses = c3;
    ck_assert_uint_eq(count_rows(idx, &pd), 0);
    /* time range: blocks overlapping [5000s, 5010s) */
    cq_pushdown t = {NULL, 0, 5000 * 1000000LL, 5010 * 1000000LL, NULL, 0};
    ck_assert_uint_eq(count_rows(idx, &t), 50);
    cq_index_close(idx);
}
END_TEST

START_TEST(test_rollback_and_files)
{
    cq_index *idx = open_w();
    add_file(idx, "docker:daemon", 10, 1000, 0);   /* rolled back */
    ck_assert_uint_eq(count_rows(idx, NULL), 0);
    add_file(idx, "docker:daemon", 10, 1000, 1);
    ck_assert_uint_eq(count_rows(idx, NULL), 10);
    cq_file_state *fs;
    size_t n;
    ck_assert_int_eq(cq_index_find_files(idx, 1234, &fs, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(fs[0].bytes, 100);
    ck_assert_uint_eq(fs[0].full_hash, 5678);
    cq_index_file_states_free(fs, n);
    cq_index_close(idx);
    /* read-only open sees it; a missing index is a clear error */
    char err[256];
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), 0);
    ck_assert_uint_eq(count_rows(idx, NULL), 10);
    ck_assert_int_eq(cq_index_file_begin(idx), -1);
    cq_index_close(idx);
    ck_assert_int_eq(cq_index_open("/tmp/cq-no-such-index.db", CQ_INDEX_READ, &idx, err,
                                   sizeof err), -1);
    ck_assert(strstr(err, "does not exist") != NULL);
}
END_TEST

START_TEST(test_not_an_index)
{
    FILE *f = fopen(db_path, "w");
    fputs("this is not sqlite", f);
    fclose(f);
    char err[256];
    cq_index *idx;
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), -1);
    ck_assert_ptr_null(idx);
}
END_TEST

START_TEST(test_colenc_roundtrip_and_corruption)
{
    cq_sv dict[] = {{"a", 1}, {"bb", 2}};
    uint32_t codes[] = {1, 0, 2, 1, 2};
    uint32_t row_off[] = {0, 1, 1, 3, 5};   /* 4 rows, row 1 null, rows 2-3 multivalue */
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_col_encode_dict(&sb, dict, 2, codes, row_off, 4, NULL);
    cq_arena a;
    cq_arena_init(&a);
    cq_col c;
    ck_assert_int_eq(cq_col_decode(sb.buf, sb.len, &a, &c, CQ_DECODE_FULL), 0);
    ck_assert_uint_eq(cq_col_nvals(&c, 1), 0);
    ck_assert_uint_eq(cq_col_nvals(&c, 2), 2);
    cq_sv v = cq_col_val(&c, 3, 1);
    ck_assert(v.len == 2 && !memcmp(v.p, "bb", 2));
    /* every truncation of the blob is rejected, never read out of bounds */
    for (size_t n = 0; n < sb.len; n++)
        ck_assert_int_eq(cq_col_decode(sb.buf, n, &a, &c, CQ_DECODE_FULL), -1);
    sb.buf[sb.len - 4] = 9;     /* the last code (before "abb"), past the dictionary */
    ck_assert_int_eq(cq_col_decode(sb.buf, sb.len, &a, &c, CQ_DECODE_FULL), -1);
    cq_strbuf_free(&sb);
    cq_arena_free(&a);
}
END_TEST

/* A dictionary's bytes are packed apart from its codes and offsets; a
 * shape-only decode of an ASCII dictionary leaves them packed and reads
 * lengths; a non-ASCII one is expanded whatever the caller asks. */
START_TEST(test_colenc_dict_packed)
{
    enum { N = 300 };
    cq_sv dict[N];
    uint32_t codes[N + 1];
    char *text = malloc(N * 64);
    size_t at = 0;
    for (int i = 0; i < N; i++) {
        int n = snprintf(text + at, 64, "/api/v1/namespaces/ns-%d/pods/p-%x", i % 17, i * 7919);
        dict[i] = (cq_sv){text + at, (uint32_t)n};
        at += (size_t)n;
        codes[i] = (uint32_t)(N - i);
    }
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_col_packer z = {0};
    cq_col_encode_dict(&sb, dict, N, codes, NULL, N, &z);
    ck_assert_uint_lt(sb.len, at);
    ck_assert_int_eq(sb.buf[15], CQ_DICT_ASCII | CQ_DICT_PACKED);
    cq_arena a;
    cq_arena_init(&a);
    cq_col c, s;
    ck_assert_int_eq(cq_col_decode(sb.buf, sb.len, &a, &c, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(cq_col_decode(sb.buf, sb.len, &a, &s, CQ_DECODE_SHAPE), 0);
    ck_assert(c.ascii && s.ascii);
    for (uint32_t r = 0; r < N; r++) {
        cq_sv v = cq_col_val(&c, r, 0), w = cq_col_val(&s, r, 0);
        cq_sv want = dict[N - 1 - r];
        ck_assert(v.len == want.len && !memcmp(v.p, want.p, v.len));
        ck_assert(w.p && w.len == want.len && !w.p[0] && !w.p[w.len - 1]);
    }
    for (size_t k = 0; k < sb.len; k++)
        ck_assert_int_eq(cq_col_decode(sb.buf, k, &a, &c, CQ_DECODE_FULL), -1);
    /* one byte of one value past 0x7F: the bytes are there in both modes */
    text[5] = (char)0xC3;
    cq_strbuf_reset(&sb);
    cq_col_encode_dict(&sb, dict, N, codes, NULL, N, &z);
    ck_assert_int_eq(sb.buf[15], CQ_DICT_PACKED);
    ck_assert_int_eq(cq_col_decode(sb.buf, sb.len, &a, &s, CQ_DECODE_SHAPE), 0);
    ck_assert(!s.ascii);
    cq_sv w = cq_col_val(&s, N - 1, 0);
    ck_assert(w.len == dict[0].len && !memcmp(w.p, dict[0].p, w.len));
    cq_col_packer_free(&z);
    cq_strbuf_free(&sb);
    cq_arena_free(&a);
    free(text);
}
END_TEST

/* zstd-packed columns (CQ_COL_ZSTD) decode to what was packed; every truncation
 * and every single-byte change of the packed form is rejected or decodes
 * within bounds (ASan runs this). */
START_TEST(test_colenc_zstd)
{
    enum { N = 300 };
    cq_sv raw[N];
    char *text = malloc(N * 64);
    size_t at = 0;
    for (int i = 0; i < N; i++) {
        int n = snprintf(text + at, 64, "{\"kind\":\"Event\",\"id\":%d,\"v\":\"%x\"}", i, i * 7919);
        raw[i] = (cq_sv){text + at, (uint32_t)n};
        at += (size_t)n;
    }
    cq_strbuf plain = CQ_STRBUF_INIT, packed = CQ_STRBUF_INIT;
    cq_col_encode_plain(&plain, raw, N);
    cq_col_packer z = {0};
    size_t n = cq_col_pack(&packed, plain.buf, plain.len, &z);
    ck_assert_uint_eq(n, packed.len);
    ck_assert_uint_lt(packed.len, plain.len / 2);
    ck_assert_int_eq((unsigned char)packed.buf[0], CQ_COL_ZSTD);
    cq_arena a;
    cq_arena_init(&a);
    cq_col c;
    ck_assert_int_eq(cq_col_decode(packed.buf, packed.len, &a, &c, CQ_DECODE_FULL), 0);
    ck_assert_int_eq(c.kind, CQ_COL_STR);
    ck_assert_uint_eq(c.n_rows, N);
    for (int i = 0; i < N; i++)
        ck_assert(c.strs[i].len == raw[i].len && !memcmp(c.strs[i].p, raw[i].p, raw[i].len));
    for (size_t k = 0; k < packed.len; k++) {
        char *cut = malloc(k ? k : 1);          /* exact size: reads past it are caught */
        memcpy(cut, packed.buf, k);
        ck_assert_int_eq(cq_col_decode(cut, k, &a, &c, CQ_DECODE_FULL), -1);
        free(cut);
    }
    for (size_t k = 0; k < packed.len; k += 3) {
        char *bad = malloc(packed.len);
        memcpy(bad, packed.buf, packed.len);
        bad[k] ^= (char)(0x55 + k);
        cq_col_decode(bad, packed.len, &a, &c, CQ_DECODE_FULL);  /* -1 or a valid column; never out of bounds */
        free(bad);
        cq_arena_reset(&a);
    }
    /* incompressible bytes are stored as they are */
    cq_strbuf_reset(&packed);
    uint64_t x = 88172645463325252ull;
    for (size_t k = 0; k < at; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        text[k] = (char)x;
    }
    ck_assert_uint_eq(cq_col_pack(&packed, text, at, &z), at);
    ck_assert_int_eq(memcmp(packed.buf, text, at), 0);
    cq_col_packer_free(&z);
    cq_strbuf_free(&plain);
    cq_strbuf_free(&packed);
    cq_arena_free(&a);
    free(text);
}
END_TEST

/* The term filter: a rare token selects its block; wildcards, breaker-only
 * terms and absent tokens behave; explain shows the term part. */
/* _i 1: a commit after every block (the chunked path of a big file), so
 * term groups and blocks span commits. */
START_TEST(test_term_filter)
{
    cq_index *idx = open_w();
    if (_i)
        cq_index_set_chunk_bytes(idx, 1);
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    cq_record r;
    cq_record_init(&r);
    int n = 40 * 1024;                  /* 40 blocks: two term groups */
    for (int i = 0; i < n; i++) {
        cq_record_reset(&r);
        char raw[96];
        snprintf(raw, sizeof raw, "{\"pod\":\"web-%d-X%dY\",\"verb\":\"get\"}", i, i * 7);
        cq_record_set_raw(&r, raw, strlen(raw));
        r.time_us = (int64_t)i * 1000000;
        r.sourcetype = "kubernetes:apiserver";
        r.source = "/var/log/t.log";
        ck_assert_int_eq(cq_index_add(idx, &r), 0);
    }
    cq_record_free(&r);
    cq_file_commit c = {0, "/var/log/t.log", 10, 1, 100, 2, (uint64_t)n, 0, NULL, NULL, 0};
    ck_assert_int_eq(cq_index_file_commit(idx, &c), 0);

    const char *rare[] = {"X35007Y"};   /* row 5001 only: block 4 (rows 4096..5119) */
    cq_pushdown pd = {NULL, 0, INT64_MIN, INT64_MAX, rare, 1};
    cq_scan *s;
    ck_assert_int_eq(cq_scan_open(idx, &pd, &s), 0);
    int found = 0;
    for (size_t i = 0; i < cq_scan_n_blocks(s); i++)
        found |= cq_scan_block(s, i)->t_min <= 5001 * 1000000LL &&
                 cq_scan_block(s, i)->t_max >= 5001 * 1000000LL;
    ck_assert(found);
    ck_assert_uint_le(cq_scan_n_blocks(s), 2);
    cq_scan_close(s);

    /* A term spanning minor breakers: every piece must be present. */
    const char *pieces[] = {"web-5001-x35007y"};
    pd.terms = pieces;
    ck_assert_uint_le(count_rows(idx, &pd), 2048);
    ck_assert_uint_ge(count_rows(idx, &pd), 1024);
    const char *absent[] = {"nosuchtoken", "get"};
    pd.terms = absent;
    pd.n_terms = 2;
    ck_assert_uint_eq(count_rows(idx, &pd), 0);
    const char *common[] = {"GET", "*", "w*b", "..."};  /* wildcards and breakers narrow nothing */
    pd.terms = common;
    pd.n_terms = 4;
    ck_assert_uint_eq(count_rows(idx, &pd), (size_t)n);
    /* With other conditions: the candidates still pass through them. */
    cq_pushdown late = {NULL, 0, 30000 * 1000000LL, INT64_MAX, rare, 1};
    ck_assert_uint_eq(count_rows(idx, &late), 0);

    cq_strbuf sql = CQ_STRBUF_INIT;
    cq_pushdown d = {NULL, 0, 5 * 1000000LL, INT64_MAX, common, 4};
    cq_scan_describe(&d, &sql);
    ck_assert_str_eq(cq_strbuf_str(&sql),
                     "SELECT id, sourcetype, source, host, t_min, t_max, n_rows, sum FROM blocks"
                     " WHERE file_id NOT IN (SELECT id FROM files WHERE ingested_at IS NULL)"
                     " AND t_max >= ? AND id IN term_filter(?, ?)");
    cq_strbuf_free(&sql);
    cq_index_close(idx);
}
END_TEST

/* ---- chunked commits: a file's blocks are committed on the way, under a
 * pending files row that readers skip ---- */

static sqlite3_int64 raw_int(const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* No column or term-filter row is left without its block. */
static void assert_no_orphans(void)
{
    ck_assert_int_eq(raw_int("SELECT count(*) FROM cols WHERE block_id NOT IN"
                             " (SELECT id FROM blocks)"), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM terms WHERE first_block NOT IN"
                             " (SELECT id FROM blocks)"), 0);
}

/* Adds n records (one block per 1,024) to the open file of idx. */
static void add_records(cq_index *idx, int n, int64_t base)
{
    cq_record r;
    cq_record_init(&r);
    for (int i = 0; i < n; i++) {
        cq_record_reset(&r);
        char raw[64];
        snprintf(raw, sizeof raw, "chunked event %d", i);
        cq_record_set_raw(&r, raw, strlen(raw));
        r.time_us = (base + i) * 1000000;
        r.sourcetype = "docker:daemon";
        r.source = "/var/log/big.log";
        ck_assert_int_eq(cq_index_add(idx, &r), 0);
    }
    cq_record_free(&r);
}

START_TEST(test_chunks_unseen_until_commit)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 100, 1000, 1);
    cq_index_set_chunk_bytes(idx, 1);
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    add_records(idx, 5000, 9000);               /* four full blocks committed */
    ck_assert_int_ge(raw_int("SELECT count(*) FROM blocks"), 5);
    char err[256];
    cq_index *rd;
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &rd, err, sizeof err), 0);
    ck_assert_uint_eq(count_rows(rd, NULL), 100);   /* the other reader: not yet */
    cq_file_commit c = {0, "/var/log/big.log", 10, 99, 100, 98, 5000, 0, "docker:daemon", NULL, 0};
    ck_assert_int_eq(cq_index_file_commit(idx, &c), 0);
    ck_assert_uint_eq(count_rows(rd, NULL), 5100);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files WHERE ingested_at IS NULL"), 0);
    cq_index_close(rd);
    cq_index_close(idx);
}
END_TEST

START_TEST(test_chunks_rolled_back)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 100, 1000, 1);
    cq_index_set_chunk_bytes(idx, 1);
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    add_records(idx, 3000, 9000);
    cq_index_file_rollback(idx);                /* committed chunks go too */
    ck_assert_uint_eq(count_rows(idx, NULL), 100);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM blocks"), 1);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 1);
    assert_no_orphans();
    cq_index_close(idx);
}
END_TEST

/* A flush writes cols field by field, each field's blocks in block order:
 * one field of consecutive blocks sits in consecutive rows (and pages). */
START_TEST(test_cols_field_major)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 5000, 1000, 1);     /* 5 blocks */
    cq_index_close(idx);
    ck_assert_int_ge(raw_int("SELECT count(*) FROM blocks"), 5);
    ck_assert_int_ge(raw_int("SELECT count(DISTINCT field_id) FROM cols"), 3);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM (SELECT rowid - lag(rowid) OVER"
                             " (PARTITION BY field_id ORDER BY block_id) AS d FROM cols)"
                             " WHERE d <> 1"), 0);
}
END_TEST

/* `cquery sources` (under make check) lists the finished file only. */
static void assert_sources_hide_pending(void)
{
    const char *bin = test_env("CQUERY_BIN");
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "'%s' sources --index '%s'", bin, db_path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_msg(strstr(out, "/var/log/test.log") && !strstr(out, "/var/log/big.log") &&
                      !strstr(out, "docker:daemon"),
                  "sources shows a pending file:\n%s", out);
}

/* A writer dies after committing chunks: nobody sees them, and the next
 * writer removes them before it adds anything. */
START_TEST(test_chunks_of_a_killed_writer)
{
    cq_index *idx = open_w();
    add_file(idx, "kubernetes:apiserver", 100, 1000, 1);
    cq_index_close(idx);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cq_index *w = open_w();
        cq_index_set_chunk_bytes(w, 1);
        if (cq_index_file_begin(w))
            _exit(2);
        add_records(w, 4000, 9000);
        _exit(0);                               /* no commit, no close: a kill */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files WHERE ingested_at IS NULL"), 1);
    ck_assert_int_ge(raw_int("SELECT count(*) FROM blocks"), 4);
    char err[256];
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), 0);
    ck_assert_uint_eq(count_rows(idx, NULL), 100);
    cq_index_close(idx);
    assert_sources_hide_pending();
    idx = open_w();
    add_file(idx, "docker:daemon", 10, 5000, 1);
    ck_assert_uint_eq(count_rows(idx, NULL), 110);
    cq_index_close(idx);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 2);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM blocks"), 2);
    assert_no_orphans();
}
END_TEST

Suite *index_suite(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("index");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_write_read_back);
    tcase_add_test(tc, test_pushdown);
    tcase_add_test(tc, test_rollback_and_files);
    tcase_add_test(tc, test_not_an_index);
    tcase_add_test(tc, test_colenc_roundtrip_and_corruption);
    tcase_add_test(tc, test_colenc_zstd);
    tcase_add_test(tc, test_colenc_dict_packed);
    tcase_add_test(tc, test_same_columns);
    tcase_add_test(tc, test_checksums);
    tcase_add_loop_test(tc, test_term_filter, 0, 2);
    tcase_add_test(tc, test_chunks_unseen_until_commit);
    tcase_add_test(tc, test_chunks_rolled_back);
    tcase_add_test(tc, test_chunks_of_a_killed_writer);
    tcase_add_test(tc, test_cols_field_major);
    suite_add_tcase(s, tc);
    return s;
}

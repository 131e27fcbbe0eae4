/*
 * test_forget.c - removing ingested files: the index side (rows, term
 * filter, field names, checksums, block ids), `ingest --force` replacing a
 * file in its own commit (chunked, rolled back, killed), and the CLI
 * (`cquery forget`, forget then ingest again against a fresh index).
 */
#include "tests/unit/suites.h"
#include "index/index.h"
#include "index/index_int.h"
#include "index/reader.h"
#include "index/terms.h"
#include "common/strbuf.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64], db_path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cq-forget-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/idx.db", dir);
}

static void teardown(void)
{
    ck_assert_int_eq(test_rmdir(dir), 0);
}

static cq_index *open_w(void)
{
    char err[256];
    cq_index *idx;
    ck_assert_msg(cq_index_open(db_path, CQ_INDEX_WRITE, &idx, err, sizeof err) == 0, "%s", err);
    return idx;
}

static sqlite3_int64 raw_int(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_int64 v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Records of one file: raw "WORD event I", field `user`, and a field of
 * this file only (`only_WORD`); n records from time base seconds. */
static void add_records(cq_index *idx, const char *word, int n, int64_t base)
{
    cq_record r;
    cq_record_init(&r);
    char only[32];
    snprintf(only, sizeof only, "only_%s", word);
    for (int i = 0; i < n; i++) {
        cq_record_reset(&r);
        char raw[64], user[16];
        snprintf(raw, sizeof raw, "%s event %d", word, i);
        snprintf(user, sizeof user, "user%d", i % 3);
        cq_record_set_raw(&r, raw, strlen(raw));
        r.time_us = (base + i) * 1000000;
        r.sourcetype = "docker:daemon";
        r.source = word;
        cq_record_adds(&r, "user", user);
        cq_record_adds(&r, only, "x");
        ck_assert_int_eq(cq_index_add(idx, &r), 0);
    }
    cq_record_free(&r);
}

/* One whole file (head hash = a number of its own, so files differ). */
static void add_file(cq_index *idx, const char *word, int n, int64_t base,
                     const int64_t *replace, size_t n_replace)
{
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    add_records(idx, word, n, base);
    cq_file_commit c = {0, word, 10, (uint64_t)base, 100, 5678, (uint64_t)n, 0, "docker:daemon",
                        replace, n_replace};
    ck_assert_int_eq(cq_index_file_commit(idx, &c), 0);
}

static int64_t file_id(const char *path)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT id FROM files WHERE path='%s'", path);
    return raw_int(sql);
}

/* Events the term filter and a scan find for term (NULL: all). */
static size_t count_term(const char *term)
{
    char err[256];
    cq_index *idx;
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), 0);
    const char *terms[] = {term};
    cq_pushdown pd = {NULL, 0, INT64_MIN, INT64_MAX, terms, term ? 1 : 0};
    cq_scan *s;
    ck_assert_msg(cq_scan_open(idx, &pd, &s) == 0, "%s", cq_index_errmsg(idx));
    size_t n = 0;
    for (size_t i = 0; i < cq_scan_n_blocks(s); i++)
        n += cq_scan_block(s, i)->n_rows;
    cq_scan_close(s);
    cq_index_close(idx);
    return n;
}

/* The integrity check: every column of every block decodes with its
 * checksum, every term row of every slice passes its own (a term of each
 * slice-hashing token is not needed: the rows are read with sums), no row
 * points at a missing block, every block is in the term filter. */
static void assert_intact(void)
{
    char err[256];
    cq_index *idx;
    ck_assert_int_eq(cq_index_open(db_path, CQ_INDEX_READ, &idx, err, sizeof err), 0);
    cq_scan *s;
    ck_assert_int_eq(cq_scan_open(idx, NULL, &s), 0);
    cq_arena a;
    cq_arena_init(&a);
    static const char *const fields[] = {"_time", "_raw", "user", "only_a", "only_b", "only_c"};
    for (size_t i = 0; i < cq_scan_n_blocks(s); i++)
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
            cq_col c;
            ck_assert_msg(cq_scan_column(s, i, fields[f], &a, &c, CQ_DECODE_FULL) == 0, "%s",
                          cq_index_errmsg(idx));
        }
    cq_arena_free(&a);
    cq_scan_close(s);
    cq_index_close(idx);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT slice, first_block, bits FROM terms", -1,
                                        &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *bits = sqlite3_column_blob(st, 2);
        size_t len = (size_t)sqlite3_column_bytes(st, 2) - CQ_SUM_BYTES;
        uint64_t want;
        memcpy(&want, bits + len, sizeof want);
        ck_assert(cq_index_sum(bits, len, cq_col_seed(sqlite3_column_int64(st, 1),
                                                      sqlite3_column_int64(st, 0))) == want);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM cols WHERE block_id NOT IN"
                             " (SELECT id FROM blocks)"), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM blocks WHERE file_id NOT IN"
                             " (SELECT id FROM files)"), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM terms WHERE first_block NOT IN"
                             " (SELECT id FROM blocks)"), 0);
    ck_assert_int_eq(raw_int("SELECT coalesce(sum(n_blocks), 0) FROM terms WHERE slice=0"),
                     raw_int("SELECT count(*) FROM blocks"));
    ck_assert_int_eq(raw_int("SELECT count(*) FROM terms"),
                     raw_int("SELECT count(*) FROM terms WHERE slice=0") * CQ_N_SLICES);
}

/* Forgetting a file removes its blocks, columns, term rows and the field
 * names only it had; what stays is whole and checksums right; the next
 * block gets a new id, never a forgotten one. */
START_TEST(test_forget_rows)
{
    cq_index *idx = open_w();
    add_file(idx, "a", 2500, 1000, NULL, 0);    /* blocks 1-3 */
    add_file(idx, "b", 10, 9000, NULL, 0);      /* block 4 */
    add_file(idx, "c", 1500, 5000, NULL, 0);    /* blocks 5-6: the highest ids */
    ck_assert_uint_eq(count_term("b"), 10);
    int64_t ids[] = {file_id("a"), file_id("c"), 999};  /* 999: no such row */
    cq_forget_counts done;
    ck_assert_int_eq(cq_index_forget(idx, ids, 3, &done), 0);
    ck_assert_int_eq(done.files, 2);
    ck_assert_int_eq(done.blocks, 5);
    ck_assert_int_eq(done.events, 4000);
    ck_assert_int_eq(done.fields, 2);           /* only_a, only_c */
    ck_assert_uint_eq(count_term(NULL), 10);
    ck_assert_uint_eq(count_term("a"), 0);
    ck_assert_uint_eq(count_term("b"), 10);
    ck_assert_uint_eq(count_term("event"), 10);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM fields WHERE name LIKE 'only_%'"), 1);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM fields WHERE name='user'"), 1);
    assert_intact();
    /* SQLite would hand out rowid 5 again (max 4, + 1) */
    add_file(idx, "c", 1500, 5000, NULL, 0);
    ck_assert_int_eq(raw_int("SELECT min(id) FROM blocks WHERE file_id=(SELECT id FROM files"
                             " WHERE path='c')"), 7);
    ck_assert_uint_eq(count_term("c"), 1500);
    ck_assert_uint_eq(count_term(NULL), 1510);
    assert_intact();
    /* forgetting nothing changes nothing */
    ck_assert_int_eq(cq_index_forget(idx, ids, 0, &done), 0);
    ck_assert_int_eq(done.files + done.blocks + done.events, 0);
    cq_index_close(idx);
}
END_TEST

/* A term group that reaches past the forgotten blocks (not made by this
 * writer: built here by hand from two files' rows) is kept, so the other
 * block keeps its bits; the stale bits of the forgotten one never reach a
 * new block, which gets an id above it. */
START_TEST(test_forget_shared_group)
{
    cq_index *idx = open_w();
    add_file(idx, "a", 10, 1000, NULL, 0);      /* block 1 */
    add_file(idx, "b", 10, 2000, NULL, 0);      /* block 2 */
    cq_index_close(idx);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_stmt *get, *put;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bits FROM terms WHERE slice=?1 AND"
                                        " first_block=?2", -1, &get, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO terms VALUES(?1, 1, 2, ?2)",
                                        -1, &put, NULL), SQLITE_OK);
    for (int s = 0; s < (int)CQ_N_SLICES; s++) {
        unsigned char row[2 * CQ_SLICE_BYTES + CQ_SUM_BYTES];
        for (int b = 1; b <= 2; b++) {
            sqlite3_reset(get);
            sqlite3_bind_int(get, 1, s);
            sqlite3_bind_int(get, 2, b);
            ck_assert_int_eq(sqlite3_step(get), SQLITE_ROW);
            memcpy(row + (b - 1) * CQ_SLICE_BYTES, sqlite3_column_blob(get, 0), CQ_SLICE_BYTES);
        }
        uint64_t sum = cq_index_sum(row, 2 * CQ_SLICE_BYTES, cq_col_seed(1, s));
        memcpy(row + 2 * CQ_SLICE_BYTES, &sum, sizeof sum);
        sqlite3_reset(put);
        sqlite3_bind_int(put, 1, s);
        sqlite3_bind_blob(put, 2, row, sizeof row, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(put), SQLITE_DONE);
    }
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM terms WHERE first_block=2", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_uint_eq(count_term("b"), 10);
    idx = open_w();
    int64_t id = file_id("b");
    cq_forget_counts done;
    ck_assert_int_eq(cq_index_forget(idx, &id, 1, &done), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM terms WHERE first_block=1"), CQ_N_SLICES);
    ck_assert_uint_eq(count_term("a"), 10);     /* the group's other block: still found */
    ck_assert_uint_eq(count_term("b"), 0);
    add_file(idx, "c", 10, 3000, NULL, 0);      /* not block 2: the stale bits say "b" */
    ck_assert_int_eq(raw_int("SELECT id FROM blocks WHERE file_id=(SELECT id FROM files"
                             " WHERE path='c')"), 3);
    ck_assert_uint_eq(count_term("b"), 0);
    ck_assert_uint_eq(count_term("c"), 10);
    cq_index_close(idx);
}
END_TEST

/* ingest --force's commit: the new rows are written in chunks under a
 * pending row while the old stay visible; the commit swaps them at once,
 * a rollback leaves the old. */
START_TEST(test_replace_in_commit)
{
    cq_index *idx = open_w();
    add_file(idx, "a", 100, 1000, NULL, 0);
    add_file(idx, "b", 10, 2000, NULL, 0);
    int64_t old = file_id("a");
    for (int commit = 0; commit < 2; commit++) {
        cq_index_set_chunk_bytes(idx, 1);
        ck_assert_int_eq(cq_index_file_begin(idx), 0);
        add_records(idx, "a", 5000, 1000);
        ck_assert_int_ge(raw_int("SELECT count(*) FROM blocks"), 5);  /* chunks committed */
        ck_assert_uint_eq(count_term("a"), 100);    /* another reader: the old file */
        if (!commit) {
            cq_index_file_rollback(idx);
            ck_assert_uint_eq(count_term(NULL), 110);
            continue;
        }
        cq_file_commit c = {0, "a", 10, 1000, 100, 5678, 5000, 0, "docker:daemon", &old, 1};
        ck_assert_int_eq(cq_index_file_commit(idx, &c), 0);
    }
    ck_assert_uint_eq(count_term("a"), 5000);
    ck_assert_uint_eq(count_term(NULL), 5010);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 2);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files WHERE id=1"), 0);
    assert_intact();
    cq_index_close(idx);
}
END_TEST

/* ---- through the binary ---- */

static const char *bin(void)
{
    return test_env("CQUERY_BIN");
}

/* Runs a shell command line; returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* stdout of `cquery search --format csv -i db QUERY` (malloc'd). */
static char *search(const char *db, const char *query)
{
    char out[200];
    snprintf(out, sizeof out, "%s/search.out", dir);
    int rc = sh("'%s' search --format csv --index '%s' '%s' > '%s' 2>/dev/null", bin(), db,
                query, out);
    ck_assert_msg(rc == 0 || rc == 1, "search %s: %d", query, rc);
    char *text = test_slurp(out, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

static const char *const queries[] = {
    "search * | sort 0 _time _raw | table _time sourcetype source host _raw",
    "search * | stats count min(_time) max(_time) by sourcetype source",
    "search create OR start | sort 0 _time _raw | table _time _raw",
    "search * | fieldsummary | table field count distinct_count",
};

/* The answers of db equal those of want_db. */
static void assert_same_answers(const char *db, const char *want_db)
{
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        char *a = search(db, queries[i]), *b = search(want_db, queries[i]);
        if (strcmp(a, b))       /* the texts on stderr: a check message is short */
            fprintf(stderr, "%s\n--- got:\n%s--- a fresh index:\n%s", queries[i], a, b);
        ck_assert_msg(!strcmp(a, b), "%s: differs from a fresh index (above)", queries[i]);
        free(a);
        free(b);
    }
}

static void copy_fixture(const char *name, const char *to)
{
    ck_assert_int_eq(sh("cp '%s/tests/fixtures/ingest/made/%s' '%s/%s'", test_srcdir(), name,
                        dir, to), 0);
}

/* forget leaves the other files' events; forget then ingest again answers
 * as a fresh index of the same files; the integrity check holds. */
START_TEST(test_cli_forget_and_again)
{
    ck_assert_int_eq(sh("mkdir '%s/logs'", dir), 0);
    copy_fixture("dockerd_exec.log", "logs/d.log");
    copy_fixture("audit_exec.jsonl", "logs/a.jsonl");
    copy_fixture("docker_events.jsonl", "logs/e.jsonl");
    char fresh[200], only[200];
    snprintf(fresh, sizeof fresh, "%s/fresh.db", dir);
    snprintf(only, sizeof only, "%s/only.db", dir);
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -q -i idx.db logs && '%s' ingest -q -i fresh.db"
                        " logs && '%s' ingest -q -i only.db logs/a.jsonl logs/e.jsonl", dir,
                        bin(), bin(), bin()), 0);
    char *all = search(db_path, queries[0]);
    ck_assert(strstr(all, "docker:daemon") && strstr(all, "kubernetes:apiserver"));
    free(all);
    /* the stored path is logs/d.log: ./logs//d.log names it too */
    ck_assert_int_eq(sh("cd '%s' && '%s' forget -i idx.db ./logs//d.log 2>forget.err", dir,
                        bin()), 0);
    char p[200];
    snprintf(p, sizeof p, "%s/forget.err", dir);
    char *msg = test_slurp(p, NULL);
    ck_assert_str_eq(msg, "forgot 1 file, 8 events\n");
    free(msg);
    assert_same_answers(db_path, only);
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -q -i idx.db logs/d.log", dir, bin()), 0);
    assert_same_answers(db_path, fresh);
    /* the field names of the forgotten file went, and came back */
    ck_assert_int_eq(sh("'%s' sources --fields -i '%s' > '%s/f1' && '%s' sources --fields -i"
                        " '%s' > '%s/f2' && cmp -s '%s/f1' '%s/f2'", bin(), db_path, dir, bin(),
                        fresh, dir, dir, dir), 0);
    ck_assert_int_eq(sh("'%s' forget -q -i '%s' --source '*.jsonl'", bin(), db_path), 0);
    ck_assert_int_eq(sh("'%s' sources --fields -i '%s' | grep -q '^verb$'", bin(), db_path), 1);
    /* an unknown file: exit 3, nothing changed */
    ck_assert_int_eq(sh("'%s' forget -i '%s' logs/d.log nope 2>/dev/null", bin(), db_path), 3);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 1);
}
END_TEST

/* A wrong --sourcetype gave every event the ingest time; --force with the
 * right one (detected) reads the file again: the right times, one file. */
START_TEST(test_cli_force_fixes_time)
{
    copy_fixture("dockerd_exec.log", "d.log");
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -i idx.db -s kubernetes:apiserver d.log"
                        " 2>first.err && grep -q 'had no time' first.err", dir, bin()), 0);
    char *before = search(db_path, "search * | stats count by sourcetype");
    ck_assert_str_eq(before, "sourcetype,count\nkubernetes:apiserver,8\n");
    free(before);
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -i idx.db d.log 2>&1 | grep -q '1 skipped'",
                        dir, bin()), 0);
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -i idx.db --force d.log 2>force.err && ! grep"
                        " -q 'no time' force.err && grep -q '1 re-ingested (--force)' force.err",
                        dir, bin()), 0);
    char *after = search(db_path, "search * | stats count min(_time) by sourcetype");
    ck_assert_str_eq(after, "sourcetype,count,min(_time)\n"
                            "docker:daemon,8,1714557600.1\n");
    free(after);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 1);
    assert_intact();
    /* a file not in the index yet: --force just ingests it */
    copy_fixture("audit_exec.jsonl", "a.jsonl");
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -i idx.db --force a.jsonl 2>&1 | grep -q"
                        " '1 new'", dir, bin()), 0);
}
END_TEST

static pid_t start(char *const argv[])
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int wait_for(pid_t pid)
{
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define FORCE_EVENTS 30000

/* SIGKILL or SIGINT at random moments of `ingest --force`: the index holds
 * the file once, old or new, never neither nor both. */
START_TEST(test_cli_force_killed)
{
    char file[200];
    snprintf(file, sizeof file, "%s/audit.log", dir);
    ck_assert_int_eq(sh("'%s' audit --count %d > '%s'", test_env("CQUERY_GEN"), FORCE_EVENTS,
                        file), 0);
    char *argv[] = {(char *)bin(), "ingest", "-q", "--force", "--index", db_path, file, NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(wait_for(start(argv)), 0);     /* not there yet: ingested */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long full_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    unsigned seed = 1515;
    int killed = 0;
    for (int i = 0; i < 6; i++) {
        pid_t pid = start(argv);
        usleep((useconds_t)((long)(rand_r(&seed) % 1000) * (full_us + 1) / 1000));
        int sig = i % 2 ? SIGINT : SIGKILL;
        kill(pid, sig);
        killed += wait_for(pid) == 128 + sig;
        ck_assert_uint_eq(count_term(NULL), FORCE_EVENTS);
        ck_assert_int_eq(raw_int("SELECT count(*) FROM files WHERE ingested_at NOT NULL"), 1);
    }
    ck_assert_int_gt(killed, 0);
    ck_assert_int_eq(wait_for(start(argv)), 0);
    ck_assert_uint_eq(count_term(NULL), FORCE_EVENTS);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM files"), 1);
}
END_TEST

/* What fails changes nothing: forget never makes an index; the summary
 * of an ingest counts every file that failed. */
START_TEST(test_cli_failures)
{
    ck_assert_int_eq(sh("cd '%s' && '%s' forget -i idx.db x.log 2>err; test $? = 3 && grep -q 'index idx.db"
                        " does not exist' err && test ! -e idx.db", dir, bin()), 0);
    ck_assert_int_eq(sh("cd '%s' && '%s' ingest -i idx.db a-missing b-missing 2>err;"
                        " test $? = 3 && grep -q '^2 files: .*, 2 failed$' err && test ! -e idx.db",
                        dir, bin()), 0);
}
END_TEST

Suite *forget_suite(void)
{
    Suite *s = suite_create("forget");
    TCase *tc = tcase_create("forget");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_forget_rows);
    tcase_add_test(tc, test_forget_shared_group);
    tcase_add_test(tc, test_replace_in_commit);
    tcase_add_test(tc, test_cli_forget_and_again);
    tcase_add_test(tc, test_cli_force_fixes_time);
    tcase_add_test(tc, test_cli_force_killed);
    tcase_add_test(tc, test_cli_failures);
    suite_add_tcase(s, tc);
    return s;
}

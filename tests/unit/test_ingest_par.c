/*
 * test_ingest_par.c - the ingest suite, continued: parallel jobs against the
 * sequential pipeline (docker run pairs across job boundaries), kill -9 in
 * the middle of an ingest, and two ingests of one file at once.
 */
#include "tests/unit/suites.h"
#include "tests/unit/test_ingest.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "index/index.h"
#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "ingest/parallel.h"

/* A fresh directory for one test, and paths of files in it. */
typedef struct tdir {
    char dir[64];
} tdir;

static void tdir_make(tdir *t, const char *tag)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/cq-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
}

static void tdir_path(const tdir *t, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", t->dir, name);
}

static void tdir_remove(const tdir *t)
{
    ck_assert_int_eq(test_rmdir(t->dir), 0);
}

/* ---- crash safety: kill -9 at random moments, then finish ---- */

/* Runs `cquery ingest -q --index db file` in a child; returns its pid. */
static pid_t start_ingest(const char *db, const char *file)
{
    const char *bin = test_env("CQUERY_BIN");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execl(bin, bin, "ingest", "-q", "--index", db, file, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static sqlite3_int64 one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_int64 v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The index is intact: integrity ok, blocks match their committed files,
 * and a search through the real binary works.  Returns the records held. */
static sqlite3_int64 check_index(const char *path)
{
    if (access(path, F_OK))
        return 0;                       /* killed before the index existed */
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *st = NULL;
    int have_schema = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK;
    ck_assert(have_schema);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_int64 n = 0;
    if (one_int(db, "SELECT count(*) FROM sqlite_master WHERE name='files'") == 1) {
        /* Blocks of finished files (a killed run may leave committed chunks
         * under a pending files row: unseen, removed by the next run). */
#define DONE_BLOCKS " FROM blocks WHERE file_id IN (SELECT id FROM files WHERE ingested_at NOT NULL)"
        n = one_int(db, "SELECT coalesce(sum(n_rows),0)" DONE_BLOCKS);
        ck_assert_int_eq(n, one_int(db, "SELECT coalesce(sum(n_records),0) FROM files"));
        ck_assert_int_eq(one_int(db, "SELECT count(*) FROM blocks WHERE file_id NOT IN"
                                     " (SELECT id FROM files)"), 0);
        /* every finished block is covered by the term filter */
        ck_assert_int_eq(one_int(db, "SELECT coalesce(sum(n_blocks),0) FROM terms WHERE slice=0"
                                     " AND first_block IN (SELECT id" DONE_BLOCKS ")"),
                         one_int(db, "SELECT count(*)" DONE_BLOCKS));
#undef DONE_BLOCKS
    }
    sqlite3_close(db);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' search --index '%s' 'verb=create' >/dev/null 2>&1",
             test_env("CQUERY_BIN"), path);
    if (n)
        ck_assert_msg(system(cmd) == 0, "search failed after a kill: %s", cmd);
    return n;
}

#define CRASH_EVENTS 40000

static void gen_audit(const char *out, int count)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' audit --count %d > '%s'", test_env("CQUERY_GEN"), count, out);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_kill_during_ingest)
{
    test_env("CQUERY_BIN");
    test_env("CQUERY_GEN");
    tdir t;
    tdir_make(&t, "crash");
    char file[256], db[256];
    tdir_path(&t, "audit.log", file, sizeof file);
    tdir_path(&t, "idx.db", db, sizeof db);
    gen_audit(file, CRASH_EVENTS);
    /* How long a whole ingest takes here, to spread the kills over it. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char probe[300];
    tdir_path(&t, "probe.db", probe, sizeof probe);
    ck_assert_int_eq(wait_status(start_ingest(probe, file)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long full_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    ck_assert_int_eq(check_index(probe), CRASH_EVENTS);
    unsigned seed = 4242;
    int kills = 0;
    for (int i = 0; i < 6; i++) {
        pid_t pid = start_ingest(db, file);
        long at = (long)(rand_r(&seed) % 1000) * (full_us + 1) / 1000;
        usleep((useconds_t)at);
        kill(pid, SIGKILL);
        int status = wait_status(pid);
        kills += status == 128 + SIGKILL;
        sqlite3_int64 n = check_index(db);
        /* atomic per file: nothing, or the whole file */
        ck_assert_msg(n == 0 || n == CRASH_EVENTS, "after a kill at %ld us: %lld records",
                      at, (long long)n);
    }
    ck_assert_int_gt(kills, 0);
    ck_assert_int_eq(wait_status(start_ingest(db, file)), 0);
    ck_assert_int_eq(check_index(db), CRASH_EVENTS);
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(one_int(h, "SELECT count(*) FROM files"), 1);   /* no pending rows left */
    sqlite3_close(h);
    tdir_remove(&t);
}
END_TEST

START_TEST(test_two_ingests_at_once)
{
    test_env("CQUERY_BIN");
    test_env("CQUERY_GEN");
    tdir t;
    tdir_make(&t, "conc");
    char file[256], db[256];
    tdir_path(&t, "audit.log", file, sizeof file);
    tdir_path(&t, "idx.db", db, sizeof db);
    gen_audit(file, 20000);
    /* create the index first so both processes open the same schema */
    ck_assert_int_eq(wait_status(start_ingest(db, "/dev/null")), 0);
    pid_t a = start_ingest(db, file), b = start_ingest(db, file);
    ck_assert_int_eq(wait_status(a), 0);
    ck_assert_int_eq(wait_status(b), 0);
    ck_assert_int_eq(check_index(db), 20000);
    tdir_remove(&t);
}
END_TEST

/* ---- parallel jobs against the sequential pipeline, record by record ---- */

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct seq_sink {
    cq_index *idx;
    long n;
} seq_sink;

static int index_sink(void *ctx, const cq_record *r)
{
    seq_sink *s = ctx;
    s->n++;
    return cq_index_add(s->idx, r) ? -1 : 0;
}

/* Indexes text as the file `path` through the sequential pipeline
 * (cq_ingest_buffer, no jobs): the reference for the parallel ingest.
 * Returns the records it gave. */
static long seq_index(cq_ingest *g, const char *db, const char *path, const char *text,
                      size_t len)
{
    char err[512];
    seq_sink s = {0};
    ck_assert_msg(cq_index_open(db, CQ_INDEX_WRITE, &s.idx, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(cq_index_file_begin(s.idx), 0);
    ck_assert_int_eq(cq_ingest_buffer(g, path, text, len, index_sink, &s), 0);
    cq_file_commit c = {.path = path, .bytes = len, .n_records = (uint64_t)s.n};
    ck_assert_msg(cq_index_file_commit(s.idx, &c) == 0, "%s", cq_index_errmsg(s.idx));
    cq_index_close(s.idx);
    return s.n;
}

typedef struct recs {
    char **v;
    size_t n;
} recs;

/* One JSON line with its keys sorted: the printed key order follows the
 * columns seen so far, which is not the record's content. */
static char *canonical(const char *line)
{
    json_error_t e;
    json_t *o = json_loads(line, 0, &e);
    ck_assert_msg(o != NULL, "search printed bad JSON (%s): %.200s", e.text, line);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(o);
    ck_assert_ptr_nonnull(s);
    return s;
}

/*
 * Every record of db as the real binary prints it (all fields, _time to
 * the microsecond in cq_time_us), sorted: which block a record lands in
 * decides the search's order, and is no part of the record.
 */
static recs index_records(const char *db, const char *out, const char *errf)
{
    char *argv[] = {(char *)test_env("CQUERY_BIN"), "search", "--index", (char *)db,
        "--format", "json", "* | eval cq_time_us=strftime(_time, \"%s.%6N\")", NULL};
    ck_assert_int_eq(test_wait(test_spawn(argv, out, errf)), 0);
    size_t len;
    char *text = slurp(out, &len);
    recs r = {0};
    size_t cap = 0;
    for (char *p = text, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        if (r.n == cap)
            r.v = cq_xrealloc(r.v, (cap = cap ? 2 * cap : 1024) * sizeof *r.v);
        r.v[r.n++] = canonical(p);
    }
    free(text);
    qsort(r.v, r.n, sizeof *r.v, cmp_lines);
    return r;
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
}

/* Fails showing the first differing record (sorted), from its start and
 * from where it differs, which may be far into a long record. */
static void differ(size_t i, const char *seq, const char *par)
{
    size_t at = 0;
    while (seq[at] && seq[at] == par[at])
        at++;
    size_t from = at > 60 ? at - 60 : 0;
    ck_abort_msg("record %zu (sorted) differs at byte %zu\n seq: %.300s\n par: %.300s\n"
                 " seq at %zu: %.300s\n par at %zu: %.300s",
                 i, at, seq, par, from, seq + from, from, par + from);
}

/* The two indexes hold the same records, and want of them (so that two
 * empty or truncated outputs cannot agree). */
static void same_records(const tdir *t, const char *seq_db, const char *par_db, size_t want)
{
    char out[256], errf[256];
    tdir_path(t, "records.json", out, sizeof out);
    tdir_path(t, "records.err", errf, sizeof errf);
    recs s = index_records(seq_db, out, errf), p = index_records(par_db, out, errf);
    ck_assert_uint_eq(s.n, want);
    for (size_t i = 0; i < s.n && i < p.n; i++)
        if (strcmp(s.v[i], p.v[i]))
            differ(i, s.v[i], p.v[i]);
    ck_assert_uint_eq(p.n, s.n);
    recs_free(&s);
    recs_free(&p);
}

/* A file bigger than one parallel job gives the same records as the
 * sequential pipeline. */
START_TEST(test_parallel_matches_sequential)
{
    test_env("CQUERY_BIN");            /* prints both indexes' records */
    test_env("CQUERY_GEN");
    tdir t;
    tdir_make(&t, "par");
    char file[256], db[256], seq_db[256];
    tdir_path(&t, "audit.log", file, sizeof file);
    tdir_path(&t, "idx.db", db, sizeof db);
    tdir_path(&t, "seq.db", seq_db, sizeof seq_db);
    char err[512];
    gen_audit(file, 12000);            /* ~11 MB: three parallel jobs */
    size_t len;
    char *text = slurp(file, &len);
    char *cp = conf_path();
    cq_ingest_opts o = {.conf_path = cp, .err = stderr};
    cq_ingest *g;
    ck_assert_int_eq(cq_ingest_new(&o, &g, err, sizeof err), 0);
    free(cp);
    ck_assert_int_eq(seq_index(g, seq_db, file, text, len), 12000);
    cq_index *idx;
    ck_assert_int_eq(cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err), 0);
    ck_assert_int_eq(cq_ingest_path(g, idx, file), 0);
    cq_index_close(idx);
    cq_ingest_free(g);
    sqlite3 *sdb;
    ck_assert_int_eq(sqlite3_open(db, &sdb), SQLITE_OK);
    ck_assert_int_eq(one_int(sdb, "SELECT sum(n_rows) FROM blocks"), 12000);
    ck_assert_int_eq(one_int(sdb, "SELECT n_records FROM files"), 12000);
    sqlite3_close(sdb);
    same_records(&t, seq_db, db, 12000);
    free(text);
    tdir_remove(&t);
}
END_TEST

/* ---- docker run across parallel jobs ---- */

#define PAR_LINE 128                            /* bytes per line, newline included */
#define PAR_JOB_LINES ((4u << 20) / PAR_LINE)   /* a 4 MiB job (parallel.c JOB_BYTES) */
#define RUNS_LINES (4 * PAR_JOB_LINES + 10)      /* test_docker_run_across_jobs's file */

/* One dockerd text line padded to PAR_LINE bytes, so jobs end at known lines. */
static void par_line(cq_strbuf *sb, const char *hms, const char *msg)
{
    size_t at = sb->len;
    cq_strbuf_addf(sb, "time=\"2024-05-01T%s.000000000Z\" level=debug msg=\"%s\" pad=", hms, msg);
    ck_assert_uint_lt(sb->len - at, PAR_LINE - 1);
    while (sb->len - at < PAR_LINE - 1)
        cq_strbuf_addc(sb, 'x');
    cq_strbuf_addc(sb, '\n');
}

/* Job k's lines: first (may be NULL), fillers at hms, last (may be NULL). */
static void par_job(cq_strbuf *sb, const char *hms, const char *first, const char *first_hms,
                    const char *last, unsigned n_lines)
{
    if (first)
        par_line(sb, first_hms, first);
    for (unsigned i = (first != NULL) + (last != NULL); i < n_lines; i++)
        par_line(sb, hms, "Calling GET /v1.43/containers/json");
    if (last)
        par_line(sb, hms, last);
}

static int runs_sink(void *ctx, const cq_record *r)
{
    const char *cmd = vals(r, "command");      /* vals() reuses one buffer: copy */
    if (cmd) {
        char line[256];
        int n = snprintf(line, sizeof line, "%s,", cmd);
        const char *k = vals(r, "container_id");
        snprintf(line + n, sizeof line - (size_t)n, "%s", k ? k : vals(r, "container"));
        /* "command,k" -> "k,command" */
        char swapped[256];
        snprintf(swapped, sizeof swapped, "%s,%.*s\n", line + n, n - 1, line);
        cq_strbuf_add(ctx, swapped, strlen(swapped));
    }
    return 0;
}

/* The sink's lines, sorted, under a CSV header (what the search prints). */
static char *sorted_csv(cq_strbuf *lines)
{
    char *v[64];
    size_t n = 0;
    for (char *p = lines->buf, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
        ck_assert_uint_lt(n, 64);
        *nl = '\0';
        v[n++] = p;
    }
    qsort(v, n, sizeof *v, cmp_lines);
    cq_strbuf out = CQ_STRBUF_INIT;
    cq_strbuf_addf(&out, "k,command\n");
    for (size_t i = 0; i < n; i++)
        cq_strbuf_addf(&out, "%s\n", v[i]);
    return out.buf;
}

/* Jobs re-run sequentially by a parallel ingest of path (rolled back). */
static unsigned long par_reruns(cq_ingest *g, const char *db, const char *path)
{
    char err[512];
    cq_index *idx;
    cq_input *in;
    ck_assert_msg(cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(cq_index_file_begin(idx), 0);
    ck_assert_int_eq(cq_input_open(path, &in), 0);
    cq_par_result res = {.per_st = cq_xcalloc(g->conf->n_sts + 1, sizeof *res.per_st)};
    ck_assert_int_eq(cq_par_scan(g, idx, in, path, 0, &res), 0);
    cq_index_file_rollback(idx);
    cq_input_close(in);
    cq_index_close(idx);
    free(res.per_st);
    return res.n_sequential;
}

/* The daemon log of test_docker_run_across_jobs, in text and in file. */
static void runs_file(cq_strbuf *text, const char *file)
{
    par_job(text, "10:00:00", NULL, NULL, CREATE("across"), PAR_JOB_LINES);
    par_job(text, "10:00:30", START("a1"), "10:00:30", NULL, PAR_JOB_LINES - 1);
    par_line(text, "10:01:00", CREATE("late"));
    par_job(text, "10:02:01", START("b2"), "10:02:01", CREATE("carried"), PAR_JOB_LINES);
    par_job(text, "10:02:30", NULL, NULL, NULL, PAR_JOB_LINES);
    par_job(text, "10:02:52", START("c3"), "10:02:50", START("c3"), 10);
    ck_assert_uint_eq(text->len, RUNS_LINES * PAR_LINE);
    FILE *f = fopen(file, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text->buf, 1, text->len, f), text->len);
    fclose(f);
}

/*
 * A create ends one 4 MB job and its start begins the next: the parallel
 * ingest re-runs that job and gets the sequential pipeline's commands.  A
 * start 61 s after the create that ends its job keeps the job parallel; a
 * create carried through a whole job without starts still pairs after it.
 * Every other record, and every field, matches the sequential pipeline's.
 */
START_TEST(test_docker_run_across_jobs)
{
    test_env("CQUERY_BIN");            /* searches the index with the binary */
    tdir t;
    tdir_make(&t, "run");
    char file[256], db[256], seq_db[256], db2[256], out[256], errf[256], err[512];
    tdir_path(&t, "daemon.log", file, sizeof file);
    tdir_path(&t, "idx.db", db, sizeof db);
    tdir_path(&t, "seq.db", seq_db, sizeof seq_db);
    tdir_path(&t, "rerun.db", db2, sizeof db2);
    tdir_path(&t, "out.csv", out, sizeof out);
    tdir_path(&t, "err.txt", errf, sizeof errf);
    cq_strbuf text = CQ_STRBUF_INIT;
    runs_file(&text, file);
    static const char want[] = "k,command\na1,docker run\nacross,docker create\n"
        "b2,docker start\nc3,docker run\nc3,docker start\ncarried,docker create\n"
        "late,docker create\n";

    char *cp = conf_path();
    cq_ingest_opts o = {.conf_path = cp, .err = stderr};
    cq_ingest *g;
    ck_assert_int_eq(cq_ingest_new(&o, &g, err, sizeof err), 0);
    free(cp);
    cq_strbuf lines = CQ_STRBUF_INIT;
    ck_assert_int_eq(cq_ingest_buffer(g, file, text.buf, text.len, runs_sink, &lines), 0);
    char *seq = sorted_csv(&lines);
    ck_assert_str_eq(seq, want);
    ck_assert_int_eq(seq_index(g, seq_db, file, text.buf, text.len), RUNS_LINES);
    cq_index *idx;
    ck_assert_int_eq(cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err), 0);
    ck_assert_int_eq(cq_ingest_path(g, idx, file), 0);
    cq_index_close(idx);

    char *argv[] = {(char *)test_env("CQUERY_BIN"), "search", "--index", db, "--format", "csv",
        "command=* | eval k=coalesce(container_id, container) | sort 0 k command "
        "| table k command", NULL};
    ck_assert_int_eq(test_wait(test_spawn(argv, out, errf)), 0);
    size_t len;
    char *got = slurp(out, &len);
    ck_assert_str_eq(got, seq);
    same_records(&t, seq_db, db, RUNS_LINES);    /* and every other field of every line */
    /* Only jobs 2 (a1 pairs with the create before it) and 5 (c3 with the carried one). */
    ck_assert_uint_eq(par_reruns(g, db2, file), 2);
    cq_ingest_free(g);
    free(got);
    free(seq);
    cq_strbuf_free(&lines);
    cq_strbuf_free(&text);
    tdir_remove(&t);
}
END_TEST

void ingest_par_tests(Suite *s, TCase *tc)
{
    tcase_add_test(tc, test_parallel_matches_sequential);
    tcase_add_test(tc, test_docker_run_across_jobs);
    TCase *crash = tcase_create("crash");
    tcase_set_timeout(crash, 120);
    tcase_add_test(crash, test_kill_during_ingest);
    tcase_add_test(crash, test_two_ingests_at_once);
    suite_add_tcase(s, crash);
}

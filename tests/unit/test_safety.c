/*
 * test_safety.c - hostile input, crashes and load (issue 7).
 *
 *   fuzz      every seed and every input that once failed a fuzz target
 *             (tests/fuzz/corpus_* and crashers_*), through the target bodies
 *   terminal  no control sequence from a log reaches the terminal: table
 *             output, `cquery sources`, error messages
 *   csv/json  CSV formula cells defused (--csv-raw keeps them), JSON rows
 *             valid even when the log is not UTF-8
 *   inject    quotes, ;, SQL comments, NULs and unicode in field names and
 *             values, in logs and queries: right results, index intact
 *   bounds    --timeout, --max-memory, catastrophic regexes, a 100 MB line,
 *             10,000-deep JSON, a file of NULs
 *   load      searches during an ingest, two ingests at once, a busy index
 *
 * CLI tests run the real binary ($CQUERY_BIN; `make check-valgrind` points
 * it at tests/valgrind-cquery.sh).  Tests that need more than a few seconds
 * of CPU skip under valgrind ($CQUERY_VALGRIND_LOGS set).
 */
#include "tests/unit/suites.h"
#include "cli/output.h"
#include "common/strbuf.h"
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>


/* ---------------------------------------------------------------- helpers */

static const char *bin(void)
{
    return test_env("CQUERY_BIN");
}

static int under_valgrind(void)
{
    return getenv("CQUERY_VALGRIND_LOGS") != NULL;
}

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void spit_n(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fwrite(text, 1, len, f) == len);
    fclose(f);
}

static void spit(const char *path, const char *text)
{
    spit_n(path, text, strlen(text));
}

/* A temporary directory per test, removed by done(). */
typedef struct tmpdir {
    char dir[64];
    char index[128];
    char out[128], err[128];
} tmpdir;

static void tmp_make(tmpdir *t)
{
    strcpy(t->dir, "/tmp/cq-safety-XXXXXX");
    ck_assert(mkdtemp(t->dir) != NULL);
    snprintf(t->index, sizeof t->index, "%s/index.db", t->dir);
    snprintf(t->out, sizeof t->out, "%s/stdout", t->dir);
    snprintf(t->err, sizeof t->err, "%s/stderr", t->dir);
}

static void tmp_path(const tmpdir *t, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", t->dir, name);
}

static void tmp_done(tmpdir *t)
{
    test_rmdir(t->dir);
}

/* Starts argv (NULL-terminated) with stdout/stderr to files; returns the pid. */
static pid_t start(char **argv, const char *out, const char *err)
{
    return test_spawn(argv, out, err);
}

static int finish(pid_t pid)
{
    return test_wait(pid);
}

/* Runs cquery with the given arguments (NULL-terminated); returns its exit
 * status, stdout in t->out, stderr in t->err. */
static int cq_run(const tmpdir *t, const char *const *args)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin();
    for (; *args && n < 31; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return finish(start(argv, t->out, t->err));
}

static int ingest(const tmpdir *t, const char *path, const char *sourcetype)
{
    if (sourcetype) {
        const char *a[] = {"ingest", "--index", t->index, "--sourcetype", sourcetype, path, NULL};
        return cq_run(t, a);
    }
    const char *a[] = {"ingest", "--index", t->index, path, NULL};
    return cq_run(t, a);
}

static int search(const tmpdir *t, const char *format, const char *query)
{
    const char *a[] = {"search", "--index", t->index, "--format", format, query, NULL};
    return cq_run(t, a);
}

/* Output of the last run (caller frees). */
static char *out_of(const tmpdir *t, size_t *len)
{
    return test_slurp(t->out, len);
}

static char *err_of(const tmpdir *t)
{
    return test_slurp(t->err, NULL);
}

/* The first byte that a terminal would act on, or -1: C0 controls except
 * newline, DEL, C1 controls (raw or UTF-8 encoded), bidi overrides. */
static long first_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7F)
            return (long)i;
        if (p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            return (long)i;
        if (p[i] == 0xE2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] >= 0xAA &&
            p[i + 2] <= 0xAE)
            return (long)i;
        if (p[i] >= 0x80 && p[i] <= 0x9F && (i == 0 || p[i - 1] < 0x80))
            return (long)i;     /* a raw C1 byte (8-bit terminals read CSI) */
    }
    return -1;
}

static void assert_no_control(const char *what, const char *s, size_t len)
{
    long at = first_control(s, len);
    ck_assert_msg(at < 0, "%s: control byte 0x%02x at %ld in:\n%.*s", what,
                  at < 0 ? 0 : (unsigned char)s[at], at, (int)(len > 2000 ? 2000 : len), s);
}

static sqlite3_int64 sql_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    ck_assert(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    ck_assert(sqlite3_step(st) == SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void assert_integrity(const char *db_path)
{
    sqlite3 *db;
    ck_assert(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    ck_assert(sqlite3_step(st) == SQLITE_ROW);
    const char *r = (const char *)sqlite3_column_text(st, 0);
    ck_assert_msg(r && !strcmp(r, "ok"), "integrity_check: %s", r ? r : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* `search ... | stats count` as a number, or -1 when the search failed. */
static long count_of(const tmpdir *t, const char *query)
{
    char q[4096];
    snprintf(q, sizeof q, "%s | stats count", query);
    if (search(t, "csv", q) != 0)
        return -1;
    char *o = out_of(t, NULL);
    long n = -1;
    if (!strncmp(o, "count\n", 6))
        n = strtol(o + 6, NULL, 10);
    free(o);
    return n;
}

/* ------------------------------------------------------------------ fuzz */

#define MAX_REPLAY 1024
static char *replay_ingest[MAX_REPLAY], *replay_regex[MAX_REPLAY], *replay_index[MAX_REPLAY];
static int n_replay_ingest, n_replay_regex, n_replay_index;

static void list_dir(const char *sub, char **out, int *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", test_srcdir(), sub);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && *n < MAX_REPLAY) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
            continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        out[(*n)++] = strdup(p);
    }
    closedir(d);
}

START_TEST(fuzz_ingest_replay)
{
    size_t len;
    char *data = test_slurp(replay_ingest[_i], &len);
    ck_assert_msg(data != NULL, "cannot read %s", replay_ingest[_i]);
    cq_fuzz_ingest((const uint8_t *)data, len);
    free(data);
}
END_TEST

START_TEST(fuzz_index_replay)
{
    size_t len;
    char *data = test_slurp(replay_index[_i], &len);
    ck_assert_msg(data != NULL, "cannot read %s", replay_index[_i]);
    cq_fuzz_index((const uint8_t *)data, len);
    free(data);
}
END_TEST

START_TEST(fuzz_regex_replay)
{
    size_t len;
    char *data = test_slurp(replay_regex[_i], &len);
    ck_assert_msg(data != NULL, "cannot read %s", replay_regex[_i]);
    cq_fuzz_regex((const uint8_t *)data, len);
    free(data);
}
END_TEST

/* -------------------------------------------------------------- terminal */

static char *put_safe_str(const char *s, size_t len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cq_put_safe(f, s, len);
    fclose(f);
    return buf;
}

START_TEST(put_safe_every_byte)
{
    /* every single byte: printable ASCII as is, the rest escaped */
    for (int c = 0; c < 256; c++) {
        char in = (char)c;
        char *o = put_safe_str(&in, 1);
        if (c >= 0x20 && c < 0x7F) {
            ck_assert_msg(strlen(o) == 1 && o[0] == c, "byte 0x%02x", c);
        } else {
            char want[8];
            snprintf(want, sizeof want, "\\x%02x", c);
            ck_assert_msg(!strcmp(o, want), "byte 0x%02x gave \"%s\"", c, o);
        }
        ck_assert_int_eq(cq_safe_width(&in, 1), strlen(o));
        free(o);
    }
    /* every C1 control, UTF-8 encoded: escaped as \u0080..\u009f */
    for (int c = 0x80; c < 0xA0; c++) {
        char in[2] = {(char)0xC2, (char)c}, want[8];
        char *o = put_safe_str(in, 2);
        snprintf(want, sizeof want, "\\u%04x", c);
        ck_assert_msg(!strcmp(o, want), "U+%04X gave \"%s\"", c, o);
        ck_assert_int_eq(cq_safe_width(in, 2), 6);
        free(o);
    }
}
END_TEST

START_TEST(put_safe_sequences)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        {"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},             /* SGR */
        {"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"},                  /* OSC title */
        {"\x1b]8;;http://x\x1b\\link", "\\x1b]8;;http://x\\x1b\\link"}, /* hyperlink */
        {"a\rb\bc\td", "a\\x0db\\x08c\\x09d"},
        {"line\nnext", "line\\x0anext"},
        {"\xc2\x9b" "2J", "\\u009b2J"},                             /* C1 CSI */
        {"\x9b" "2J", "\\x9b2J"},                                    /* raw CSI */
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"},
        {"evil\xe2\x80\xaegnp.exe", "evil\\u202egnp.exe"},          /* RLO */
        {"\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069"},           /* isolates */
        {"\xc0\xaf", "\\xc0\\xaf"},                                 /* overlong */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},                        /* surrogate */
        {"\xe2\x82", "\\xe2\\x82"},                                 /* truncated */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},               /* > U+10FFFF */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *o = put_safe_str(t[i].in, strlen(t[i].in));
        ck_assert_msg(!strcmp(o, t[i].out), "case %zu: \"%s\", want \"%s\"", i, o, t[i].out);
        free(o);
    }
    char nul[] = "a\0b";
    char *o = put_safe_str(nul, 3);
    ck_assert_str_eq(o, "a\\x00b");
    free(o);
}
END_TEST

static char *put_cut_str(const char *s, size_t width, size_t *printed)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    *printed = cq_put_cut(f, s, strlen(s), width);
    fclose(f);
    return buf;
}

/* Cells cut to a terminal's width: whole characters and escapes before
 * the ellipsis, and exactly the width asked for. */
START_TEST(put_cut_keeps_characters_whole)
{
    static const struct {
        const char *in;
        size_t width;
        const char *out;
    } t[] = {
        {"abcdef", 6, "abcdef"},                     /* fits: untouched */
        {"abcdef", 10, "abcdef"},
        {"abcdef", 5, "abcd\xE2\x80\xA6"},
        {"abcdef", 1, "\xE2\x80\xA6"},
        {"abcdef", 0, ""},
        {"h\xC3\xA9llo w", 4, "h\xC3\xA9l\xE2\x80\xA6"},   /* two bytes, one character */
        {"ab\x1b[2J", 4, "ab\xE2\x80\xA6"},          /* \x1b (4 wide) does not fit in 1 */
        {"ab\x1b[2J", 7, "ab\\x1b\xE2\x80\xA6"},
        {"\xE2\x80\xAE" "evil", 3, "\xE2\x80\xA6"},      /* \u202e is 6 wide */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t w;
        char *o = put_cut_str(t[i].in, t[i].width, &w);
        ck_assert_msg(!strcmp(o, t[i].out), "case %zu: \"%s\", want \"%s\"", i, o, t[i].out);
        size_t whole = cq_safe_width(t[i].in, strlen(t[i].in));
        ck_assert_msg(whole <= t[i].width ? w == whole : w <= t[i].width && (w > 0) == (t[i].width > 0),
                      "case %zu: width %zu", i, w);
        ck_assert_int_eq(w, cq_safe_width(o, strlen(o)));
        free(o);
    }
}
END_TEST

/* A log whose values and field names carry terminal escapes. */
static const char evil_log[] =
    "{\"_time\":1767225600,\"msg\":\"\\u001b]0;pwned\\u0007\\u001b[2Jcleared\","
    "\"user\":\"root\\u001b[8m hidden\",\"c1\":\"\\u009b31m\","
    "\"bidi\":\"evil\\u202egnp.exe\",\"k\\u001b[1m\":\"v\"}\n";

START_TEST(table_output_escapes)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "evil.json", log, sizeof log);
    spit(log, evil_log);
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    /* the default event view, every field, and a table of chosen fields */
    const char *queries[] = {"*", "* | table *", "* | table msg user c1 bidi"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(search(&t, "table", queries[i]), 0);
        size_t len;
        char *o = out_of(&t, &len);
        assert_no_control(queries[i], o, len);
        free(o);
    }
    ck_assert_int_eq(search(&t, "table", "* | table msg bidi"), 0);
    char *o = out_of(&t, NULL);
    ck_assert_msg(strstr(o, "\\x1b]0;pwned\\x07\\x1b[2Jcleared"), "%s", o);
    ck_assert_msg(strstr(o, "evil\\u202egnp.exe"), "%s", o);
    free(o);
    tmp_done(&t);
}
END_TEST

START_TEST(sources_names_escaped)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "evil\x1b[31m\x9b\xe2\x80\xae.json", log, sizeof log);
    spit(log, "{\"_time\":1767225600,\"a\":\"b\"}\n");
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    const char *a[] = {"sources", "--index", t.index, NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    size_t len;
    char *o = out_of(&t, &len);
    assert_no_control("cquery sources", o, len);
    ck_assert_msg(strstr(o, "evil\\x1b[31m\\x9b\\u202e.json"), "%s", o);
    free(o);
    tmp_done(&t);
}
END_TEST

/* Messages that echo what a log or a query holds. */
START_TEST(errors_escaped)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "bad\x1b[2J.log", log, sizeof log);
    spit(log, "{\"kind\":\"\x1b]0;x\x07\n\x1b[2Jnot a log line at all\x1b[0m\n"
              "time=\"2024-05-01T10:00:00Z\" level=info msg=\"ok\"\n");
    ingest(&t, log, NULL);
    char *e = err_of(&t);
    assert_no_control("ingest's malformed-line report", e, strlen(e));
    free(e);
    /* a query (e.g. from an untrusted .spl file) with escapes in it */
    const char *bad[] = {"search \x1b[2J x=\"\x1b]0;t\x07", "search x=\xc2\x9b\xe2\x80\xae | bogus",
                         "search \x9b x=(", "| eval x=match(y, \"\x1b[(\")"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(search(&t, "csv", bad[i]), 2);
        e = err_of(&t);
        assert_no_control("query error", e, strlen(e));
        free(e);
    }
    tmp_done(&t);
}
END_TEST

/* ----------------------------------------------------------- csv / json */

static const char formula_log[] =
    "{\"_time\":1767225600,\"cmd\":\"=cmd|' /C calc'!A0\",\"plus\":\"+1+1\","
    "\"minus\":\"-2+3\",\"at\":\"@SUM(A1:A9)\",\"tab\":\"\\tx\",\"cr\":\"\\r=1\","
    "\"num\":\"-5\",\"exp\":\"+1.5e3\",\"plain\":\"a=b\",\"quoted\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\","
    "\"=name\":\"v\"}\n";

START_TEST(csv_formulas_defused)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "f.json", log, sizeof log);
    spit(log, formula_log);
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    const char *q = "* | table cmd plus minus at tab cr num exp plain quoted \"=name\"";
    ck_assert_int_eq(search(&t, "csv", q), 0);
    char *o = out_of(&t, NULL);
    ck_assert_str_eq(o, "cmd,plus,minus,at,tab,cr,num,exp,plain,quoted,'=name\n"
                        "'=cmd|' /C calc'!A0,'+1+1,'-2+3,'@SUM(A1:A9),'\tx,\"'\r=1\",-5,+1.5e3,"
                        "a=b,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",v\n");
    free(o);
    const char *a[] = {"search", "--index", t.index, "--format", "csv", "--csv-raw", q, NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    o = out_of(&t, NULL);
    ck_assert_str_eq(o, "cmd,plus,minus,at,tab,cr,num,exp,plain,quoted,=name\n"
                        "=cmd|' /C calc'!A0,+1+1,-2+3,@SUM(A1:A9),\tx,\"\r=1\",-5,+1.5e3,"
                        "a=b,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",v\n");
    free(o);
    tmp_done(&t);
}
END_TEST

START_TEST(json_always_valid)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "e.json", log, sizeof log);
    spit(log, "{\"_time\":1767225600,\"msg\":\"caf\u00e9 \\u001b[1m\",\"k\\u0001\":\"v\"}\n");
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    /* invalid UTF-8 made by the query: urldecode of stray bytes, half a character */
    ck_assert_int_eq(search(&t, "json", "* | eval bad=urldecode(\"ok%ff%fe-%c3\"), "
                                        "half=substr(msg, 4, 1), both=mvappend(bad, \"x\")"), 0);
    size_t len;
    char *o = out_of(&t, &len);
    ck_assert_msg(len > 0, "no output");
    int lines = 0;
    for (char *l = strtok(o, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        json_error_t err;
        json_t *j = json_loads(l, 0, &err);
        ck_assert_msg(j != NULL, "invalid JSON (%s): %s", err.text, l);
        const char *bad = json_string_value(json_object_get(j, "bad"));
        ck_assert_msg(bad && !strcmp(bad, "ok\xef\xbf\xbd\xef\xbf\xbd-\xef\xbf\xbd"),
                      "the valid part kept, each bad byte U+FFFD: %s", l);
        ck_assert_msg(json_is_array(json_object_get(j, "both")), "%s", l);
        ck_assert_msg(json_object_get(j, "k\x01") != NULL, "control in a key kept: %s", l);
        ck_assert_msg(!memchr(l, 0x1b, strlen(l)), "raw ESC in JSON: %s", l);
        json_decref(j);
    }
    ck_assert_int_eq(lines, 1);
    free(o);
    tmp_done(&t);
}
END_TEST

/* ---------------------------------------------------------------- inject */

START_TEST(injection_names_and_values)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "inject.json", log, sizeof log);
    spit(log,
         "{\"_time\":1767225600,\"q'uote\":\"it's\",\"semi;colon\":\"a; DROP TABLE blocks; --\","
         "\"dq\\\"name\":\"say \\\"hi\\\"\",\"cmt\":\"x /* y */ -- z\",\"uni\":\"\xd0\xbf\xd1\x80\xd0\xb8"
         "\xd0\xb2\xd0\xb5\xd1\x82 \xf0\x9f\x90\xb3\",\"nul\":\"a\\u0000b\",\"n\\u0000ame\":\"v\","
         "\"sql\":\"') OR 1=1; --\"}\n"
         "{\"_time\":1767225601,\"sql\":\"plain\"}\n");
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    long blocks = (long)sql_int(t.index, "SELECT count(*) FROM blocks");
    static const struct {
        const char *q;
        long n;
    } cases[] = {
        {"semi;colon=\"a; DROP TABLE blocks; --\"", 1},
        {"sql=\"') OR 1=1; --\"", 1},
        {"sql=\"*' OR '1'='1*\"", 0},
        {"cmt=\"x /* y */ -- z\"", 1},
        {"\"DROP TABLE\"", 1},
        {"uni=\"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82*\"", 1},
        {"\"\xf0\x9f\x90\xb3\"", 1},
        {"sourcetype=\"_json' OR 1=1 --\"", 0},
        {"sourcetype=\"_json\" OR sourcetype=\"x'; DELETE FROM blocks; --\"", 2},
        {"source=\"*'*\"", 0},
        {"* | where like(sql, \"%'%\")", 1},
        {"* | eval x=\"'; DROP TABLE files; --\" | where x=\"'; DROP TABLE files; --\"", 2},
        {"sql=plain", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long n = count_of(&t, cases[i].q);
        char *e = err_of(&t);
        ck_assert_msg(n == cases[i].n, "%s: %ld rows, want %ld %s", cases[i].q, n, cases[i].n, e);
        free(e);
    }
    /* field names with quotes and semicolons come back as written */
    ck_assert_int_eq(search(&t, "csv", "sql=* NOT sql=plain | table semi;colon"), 0);
    char *o = out_of(&t, NULL);
    ck_assert_str_eq(o, "semi;colon\na; DROP TABLE blocks; --\n");
    free(o);
    assert_integrity(t.index);
    ck_assert_int_eq(sql_int(t.index, "SELECT count(*) FROM blocks"), blocks);
    ck_assert_int_eq(sql_int(t.index, "SELECT count(*) FROM files"), 1);
    tmp_done(&t);
}
END_TEST

/* ---------------------------------------------------------------- bounds */

START_TEST(catastrophic_regex_cut_off)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "a.json", log, sizeof log);
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_adds(&sb, "{\"_time\":1767225600,\"s\":\"");
    for (int i = 0; i < 5000; i++)
        cq_strbuf_addc(&sb, 'a');
    cq_strbuf_adds(&sb, "!\"}\n");
    spit(log, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    double t0 = now_s();
    ck_assert_int_eq(search(&t, "csv", "* | eval m=match(s, \"(a+)+$\")"), 2);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "regex gave up"), "%s", e);
    ck_assert_msg(strstr(e, "^"), "the error points at the regex: %s", e);
    free(e);
    int rex = search(&t, "csv", "* | rex field=s \"(?<x>(a+)+$)\"");
    e = err_of(&t);
    if (!strstr(e, "unknown command") && !strstr(e, "not supported")) {
        ck_assert_msg(rex == 2 && strstr(e, "regex gave up"), "rex: exit %d: %s", rex, e);
    }
    free(e);
    ck_assert_msg(now_s() - t0 < (under_valgrind() ? 600 : 20), "took %.1f s", now_s() - t0);
    tmp_done(&t);
}
END_TEST

/* A 100 MB line, a 10,000-deep JSON document and a file of NULs: each bad
 * line is reported with its file and line, the good lines around it kept. */
START_TEST(bad_lines_rejected)
{
    if (under_valgrind())
        return;     /* 100 MB through memcheck: minutes; ASan covers it */
    tmpdir t;
    tmp_make(&t);
    char big[200], deep[200], nuls[200];
    tmp_path(&t, "big.log", big, sizeof big);
    tmp_path(&t, "deep.json", deep, sizeof deep);
    tmp_path(&t, "nuls.log", nuls, sizeof nuls);
    const char good[] = "time=\"2024-05-01T10:00:00Z\" level=info msg=\"before\"\n";
    const char good2[] = "time=\"2024-05-01T10:00:01Z\" level=info msg=\"after\"\n";
    FILE *f = fopen(big, "wb");
    ck_assert(f != NULL);
    fputs(good, f);
    fputs("time=\"2024-05-01T10:00:00Z\" level=info msg=\"", f);
    static char chunk[1 << 20];
    memset(chunk, 'A', sizeof chunk);
    for (int i = 0; i < 100; i++)
        ck_assert(fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk);
    fputs("\"\n", f);
    fputs(good2, f);
    fclose(f);

    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_adds(&sb, "{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Event\",\"level\":\"Metadata\","
                        "\"auditID\":\"a1\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
                        "\"requestURI\":\"/api\",\"requestReceivedTimestamp\":\"2024-05-01T10:00:00Z\"}\n");
    cq_strbuf_adds(&sb, "{\"x\":");
    for (int i = 0; i < 10000; i++)
        cq_strbuf_adds(&sb, "{\"a\":");
    cq_strbuf_adds(&sb, "1");
    for (int i = 0; i < 10001; i++)
        cq_strbuf_addc(&sb, '}');
    cq_strbuf_addc(&sb, '\n');
    for (int i = 0; i < 10000; i++)
        cq_strbuf_addc(&sb, '[');
    cq_strbuf_addc(&sb, '\n');
    cq_strbuf_adds(&sb, "{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Event\",\"level\":\"Metadata\","
                        "\"auditID\":\"a2\",\"stage\":\"ResponseComplete\",\"verb\":\"list\","
                        "\"requestURI\":\"/api\",\"requestReceivedTimestamp\":\"2024-05-01T10:00:01Z\"}\n");
    spit_n(deep, sb.buf, sb.len);
    cq_strbuf_free(&sb);

    static char zeros[1 << 16];
    memset(zeros, 0, sizeof zeros);
    f = fopen(nuls, "wb");
    ck_assert(f != NULL);
    fputs(good, f);
    fwrite(zeros, 1, sizeof zeros, f);
    fputc('\n', f);
    fwrite(zeros, 1, 100, f);
    fputc('\n', f);
    fputs(good2, f);
    fclose(f);

    const struct {
        const char *path, *sourcetype;
        long records;
        const char *line;   /* "FILE:LINE" that must be reported */
    } cases[] = {
        {big, "docker:daemon", 2, "big.log:2:"},
        {deep, NULL, 2, "deep.json:2:"},
        {nuls, NULL, 2, "nuls.log:2:"},
    };
    for (size_t i = 0; i < 3; i++) {
        tmpdir u;
        tmp_make(&u);
        double t0 = now_s();
        int rc = ingest(&u, cases[i].path, cases[i].sourcetype);
        char *e = err_of(&u);
        ck_assert_msg(rc == 0, "%s: exit %d: %s", cases[i].path, rc, e);
        ck_assert_msg(strstr(e, cases[i].line), "%s: no report of %s: %s", cases[i].path,
                      cases[i].line, e);
        assert_no_control("ingest report", e, strlen(e));
        free(e);
        long n = count_of(&u, "*");
        ck_assert_msg(n == cases[i].records, "%s: %ld records, want %ld", cases[i].path, n,
                      cases[i].records);
        ck_assert_msg(now_s() - t0 < 60, "%s: took %.1f s", cases[i].path, now_s() - t0);
        assert_integrity(u.index);
        tmp_done(&u);
    }
    tmp_done(&t);
}
END_TEST

/* Writes `count` generated audit events (cquery-gen, seed `seed`) to path. */
static void gen_audit(const char *path, int count, int seed)
{
    const char *gen = test_env("CQUERY_GEN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' audit --count %d --seed %d > '%s'", gen, count, seed, path);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(timeout_and_max_memory)
{
    if (under_valgrind())
        return;     /* tens of thousands of events: ASan covers it */
    test_env("CQUERY_GEN");
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "audit.log", log, sizeof log);
    gen_audit(log, 30000, 1);
    ck_assert_int_eq(ingest(&t, log, NULL), 0);
    /* one group per event: a request's stages share its auditID */
    const char *q = "* | stats count by auditID, stage | stats count";
    /* a deadline already past when the first block is read */
    const char *a1[] = {"search", "--index", t.index, "--timeout", "0.000001", q, NULL};
    ck_assert_int_eq(cq_run(&t, a1), 3);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "search stopped: it ran longer than 1e-06 s (--timeout)"), "%s", e);
    free(e);
    /* 30,000 distinct values need more than 1 MB: a clean error, no crash */
    const char *a2[] = {"search", "--index", t.index, "--max-memory", "1M", q, NULL};
    ck_assert_int_eq(cq_run(&t, a2), 3);
    e = err_of(&t);
    ck_assert_msg(strstr(e, "search stopped: it needed more than 1 MB of memory (--max-memory)"),
                  "%s", e);
    free(e);
    /* within generous bounds the same search completes */
    const char *a3[] = {"search", "--index", t.index, "--format", "csv", "--max-memory", "8G",
                        "--timeout", "600", q, NULL};
    ck_assert_int_eq(cq_run(&t, a3), 0);
    char *o = out_of(&t, NULL);
    ck_assert_str_eq(o, "count\n30000\n");
    free(o);
    /* bad values are usage errors */
    static const char *const bad[][2] = {
        {"--timeout", "abc"}, {"--timeout", "0"}, {"--timeout", "-1"},
        {"--max-memory", "12X"}, {"--max-memory", "0"}, {"--max-memory", "M"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *a[] = {"search", "--index", t.index, bad[i][0], bad[i][1], "*", NULL};
        ck_assert_msg(cq_run(&t, a) == 2, "%s %s accepted", bad[i][0], bad[i][1]);
        e = err_of(&t);
        ck_assert_msg(strstr(e, bad[i][0]), "%s", e);
        free(e);
    }
    tmp_done(&t);
}
END_TEST

/* The bounds hold after the scan too (issue 14): one event read, then
 * operators that loop and grow on their own (mvexpand to 100 million rows;
 * 400,000 groups of stats) are stopped by the check in front of every
 * operator's next(), exit 3. */
START_TEST(bounds_after_the_scan)
{
    test_env("CQUERY_GEN");
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "audit.log", log, sizeof log);
    gen_audit(log, 100, 1);
    ck_assert_int_eq(ingest(&t, log, NULL), 0);
    const char *q1 = "* | head 1 | eval m=mvrange(0,10000) | mvexpand m"
                     " | eval n=mvrange(0,10000) | mvexpand n | stats count";
    const char *a1[] = {"search", "--index", t.index, "--timeout", "1", q1, NULL};
    ck_assert_int_eq(cq_run(&t, a1), 3);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "search stopped: it ran longer than 1 s (--timeout)"), "%s", e);
    free(e);
    const char *q2 = "* | head 1 | eval m=mvrange(0,10000) | mvexpand m | eval n=mvrange(0,40)"
                     " | mvexpand n | eval s=m.\"-\".n.\"-padding-to-make-the-group-key-longer\""
                     " | stats count by s | stats count";
    const char *a2[] = {"search", "--index", t.index, "--max-memory", "40M", q2, NULL};
    ck_assert_int_eq(cq_run(&t, a2), 3);
    e = err_of(&t);
    ck_assert_msg(strstr(e, "search stopped: it needed more than 40 MB of memory (--max-memory)"),
                  "%s", e);
    free(e);
    /* hunt: per analytic; the slow one is reported, the next one runs */
    char slow[200], fast[200];
    tmp_path(&t, "slow.spl", slow, sizeof slow);
    tmp_path(&t, "fast.spl", fast, sizeof fast);
    FILE *f = fopen(slow, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# id: SLOW-1\n# title: slow\n%s\n", q1);
    fclose(f);
    f = fopen(fast, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# id: FAST-1\n# title: fast\n* | stats count\n", f);
    fclose(f);
    const char *a3[] = {"hunt", "--index", t.index, "--timeout", "1", slow, fast, NULL};
    ck_assert_int_eq(cq_run(&t, a3), 3);
    e = err_of(&t);
    ck_assert_msg(strstr(e, "slow.spl: error: search stopped: it ran longer than 1 s (--timeout)"),
                  "%s", e);
    free(e);
    char *o = out_of(&t, NULL);
    ck_assert_msg(strstr(o, "== FAST-1: fast (1 hit)\ncount\n100\n"), "%s", o);
    free(o);
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ load */

#define LOAD_FILES 6
#define LOAD_EVENTS 5000

/* Searches run while an ingest writes: each sees a whole number of files
 * (ingest commits once per file), never fewer than the search before. */
START_TEST(search_during_ingest)
{
    if (under_valgrind())
        return;     /* tens of thousands of events: ASan covers it */
    test_env("CQUERY_GEN");
    tmpdir t;
    tmp_make(&t);
    char dir[200], empty[200];
    tmp_path(&t, "logs", dir, sizeof dir);
    tmp_path(&t, "empty.log", empty, sizeof empty);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    for (int i = 0; i < LOAD_FILES; i++) {
        char f[300];
        snprintf(f, sizeof f, "%s/audit-%d.log", dir, i);
        gen_audit(f, LOAD_EVENTS, i + 1);
    }
    spit(empty, "");
    ck_assert_int_eq(ingest(&t, empty, NULL), 0);      /* the index exists */
    char iout[200], ierr[200];
    tmp_path(&t, "ingest.out", iout, sizeof iout);
    tmp_path(&t, "ingest.err", ierr, sizeof ierr);
    char *ia[] = {(char *)bin(), "ingest", "--index", t.index, dir, NULL};
    double t0 = now_s();
    pid_t pid = start(ia, iout, ierr);
    long last = 0, n_searches = 0, n_mid = 0;
    int st = 0, done = 0;
    while (!done) {
        done = waitpid(pid, &st, WNOHANG) == pid;
        long n = count_of(&t, "*");
        char *e = err_of(&t);
        ck_assert_msg(n >= 0, "search failed during ingest: %s", e);
        free(e);
        ck_assert_msg(n % LOAD_EVENTS == 0, "a search saw %ld events: part of a file", n);
        ck_assert_msg(n >= last, "a search saw %ld events after one saw %ld", n, last);
        n_mid += n > 0 && n < LOAD_FILES * LOAD_EVENTS;
        last = n;
        n_searches++;
    }
    double secs = now_s() - t0;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ingest failed");
    ck_assert_int_eq(count_of(&t, "*"), LOAD_FILES * LOAD_EVENTS);
    assert_integrity(t.index);
    fprintf(stderr, "safety: %ld searches in %.1f s during an ingest of %d x %d events "
                    "(%.1f searches/s, %ld saw part of the files), all consistent\n",
            n_searches, secs, LOAD_FILES, LOAD_EVENTS, n_searches / secs, n_mid);
    tmp_done(&t);
}
END_TEST

/* Two ingests of different files into one index at once: both succeed,
 * every record once. */
START_TEST(two_ingests_different_files)
{
    if (under_valgrind())
        return;     /* tens of thousands of events: ASan covers it */
    test_env("CQUERY_GEN");
    tmpdir t;
    tmp_make(&t);
    char a[200], b[200], empty[200], o1[200], e1[200], o2[200], e2[200];
    tmp_path(&t, "a.log", a, sizeof a);
    tmp_path(&t, "b.log", b, sizeof b);
    tmp_path(&t, "empty.log", empty, sizeof empty);
    tmp_path(&t, "1.out", o1, sizeof o1);
    tmp_path(&t, "1.err", e1, sizeof e1);
    tmp_path(&t, "2.out", o2, sizeof o2);
    tmp_path(&t, "2.err", e2, sizeof e2);
    gen_audit(a, 8000, 11);
    gen_audit(b, 7000, 12);
    spit(empty, "");
    ck_assert_int_eq(ingest(&t, empty, NULL), 0);
    for (int round = 0; round < 2; round++) {    /* the second round adds nothing */
        char *ia[] = {(char *)bin(), "ingest", "--index", t.index, a, b, NULL};
        char *ib[] = {(char *)bin(), "ingest", "--index", t.index, b, a, NULL};
        pid_t p1 = start(ia, o1, e1), p2 = start(ib, o2, e2);
        int r1 = finish(p1), r2 = finish(p2);
        char *m1 = test_slurp(e1, NULL), *m2 = test_slurp(e2, NULL);
        ck_assert_msg(r1 == 0 && r2 == 0, "exit %d, %d:\n%s\n%s", r1, r2, m1, m2);
        ck_assert_msg(!strstr(m1, "locked") && !strstr(m2, "locked"), "%s\n%s", m1, m2);
        free(m1);
        free(m2);
        ck_assert_int_eq(count_of(&t, "*"), 15000);
        ck_assert_int_eq(sql_int(t.index, "SELECT count(*) FROM files WHERE n_records > 0"), 2);
    }
    /* an event is a stage of a request: auditID and stage name it */
    ck_assert_int_eq(count_of(&t, "* | dedup auditID stage"), 15000);
    assert_integrity(t.index);
    tmp_done(&t);
}
END_TEST

/* Another process holds the write lock past the busy timeout: ingest says
 * the index is busy (not SQLite's "database is locked"), searches still
 * read the last committed state. */
START_TEST(busy_index_message)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "a.json", log, sizeof log);
    spit(log, "{\"_time\":1767225600,\"a\":\"1\"}\n");
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);
    tmp_path(&t, "b.json", log, sizeof log);
    spit(log, "{\"_time\":1767225601,\"a\":\"2\"}\n");
    sqlite3 *db;
    ck_assert(sqlite3_open(t.index, &db) == SQLITE_OK);
    ck_assert(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    ck_assert_int_eq(count_of(&t, "*"), 1);             /* readers are not blocked */
    double t0 = now_s();
    int rc = ingest(&t, log, "_json");
    double waited = now_s() - t0;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    char *e = err_of(&t);
    ck_assert_msg(rc == 3, "exit %d: %s", rc, e);
    ck_assert_msg(strstr(e, "busy") && !strstr(e, "database is locked"), "%s", e);
    ck_assert_msg(waited > 5, "gave up after %.1f s", waited);
    free(e);
    ck_assert_int_eq(ingest(&t, log, "_json"), 0);       /* and works once free */
    ck_assert_int_eq(count_of(&t, "*"), 2);
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ suite */

Suite *safety_suite(void)
{
    Suite *s = suite_create("safety");
    if (!n_replay_ingest) {
        list_dir("corpus_ingest", replay_ingest, &n_replay_ingest);
        list_dir("crashers_ingest", replay_ingest, &n_replay_ingest);
        list_dir("corpus_regex", replay_regex, &n_replay_regex);
        list_dir("crashers_regex", replay_regex, &n_replay_regex);
        list_dir("corpus_index", replay_index, &n_replay_index);
    }
    TCase *tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, fuzz_ingest_replay, 0, n_replay_ingest);
    tcase_add_loop_test(tc, fuzz_regex_replay, 0, n_replay_regex);
    tcase_add_loop_test(tc, fuzz_index_replay, 0, n_replay_index);
    test_require_cases(tc, n_replay_ingest, "ingest fuzz inputs under tests/fuzz");
    test_require_cases(tc, n_replay_regex, "regex fuzz inputs under tests/fuzz");
    test_require_cases(tc, n_replay_index, "index fuzz inputs under tests/fuzz");
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, put_safe_every_byte);
    tcase_add_test(tc, put_safe_sequences);
    tcase_add_test(tc, put_cut_keeps_characters_whole);
    tcase_add_test(tc, table_output_escapes);
    tcase_add_test(tc, sources_names_escaped);
    tcase_add_test(tc, errors_escaped);
    tcase_add_test(tc, csv_formulas_defused);
    tcase_add_test(tc, json_always_valid);
    suite_add_tcase(s, tc);

    tc = tcase_create("inject");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, injection_names_and_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, catastrophic_regex_cut_off);
    tcase_add_test(tc, bad_lines_rejected);
    tcase_add_test(tc, timeout_and_max_memory);
    tcase_add_test(tc, bounds_after_the_scan);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, search_during_ingest);
    tcase_add_test(tc, two_ingests_different_files);
    tcase_add_test(tc, busy_index_message);
    suite_add_tcase(s, tc);
    return s;
}

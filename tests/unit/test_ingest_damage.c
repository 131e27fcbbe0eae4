/*
 * test_ingest_damage.c - the ingest suite, continued: hostile inputs that
 * must lose nothing (issue 14).  `after ... same` pairing at scale edges
 * (many unmatched events, duplicate keys, the window boundary); damaged gzip
 * (truncated, trailing garbage, zero padding); byte-order marks and UTF-16;
 * invalid UTF-8 and lone surrogates kept with U+FFFD.  Nothing here is timed:
 * the pairing's speed is in bench/after_pairing.sh.
 */
#include "tests/unit/suites.h"
#include "tests/unit/test_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "common/strbuf.h"
#include "index/index.h"
#include "ingest/ingest.h"
#include "ingest/ingest_int.h"

/* ---- `after ... same container_id`: docker create, then start ---- */

/* What a sink saw: each record's command, in order (malloc'd strings). */
typedef struct commands {
    char **v;
    size_t n, cap;
} commands;

static int keep_command(void *ctx, const cq_record *r)
{
    commands *c = ctx;
    if (c->n == c->cap)
        c->v = realloc(c->v, (c->cap = c->cap ? c->cap * 2 : 1024) * sizeof *c->v);
    ck_assert_ptr_nonnull(c->v);
    const char *cmd = vals(r, "command");
    c->v[c->n++] = strdup(cmd ? cmd : "");
    return 0;
}

static void commands_free(commands *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* One docker event: action of container id at t_us (microseconds). */
static void add_event(cq_strbuf *sb, const char *action, const char *id, long long t_us)
{
    cq_strbuf_addf(sb, "{\"status\":\"%s\",\"id\":\"%s\",\"Type\":\"container\",\"Action\":"
                   "\"%s\",\"Actor\":{\"ID\":\"%s\"},\"time\":%lld,\"timeNano\":%lld}\n",
                   action, id, action, id, t_us / 1000000, t_us * 1000);
}

/* Runs text through the shipped conf; fills cmds; checks nothing malformed. */
static void run_events(const cq_strbuf *text, commands *cmds)
{
    char *cp = conf_path(), err[512];
    cq_ingest_opts o = {.conf_path = cp, .err = stderr};
    cq_ingest *g;
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(cq_ingest_buffer(g, "events.json", text->buf, text->len, keep_command,
                                      cmds), 0);
    cq_ingest_free(g);
    free(cp);
}

#define T0 1772875800000000LL   /* a second of 2026 in microseconds */
#define N_MANY 20000

/* N creates, N starts of other containers (none pairs), all in one second;
 * then the N created ones start in reverse order: each pairs, once. */
START_TEST(test_after_many_unmatched)
{
    cq_strbuf text = CQ_STRBUF_INIT;
    char id[32];
    for (int i = 0; i < N_MANY; i++) {
        snprintf(id, sizeof id, "a%d", i);
        add_event(&text, "create", id, T0 + i % 1000);
    }
    for (int i = 0; i < N_MANY; i++) {
        snprintf(id, sizeof id, "b%d", i);
        add_event(&text, "start", id, T0 + 1000);
    }
    for (int i = N_MANY; i-- > 0; ) {
        snprintf(id, sizeof id, "a%d", i);
        add_event(&text, "start", id, T0 + 1000000);
        add_event(&text, "start", id, T0 + 1000000);  /* the second start finds nothing */
    }
    commands c = {0};
    run_events(&text, &c);
    ck_assert_uint_eq(c.n, 4 * N_MANY);
    size_t runs = 0, bad = 0;
    for (size_t i = 0; i < c.n; i++) {
        int want_run = i >= 2 * N_MANY && (i - 2 * N_MANY) % 2 == 0;
        int is_run = !strcmp(c.v[i], "docker run");
        runs += (size_t)is_run;
        if (is_run != want_run && bad++ < 5)
            fprintf(stderr, "event %zu: %s\n", i + 1, c.v[i]);
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(runs, N_MANY);
    commands_free(&c);
    cq_strbuf_free(&text);
}
END_TEST

/* Duplicate keys: the latest create not newer than the start is taken, each
 * once; a create later in time than the start never pairs with it. */
START_TEST(test_after_duplicates)
{
    cq_strbuf text = CQ_STRBUF_INIT;
    for (int i = 0; i < 300; i++)
        add_event(&text, "create", "x", T0 + i);
    add_event(&text, "create", "y", T0 + 5000000);
    add_event(&text, "start", "y", T0 + 4000000);      /* before its create: start */
    for (int i = 0; i < 301; i++)
        add_event(&text, "start", "x", T0 + 5000000);  /* 300 runs, then a start */
    add_event(&text, "start", "y", T0 + 5000001);      /* now y's create is there: run */
    commands c = {0};
    run_events(&text, &c);
    ck_assert_uint_eq(c.n, 300 + 2 + 301 + 1);
    ck_assert_str_eq(c.v[301], "docker start");
    for (size_t i = 302; i < 302 + 300; i++)
        ck_assert_msg(!strcmp(c.v[i], "docker run"), "event %zu: %s", i + 1, c.v[i]);
    ck_assert_str_eq(c.v[602], "docker start");
    ck_assert_str_eq(c.v[603], "docker run");
    commands_free(&c);
    cq_strbuf_free(&text);
}
END_TEST

/* The 60 s window: exactly 60 s pairs, one microsecond more does not, also
 * after the queue dropped thousands of old events (compaction). */
START_TEST(test_after_window_boundary)
{
    cq_strbuf text = CQ_STRBUF_INIT;
    char id[32];
    const long long w = 60000000;
    add_event(&text, "create", "edge", T0);
    add_event(&text, "create", "late", T0);
    for (int i = 0; i < 5000; i++) {          /* old events the window drops */
        snprintf(id, sizeof id, "old%d", i);
        add_event(&text, "create", id, T0 + w / 2 + i);
    }
    add_event(&text, "start", "edge", T0 + w);         /* exactly 60 s: run */
    add_event(&text, "start", "late", T0 + w + 1);     /* 60 s + 1 us: start */
    add_event(&text, "start", "old0", T0 + 2 * w);     /* dropped by now: start */
    add_event(&text, "create", "new", T0 + 3 * w);
    add_event(&text, "start", "old1", T0 + 3 * w);     /* still gone: start */
    add_event(&text, "start", "new", T0 + 3 * w);      /* run */
    commands c = {0};
    run_events(&text, &c);
    ck_assert_uint_eq(c.n, 5008);
    static const char *const want[] = {"docker run", "docker start", "docker start",
                                       "docker create", "docker start", "docker run"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(!strcmp(c.v[5002 + i], want[i]), "event %zu: %s", 5003 + i,
                      c.v[5002 + i]);
    commands_free(&c);
    cq_strbuf_free(&text);
}
END_TEST

/* ---- invalid UTF-8 and lone surrogates: the event kept, U+FFFD ---- */

typedef struct uris {
    char v[8][128];
    size_t n;
} uris;

static int keep_uri(void *ctx, const cq_record *r)
{
    uris *u = ctx;
    ck_assert_uint_lt(u->n, 8);
    const char *v = vals(r, "requestURI");
    if (!v)
        v = vals(r, "msg");
    snprintf(u->v[u->n++], sizeof u->v[0], "%s", v ? v : "");
    return 0;
}

#define AUDIT(id, uri) "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"" \
    id "\",\"stage\":\"ResponseComplete\",\"verb\":\"get\",\"requestURI\":\"" uri "\"," \
    "\"requestReceivedTimestamp\":\"2024-05-01T10:00:00Z\"}\n"

START_TEST(test_bad_utf8_kept)
{
    const char *text = AUDIT("1", "/a\xff" "b") AUDIT("2", "/x\\ud800y") AUDIT("3", "/p\\udc00")
        AUDIT("4", "/pair\\ud83d\\ude00") AUDIT("5", "/esc\\\\ud800")
        "time=\"2024-05-01T10:00:00Z\" level=info msg=\"bad \xc3 byte\"\n";
    char *cp = conf_path(), err[512];
    cq_ingest_opts o = {.conf_path = cp, .err = stderr};
    cq_ingest *g;
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    uris u = {.n = 0};
    ck_assert_int_eq(cq_ingest_buffer(g, "a.json", text, strlen(text), keep_uri, &u), 0);
    ck_assert_uint_eq(u.n, 6);
    ck_assert_str_eq(u.v[0], "/a\xef\xbf\xbd" "b");
    ck_assert_str_eq(u.v[1], "/x\xef\xbf\xbdy");
    ck_assert_str_eq(u.v[2], "/p\xef\xbf\xbd");
    ck_assert_str_eq(u.v[3], "/pair\xf0\x9f\x98\x80");    /* a real pair is untouched */
    ck_assert_str_eq(u.v[4], "/esc\\ud800");              /* an escaped backslash: text */
    ck_assert_str_eq(u.v[5], "bad \xef\xbf\xbd byte");
    cq_ingest_stats st;
    cq_ingest_get_stats(g, &st);
    ck_assert_uint_eq(st.n_malformed, 0);
    ck_assert_uint_eq(st.n_fixed_events, 4);
    ck_assert_uint_eq(st.n_fixed, 4);
    cq_ingest_free(g);
    free(cp);
}
END_TEST

/* ---- damaged gzip: everything before the damage, and where it is ---- */

#define GZ_LINES 489

/* Writes GZ_LINES logrus lines, tagged, as one gzip member appended to path. */
static void gz_member(const char *path, const char *mode, const char *tag)
{
    gzFile z = gzopen(path, mode);
    ck_assert_ptr_nonnull(z);
    for (int i = 0; i < GZ_LINES; i++)
        gzprintf(z, "time=\"2024-05-01T10:00:00Z\" level=info msg=\"%s line %d\"\n", tag, i);
    gzclose(z);
}

static long file_size(const char *path)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return n;
}

/* Ingests path into a fresh index; returns the stats, reports in *errs. */
static cq_ingest_stats ingest_one(const char *dir, const char *path, char **errs)
{
    char db[600], err[512];
    snprintf(db, sizeof db, "%s/idx.db", dir);
    unlink(db);
    cq_index *idx;
    ck_assert_msg(cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err) == 0, "%s", err);
    size_t len;
    FILE *fe = open_memstream(errs, &len);
    char *cp = conf_path();
    cq_ingest_opts o = {.conf_path = cp, .err = fe};
    cq_ingest *g;
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(cq_ingest_path(g, idx, path), 0);
    cq_ingest_stats st;
    cq_ingest_get_stats(g, &st);
    cq_ingest_free(g);
    cq_index_close(idx);
    fclose(fe);
    free(cp);
    return st;
}

START_TEST(test_gzip_damage)
{
    char dir[] = "/tmp/cq-gzdamage-XXXXXX", gz[600], cmd[1400], *errs;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(gz, sizeof gz, "%s/a.log.gz", dir);
    /* Zero padding, then garbage, after a complete member: all lines, a note. */
    gz_member(gz, "wb", "one");
    long whole = file_size(gz);
    FILE *fp = fopen(gz, "ab");
    for (int i = 0; i < 1000; i++)
        fputc(0, fp);
    fclose(fp);
    cq_ingest_stats st = ingest_one(dir, gz, &errs);
    ck_assert_uint_eq(st.n_records, GZ_LINES);
    ck_assert_uint_eq(st.n_files_partial, 0);
    char want[800];
    snprintf(want, sizeof want, "%s: note: 1000 bytes of zero padding after the last gzip "
             "member (at byte %ld) ignored\n", gz, whole);
    ck_assert_str_eq(errs, want);
    free(errs);
    fp = fopen(gz, "ab");
    fputs("garbage", fp);
    fclose(fp);
    st = ingest_one(dir, gz, &errs);
    ck_assert_uint_eq(st.n_records, GZ_LINES);
    ck_assert_ptr_nonnull(strstr(errs, "1007 bytes of trailing garbage"));
    free(errs);
    /* Truncated: the complete lines before the cut, the damage with its offset. */
    snprintf(cmd, sizeof cmd, "truncate -s %ld '%s'", whole - 30, gz);
    ck_assert_int_eq(system(cmd), 0);
    st = ingest_one(dir, gz, &errs);
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null | wc -l > '%s/n'", gz, dir);
    ck_assert_int_eq(system(cmd) != -1, 1);
    snprintf(want, sizeof want, "%s/n", dir);
    size_t len;
    char *n = slurp(want, &len);
    ck_assert_uint_eq(st.n_records, strtoull(n, NULL, 10));    /* what gzip recovers */
    ck_assert_uint_gt(st.n_records, GZ_LINES - 20);
    free(n);
    ck_assert_uint_eq(st.n_files_partial, 1);
    snprintf(want, sizeof want, "%s: truncated gzip data: the file ends at byte %ld: the "
             "complete lines before it are ingested", gz, whole - 30);
    ck_assert_msg(strstr(errs, want) != NULL, "%s", errs);
    free(errs);
    /* Two members, the second corrupt in its middle: the first one whole. */
    gz_member(gz, "wb", "one");
    long first = file_size(gz);
    gz_member(gz, "ab", "two");
    fp = fopen(gz, "r+b");
    fseek(fp, first + 40, SEEK_SET);
    for (int i = 0; i < 16; i++)
        fputc(0xff, fp);
    fclose(fp);
    st = ingest_one(dir, gz, &errs);
    ck_assert_uint_ge(st.n_records, GZ_LINES);
    ck_assert_uint_lt(st.n_records, 2 * GZ_LINES);
    ck_assert_uint_eq(st.n_files_partial, 1);
    ck_assert_msg(strstr(errs, ": bad gzip data (") != NULL, "%s", errs);
    free(errs);
    /* The CLI says "partial": exit status 4. */
    snprintf(cmd, sizeof cmd, "'%s' ingest -q --index '%s/cli.db' '%s' 2>/dev/null",
             test_env("CQUERY_BIN"), dir, gz);
    int rc = system(cmd);
    ck_assert_int_eq(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 4);
    /* In a directory, the other files still go in whole. */
    snprintf(want, sizeof want, "%s/b.log", dir);
    fp = fopen(want, "w");
    fputs("time=\"2024-05-01T10:00:00Z\" level=info msg=\"b\"\n", fp);
    fclose(fp);
    st = ingest_one(dir, dir, &errs);
    ck_assert_uint_ge(st.n_records, GZ_LINES + 1);
    ck_assert_uint_eq(st.n_files_partial, 1);
    ck_assert_uint_eq(st.n_files_failed, 0);
    free(errs);
    ck_assert_int_eq(test_rmdir(dir), 0);
}
END_TEST

/* ---- byte-order marks: UTF-8 skipped, UTF-16 decoded ---- */

/* Writes the 5 lines as UTF-8 with a BOM (enc 0), UTF-16LE (1) or BE (2). */
static void write_bom_file(const char *path, int enc)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(enc == 0 ? "\xef\xbb\xbf" : enc == 1 ? "\xff\xfe" : "\xfe\xff", fp);
    for (int i = 1; i <= 5; i++) {
        char line[128];
        snprintf(line, sizeof line, "time=\"2024-05-01T10:00:0%dZ\" level=info msg=\"h\xc3\xa9 %d "
                 "\xf0\x9f\x98\x80\"\n", i, i);
        if (enc == 0) {
            fputs(line, fp);
            continue;
        }
        /* ASCII, é (U+00E9) and U+1F600 as a surrogate pair */
        for (const unsigned char *p = (const unsigned char *)line; *p; ) {
            unsigned u[2], n = 1;
            if (*p < 0x80)
                u[0] = *p++;
            else if (*p == 0xc3)
                u[0] = 0xe9, p += 2;
            else
                u[0] = 0xD83D, u[1] = 0xDE00, n = 2, p += 4;
            for (unsigned k = 0; k < n; k++) {
                fputc(enc == 1 ? (int)(u[k] & 0xff) : (int)(u[k] >> 8), fp);
                fputc(enc == 1 ? (int)(u[k] >> 8) : (int)(u[k] & 0xff), fp);
            }
        }
    }
    fclose(fp);
}

START_TEST(test_bom_and_utf16)
{
    char dir[] = "/tmp/cq-bom-XXXXXX", path[600], *errs;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.log", dir);
    for (int enc = 0; enc < 3; enc++) {
        write_bom_file(path, enc);
        cq_ingest_stats st = ingest_one(dir, path, &errs);
        ck_assert_msg(st.n_records == 5 && st.n_malformed == 0, "encoding %d: %llu records: %s",
                      enc, st.n_records, errs);
        free(errs);
        cq_input *in;
        char buf[256], err[256];
        ck_assert_int_eq(cq_input_open(path, &in), 0);
        long n = cq_input_read(in, buf, sizeof buf - 1, err, sizeof err);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert_msg(!strncmp(buf, "time=\"2024-05-01T10:00:01Z\" level=info msg=\"h\xc3\xa9 1 "
                               "\xf0\x9f\x98\x80\"\n", 51), "encoding %d: %s", enc, buf);
        cq_input_close(in);
    }
    ck_assert_int_eq(test_rmdir(dir), 0);
}
END_TEST

/* The decoder: pairs split across calls, lone surrogates, an odd last byte. */
START_TEST(test_utf16_decode)
{
    cq_strbuf out = CQ_STRBUF_INIT;
    const unsigned char pair[] = {0x3D, 0xD8, 0x00, 0xDE, 'a', 0};
    ck_assert_uint_eq(cq_utf16_decode(pair, 2, 0, 0, &out), 0);    /* high half: waits */
    ck_assert_uint_eq(cq_utf16_decode(pair, 6, 0, 0, &out), 6);
    ck_assert_str_eq(out.buf, "\xf0\x9f\x98\x80" "a");
    cq_strbuf_reset(&out);
    const unsigned char lone[] = {0xDC, 0x00, 0xD8, 0x00, 0x00, 'b', 'c'};   /* BE */
    ck_assert_uint_eq(cq_utf16_decode(lone, 7, 1, 1, &out), 7);
    cq_strbuf_addc(&out, '\0');
    ck_assert_str_eq(out.buf, "\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd");
    cq_strbuf_free(&out);
}
END_TEST

void ingest_damage_tests(Suite *s, TCase *tc)
{
    (void)s;
    tcase_add_test(tc, test_after_many_unmatched);
    tcase_add_test(tc, test_after_duplicates);
    tcase_add_test(tc, test_after_window_boundary);
    tcase_add_test(tc, test_bad_utf8_kept);
    tcase_add_test(tc, test_gzip_damage);
    tcase_add_test(tc, test_bom_and_utf16);
    tcase_add_test(tc, test_utf16_decode);
}

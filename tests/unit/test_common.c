/* test_common.c - arena, strbuf, diag (carets), hash, time, strmap, config files. */
#include "tests/unit/suites.h"
#include "common/arena.h"
#include "common/cfgfile.h"
#include "common/diag.h"
#include "common/hash.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void count_cleanup(void *p)
{
    int *n = p;
    *n = *n * 10 + 1;
}

static void count_cleanup2(void *p)
{
    int *n = p;
    *n = *n * 10 + 2;
}

/* cq_arena_defer: cleanups run once, newest first, at reset and at free. */
START_TEST(test_arena_defer)
{
    cq_arena a;
    cq_arena_init(&a);
    int n = 0;
    cq_arena_defer(&a, count_cleanup, &n);
    cq_arena_defer(&a, count_cleanup2, &n);
    ck_assert_int_eq(n, 0);
    cq_arena_reset(&a);
    ck_assert_int_eq(n, 21);
    cq_arena_reset(&a);
    ck_assert_int_eq(n, 21);
    cq_arena_defer(&a, count_cleanup, &n);
    cq_arena_free(&a);
    ck_assert_int_eq(n, 211);
    cq_arena_free(&a);
    ck_assert_int_eq(n, 211);
}
END_TEST

START_TEST(test_arena)
{
    cq_arena a;
    cq_arena_init(&a);
    char *s = cq_arena_strdup(&a, "hello");
    void *big = cq_arena_alloc(&a, 1 << 20);    /* own chunk */
    memset(big, 1, 1 << 20);
    char *t = cq_arena_printf(&a, "%s-%d", s, 42);
    ck_assert_str_eq(s, "hello");
    ck_assert_str_eq(t, "hello-42");
    ck_assert_uint_eq((uintptr_t)cq_arena_alloc(&a, 3) % 16, 0);
    cq_arena_reset(&a);
    ck_assert_str_eq(cq_arena_strndup(&a, "abcdef", 3), "abc");
    cq_arena_free(&a);
}
END_TEST

START_TEST(test_strbuf)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    ck_assert_str_eq(cq_strbuf_str(&sb), "");
    for (int i = 0; i < 1000; i++)
        cq_strbuf_addf(&sb, "%d,", i);
    ck_assert(strncmp(sb.buf, "0,1,2,", 6) == 0);
    ck_assert_uint_eq(sb.len, strlen(sb.buf));
    cq_strbuf_reset(&sb);
    cq_strbuf_addc(&sb, 'x');
    ck_assert_str_eq(sb.buf, "x");
    cq_strbuf_free(&sb);
}
END_TEST

/* Prints d into *out (malloc'd; the caller frees).  The caller owns the
 * memstream's variables, so nothing points into a dead frame. */
static void print_diag_to(const cq_diag *d, const char *text, unsigned base, char **out,
                          size_t *len)
{
    FILE *f = open_memstream(out, len);
    cq_diag_print(f, d, "query", text, strlen(text), base);
    fclose(f);
}

#define print_diag(d, text, base) \
    (print_diag_to((d), (text), (base), &diag_buf, &diag_len), diag_buf)

START_TEST(test_diag_caret)
{
    const char *q = "sourcetype=docker:daemon | search command=";
    cq_diag d;
    cq_diag_init(&d);
    cq_diag_set(&d, cq_span_make(42, 42), "expected a value after \"=\"");
    cq_diag_set(&d, cq_span_make(0, 1), "second error is ignored");
    cq_diag_hint(&d, "quote values that contain spaces");
    char *diag_buf = NULL;
    size_t diag_len = 0;
    char *out = print_diag(&d, q, 0);
    ck_assert_str_eq(out,
                     "query:1:43: error: expected a value after \"=\"\n"
                     "    sourcetype=docker:daemon | search command=\n"
                     "                                              ^\n"
                     "    hint: quote values that contain spaces\n");
    free(out);
}
END_TEST

START_TEST(test_diag_span_utf8_and_lines)
{
    /* columns count characters; carets cover the whole token; line_base shifts */
    const char *q = "a\nus\xc3\xa9r=x | bogus y";
    cq_diag d;
    cq_diag_init(&d);
    cq_diag_set(&d, cq_span_make(12, 17), "unknown command \"bogus\"");
    char *diag_buf = NULL;
    size_t diag_len = 0;
    char *out = print_diag(&d, q, 6);
    ck_assert_str_eq(out, "query:8:10: error: unknown command \"bogus\"\n"
                          "    us\xc3\xa9r=x | bogus y\n"
                          "             ^^^^^\n");
    free(out);
}
END_TEST

START_TEST(test_diag_clip_long_line)
{
    char q[600];
    memset(q, 'a', sizeof q - 1);
    q[sizeof q - 1] = '\0';
    cq_diag d;
    cq_diag_init(&d);
    cq_diag_set(&d, cq_span_make(300, 301), "here");
    char *diag_buf = NULL;
    size_t diag_len = 0;
    char *out = print_diag(&d, q, 0);
    char *l2 = strchr(out, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    ck_assert(strncmp(l2, "    ...", 7) == 0);
    ck_assert_uint_eq(strcspn(l2, "\n"), 4 + 3 + 101 + 3);   /* indent, ..., 50+1+50, ... */
    ck_assert_uint_eq(strchr(l3, '^') - l3, 4 + 3 + 50);
    free(out);
}
END_TEST

START_TEST(test_hash_streaming)
{
    const char *s = "the quick brown fox jumps over the lazy dog, 0123456789";
    uint64_t whole = cq_hash_bytes(s, strlen(s));
    for (size_t split = 0; split <= strlen(s); split++) {
        cq_hash h;
        cq_hash_init(&h);
        cq_hash_update(&h, s, split);
        cq_hash_update(&h, s + split, strlen(s) - split);
        ck_assert_uint_eq(cq_hash_final(&h), whole);
    }
    ck_assert_uint_ne(cq_hash_bytes("a", 1), cq_hash_bytes("b", 1));
    ck_assert_uint_ne(cq_hash_bytes("", 0), cq_hash_bytes("\0", 1));
}
END_TEST

/*
 * Known answers: the index stores these hashes as file fingerprints, so a
 * change of the function would make every existing index re-ingest (or
 * worse, miss) its files.  The values were computed by an independent
 * Python transcription of the algorithm in common/hash.c.
 */
START_TEST(test_hash_known_answers)
{
    static const struct {
        const char *text;
        uint64_t hash;
    } kat[] = {
        {"", 0x9353dfc8a195f3e2ull},
        {"a", 0x7ff3b52eb9e7e7e9ull},
        {"abcdefgh", 0xe2c3c8aa2432e65eull},
        {"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}\n", 0x31c8716681ccd022ull},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++)
        ck_assert_msg(cq_hash_bytes(kat[i].text, strlen(kat[i].text)) == kat[i].hash,
                      "cq_hash_bytes(\"%s\") changed", kat[i].text);
    unsigned char b[256 * 17];      /* bytes 0..255, 17 times: every tail length */
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (unsigned char)i;
    ck_assert_uint_eq(cq_hash_bytes(b, sizeof b), 0x48a4d4a3992f3e4aull);
    cq_hash h;
    cq_hash_init(&h);
    for (size_t i = 0; i < sizeof b; i += 1000)
        cq_hash_update(&h, b + i, sizeof b - i < 1000 ? sizeof b - i : 1000);
    ck_assert_uint_eq(cq_hash_final(&h), 0x48a4d4a3992f3e4aull);
}
END_TEST

START_TEST(test_time_parse_format)
{
    int64_t us;
    ck_assert_int_eq(cq_time_parse_iso("2024-05-01T10:00:00.123456789Z", 30, &us), 0);
    ck_assert_int_eq(us, 1714557600123456LL);
    ck_assert_int_eq(cq_time_parse_iso("2017-01-05T00:36:09.840186338+08:00", 35, &us), 0);
    ck_assert_int_eq(us, 1483547769840186LL);
    ck_assert_int_eq(cq_time_parse_iso("2024-11-13 18:34:10.595141000", 29, &us), 0);
    ck_assert_int_eq(cq_time_parse_iso("1970-01-01T00:00:00", 19, &us), 0);
    ck_assert_int_eq(us, 0);
    ck_assert_int_eq(cq_time_parse_iso("2024-13-01T00:00:00Z", 20, &us), -1);
    ck_assert_int_eq(cq_time_parse_iso("2024-05-01T10:00:00Zjunk", 24, &us), -1);
    ck_assert_int_eq(cq_time_parse_iso("nope", 4, &us), -1);
    char buf[CQ_TIME_BUFLEN];
    cq_time_format(1714557600123456LL, 0, buf);
    ck_assert_str_eq(buf, "2024-05-01T10:00:00.123+00:00");
    cq_time_format(1714557600123456LL, -(5 * 3600 + 1800), buf);
    ck_assert_str_eq(buf, "2024-05-01T04:30:00.123-05:30");
    cq_time_format(-1, 0, buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.999+00:00");
    int tz;
    ck_assert_int_eq(cq_tz_parse("+02:00", &tz), 0);
    ck_assert_int_eq(tz, 7200);
    ck_assert_int_eq(cq_tz_parse("UTC", &tz), 0);
    ck_assert_int_eq(tz, 0);
    ck_assert_int_eq(cq_tz_parse("Mars/Olympus", &tz), -1);
}
END_TEST

START_TEST(test_strmap)
{
    cq_strmap m;
    cq_strmap_init(&m);
    char keys[2000][8];
    for (uint32_t i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%u", i);
        uint32_t v = i;
        ck_assert_int_eq(cq_strmap_upsert(&m, keys[i], strlen(keys[i]), &v), 0);
    }
    for (uint32_t i = 0; i < 2000; i++) {
        uint32_t v = 99999;
        ck_assert_int_eq(cq_strmap_upsert(&m, keys[i], strlen(keys[i]), &v), 1);
        ck_assert_uint_eq(v, i);
    }
    uint32_t v;
    ck_assert_int_eq(cq_strmap_get(&m, "nope", 4, &v), 0);
    uint32_t e = 7;
    ck_assert_int_eq(cq_strmap_upsert(&m, "", 0, &e), 0);
    ck_assert_int_eq(cq_strmap_get(&m, "", 0, &v), 1);
    ck_assert_uint_eq(v, 7);
    cq_strmap_free(&m);
}
END_TEST

START_TEST(test_cfg_trim_pair_stanza)
{
    char t[] = " \t a b \r\n";
    ck_assert_str_eq(cq_trim(t), "a b");
    char blank[] = "  \t";
    ck_assert_str_eq(cq_trim(blank), "");
    char kv[] = " key =  a = b ", *k, *v;
    ck_assert_int_eq(cq_cfg_pair(kv, '=', &k, &v), 0);
    ck_assert_str_eq(k, "key");
    ck_assert_str_eq(v, "a = b");            /* split at the first '=' */
    char hdr[] = "# id : T1609:001";
    ck_assert_int_eq(cq_cfg_pair(hdr + 1, ':', &k, &v), 0);
    ck_assert_str_eq(k, "id");
    ck_assert_str_eq(v, "T1609:001");
    char none[] = "no pair ";
    ck_assert_int_eq(cq_cfg_pair(none, '=', &k, &v), -1);
    ck_assert_str_eq(none, "no pair ");      /* left as it was, for the message */
    char st[] = "[ rule  r1 ]", empty[] = "[]", open[] = "[a", after[] = "[a] x";
    char two[] = "[a]b]";
    ck_assert_str_eq(cq_cfg_stanza(st), "rule  r1");
    ck_assert_str_eq(cq_cfg_stanza(empty), "");
    ck_assert_ptr_null(cq_cfg_stanza(open));
    ck_assert_ptr_null(cq_cfg_stanza(after));
    ck_assert_str_eq(cq_cfg_stanza(two), "a]b");   /* the caller decides */
}
END_TEST

/* The lines of text with flags, as "LINE:text|...". */
static void cfg_lines(const char *text, unsigned flags, char *out, size_t cap)
{
    cq_cfg_reader r;
    cq_cfg_init(&r, text, strlen(text), flags);
    size_t n = 0;
    out[0] = '\0';
    for (char *s; (s = cq_cfg_next(&r)) && n < cap;)
        n += (size_t)snprintf(out + n, cap - n, "%d:%s|", r.line, s);
    cq_cfg_done(&r);
}

START_TEST(test_cfg_reader)
{
    static const char text[] =
        "# comment\n"
        "  ; another\n"
        "\n"
        "[stanza one]  \r\n"
        "  key = value\t\n"
        "long = a \\\n"
        "  b\\\r\n"
        "c\n"
        "   \n"
        "\\\n"
        "x = 1\n"
        "last = \\";
    char out[512];
    cfg_lines(text, 0, out, sizeof out);
    ck_assert_str_eq(out, "4:[stanza one]|5:key = value|6:long = a   bc|11:x = 1|");
    cfg_lines(text, CQ_CFG_KEEP_BREAKS | CQ_CFG_KEEP_CUT, out, sizeof out);
    ck_assert_str_eq(out, "4:[stanza one]|5:key = value|6:long = a \n  b\nc|10:x = 1|"
                          "12:last =|");
    /* '\' then two '\r's continues the line, unless only one '\r' may go */
    cfg_lines("a\\\r\r\nb\n", 0, out, sizeof out);
    ck_assert_str_eq(out, "1:ab|");
    cfg_lines("a\\\r\r\nb\n", CQ_CFG_ONE_CR, out, sizeof out);
    ck_assert_str_eq(out, "1:a\\|2:b|");
    cfg_lines("", 0, out, sizeof out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_cfg_read_file)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    errno = 0;
    ck_assert_int_eq(cq_cfg_read_file("/nonexistent/x.conf", 0, &sb), CQ_CFG_CANNOT_OPEN);
    ck_assert_int_eq(errno, ENOENT);
    char path[] = "/tmp/cq-cfg-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(cq_cfg_read_file(path, 0, &sb), CQ_CFG_READ_OK);
    ck_assert_str_eq(sb.buf, "");               /* empty, yet a text */
    f = fopen(path, "w");
    for (int i = 0; i < 5000; i++)
        fprintf(f, "line%d\n", i);
    fclose(f);
    ck_assert_int_eq(cq_cfg_read_file(path, 0, &sb), CQ_CFG_READ_OK);
    ck_assert_uint_eq(sb.len, strlen(sb.buf));
    ck_assert(!strncmp(sb.buf, "line0\nline1\n", 12));
    ck_assert_int_eq(cq_cfg_read_file(path, sb.len, &sb), CQ_CFG_READ_OK);
    ck_assert_int_eq(cq_cfg_read_file(path, sb.len - 1, &sb), CQ_CFG_TOO_BIG);
    ck_assert_int_eq(cq_cfg_read_file("/tmp", 0, &sb), CQ_CFG_READ_FAILED);
    unlink(path);
    cq_strbuf_free(&sb);
}
END_TEST

Suite *common_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("common");
    tcase_add_test(tc, test_arena);
    tcase_add_test(tc, test_arena_defer);
    tcase_add_test(tc, test_strbuf);
    tcase_add_test(tc, test_diag_caret);
    tcase_add_test(tc, test_diag_span_utf8_and_lines);
    tcase_add_test(tc, test_diag_clip_long_line);
    tcase_add_test(tc, test_hash_streaming);
    tcase_add_test(tc, test_hash_known_answers);
    tcase_add_test(tc, test_time_parse_format);
    tcase_add_test(tc, test_strmap);
    tcase_add_test(tc, test_cfg_trim_pair_stanza);
    tcase_add_test(tc, test_cfg_reader);
    tcase_add_test(tc, test_cfg_read_file);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_rows.c - the helpers of the row, field and text commands: the row
 * store (copy out of batches, keep, emit), Splunk JSON paths, and Splunk
 * time formats.  The commands themselves are covered by the tests/lang cases.
 */
#include "tests/unit/suites.h"
#include "engine/expr/jsonpath.h"
#include "engine/rowstore.h"
#include "engine/fn/timefmt.h"
#include "common/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

/* ------------------------------------------------------------ row store */

/* A batch of 3 rows: _time (time), n (numbers, row 1 null), g (strings,
 * row 0 two values, row 2 none). */
static void make_batch(cq_batch *b, cq_arena *a)
{
    static const int64_t t[3] = {3000000, 2000000, 1000000};
    static const double n[3] = {1.5, NAN, 7};
    static const cq_sv g[3] = {{"x", 1}, {"y", 1}, {"z", 1}};
    static const uint32_t off[4] = {0, 2, 3, 3};
    cq_batch_init(b, a);
    b->n_rows = b->n_sel = 3;
    cq_col c = {.kind = CQ_COL_TIME, .n_rows = 3, .times = t};
    cq_batch_put(b, "_time", &c);
    cq_col d = {.kind = CQ_COL_NUM, .n_rows = 3, .nums = n};
    cq_batch_put(b, "n", &d);
    cq_col s = {.kind = CQ_COL_STR, .n_rows = 3, .strs = g, .row_off = off};
    cq_batch_put(b, "g", &s);
}

START_TEST(rows_copy_keep_emit)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_batch b;
    make_batch(&b, &a);
    cq_rowstore s;
    cq_rows_init(&s);
    cq_rows_add_cols(&s, &b);
    for (uint32_t r = 0; r < 3; r++)
        cq_rows_add(&s, &b, r);
    cq_batch_free(&b);
    cq_arena_free(&a);          /* the rows must not point into the batch */
    ck_assert_uint_eq(s.n_rows, 3);
    uint32_t g = cq_rows_find(&s, "g");
    ck_assert_uint_ne(g, CQ_ROWS_NONE);
    ck_assert_uint_eq(cq_rows_find(&s, "nope"), CQ_ROWS_NONE);
    ck_assert_uint_eq(cq_row_cell(&s.rows[0], g)->n_vals, 2);
    ck_assert_ptr_null(cq_row_cell(&s.rows[2], g));
    ck_assert_ptr_null(cq_row_cell(&s.rows[1], cq_rows_find(&s, "n")));

    size_t keep[2] = {2, 0};    /* reorder and drop row 1 */
    cq_rows_keep(&s, keep, 2);
    ck_assert_uint_eq(s.n_rows, 2);
    ck_assert_uint_eq(s.rows[0].seq, 2);
    ck_assert_uint_eq(s.rows[1].seq, 0);

    cq_arena out_a;
    cq_arena_init(&out_a);
    cq_batch out;
    cq_batch_init(&out, &out_a);
    const cq_row *rows[2] = {&s.rows[0], &s.rows[1]};
    cq_rows_emit(&s, rows, 2, &out);
    ck_assert_uint_eq(out.n_sel, 2);
    ck_assert_str_eq(out.cols[0].name, "_time");     /* input column order */
    ck_assert_str_eq(out.cols[2].name, "g");
    const cq_col *t = cq_batch_get(&out, "_time");
    ck_assert_int_eq(t->kind, CQ_COL_TIME);
    ck_assert_int_eq(t->times[0], 1000000);
    const cq_col *n = cq_batch_get(&out, "n");
    ck_assert_int_eq(n->kind, CQ_COL_NUM);
    ck_assert(n->nums[0] == 7 && n->nums[1] == 1.5);
    const cq_col *gc = cq_batch_get(&out, "g");
    ck_assert_uint_eq(cq_col_nvals(gc, 0), 0);
    ck_assert_uint_eq(cq_col_nvals(gc, 1), 2);
    ck_assert(cq_col_val(gc, 1, 1).len == 1 && cq_col_val(gc, 1, 1).p[0] == 'y');
    cq_batch_free(&out);
    cq_arena_free(&out_a);
    cq_rows_free(&s);
}
END_TEST

/* ---------------------------------------------------------- JSON paths */

static const char *path1(const char *json, const char *path, cq_arena *a, uint32_t *n)
{
    json_t *root = cq_json_parse((cq_sv){json, (uint32_t)strlen(json)});
    cq_json_vals v = {0};
    cq_json_path(root, path, a, &v);
    json_decref(root);
    *n = v.n;
    if (!v.n)
        return NULL;
    /* join the values with | for easy comparison */
    size_t len = 0;
    for (uint32_t i = 0; i < v.n; i++)
        len += v.v[i].len + 1;
    char *s = cq_arena_alloc(a, len + 1), *w = s;
    for (uint32_t i = 0; i < v.n; i++) {
        if (i)
            *w++ = '|';
        memcpy(w, v.v[i].p, v.v[i].len);
        w += v.v[i].len;
    }
    *w = '\0';
    return s;
}

START_TEST(json_paths)
{
    cq_arena a;
    cq_arena_init(&a);
    uint32_t n;
    const char *doc = "{\"a\":{\"b\":[{\"c\":1},{\"c\":2.5},{\"d\":true}]},"
                      "\"ann\":{\"x.io/y\":\"ok\"},\"s\":\"t\",\"z\":null}";
    ck_assert_str_eq(path1(doc, "a.b{}.c", &a, &n), "1|2.5");
    ck_assert_str_eq(path1(doc, "a.b{1}.c", &a, &n), "2.5");
    ck_assert_str_eq(path1(doc, "a.b{-1}.d", &a, &n), "true");
    ck_assert_str_eq(path1(doc, "a.b{0}", &a, &n), "{\"c\":1}");
    ck_assert_str_eq(path1(doc, "ann.x.io/y", &a, &n), "ok");   /* a key with a dot */
    ck_assert_str_eq(path1(doc, "s", &a, &n), "t");
    ck_assert_ptr_null(path1(doc, "z", &a, &n));                /* JSON null: no value */
    ck_assert_ptr_null(path1(doc, "a.b{7}.c", &a, &n));
    ck_assert_ptr_null(path1(doc, "s.t", &a, &n));
    ck_assert_str_eq(path1("[{\"k\":\"v\"}]", "{0}.k", &a, &n), "v");
    ck_assert_ptr_null(cq_json_parse((cq_sv){"not json", 8}));
    cq_arena_free(&a);
}
END_TEST

/* ---------------------------------------------------------- time formats */

START_TEST(time_formats)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_sv s = cq_time_strftime(1700000000.25, "%Y-%m-%dT%H:%M:%S.%3N%z", 0, &a);
    ck_assert_str_eq(s.p, "2023-11-14T22:13:20.250+0000");
    s = cq_time_strftime(1700000000.123456, "%6N %Q %s", 0, &a);
    ck_assert_str_eq(s.p, "123456 123 1700000000");
    ck_assert_ptr_null(cq_time_strftime(1e300, "%Y", 0, &a).p);
    double t;
    ck_assert_int_eq(cq_time_strptime((cq_sv){"2023-11-14T22:13:20.250+0000", 28}, "%Y-%m-%dT%H:%M:%S.%3N%z", 0, &t), 0);
    ck_assert(fabs(t - 1700000000.25) < 1e-6);
    ck_assert_int_eq(cq_time_strptime((cq_sv){"11/14/2023 23:13:20 +01:00", 26}, "%m/%d/%Y %H:%M:%S %:z", 0, &t), 0);
    ck_assert(t == 1700000000);
    ck_assert_int_eq(cq_time_strptime((cq_sv){"1700000000", 10}, "%s", 0, &t), 0);
    ck_assert(t == 1700000000);
    ck_assert_int_eq(cq_time_strptime((cq_sv){"yesterday", 9}, "%Y-%m-%d", 0, &t), -1);
    ck_assert_int_eq(cq_time_strptime((cq_sv){"2023-11-14", 10}, "%Y-%m-%d %H", 0, &t), -1);
    cq_arena_free(&a);
}
END_TEST

/* --tz applies to eval's formats, as the user's zone does in Splunk: a
 * fixed offset, and a tz database zone across a summer-time change. */
START_TEST(time_formats_in_zone)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_sv s = cq_time_strftime(1700000000, "%F %T %z %:z %Z", 7200, &a);
    ck_assert_str_eq(s.p, "2023-11-15 00:13:20 +0200 +02:00 +02:00");
    s = cq_time_strftime(1700000000, "%H:%M %z", -19800, &a);
    ck_assert_str_eq(s.p, "16:43 -0530");
    double t;
    ck_assert_int_eq(cq_time_strptime((cq_sv){"2023-11-15 00:13:20", 19}, "%F %T", 7200, &t), 0);
    ck_assert(t == 1700000000);
    /* a zone in the text wins over --tz */
    ck_assert_int_eq(cq_time_strptime((cq_sv){"2023-11-14 22:13:20 +0000", 25}, "%F %T %z", 7200,
                                      &t), 0);
    ck_assert(t == 1700000000);
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    s = cq_time_strftime(1700000000, "%F %T %z %Z", CQ_TZ_LOCAL, &a);    /* winter */
    ck_assert_str_eq(s.p, "2023-11-14 23:13:20 +0100 CET");
    s = cq_time_strftime(1690000000, "%F %T %z %Z", CQ_TZ_LOCAL, &a);    /* summer */
    ck_assert_str_eq(s.p, "2023-07-22 06:26:40 +0200 CEST");
    ck_assert_int_eq(cq_time_strptime((cq_sv){"2023-07-22 06:26:40", 19}, "%F %T", CQ_TZ_LOCAL,
                                      &t), 0);
    ck_assert(t == 1690000000);
    unsetenv("TZ");
    tzset();
    cq_arena_free(&a);
}
END_TEST

Suite *rows_suite(void)
{
    Suite *s = suite_create("rows");
    TCase *tc = tcase_create("rows");
    tcase_add_test(tc, rows_copy_keep_emit);
    tcase_add_test(tc, json_paths);
    tcase_add_test(tc, time_formats);
    tcase_add_test(tc, time_formats_in_zone);
    suite_add_tcase(s, tc);
    return s;
}

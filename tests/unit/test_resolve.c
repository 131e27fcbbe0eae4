/*
 * test_resolve.c - semantic checks after parsing: functions and their
 * arity, command options, regexes, time modifiers, sort functions.  Every
 * message is pinned as the CLI prints it (caret and hint included), through
 * cq_resolve_query() without macros.
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/resolve.h"

static char *out_buf;

/* "" if q passes the front end, else its error as printed. */
static const char *check(const char *q)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_diag d;
    cq_diag_init(&d);
    cq_expansion x;
    cq_ast *ast;
    free(out_buf);
    out_buf = NULL;
    size_t size;
    FILE *f = open_memstream(&out_buf, &size);
    if (cq_resolve_query(&a, NULL, q, strlen(q), &x, &ast, &d))
        cq_diag_print(f, &d, "query", q, strlen(q), 0);
    fclose(f);
    cq_arena_free(&a);
    return out_buf;
}

START_TEST(accepts_known_functions)
{
    ck_assert_str_eq(check("a | eval x=if(isnull(y), substr(z, 1, 2), lower(w))"), "");
    ck_assert_str_eq(check("a | where match(f, \"^a\\d+\") AND like(g, \"x%\")"), "");
    ck_assert_str_eq(check("a | eval t=case(x>1, \"a\", true(), \"b\"), n=now()"), "");
    ck_assert_str_eq(check("a | eval x=coalesce(a, b, c, d), y=mvappend(a), z=IF(a, b, c)"), "");
    ck_assert_str_eq(check("a | stats count count(x) dc(u) perc95(d) p50(d) perc99.9(d) "
                           "values(v) as vs by h"), "");
    ck_assert_str_eq(check("a | stats count(eval(len(x) > 3)) as n"), "");
    ck_assert_str_eq(check("a | convert timeformat=\"%Y\" ctime(t) mktime(u) as v"), "");
    ck_assert_str_eq(check("a | sort - num(x) auto(y) str(z)"), "");
    ck_assert_str_eq(check("a | rex field=m \"(?<user>\\w+)\" | regex m=\"^a\""), "");
    ck_assert_str_eq(check("a | rex mode=sed field=m \"s/a(/b/g\""), "");
    ck_assert_str_eq(check("earliest=-7d@d latest=now a | search [ search earliest=-1h b ]"), "");
    ck_assert_str_eq(check("a | transaction c startswith=eval(len(x)>2) maxspan=5m"), "");
}
END_TEST

START_TEST(unknown_function)
{
    ck_assert_str_eq(check("a | eval x=foo(1)"),
                     "query:1:12: error: unknown function \"foo\"\n"
                     "    a | eval x=foo(1)\n"
                     "               ^^^^^^\n");
    ck_assert_str_eq(check("a | where dc(x) > 1"),
                     "query:1:11: error: unknown function \"dc\"\n"
                     "    a | where dc(x) > 1\n"
                     "              ^^^^^\n"
                     "    hint: dc() is a stats function\n");
    ck_assert_str_eq(check("a | stats bogus(x) by y"),
                     "query:1:11: error: unknown function \"bogus\"\n"
                     "    a | stats bogus(x) by y\n"
                     "              ^^^^^^^^\n"
                     "    hint: stats functions: count, c, dc, distinct_count, values, list, "
                     "min, max, avg, sum, mean, stdevp, var, varp, sumsq, earliest, latest, "
                     "first, last, range, stdev, median, perc<N>, p<N>\n");
    ck_assert_str_eq(check("a | stats lower(x)"),
                     "query:1:11: error: unknown function \"lower\"\n"
                     "    a | stats lower(x)\n"
                     "              ^^^^^^^^\n"
                     "    hint: lower() is an eval function; wrap it: count(eval(...))\n");
    ck_assert_str_eq(check("a | stats perc(x) p101(x)"),
                     "query:1:11: error: unknown function \"perc\"\n"
                     "    a | stats perc(x) p101(x)\n"
                     "              ^^^^^^^\n"
                     "    hint: stats functions: count, c, dc, distinct_count, values, list, "
                     "min, max, avg, sum, mean, stdevp, var, varp, sumsq, earliest, latest, "
                     "first, last, range, stdev, median, perc<N>, p<N>\n");
    ck_assert_str_eq(check("a | convert foo(x)"),
                     "query:1:13: error: unknown function \"foo\"\n"
                     "    a | convert foo(x)\n"
                     "                ^^^^^^\n");
    /* nested inside an argument */
    ck_assert_str_eq(check("a | eval x=if(a, nope(), 1)"),
                     "query:1:18: error: unknown function \"nope\"\n"
                     "    a | eval x=if(a, nope(), 1)\n"
                     "                     ^^^^^^\n");
}
END_TEST

START_TEST(wrong_arity)
{
    ck_assert_str_eq(check("a | eval x=substr(a)"),
                     "query:1:12: error: function \"substr\" takes 2 or 3 arguments, not 1\n"
                     "    a | eval x=substr(a)\n"
                     "               ^^^^^^^^^\n");
    ck_assert_str_eq(check("a | eval x=if(a, b)"),
                     "query:1:12: error: function \"if\" takes 3 arguments, not 2\n"
                     "    a | eval x=if(a, b)\n"
                     "               ^^^^^^^^\n");
    ck_assert_str_eq(check("a | eval x=now(1)"),
                     "query:1:12: error: function \"now\" takes no arguments, not 1\n"
                     "    a | eval x=now(1)\n"
                     "               ^^^^^^\n");
    ck_assert_str_eq(check("a | eval x=lower()"),
                     "query:1:12: error: function \"lower\" takes 1 argument, not 0\n"
                     "    a | eval x=lower()\n"
                     "               ^^^^^^^\n");
    ck_assert_str_eq(check("a | eval x=coalesce()"),
                     "query:1:12: error: function \"coalesce\" takes at least 1 argument, not 0\n"
                     "    a | eval x=coalesce()\n"
                     "               ^^^^^^^^^^\n");
    ck_assert_str_eq(check("a | eval x=case(a, 1, b)"),
                     "query:1:12: error: function \"case\" takes pairs of condition and value, "
                     "not 3 arguments\n"
                     "    a | eval x=case(a, 1, b)\n"
                     "               ^^^^^^^^^^^^^\n");
    ck_assert_str_eq(check("a | chart eval(avg(x) * 2) as y by h"), "");
    ck_assert_str_eq(check("a | chart eval(avg(x, 1)) as y"),
                     "query:1:16: error: function \"avg\" takes 1 argument, not 2\n"
                     "    a | chart eval(avg(x, 1)) as y\n"
                     "                   ^^^^^^^^^\n");
    ck_assert_str_eq(check("a | stats eval(count * 2) as y"),
                     "query:1:11: error: stats cannot compute eval(...) from its results; "
                     "use eval after it\n"
                     "    a | stats eval(count * 2) as y\n"
                     "              ^^^^^^^^^^^^^^^^^^^^\n");
    ck_assert_str_eq(check("a | stats avg"),
                     "query:1:11: error: function \"avg\" takes 1 argument, not 0\n"
                     "    a | stats avg\n"
                     "              ^^^\n");
}
END_TEST

START_TEST(unknown_option)
{
    ck_assert_str_eq(check("a | head limit=5 bogus=1"),
                     "query:1:18: error: unknown option \"bogus\" for \"head\"\n"
                     "    a | head limit=5 bogus=1\n"
                     "                     ^^^^^^^\n"
                     "    hint: head takes limit=, null=, keeplast=\n");
    ck_assert_str_eq(check("a | rex colour=red \"(?<x>y)\""),
                     "query:1:9: error: unknown option \"colour\" for \"rex\"\n"
                     "    a | rex colour=red \"(?<x>y)\"\n"
                     "            ^^^^^^^^^^\n"
                     "    hint: rex takes field=, max_match=, offset_field=, mode=\n");
    ck_assert_str_eq(check("a | fillnull valeu=0"),
                     "query:1:14: error: unknown option \"valeu\" for \"fillnull\"\n"
                     "    a | fillnull valeu=0\n"
                     "                 ^^^^^^^\n"
                     "    hint: fillnull takes value=\n");
}
END_TEST

START_TEST(bad_regex)
{
    ck_assert_str_eq(check("a | rex \"(?<a>\\w+\""),
                     "query:1:9: error: bad regex: missing closing parenthesis\n"
                     "    a | rex \"(?<a>\\w+\"\n"
                     "            ^^^^^^^^^^\n"
                     "    hint: at offset 8 of the pattern\n");
    ck_assert_str_eq(check("a | regex f=\"[a\""),
                     "query:1:11: error: bad regex: missing terminating ] for character class\n"
                     "    a | regex f=\"[a\"\n"
                     "              ^^^^^^\n"
                     "    hint: at offset 2 of the pattern\n");
    ck_assert_str_eq(check("a | regex \"*a\""),
                     "query:1:11: error: bad regex: quantifier does not follow a repeatable item\n"
                     "    a | regex \"*a\"\n"
                     "              ^^^^\n"
                     "    hint: at offset 0 of the pattern\n");
    ck_assert_str_eq(check("a | where match(f, \"a)\")"),
                     "query:1:20: error: bad regex: unmatched closing parenthesis\n"
                     "    a | where match(f, \"a)\")\n"
                     "                       ^^^^\n"
                     "    hint: at offset 1 of the pattern\n");
    ck_assert_str_eq(check("a | eval x=replace(f, \"(\", \"\")"),
                     "query:1:23: error: bad regex: missing closing parenthesis\n"
                     "    a | eval x=replace(f, \"(\", \"\")\n"
                     "                          ^^^\n"
                     "    hint: at offset 1 of the pattern\n");
    /* a pattern held in a field is checked when the query runs */
    ck_assert_str_eq(check("a | where match(f, g)"), "");
}
END_TEST

START_TEST(rex_needs_a_named_group)
{
    ck_assert_str_eq(check("a | rex field=m \"(\\w+)\""),
                     "query:1:17: error: the regex of rex extracts no field\n"
                     "    a | rex field=m \"(\\w+)\"\n"
                     "                    ^^^^^^^\n"
                     "    hint: name a group, e.g. (?<user>\\w+)\n");
    ck_assert_str_eq(check("a | rex field=m"),
                     "query:1:5: error: rex needs a regex, e.g. rex \"(?<user>\\w+)\"\n"
                     "    a | rex field=m\n"
                     "        ^^^^^^^^^^^\n");
    ck_assert_str_eq(check("a | rex \"(?<a>b)\" \"(?<c>d)\""),
                     "query:1:19: error: rex takes one regex\n"
                     "    a | rex \"(?<a>b)\" \"(?<c>d)\"\n"
                     "                      ^^^^^^^^^\n");
}
END_TEST

START_TEST(bad_time_modifier)
{
    ck_assert_str_eq(check("a earliest=-3x"),
                     "query:1:3: error: bad time modifier \"-3x\"\n"
                     "    a earliest=-3x\n"
                     "      ^^^^^^^^^^^^\n"
                     "    hint: use -24h, -7d@d, @w1, now, epoch seconds or %m/%d/%Y:%H:%M:%S\n");
    /* in a subsearch too */
    ck_assert_str_eq(check("a [ search latest=soon ]"),
                     "query:1:12: error: bad time modifier \"soon\"\n"
                     "    a [ search latest=soon ]\n"
                     "               ^^^^^^^^^^^\n"
                     "    hint: use -24h, -7d@d, @w1, now, epoch seconds or %m/%d/%Y:%H:%M:%S\n");
}
END_TEST

START_TEST(unknown_sort_function)
{
    ck_assert_str_eq(check("a | sort len(x)"),
                     "query:1:10: error: unknown sort function \"len\"\n"
                     "    a | sort len(x)\n"
                     "             ^^^^^^\n"
                     "    hint: sort keys take num(), str(), ip() or auto()\n");
}
END_TEST

START_TEST(tables)
{
    size_t n;
    const cq_fn_def *f = cq_fn_def_table(&n);
    ck_assert_uint_gt(n, 60);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cq_fn_def_find("substr", CQ_FNKIND_EVAL)->max_args, 3);
    ck_assert_str_eq(cq_fn_def_find("perc95", CQ_FNKIND_STATS)->name, "perc");
    ck_assert_str_eq(cq_fn_def_find("p5", CQ_FNKIND_STATS)->name, "p");
    ck_assert_ptr_null(cq_fn_def_find("pct", CQ_FNKIND_STATS));
    ck_assert_ptr_null(cq_fn_def_find("perc-1", CQ_FNKIND_STATS));
    ck_assert_int_eq(cq_fn_def_find("min", CQ_FNKIND_STATS)->max_args, 1);
    ck_assert_int_eq(cq_fn_def_find("min", CQ_FNKIND_EVAL)->max_args, -1);
    cq_cmd_def_table(&n);
    ck_assert_uint_eq(n, 51);
    ck_assert_ptr_nonnull(cq_cmd_def_find("timechart"));
    ck_assert_ptr_nonnull(cq_cmd_def_find("from"));
    ck_assert_ptr_nonnull(cq_cmd_def_find("datamodel"));
    ck_assert_ptr_null(cq_cmd_def_find("bucket"));
}
END_TEST

Suite *resolve_suite(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("resolve");
    tcase_add_test(tc, accepts_known_functions);
    tcase_add_test(tc, unknown_function);
    tcase_add_test(tc, wrong_arity);
    tcase_add_test(tc, unknown_option);
    tcase_add_test(tc, bad_regex);
    tcase_add_test(tc, rex_needs_a_named_group);
    tcase_add_test(tc, bad_time_modifier);
    tcase_add_test(tc, unknown_sort_function);
    tcase_add_test(tc, tables);
    suite_add_tcase(s, tc);
    return s;
}

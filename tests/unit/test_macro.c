/*
 * test_macro.c - macro definitions files, expansion and the offset map.
 * Expansions are compared as text; errors as "error: MESSAGE @START-END"
 * (span into the query as written) or as printed for the user, caret
 * included.
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/macro.h"
#include "grammar/resolve.h"

static const char *conf_text =
    "# test macros\n"
    "[src]\n"
    "definition = sourcetype=kubernetes:apiserver\n"
    "[ctime(1)]\n"
    "args = field\n"
    "definition = convert ctime($field$)\n"
    "[pair(2)]\n"
    "args = a, b\n"
    "definition = $a$=$b$ cost=$5$\n"
    "[outer]\n"
    "definition = `src` `pair(verb,get)`\n"
    "[loop_a]\n"
    "definition = x `loop_b`\n"
    "[loop_b]\n"
    "definition = y `loop_a`\n"
    "[broken]\n"
    "definition = eval x=1 +* 2\n"
    "[badcall]\n"
    "definition = a `nope`\n"
    "[long]\n"
    "definition = a \\\n"
    "  b\n"
    "[badfn]\n"
    "definition = eval x=foo(1)\n"
    "[mine_filter]\n"
    "definition = search keep\n";

static char *out_buf;

/* out_buf = a printf into a memstream; returns it. */
static const char *fmt_out(const char *fmt, const char *s, unsigned a, unsigned b)
{
    free(out_buf);
    out_buf = NULL;
    size_t size;
    FILE *f = open_memstream(&out_buf, &size);
    fprintf(f, fmt, s, a, b);
    fclose(f);
    return out_buf;
}

/* The expansion of q with conf_text, or its error. */
static const char *expand(const char *q)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_int_eq(cq_macros_parse(&m, conf_text, strlen(conf_text), "test.conf", &d), 0);
    cq_expansion x;
    const char *r;
    if (cq_macro_expand(&m, &a, q, strlen(q), &x, &d) == 0)
        r = fmt_out("%s", x.text, 0, 0);
    else
        r = fmt_out("error: %s @%u-%u", d.msg, d.span.start, d.span.end);
    cq_arena_free(&a);
    return r;
}

/* The error of a whole front-end run (expand, parse, resolve) as the CLI
 * prints it. */
static const char *printed(const char *q)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_int_eq(cq_macros_parse(&m, conf_text, strlen(conf_text), "test.conf", &d), 0);
    cq_expansion x;
    cq_ast *ast;
    ck_assert_int_ne(cq_resolve_query(&a, &m, q, strlen(q), &x, &ast, &d), 0);
    free(out_buf);
    out_buf = NULL;
    size_t size;
    FILE *f = open_memstream(&out_buf, &size);
    cq_diag_print(f, &d, "query", q, strlen(q), 0);
    fclose(f);
    cq_arena_free(&a);
    return out_buf;
}

/* The error of parsing a definitions file. */
static const char *conf_error(const char *text)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_int_ne(cq_macros_parse(&m, text, strlen(text), "m.conf", &d), 0);
    ck_assert_uint_eq(d.span.start, UINT32_MAX);
    const char *r = fmt_out("%s", d.msg, 0, 0);
    cq_arena_free(&a);
    return r;
}

/* ---- the definitions file */

START_TEST(conf_reads_stanzas)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_int_eq(cq_macros_parse(&m, conf_text, strlen(conf_text), "t", &d), 0);
    const cq_macro *c = cq_macros_find(&m, "ctime", 5, 1);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->args[0], "field");
    ck_assert_str_eq(c->definition, "convert ctime($field$)");
    ck_assert_ptr_null(cq_macros_find(&m, "ctime", 5, 0));
    ck_assert_str_eq(cq_macros_find(&m, "long", 4, 0)->definition, "a \n  b");
    cq_arena_free(&a);
}
END_TEST

START_TEST(conf_errors)
{
    ck_assert_str_eq(conf_error("definition = x\n"),
                     "m.conf:1: \"definition\" outside a [macro] stanza");
    ck_assert_str_eq(conf_error("# c\n[a]\ndescription = d\n"),
                     "m.conf:2: macro \"a\" has no definition");
    ck_assert_str_eq(conf_error("[a(x)]\ndefinition = y\n"), "m.conf:1: bad macro stanza [a(x)]");
    ck_assert_str_eq(conf_error("[a b]\n"), "m.conf:1: bad macro stanza [a b]");
    ck_assert_str_eq(conf_error("[a\n"),
                     "m.conf:1: expected \"]\" at the end of the stanza name");
    ck_assert_str_eq(conf_error("[a(2)]\nargs = x\ndefinition = $x$\n"),
                     "m.conf:1: macro \"a(2)\" needs 2 argument names in \"args =\"");
    ck_assert_str_eq(conf_error("[a(1)]\nargs = x y\n"), "m.conf:2: bad argument name \"x y\"");
    ck_assert_str_eq(conf_error("[a]\ncolor = red\n"), "m.conf:2: unknown key \"color\"");
    ck_assert_str_eq(conf_error("[a]\nx\n"), "m.conf:2: expected \"key = value\", found \"x\"");
    ck_assert_str_eq(conf_error("[a]\niseval = 1\ndefinition = 1+1\n"),
                     "m.conf:2: not supported yet: iseval = 1");
}
END_TEST

START_TEST(conf_missing_file)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_int_ne(cq_macros_load(&m, "/nonexistent/macros.conf", &d), 0);
    ck_assert_str_eq(d.msg, "cannot read macro file /nonexistent/macros.conf: "
                     "No such file or directory");
    cq_arena_free(&a);
}
END_TEST

START_TEST(shipped_conf_loads)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/macros.conf", test_srcdir());
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_msg(cq_macros_load(&m, path, &d) == 0, "%s", d.msg);
    ck_assert_str_eq(cq_macros_find(&m, "kube_audit", 10, 0)->definition,
                     "sourcetype=kubernetes:apiserver");
    ck_assert_str_eq(cq_macros_find(&m, "security_content_summariesonly", 30, 0)->definition,
                     "summariesonly=`summariesonly_config` allow_old_summaries="
                     "`oldsummaries_config` fillnull_value=`fillnull_config`");
    ck_assert_ptr_nonnull(cq_macros_find(&m, "security_content_ctime", 22, 1));
    cq_arena_free(&a);
}
END_TEST

/* ---- expansion */

START_TEST(expands_simple_and_args)
{
    ck_assert_str_eq(expand("`src` verb=get"), "sourcetype=kubernetes:apiserver verb=get");
    ck_assert_str_eq(expand("a | `ctime(firstTime)`"), "a | convert ctime(firstTime)");
    ck_assert_str_eq(expand("`ctime( t )`"), "convert ctime(t)");
    /* $5$ is not an argument: kept as written */
    ck_assert_str_eq(expand("`pair(user, \"a,b\")`"), "user=\"a,b\" cost=$5$");
    ck_assert_str_eq(expand("`pair(f(x,y), z)`"), "f(x,y)=z cost=$5$");
    ck_assert_str_eq(expand("`src()`"), "sourcetype=kubernetes:apiserver");
    ck_assert_str_eq(expand("no macros here"), "no macros here");
    ck_assert_str_eq(expand(""), "");
}
END_TEST

START_TEST(expands_nested)
{
    ck_assert_str_eq(expand("`outer` | x"),
                     "sourcetype=kubernetes:apiserver verb=get cost=$5$ | x");
}
END_TEST

START_TEST(not_in_strings_or_comments)
{
    ck_assert_str_eq(expand("a=\"`src`\" `src`"), "a=\"`src`\" sourcetype=kubernetes:apiserver");
    ck_assert_str_eq(expand("a=\"x\\\"`src`\""), "a=\"x\\\"`src`\"");
    ck_assert_str_eq(expand("a ```a `src` here``` b"), "a ```a `src` here``` b");
    ck_assert_str_eq(expand("a ```open `src`"), "a ```open `src`");
    /* an escaped quote outside a string opens nothing */
    ck_assert_str_eq(expand("f=*\\\"x\\\":1* `src`"), "f=*\\\"x\\\":1* sourcetype=kubernetes:apiserver");
}
END_TEST

START_TEST(filter_macros_are_no_ops)
{
    /* undefined: `search *`, as Splunk ships them, so a pipeline may go on */
    ck_assert_str_eq(expand("a | `some_detection_filter`"), "a | search *");
    ck_assert_str_eq(expand("a |`x_filter(1)` | head 1"), "a |search * | head 1");
    /* defined: the definition wins */
    ck_assert_str_eq(expand("a | `mine_filter`"), "a | search keep");
}
END_TEST

START_TEST(expansion_errors)
{
    ck_assert_str_eq(expand("a `nope` b"), "error: unknown macro \"nope\" @2-8");
    ck_assert_str_eq(expand("`ctime`"), "error: macro \"ctime\" takes 1 argument, not 0 @0-7");
    ck_assert_str_eq(expand("`pair(a)`"), "error: macro \"pair\" takes 2 arguments, not 1 @0-9");
    ck_assert_str_eq(expand("a `src"), "error: unterminated macro call @2-3");
    ck_assert_str_eq(expand("a `` b"), "error: empty macro call @2-4");
    ck_assert_str_eq(expand("`a b`"), "error: bad macro call @0-5");
    ck_assert_str_eq(expand("`a(b`"), "error: bad macro call @0-5");
    /* inside an expansion: the call the user wrote */
    ck_assert_str_eq(expand("x | `badcall`"), "error: unknown macro \"nope\" @4-13");
    ck_assert_str_eq(expand("x `loop_a`"), "error: macro \"loop_a\" calls itself @2-10");
}
END_TEST

START_TEST(expansion_errors_printed)
{
    ck_assert_str_eq(printed("sourcetype=x | `nope(a)`"),
                     "query:1:16: error: unknown macro \"nope\"\n"
                     "    sourcetype=x | `nope(a)`\n"
                     "                   ^^^^^^^^^\n"
                     "    hint: define it in macros.conf\n");
    ck_assert_str_eq(printed("x `loop_a`"),
                     "query:1:3: error: macro \"loop_a\" calls itself\n"
                     "    x `loop_a`\n"
                     "      ^^^^^^^^\n"
                     "    hint: loop_a -> loop_b -> loop_a\n");
    ck_assert_str_eq(printed("x `a"),
                     "query:1:3: error: unterminated macro call\n"
                     "    x `a\n"
                     "      ^\n"
                     "    hint: close it with `\n");
    ck_assert_str_eq(printed("`a b`"),
                     "query:1:1: error: bad macro call\n"
                     "    `a b`\n"
                     "    ^^^^^\n"
                     "    hint: write `name` or `name(arg1,arg2)`\n");
}
END_TEST

/* A chain of macros deeper than the limit (not a cycle). */
START_TEST(depth_limit)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    for (int i = 0; i < CQ_MACRO_MAX_DEPTH + 2; i++) {
        char name[16], def[32];
        snprintf(name, sizeof name, "m%d", i);
        snprintf(def, sizeof def, "`m%d`", i + 1);
        cq_macros_define(&m, name, 0, NULL, def);
    }
    cq_diag d;
    cq_diag_init(&d);
    cq_expansion x;
    ck_assert_int_ne(cq_macro_expand(&m, &a, "a `m0`", 6, &x, &d), 0);
    ck_assert_str_eq(d.msg, "macros nested too deeply (more than 32 levels)");
    ck_assert_uint_eq(d.span.start, 2);
    ck_assert_uint_eq(d.span.end, 6);
    cq_arena_free(&a);
}
END_TEST

/* Ten calls of ten calls of ...: stopped by the output limit. */
START_TEST(output_limit)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    for (int i = 0; i < 8; i++) {
        char name[16], def[128] = "";
        snprintf(name, sizeof name, "m%d", i);
        for (int k = 0; k < 10; k++)
            snprintf(def + strlen(def), sizeof def - strlen(def), "`m%d` ", i + 1);
        cq_macros_define(&m, name, 0, NULL, def);
    }
    cq_macros_define(&m, "m8", 0, NULL, "xxxxxxxxxxxxxxxx");
    cq_diag d;
    cq_diag_init(&d);
    cq_expansion x;
    ck_assert_int_ne(cq_macro_expand(&m, &a, "`m0`", 4, &x, &d), 0);
    ck_assert_str_eq(d.msg, "macro expansion too long (more than 1048576 bytes)");
    cq_arena_free(&a);
}
END_TEST

/* ---- the offset map */

START_TEST(map_spans)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_macros m;
    cq_macros_init(&m, &a);
    cq_macros_define(&m, "s", 0, NULL, "sourcetype=x");
    cq_diag d;
    cq_diag_init(&d);
    cq_expansion x;
    /* "a `s` b" -> "a sourcetype=x b" */
    ck_assert_int_eq(cq_macro_expand(&m, &a, "a `s` b", 7, &x, &d), 0);
    ck_assert_str_eq(x.text, "a sourcetype=x b");
    cq_span s = cq_expansion_map(&x, cq_span_make(15, 16));     /* b */
    ck_assert_uint_eq(s.start, 6);
    ck_assert_uint_eq(s.end, 7);
    s = cq_expansion_map(&x, cq_span_make(4, 8));               /* inside */
    ck_assert_uint_eq(s.start, 2);
    ck_assert_uint_eq(s.end, 5);
    s = cq_expansion_map(&x, cq_span_make(0, 16));              /* across */
    ck_assert_uint_eq(s.start, 0);
    ck_assert_uint_eq(s.end, 7);
    s = cq_expansion_map(&x, cq_span_make(16, 16));             /* the end */
    ck_assert_uint_eq(s.start, 7);
    s = cq_expansion_map(&x, cq_span_make(5, 5));               /* point inside */
    ck_assert_uint_eq(s.start, 2);
    ck_assert_uint_eq(s.end, 5);
    ck_assert_ptr_nonnull(cq_expansion_macro_at(&x, 3));
    ck_assert_ptr_null(cq_expansion_macro_at(&x, 1));
    cq_arena_free(&a);
}
END_TEST

START_TEST(syntax_error_after_a_macro)
{
    /* the expansion is longer than the call: the caret still lands on the
     * user's text */
    ck_assert_str_eq(printed("`src` | search a="),
                     "query:1:18: error: expected a value after \"=\"\n"
                     "    `src` | search a=\n"
                     "                     ^\n"
                     "    hint: quote values that contain spaces, e.g. command=\"docker exec\"\n");
    ck_assert_str_eq(printed("`ctime(t)` | eval x=substr(a)"),
                     "query:1:21: error: function \"substr\" takes 2 or 3 arguments, not 1\n"
                     "    `ctime(t)` | eval x=substr(a)\n"
                     "                        ^^^^^^^^^\n");
}
END_TEST

START_TEST(syntax_error_inside_a_macro)
{
    ck_assert_str_eq(printed("x | `broken` | table a"),
                     "query:1:5: error: expected an expression after \"+\", found \"*\"\n"
                     "    x | `broken` | table a\n"
                     "        ^^^^^^^^\n"
                     "    hint: in the expansion of `broken`: eval x=1 +* 2\n");
    /* a semantic error: the tree's spans were mapped too */
    ck_assert_str_eq(printed("a | `badfn`"),
                     "query:1:5: error: unknown function \"foo\"\n"
                     "    a | `badfn`\n"
                     "        ^^^^^^^\n");
}
END_TEST

Suite *macro_suite(void)
{
    Suite *s = suite_create("macro");
    TCase *tc = tcase_create("macro");
    tcase_add_test(tc, conf_reads_stanzas);
    tcase_add_test(tc, conf_errors);
    tcase_add_test(tc, conf_missing_file);
    tcase_add_test(tc, shipped_conf_loads);
    tcase_add_test(tc, expands_simple_and_args);
    tcase_add_test(tc, expands_nested);
    tcase_add_test(tc, not_in_strings_or_comments);
    tcase_add_test(tc, filter_macros_are_no_ops);
    tcase_add_test(tc, expansion_errors);
    tcase_add_test(tc, expansion_errors_printed);
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, output_limit);
    tcase_add_test(tc, map_spans);
    tcase_add_test(tc, syntax_error_after_a_macro);
    tcase_add_test(tc, syntax_error_inside_a_macro);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_lexer.c - the scanner alone: which tokens SPL text becomes, with
 * their byte spans.  Each test lexes a query and compares a one-line
 * rendering: kind(text)@start-end per token, or kind@start-end when the text is the
 * kind's own name (punctuation, keywords, command names).
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/parser.h"
#include "lexer/lexer.h"

/* Renders every token of q (until the end or the first error); the error
 * message, if any, follows as " ! message@start-end". */
static char *lex_all(const char *q)
{
    static char out[4096];
    cq_arena a;
    cq_diag d;
    cq_lex_state ls;
    yyscan_t sc;
    cq_arena_init(&a);
    cq_diag_init(&d);
    ck_assert_int_eq(cq_lex_open(&ls, &a, &d, q, strlen(q), &sc), 0);
    out[0] = '\0';
    for (int i = 0; i < 200; i++) {
        cq_tok t;
        cq_span s;
        int k = cq_lex_next(sc, &t, &s);
        if (k == 0)
            break;
        size_t len = strlen(out);
        const char *name = cq_parse_token_name(k);
        if (k == TOK_LEXERR) {
            snprintf(out + len, sizeof out - len, "%s! %s@%u-%u", len ? " " : "",
                     d.msg, d.span.start, d.span.end);
            break;
        }
        if (!t.text || !strcmp(t.text, name))
            snprintf(out + len, sizeof out - len, "%s%s@%u-%u", len ? " " : "",
                     name, s.start, s.end);
        else
            snprintf(out + len, sizeof out - len, "%s%s(%s)@%u-%u", len ? " " : "",
                     name, t.text ? t.text : "", s.start, s.end);
    }
    cq_lex_close(sc);
    cq_arena_free(&a);
    return out;
}

START_TEST(search_values_are_one_token)
{
    ck_assert_str_eq(lex_all("sourcetype=kubernetes:apiserver"),
                     "name(sourcetype)@0-10 =@10-11 value(kubernetes:apiserver)@11-31");
    ck_assert_str_eq(lex_all("f=v* src=10.0.0.0/8"),
                     "name(f)@0-1 =@1-2 value(v*)@2-4 name(src)@5-8 =@8-9 "
                     "value(10.0.0.0/8)@9-19");
    ck_assert_str_eq(lex_all("p=/var/run/docker.sock"),
                     "name(p)@0-1 =@1-2 value(/var/run/docker.sock)@2-22");
    ck_assert_str_eq(lex_all("earliest=-7d@d latest=now"),
                     "name(earliest)@0-8 =@8-9 value(-7d@d)@9-14 name(latest)@15-21 "
                     "=@21-22 value(now)@22-25");
    ck_assert_str_eq(lex_all("a!=b c >= 5"),
                     "name(a)@0-1 !=@1-3 value(b)@3-4 name(c)@5-6 >=@7-9 value(5)@10-11");
    ck_assert_str_eq(lex_all("x=*\\\"p\\\":true*"),
                     "name(x)@0-1 =@1-2 value(*\"p\":true*)@2-14");
    ck_assert_str_eq(lex_all("annotations.a.k8s.io/reason=* user.groups{}!=::1"),
                     "name(annotations.a.k8s.io/reason)@0-27 =@27-28 value(*)@28-29 "
                     "name(user.groups{})@30-43 !=@43-45 value(::1)@45-48");
}
END_TEST

START_TEST(search_keywords_are_uppercase)
{
    ck_assert_str_eq(lex_all("NOT a OR b AND c or d"),
                     "NOT@0-3 name(a)@4-5 OR@6-8 name(b)@9-10 AND@11-14 name(c)@15-16 "
                     "name(or)@17-19 name(d)@20-21");
    ck_assert_str_eq(lex_all("ORACLE INFO"), "name(ORACLE)@0-6 name(INFO)@7-11");
}
END_TEST

START_TEST(quoted_strings_and_escapes)
{
    ck_assert_str_eq(lex_all("\"a \\\"b\\\" c\""), "quoted string(a \"b\" c)@0-11");
    ck_assert_str_eq(lex_all("\"objectRef.resource\"=daemonsets"),
                     "quoted string(objectRef.resource)@0-20 =@20-21 value(daemonsets)@21-31");
    /* regex escapes other than \" and \\ survive */
    ck_assert_str_eq(lex_all("| rex \"\\d+\\\\\""),
                     "|@0-1 rex@2-5 quoted string(\\d+\\)@6-13");
    ck_assert_str_eq(lex_all("a \"open"), "name(a)@0-1 ! unterminated quoted string@2-3");
}
END_TEST

START_TEST(in_lists)
{
    ck_assert_str_eq(lex_all("f IN (\"a b\", c*)"),
                     "name(f)@0-1 IN@2-4 (@5-6 quoted string(a b)@6-11 ,@11-12 "
                     "value(c*)@13-15 )@15-16");
    ck_assert_str_eq(lex_all("p IN(a,b)"),
                     "name(p)@0-1 IN@2-4 (@4-5 value(a)@5-6 ,@6-7 value(b)@7-8 )@8-9");
}
END_TEST

START_TEST(directives_and_comments)
{
    ck_assert_str_eq(lex_all("CASE(Foo) TERM(10.0.0.1)"),
                     "CASE(@0-5 value(Foo)@5-8 )@8-9 TERM(@10-15 value(10.0.0.1)@15-23 )@23-24");
    ck_assert_str_eq(lex_all("a ```x | y``` b"), "name(a)@0-1 name(b)@14-15");
    ck_assert_str_eq(lex_all("a ```x"), "name(a)@0-1 ! unterminated comment@2-5");
}
END_TEST

START_TEST(eval_mode)
{
    ck_assert_str_eq(lex_all("| eval x='a.b'.c*2.5"),
                     "|@0-1 eval@2-6 name(x)@7-8 =@8-9 quoted field name(a.b)@9-14 "
                     ".@14-15 name(c)@15-16 *@16-17 number(2.5)@17-20");
    ck_assert_str_eq(lex_all("| where a==b AND c LIKE \"x%\""),
                     "|@0-1 where@2-7 name(a)@8-9 ==@9-11 name(b)@11-12 AND@13-16 "
                     "name(c)@17-18 LIKE@19-23 quoted string(x%)@24-28");
    /* and/or/not in any case are operators here (in a search only upper case) */
    ck_assert_str_eq(lex_all("| where a and Not b oR android"),
                     "|@0-1 where@2-7 name(a)@8-9 AND(and)@10-13 NOT(Not)@14-17 name(b)@18-19 "
                     "OR(oR)@20-22 name(android)@23-30");
    ck_assert_str_eq(lex_all("| eval x=1 ; y"),
                     "|@0-1 eval@2-6 name(x)@7-8 =@8-9 number(1)@9-10 "
                     "! unexpected character \";\"@11-12");
}
END_TEST

START_TEST(args_mode)
{
    ck_assert_str_eq(lex_all("| sort 10 -count, num(x)"),
                     "|@0-1 sort@2-6 number(10)@7-9 -@10-11 name(count)@11-16 "
                     ",@16-17 name(num)@18-21 (@21-22 name(x)@22-23 )@23-24");
    ck_assert_str_eq(lex_all("| rename object.* AS *"),
                     "|@0-1 rename@2-8 name(object.*)@9-17 as(AS)@18-20 name(*)@21-22");
    ck_assert_str_eq(lex_all("| bucket span=5m _time"),
                     "|@0-1 command(bin)@2-8 name(span)@9-13 =@13-14 value(5m)@14-16 "
                     "name(_time)@17-22");
    /* after as: a name with (...) in it, or a quoted one */
    ck_assert_str_eq(lex_all("| stats values(x) as x(y), c as \"a b\" by f(g)"),
                     "|@0-1 stats@2-7 name(values)@8-14 (@14-15 name(x)@15-16 )@16-17 "
                     "as@18-20 name(x(y))@21-25 ,@25-26 name(c)@27-28 as@29-31 "
                     "quoted string(a b)@32-37 by@38-40 name(f)@41-42 (@42-43 name(g)@43-44 "
                     ")@44-45");
    /* a comma ends an option's value */
    ck_assert_str_eq(lex_all("| join type=left a,b [x]"),
                     "|@0-1 join@2-6 name(type)@7-11 =@11-12 value(left)@12-16 "
                     "name(a)@17-18 ,@18-19 name(b)@19-20 [@21-22 name(x)@22-23 ]@23-24");
}
END_TEST

START_TEST(command_position)
{
    ck_assert_str_eq(lex_all("search x"), "search@0-6 name(x)@7-8");
    ck_assert_str_eq(lex_all("searchx"), "name(searchx)@0-7");
    ck_assert_str_eq(lex_all("stats count"), "name(stats)@0-5 name(count)@6-11");
    ck_assert_str_eq(lex_all("a | foo"), "name(a)@0-1 |@2-3 ! unknown command \"foo\"@4-7");
    ck_assert_str_eq(lex_all("| STATS count"), "|@0-1 stats@2-7 name(count)@8-13");
}
END_TEST

START_TEST(errors_have_spans)
{
    ck_assert_str_eq(lex_all("a `kube_audit` b"),
                     "name(a)@0-1 ! unexpanded macro \"`kube_audit`\"@2-14");
    ck_assert_str_eq(lex_all("`x"), "! unexpanded macro \"`x\"@0-2");
    ck_assert_str_eq(lex_all("| eval x=\x01"),
                     "|@0-1 eval@2-6 name(x)@7-8 =@8-9 ! unexpected character \"\\x01\"@9-10");
}
END_TEST

START_TEST(multiline_spans)
{
    ck_assert_str_eq(lex_all("a\n| table b"),
                     "name(a)@0-1 |@2-3 table@4-9 name(b)@10-11");
}
END_TEST

/* Two scanners at once: no state is shared. */
START_TEST(two_scanners_interleave)
{
    cq_arena a;
    cq_diag d1, d2;
    cq_lex_state l1, l2;
    yyscan_t s1, s2;
    cq_arena_init(&a);
    cq_diag_init(&d1);
    cq_diag_init(&d2);
    const char *q1 = "| eval x=a.b", *q2 = "f=a.b";
    ck_assert_int_eq(cq_lex_open(&l1, &a, &d1, q1, strlen(q1), &s1), 0);
    ck_assert_int_eq(cq_lex_open(&l2, &a, &d2, q2, strlen(q2), &s2), 0);
    cq_tok t;
    cq_span s;
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_PIPE);
    ck_assert_int_eq(cq_lex_next(s2, &t, &s), TOK_WORD);
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_CMD_EVAL);
    ck_assert_int_eq(cq_lex_next(s2, &t, &s), TOK_EQ);
    ck_assert_int_eq(cq_lex_next(s2, &t, &s), TOK_VALUE);
    ck_assert_str_eq(t.text, "a.b");
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_WORD);
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_EQ);
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_WORD);
    ck_assert_int_eq(cq_lex_next(s1, &t, &s), TOK_DOT);
    cq_lex_close(s1);
    cq_lex_close(s2);
    cq_arena_free(&a);
}
END_TEST

Suite *lexer_suite(void)
{
    Suite *s = suite_create("lexer");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, search_values_are_one_token);
    tcase_add_test(tc, search_keywords_are_uppercase);
    tcase_add_test(tc, quoted_strings_and_escapes);
    tcase_add_test(tc, in_lists);
    tcase_add_test(tc, directives_and_comments);
    tcase_add_test(tc, eval_mode);
    tcase_add_test(tc, args_mode);
    tcase_add_test(tc, command_position);
    tcase_add_test(tc, errors_have_spans);
    tcase_add_test(tc, multiline_spans);
    tcase_add_test(tc, two_scanners_interleave);
    suite_add_tcase(s, tc);
    return s;
}

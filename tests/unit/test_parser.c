/*
 * test_parser.c - SPL text -> AST.  Each test parses a query and compares
 * the tree as cq_ast_print() writes it (the same text `cquery explain`
 * shows), or the error as "error: MESSAGE @START-END".
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/parse.h"

/* The printed tree of q, or its error; valid until the next call. */
static const char *tree(const char *q)
{
    static char *buf;
    size_t size = 0;
    free(buf);
    buf = NULL;
    FILE *f = open_memstream(&buf, &size);
    cq_arena a;
    cq_diag d;
    cq_ast *ast = NULL;
    cq_arena_init(&a);
    cq_diag_init(&d);
    if (cq_parse(&a, q, strlen(q), &ast, &d) == 0)
        cq_ast_print(f, ast, 0);
    else
        fprintf(f, "error: %s @%u-%u", d.msg, d.span.start, d.span.end);
    fclose(f);
    cq_arena_free(&a);
    return buf;
}

/* The full message as the CLI prints it, caret and hint included. */
static const char *printed_error(const char *q)
{
    static char *buf;
    size_t size = 0;
    free(buf);
    buf = NULL;
    FILE *f = open_memstream(&buf, &size);
    cq_arena a;
    cq_diag d;
    cq_ast *ast = NULL;
    cq_arena_init(&a);
    cq_diag_init(&d);
    ck_assert_int_ne(cq_parse(&a, q, strlen(q), &ast, &d), 0);
    cq_diag_print(f, &d, "query", q, strlen(q), 0);
    fclose(f);
    cq_arena_free(&a);
    return buf;
}

#define SEARCH1(body) "PIPELINE\n  COMMAND search\n" body

/* ---- issue 2's analytics */

START_TEST(analytic_docker_kubectl_exec)
{
    ck_assert_str_eq(
        tree("sourcetype=docker:daemon OR sourcetype=kubernetes:apiserver"
             " | search command IN (\"docker exec\", \"kubectl exec\")"),
        "PIPELINE\n"
        "  COMMAND search\n"
        "    OR\n"
        "      COMPARE sourcetype = \"docker:daemon\"\n"
        "      COMPARE sourcetype = \"kubernetes:apiserver\"\n"
        "  COMMAND search\n"
        "    IN command\n"
        "      VALUE \"docker exec\" [quoted]\n"
        "      VALUE \"kubectl exec\" [quoted]\n");
}
END_TEST

START_TEST(analytic_container_start_exec)
{
    ck_assert_str_eq(
        tree("sourcetype=docker:daemon OR sourcetype=kubernetes:container"
             " | search action=\"start\" OR action=\"exec\""),
        "PIPELINE\n"
        "  COMMAND search\n"
        "    OR\n"
        "      COMPARE sourcetype = \"docker:daemon\"\n"
        "      COMPARE sourcetype = \"kubernetes:container\"\n"
        "  COMMAND search\n"
        "    OR\n"
        "      COMPARE action = \"start\" [quoted]\n"
        "      COMPARE action = \"exec\" [quoted]\n");
}
END_TEST

/* ---- search expressions */

START_TEST(search_precedence)
{
    /* OR binds tighter than AND, implicit or explicit */
    ck_assert_str_eq(tree("a b OR c"),
                     SEARCH1("    AND\n      TERM \"a\"\n      OR\n"
                             "        TERM \"b\"\n        TERM \"c\"\n"));
    ck_assert_str_eq(tree("a OR b c"),
                     SEARCH1("    AND\n      OR\n        TERM \"a\"\n"
                             "        TERM \"b\"\n      TERM \"c\"\n"));
    char *implicit = strdup(tree("a b OR c"));
    ck_assert_str_eq(tree("a AND b OR c"), implicit);
    free(implicit);
    /* NOT binds tightest */
    ck_assert_str_eq(tree("NOT x y"),
                     SEARCH1("    AND\n      NOT\n        TERM \"x\"\n      TERM \"y\"\n"));
    ck_assert_str_eq(tree("NOT a OR b"),
                     SEARCH1("    OR\n      NOT\n        TERM \"a\"\n      TERM \"b\"\n"));
    ck_assert_str_eq(tree("(a b) OR c"),
                     SEARCH1("    OR\n      AND\n        TERM \"a\"\n"
                             "        TERM \"b\"\n      TERM \"c\"\n"));
    /* lower-case boolean words are terms; AND chains flatten */
    ck_assert_str_eq(tree("a or b and c"),
                     SEARCH1("    AND\n      TERM \"a\"\n      TERM \"or\"\n"
                             "      TERM \"b\"\n      TERM \"and\"\n      TERM \"c\"\n"));
}
END_TEST

START_TEST(search_comparisons)
{
    ck_assert_str_eq(tree("f!=v g<1 h<=2 i>3 j>=4"),
                     SEARCH1("    AND\n"
                             "      COMPARE f != \"v\"\n"
                             "      COMPARE g < \"1\"\n"
                             "      COMPARE h <= \"2\"\n"
                             "      COMPARE i > \"3\"\n"
                             "      COMPARE j >= \"4\"\n"));
    ck_assert_str_eq(tree("search c >= 5"), SEARCH1("    COMPARE c >= \"5\"\n"));
    ck_assert_str_eq(tree("f=* NOT g=*"),
                     SEARCH1("    AND\n      COMPARE f = \"*\"\n"
                             "      NOT\n        COMPARE g = \"*\"\n"));
    ck_assert_str_eq(tree("\"objectRef.resource\"=daemonsets"),
                     SEARCH1("    COMPARE objectRef.resource = \"daemonsets\"\n"));
    ck_assert_str_eq(tree("earliest=-7d@d latest=now"),
                     SEARCH1("    AND\n      COMPARE earliest = \"-7d@d\"\n"
                             "      COMPARE latest = \"now\"\n"));
    ck_assert_str_eq(tree("sourcetype=kubernetes:apiserver src_ip=10.0.0.0/8"),
                     SEARCH1("    AND\n      COMPARE sourcetype = \"kubernetes:apiserver\"\n"
                             "      COMPARE src_ip = \"10.0.0.0/8\"\n"));
    ck_assert_str_eq(tree("sourceIPs{}!=::1 annotations.a.k8s.io/reason=*"),
                     SEARCH1("    AND\n      COMPARE sourceIPs{} != \"::1\"\n"
                             "      COMPARE annotations.a.k8s.io/reason = \"*\"\n"));
}
END_TEST

START_TEST(search_terms_quoting_wildcards)
{
    ck_assert_str_eq(tree("error* \"A shell was spawned\" /var/run/docker.sock"),
                     SEARCH1("    AND\n      TERM \"error*\"\n"
                             "      TERM \"A shell was spawned\" [quoted]\n"
                             "      TERM \"/var/run/docker.sock\"\n"));
    ck_assert_str_eq(tree("x=\"say \\\"hi\\\"\""),
                     SEARCH1("    COMPARE x = \"say \\\"hi\\\"\" [quoted]\n"));
    ck_assert_str_eq(tree("x=*\\\"privileged\\\":true*"),
                     SEARCH1("    COMPARE x = \"*\\\"privileged\\\":true*\"\n"));
    ck_assert_str_eq(tree("CASE(Foo) TERM(10.0.0.1) CASE(\"a b\")"),
                     SEARCH1("    AND\n      TERM \"Foo\" [case]\n"
                             "      TERM \"10.0.0.1\" [term]\n"
                             "      TERM \"a b\" [quoted,case]\n"));
    ck_assert_str_eq(tree("a ```a comment | b``` c"),
                     SEARCH1("    AND\n      TERM \"a\"\n      TERM \"c\"\n"));
}
END_TEST

START_TEST(search_in_lists)
{
    ck_assert_str_eq(tree("f IN (a, \"v 2\", v*)"),
                     SEARCH1("    IN f\n      VALUE \"a\"\n"
                             "      VALUE \"v 2\" [quoted]\n      VALUE \"v*\"\n"));
    ck_assert_str_eq(tree("NOT p IN(\"x\",y)"),
                     SEARCH1("    NOT\n      IN p\n        VALUE \"x\" [quoted]\n"
                             "        VALUE \"y\"\n"));
}
END_TEST

START_TEST(pipeline_shapes)
{
    ck_assert_str_eq(tree("search a | search"),
                     "PIPELINE\n  COMMAND search\n    TERM \"a\"\n  COMMAND search\n");
    ck_assert_str_eq(tree("a |"), SEARCH1("    TERM \"a\"\n"));
    ck_assert_str_eq(tree("| inputlookup t.csv"),
                     "PIPELINE\n  COMMAND inputlookup\n    ARG \"t.csv\"\n");
    ck_assert_str_eq(tree("a [search b | fields x]"),
                     SEARCH1("    AND\n      TERM \"a\"\n      SUBSEARCH\n"
                             "        PIPELINE\n          COMMAND search\n"
                             "            TERM \"b\"\n          COMMAND fields\n"
                             "            FIELD x\n"));
}
END_TEST

/* ---- eval expressions */

START_TEST(eval_precedence)
{
    ck_assert_str_eq(tree("| where a=1 OR b=2 AND c=3"),
                     "PIPELINE\n  COMMAND where\n    BINARY OR\n"
                     "      BINARY =\n        FIELD a\n        NUMBER 1\n"
                     "      BINARY AND\n"
                     "        BINARY =\n          FIELD b\n          NUMBER 2\n"
                     "        BINARY =\n          FIELD c\n          NUMBER 3\n");
    ck_assert_str_eq(tree("| eval x=1+2*3-4"),
                     "PIPELINE\n  COMMAND eval\n    ASSIGN x\n      BINARY -\n"
                     "        BINARY +\n          NUMBER 1\n"
                     "          BINARY *\n            NUMBER 2\n            NUMBER 3\n"
                     "        NUMBER 4\n");
    ck_assert_str_eq(tree("| where NOT a XOR b"),
                     "PIPELINE\n  COMMAND where\n    BINARY XOR\n"
                     "      UNARY NOT\n        FIELD a\n      FIELD b\n");
}
END_TEST

START_TEST(eval_operands)
{
    ck_assert_str_eq(tree("| where src=dst"),
                     "PIPELINE\n  COMMAND where\n    BINARY =\n"
                     "      FIELD src\n      FIELD dst\n");
    ck_assert_str_eq(tree("| where 'a.b'=\"x\""),
                     "PIPELINE\n  COMMAND where\n    BINARY =\n"
                     "      FIELD a.b [quoted]\n      STRING \"x\"\n");
    ck_assert_str_eq(tree("| eval s=\"a\".b.'c{}', n=-x, t=true(), z=null()"),
                     "PIPELINE\n  COMMAND eval\n"
                     "    ASSIGN s\n      BINARY .\n        BINARY .\n"
                     "          STRING \"a\"\n          FIELD b\n"
                     "        FIELD c{} [quoted]\n"
                     "    ASSIGN n\n      UNARY neg\n        FIELD x\n"
                     "    ASSIGN t\n      CALL true\n"
                     "    ASSIGN z\n      CALL null\n");
    ck_assert_str_eq(tree("| where x LIKE \"a%\" AND y IN (\"a\", 1) AND x==2.5"),
                     "PIPELINE\n  COMMAND where\n    BINARY AND\n      BINARY AND\n"
                     "        BINARY LIKE\n          FIELD x\n          STRING \"a%\"\n"
                     "        CALL in\n          FIELD y\n          STRING \"a\"\n"
                     "          NUMBER 1\n"
                     "      BINARY =\n        FIELD x\n        NUMBER 2.5\n");
    ck_assert_str_eq(tree("| eval f=IF(isnotnull(m), \"true\", \"false\")"),
                     "PIPELINE\n  COMMAND eval\n    ASSIGN f\n      CALL if\n"
                     "        CALL isnotnull\n          FIELD m\n"
                     "        STRING \"true\"\n        STRING \"false\"\n");
}
END_TEST

/* ---- commands */

START_TEST(stats_family)
{
    ck_assert_str_eq(tree("| stats count min(_time) as firstTime dc(u) AS n by a, b c"),
                     "PIPELINE\n  COMMAND stats\n    AGG count\n"
                     "    AGG min as firstTime\n      FIELD _time\n"
                     "    AGG dc as n\n      FIELD u\n"
                     "    BY\n      FIELD a\n      FIELD b\n      FIELD c\n");
    ck_assert_str_eq(tree("| stats count(eval(x>1)) as n"),
                     "PIPELINE\n  COMMAND stats\n    AGG count as n\n"
                     "      BINARY >\n        FIELD x\n        NUMBER 1\n");
    ck_assert_str_eq(tree("| timechart span=1h count by host"),
                     "PIPELINE\n  COMMAND timechart\n    OPTION span\n"
                     "      VALUE \"1h\"\n    AGG count\n    BY\n      FIELD host\n");
    ck_assert_str_eq(tree("| chart perc95(t) over host by status"),
                     "PIPELINE\n  COMMAND chart\n    AGG perc95\n      FIELD t\n"
                     "    OPTION over\n      FIELD host\n    BY\n      FIELD status\n");
    ck_assert_str_eq(tree("| eventstats count | streamstats window=2 count"),
                     "PIPELINE\n  COMMAND eventstats\n    AGG count\n"
                     "  COMMAND streamstats\n    OPTION window\n      VALUE \"2\"\n"
                     "    AGG count\n");
}
END_TEST

START_TEST(field_commands)
{
    ck_assert_str_eq(tree("| table _time, a b* | fields - c | fields + d"),
                     "PIPELINE\n  COMMAND table\n    FIELD _time\n    FIELD a\n"
                     "    FIELD b*\n  COMMAND fields [minus]\n    FIELD c\n"
                     "  COMMAND fields [plus]\n    FIELD d\n");
    ck_assert_str_eq(tree("| rename sourceIPs{} as src_ip, object.* AS *"),
                     "PIPELINE\n  COMMAND rename\n    RENAME sourceIPs{} as src_ip\n"
                     "    RENAME object.* as *\n");
    ck_assert_str_eq(tree("| sort 0 -count, num(x) str(y) z"),
                     "PIPELINE\n  COMMAND sort\n    OPTION limit\n      NUMBER 0\n"
                     "    SORTKEY count [desc]\n    SORTKEY x [num]\n"
                     "    SORTKEY y [str]\n    SORTKEY z\n");
    ck_assert_str_eq(tree("| head 5 | tail"),
                     "PIPELINE\n  COMMAND head\n    OPTION limit\n      NUMBER 5\n"
                     "  COMMAND tail\n");
    ck_assert_str_eq(tree("| dedup a b keepempty=true sortby -_time"),
                     "PIPELINE\n  COMMAND dedup\n    FIELD a\n    FIELD b\n"
                     "    OPTION keepempty\n      VALUE \"true\"\n"
                     "    SORTKEY _time [desc]\n");
    ck_assert_str_eq(tree("| top limit=5 a by b | rare c"),
                     "PIPELINE\n  COMMAND top\n    OPTION limit\n      VALUE \"5\"\n"
                     "    FIELD a\n    BY\n      FIELD b\n  COMMAND rare\n    FIELD c\n");
}
END_TEST

START_TEST(text_commands)
{
    ck_assert_str_eq(tree("| rex field=m max_match=0 \"(?<c>\\d+)\""),
                     "PIPELINE\n  COMMAND rex\n    OPTION field\n      VALUE \"m\"\n"
                     "    OPTION max_match\n      VALUE \"0\"\n"
                     "    ARG \"(?<c>\\\\d+)\" [quoted]\n");
    ck_assert_str_eq(tree("| regex f=\"^a\" | regex g!=\"b\" | regex \"c\""),
                     "PIPELINE\n  COMMAND regex\n    COMPARE f = \"^a\" [quoted]\n"
                     "  COMMAND regex\n    COMPARE g != \"b\" [quoted]\n"
                     "  COMMAND regex\n    ARG \"c\" [quoted]\n");
    ck_assert_str_eq(tree("| spath input=properties.log | spath a.b{}"),
                     "PIPELINE\n  COMMAND spath\n    OPTION input\n"
                     "      VALUE \"properties.log\"\n  COMMAND spath\n    FIELD a.b{}\n");
    ck_assert_str_eq(tree("| bucket _time span=5m | fillnull value=0 a | fillnull"),
                     "PIPELINE\n  COMMAND bin\n    FIELD _time\n    OPTION span\n"
                     "      VALUE \"5m\"\n  COMMAND fillnull\n    OPTION value\n"
                     "      VALUE \"0\"\n    FIELD a\n  COMMAND fillnull\n");
    ck_assert_str_eq(tree("| mvexpand x | makemv delim=\",\" y | mvcombine z"),
                     "PIPELINE\n  COMMAND mvexpand\n    FIELD x\n  COMMAND makemv\n"
                     "    OPTION delim\n      VALUE \",\" [quoted]\n    FIELD y\n"
                     "  COMMAND mvcombine\n    FIELD z\n");
    ck_assert_str_eq(tree("| convert timeformat=\"%H\" ctime(t) AS u"),
                     "PIPELINE\n  COMMAND convert\n    OPTION timeformat\n"
                     "      VALUE \"%H\" [quoted]\n    CALL ctime as u\n      FIELD t\n");
    ck_assert_str_eq(tree("| transaction host maxspan=5m endswith=eval(x>1)"),
                     "PIPELINE\n  COMMAND transaction\n    FIELD host\n"
                     "    OPTION maxspan\n      VALUE \"5m\"\n    OPTION endswith\n"
                     "      BINARY >\n        FIELD x\n        NUMBER 1\n");
}
END_TEST

START_TEST(lookup_and_subsearch_commands)
{
    ck_assert_str_eq(tree("| lookup u.csv uid AS id OUTPUT name AS n, dept"),
                     "PIPELINE\n  COMMAND lookup\n    ARG \"u.csv\"\n    FIELD uid as id\n"
                     "    OPTION output\n      FIELD name as n\n      FIELD dept\n");
    ck_assert_str_eq(tree("| join type=left a [search b] | append [| inputlookup t.csv]"),
                     "PIPELINE\n  COMMAND join\n    OPTION type\n      VALUE \"left\"\n"
                     "    FIELD a\n    SUBSEARCH\n      PIPELINE\n        COMMAND search\n"
                     "          TERM \"b\"\n  COMMAND append\n    SUBSEARCH\n"
                     "      PIPELINE\n        COMMAND inputlookup\n          ARG \"t.csv\"\n");
    ck_assert_str_eq(tree("| multisearch [search a | eval t=\"x\"] [search b]"),
                     "PIPELINE\n  COMMAND multisearch\n    SUBSEARCH\n      PIPELINE\n"
                     "        COMMAND search\n          TERM \"a\"\n"
                     "        COMMAND eval\n          ASSIGN t\n            STRING \"x\"\n"
                     "    SUBSEARCH\n      PIPELINE\n        COMMAND search\n"
                     "          TERM \"b\"\n");
    ck_assert_str_eq(tree("| return 2 user src=ip | format \"(\" \")\""),
                     "PIPELINE\n  COMMAND return\n    OPTION limit\n      NUMBER 2\n"
                     "    FIELD user\n    FIELD ip as src\n  COMMAND format\n"
                     "    ARG \"(\" [quoted]\n    ARG \")\" [quoted]\n");
}
END_TEST

/* What Sigma's Splunk backend emits parses as emitted. */
START_TEST(sigma_shapes)
{
    const char *qs[] = {
        "f IN (a, b*) NOT g=*",
        "x=1 | regex f=\"^a.*\"",
        "x | rex field=f \"(?<fMatch>re)\" | eval fCondition=if(isnotnull(fMatch), "
        "\"true\", \"false\") | search fCondition=true",
        "x | where 'a'='b'",
        "x | bin _time span=5m | stats count as event_count by _time, g "
        "| search event_count >= 10",
        "| multisearch [ search a=1 | eval event_type=\"x\" ] [ search b=2 ]",
        "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes "
        "where Processes.process IN(\"*docker*\") by Processes.dest",
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        ck_assert_msg(strncmp(tree(qs[i]), "PIPELINE", 8) == 0, "%s: %s", qs[i], tree(qs[i]));
}
END_TEST

/* ---- errors: message and span */

START_TEST(error_messages)
{
    ck_assert_str_eq(tree("sourcetype=docker:daemon | search command="),
                     "error: expected a value after \"=\" @42-42");
    ck_assert_str_eq(tree("a | search command= | head"),
                     "error: expected a value after \"=\", found \"|\" @20-21");
    ck_assert_str_eq(tree("(a OR b | stats count"), "error: unbalanced parenthesis @0-1");
    ck_assert_str_eq(tree("a )"), "error: unbalanced parenthesis @2-3");
    ck_assert_str_eq(tree("[search a"), "error: unbalanced bracket @0-1");
    ck_assert_str_eq(tree("a ]"), "error: unbalanced bracket @2-3");
    ck_assert_str_eq(tree("a \"open"), "error: unterminated quoted string @2-3");
    ck_assert_str_eq(tree("| where 'open"), "error: unterminated quoted field name @8-9");
    ck_assert_str_eq(tree("a ```open"), "error: unterminated comment @2-5");
    ck_assert_str_eq(tree("a | foo x"), "error: unknown command \"foo\" @4-7");
    ck_assert_str_eq(tree("`kube_audit` x"), "error: unexpanded macro \"`kube_audit`\" @0-12");
    ck_assert_str_eq(tree(""), "error: empty query @0-0");
    ck_assert_str_eq(tree("a | | b"), "error: expected a command after \"|\", found \"|\" @4-5");
    ck_assert_str_eq(tree("f IN (a b)"),
                     "error: expected \")\" or \",\" after \"a\", found \"b\" @8-9");
    ck_assert_str_eq(tree("a NOT"), "error: expected a search term after \"NOT\" @5-5");
    ck_assert_str_eq(tree("| where x >"), "error: expected an expression after \">\" @11-11");
    ck_assert_str_eq(tree("| stats count by"),
                     "error: expected a field name or a quoted string after \"by\" @16-16");
    /* head's arguments are an eval expression and name=value options */
    ck_assert_str_eq(tree("| head 10 x"), "error: expected \"=\" after \"x\" @11-11");
    ck_assert_str_eq(tree("| eval x=1 ; y"), "error: unexpected character \";\" @11-12");
}
END_TEST

START_TEST(error_printed_with_caret)
{
    ck_assert_str_eq(printed_error("sourcetype=docker:daemon | search command="),
                     "query:1:43: error: expected a value after \"=\"\n"
                     "    sourcetype=docker:daemon | search command=\n"
                     "                                              ^\n"
                     "    hint: quote values that contain spaces, e.g. command=\"docker exec\"\n");
    ck_assert_str_eq(printed_error("a\n| bogus"),
                     "query:2:3: error: unknown command \"bogus\"\n"
                     "    | bogus\n"
                     "      ^^^^^\n");
}
END_TEST

/* ---- robustness: nothing crashes, loops or leaks (run under ASan) */

START_TEST(deep_nesting_is_an_error)
{
    char q[4096];
    memset(q, '(', 2000);
    strcpy(q + 2000, "a");
    ck_assert_str_eq(tree(q), "error: query nested too deeply (more than 64 levels of "
                              "parentheses and brackets) @64-65");
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)sprintf(q + n, "NOT ");
    strcpy(q + n, "a");
    ck_assert(strncmp(tree(q), "error: query nested too deeply", 30) == 0);
}
END_TEST

START_TEST(random_input_never_crashes)
{
    static const char *frags[] = {
        "a", "f=", "v*", "\"q\"", "\"", "(", ")", "[", "]", "|", " ", "NOT ", "OR ",
        "AND ", "IN", ",", "'", "`", "```", "search ", "where ", "eval ", "stats ",
        "by ", "as ", "x=1", "+", "-", ".", "*", "CASE(", "eval(", "\\", "\n", "\x01",
        "sort ", "rex ", "lookup ", "join ", "tstats ", "where", "=", "!=", "<=", "\xc3",
    };
    unsigned seed = 12345;
    char q[256];
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = 0;
        int parts = (int)(seed % 12) + 1;
        for (int p = 0; p < parts; p++) {
            seed = seed * 1103515245u + 12345u;
            const char *f = frags[(seed >> 8) % (sizeof frags / sizeof frags[0])];
            size_t fl = strlen(f);
            if (n + fl >= sizeof q)
                break;
            memcpy(q + n, f, fl);
            n += fl;
        }
        q[n] = '\0';
        const char *t = tree(q);
        ck_assert(t != NULL);
    }
}
END_TEST

/* ---- issue 3's parse gaps */

START_TEST(eval_dotted_target)
{
    ck_assert_str_eq(tree("| eval a.b=1, c.d.e=x.y"),
                     "PIPELINE\n  COMMAND eval\n    ASSIGN a.b\n      NUMBER 1\n"
                     "    ASSIGN c.d.e\n      BINARY .\n        FIELD x\n        FIELD y\n");
    ck_assert_str_eq(tree("| eval a . b=1"),
                     "error: a field name cannot have spaces around \".\" @7-12");
    ck_assert_str_eq(printed_error("| eval a. b=1"),
                     "query:1:8: error: a field name cannot have spaces around \".\"\n"
                     "    | eval a. b=1\n"
                     "           ^^^^\n"
                     "    hint: write a.b, or quote the name: 'a.b'\n");
}
END_TEST

START_TEST(head_expression)
{
    ck_assert_str_eq(tree("| head count>10"),
                     "PIPELINE\n  COMMAND head\n    BINARY >\n      FIELD count\n"
                     "      NUMBER 10\n");
    ck_assert_str_eq(tree("| head (x=\"a\") keeplast=true"),
                     "PIPELINE\n  COMMAND head\n    BINARY =\n      FIELD x\n"
                     "      STRING \"a\"\n    OPTION keeplast\n      VALUE \"true\"\n");
    ck_assert_str_eq(tree("| head limit=5 null=true"),
                     "PIPELINE\n  COMMAND head\n    OPTION limit\n      NUMBER 5\n"
                     "    OPTION null\n      VALUE \"true\"\n");
    ck_assert_str_eq(tree("| tail 3 | head"),
                     "PIPELINE\n  COMMAND tail\n    OPTION limit\n      NUMBER 3\n"
                     "  COMMAND head\n");
}
END_TEST

START_TEST(options_after_by)
{
    ck_assert_str_eq(tree("| timechart count by x limit=5 useother=f"),
                     "PIPELINE\n  COMMAND timechart\n    AGG count\n    BY\n      FIELD x\n"
                     "    OPTION limit\n      VALUE \"5\"\n    OPTION useother\n"
                     "      VALUE \"f\"\n");
    ck_assert_str_eq(tree("| top a by b, c limit=3"),
                     "PIPELINE\n  COMMAND top\n    FIELD a\n    BY\n      FIELD b\n"
                     "      FIELD c\n    OPTION limit\n      VALUE \"3\"\n");
    ck_assert_str_eq(tree("| tstats count where a=1 by x prestats=t"),
                     "PIPELINE\n  COMMAND tstats\n    AGG count\n    OPTION where\n"
                     "      COMPARE a = \"1\"\n    BY\n      FIELD x\n"
                     "    OPTION prestats\n      VALUE \"t\"\n");
}
END_TEST

/* Splunk allows eval(...) as a whole column of chart and timechart (with
 * `as`) and inside a stats function (count(eval(...))); not in a by
 * clause, and not as a sort key. */
START_TEST(eval_where_splunk_allows)
{
    ck_assert_str_eq(tree("| chart eval(avg(x)*2) as y by h"),
                     "PIPELINE\n  COMMAND chart\n    AGG eval as y\n      BINARY *\n"
                     "        CALL avg\n          FIELD x\n        NUMBER 2\n"
                     "    BY\n      FIELD h\n");
    ck_assert_str_eq(tree("| timechart span=1h eval(count * 2) as c"),
                     "PIPELINE\n  COMMAND timechart\n    OPTION span\n      VALUE \"1h\"\n"
                     "    AGG eval as c\n      BINARY *\n        FIELD count\n"
                     "        NUMBER 2\n");
    ck_assert_str_eq(tree("| chart eval(x)"),
                     "error: expected \"as\" after \")\" @15-15");
    ck_assert_str_eq(tree("| stats count by eval(x)"),
                     "error: expected a field name or a quoted string after \"by\", "
                     "found \"eval(\" @17-22");
    ck_assert_str_eq(tree("| sort eval(x)"),
                     "error: expected a field name, a number, \"+\" or \"-\" after \"sort\", "
                     "found \"eval(\" @7-12");
}
END_TEST

Suite *parser_suite(void)
{
    Suite *s = suite_create("parser");
    TCase *tc = tcase_create("ast");
    tcase_add_test(tc, analytic_docker_kubectl_exec);
    tcase_add_test(tc, analytic_container_start_exec);
    tcase_add_test(tc, search_precedence);
    tcase_add_test(tc, search_comparisons);
    tcase_add_test(tc, search_terms_quoting_wildcards);
    tcase_add_test(tc, search_in_lists);
    tcase_add_test(tc, pipeline_shapes);
    tcase_add_test(tc, eval_precedence);
    tcase_add_test(tc, eval_operands);
    tcase_add_test(tc, stats_family);
    tcase_add_test(tc, field_commands);
    tcase_add_test(tc, text_commands);
    tcase_add_test(tc, lookup_and_subsearch_commands);
    tcase_add_test(tc, sigma_shapes);
    tcase_add_test(tc, eval_dotted_target);
    tcase_add_test(tc, head_expression);
    tcase_add_test(tc, options_after_by);
    tcase_add_test(tc, eval_where_splunk_allows);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_test(te, error_messages);
    tcase_add_test(te, error_printed_with_caret);
    tcase_add_test(te, deep_nesting_is_an_error);
    tcase_add_test(te, random_input_never_crashes);
    suite_add_tcase(s, te);
    return s;
}

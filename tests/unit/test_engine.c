/* test_engine.c - matching primitives, time modifiers, filters over batches. */
#include "tests/unit/suites.h"
#include "engine/batch.h"
#include "engine/exec.h"
#include "engine/expr/filter.h"
#include "engine/expr/match.h"
#include "engine/plan.h"
#include "common/timemod.h"

#include <string.h>

#define WM(p, s) cq_wild_match(p, strlen(p), s, strlen(s))
#define TM(t, r) cq_term_match(t, strlen(t), r, strlen(r), 0)
#define PM(p, r) cq_phrase_match(p, strlen(p), r, strlen(r), 0)

START_TEST(test_wildcards)
{
    ck_assert(WM("docker exec", "Docker EXEC"));
    ck_assert(!WM("adm", "admin"));                 /* whole-value match */
    ck_assert(WM("adm*", "admin"));
    ck_assert(WM("*min", "admin"));
    ck_assert(WM("a*m*n", "admin"));
    ck_assert(WM("*", ""));
    ck_assert(!WM("a?min", "admin"));               /* no ? wildcard */
    ck_assert(WM("a\\*", "a*"));
    ck_assert(!WM("a\\*", "ab"));
    ck_assert(!cq_wild_match_cs("Docker", 6, "docker", 6));
    /* pathological pattern stays fast: linear backtracking */
    char s[5001];
    memset(s, 'a', 5000);
    s[5000] = 0;
    ck_assert(!WM("*a*a*a*a*a*a*a*a*b", s));
}
END_TEST

START_TEST(test_terms_and_phrases)
{
    const char *raw = "time=\"2024\" level=error msg=\"Calling POST /v1.43/containers/ab12/exec\"";
    ck_assert(TM("error", raw));
    ck_assert(TM("ERROR", raw));
    ck_assert(!TM("errors", raw));
    ck_assert(!TM("err", raw));
    ck_assert(TM("err*", raw));
    ck_assert(TM("exec", raw));
    ck_assert(TM("containers", raw));
    ck_assert(TM("v1.43", raw));
    ck_assert(!TM("contain", raw));
    ck_assert(TM("*tainers", raw));
    ck_assert(PM("calling post", raw));
    ck_assert(!PM("calling  post", raw));
    ck_assert(cq_term_match("Error", 5, "level=Error", 11, 1));
    ck_assert(!cq_term_match("error", 5, "level=Error", 11, 1));
}
END_TEST

START_TEST(test_numbers_and_order)
{
    double v;
    ck_assert(cq_parse_num("42", 2, &v) && v == 42);
    ck_assert(cq_parse_num("-1.5e3", 6, &v) && v == -1500);
    ck_assert(!cq_parse_num("0x1A", 4, &v));
    ck_assert(!cq_parse_num("12abc", 5, &v));
    ck_assert(!cq_parse_num("", 0, &v));
    ck_assert_int_lt(cq_value_cmp("9", 1, "10", 2), 0);     /* numeric */
    ck_assert_int_gt(cq_value_cmp("9a", 2, "10", 2), 0);    /* lexicographic */
}
END_TEST

START_TEST(test_time_modifiers)
{
    /* now = 2024-05-15T13:45:30Z, a Wednesday */
    const int64_t now = 1715780730000000LL;
    int64_t t;
    ck_assert_int_eq(cq_time_modifier("now", now, &t), 0);
    ck_assert_int_eq(t, now);
    ck_assert_int_eq(cq_time_modifier("-24h", now, &t), 0);
    ck_assert_int_eq(t, now - 86400000000LL);
    ck_assert_int_eq(cq_time_modifier("-7d@d", now, &t), 0);
    ck_assert_int_eq(t, 1715126400000000LL);                 /* 2024-05-08T00:00:00Z */
    ck_assert_int_eq(cq_time_modifier("@w1", now, &t), 0);
    ck_assert_int_eq(t, 1715558400000000LL);                 /* Monday 2024-05-13 */
    ck_assert_int_eq(cq_time_modifier("@w0", now, &t), 0);
    ck_assert_int_eq(t, 1715472000000000LL);                 /* Sunday 2024-05-12 */
    ck_assert_int_eq(cq_time_modifier("-1mon@mon", now, &t), 0);
    ck_assert_int_eq(t, 1711929600000000LL);                 /* 2024-04-01 */
    ck_assert_int_eq(cq_time_modifier("@y", now, &t), 0);
    ck_assert_int_eq(t, 1704067200000000LL);                 /* 2024-01-01 */
    ck_assert_int_eq(cq_time_modifier("@q", now, &t), 0);
    ck_assert_int_eq(t, 1711929600000000LL);                 /* 2024-04-01 */
    ck_assert_int_eq(cq_time_modifier("1715780730", now, &t), 0);
    ck_assert_int_eq(t, now);
    ck_assert_int_eq(cq_time_modifier("05/15/2024:13:45:30", now, &t), 0);
    ck_assert_int_eq(t, now);
    ck_assert_int_eq(cq_time_modifier("-3x", now, &t), -1);
    ck_assert_int_eq(cq_time_modifier("yesterday", now, &t), -1);
    ck_assert_int_eq(cq_time_modifier("-1d@", now, &t), -1);
}
END_TEST

/* A two-column batch: command (dictionary, one row missing), groups (multivalue strings). */
static void make_batch(cq_batch *b, cq_arena *a)
{
    static const cq_sv dict[] = {{"docker exec", 11}, {"kubectl exec", 12}, {"kubectl logs", 12}};
    static const uint32_t codes[] = {1, 2, 3, 0, 2};
    static const cq_sv groups[] = {{"system:masters", 14}, {"dev", 3}, {"dev", 3}};
    static const uint32_t goff[] = {0, 2, 2, 3, 3, 3};
    cq_batch_init(b, a);
    b->n_rows = b->n_sel = 5;
    cq_col c = {.kind = CQ_COL_DICT, .n_rows = 5, .dict = dict, .n_dict = 3, .codes = codes};
    cq_batch_put(b, "command", &c);
    cq_col g = {.kind = CQ_COL_STR, .n_rows = 5, .strs = groups, .row_off = goff};
    cq_batch_put(b, "groups{}", &g);
}

static uint32_t run_filter(const cq_ast *e, uint16_t *out)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_batch b;
    make_batch(&b, &a);
    uint16_t in[] = {0, 1, 2, 3, 4};
    uint32_t n = cq_filter_search(e, &b, in, 5, out, &a);
    cq_batch_free(&b);
    cq_arena_free(&a);
    return n;
}

static cq_ast cmp(const char *f, cq_op op, const char *v)
{
    return (cq_ast){.kind = CQ_AST_COMPARE, .op = op, .name = f, .text = v};
}

START_TEST(test_filter_compare_in_not)
{
    uint16_t out[8];
    cq_ast eq = cmp("command", CQ_OP_EQ, "KUBECTL*");
    ck_assert_uint_eq(run_filter(&eq, out), 3);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[2], 4);

    cq_ast ne = cmp("command", CQ_OP_NE, "kubectl exec");
    ck_assert_uint_eq(run_filter(&ne, out), 2);     /* row 3 lacks the field: excluded */

    cq_ast inner = cmp("command", CQ_OP_EQ, "kubectl exec");
    cq_ast not = {.kind = CQ_AST_NOT, .kids = &inner, .n_kids = 1};
    ck_assert_uint_eq(run_filter(&not, out), 3);    /* NOT keeps the missing row */

    cq_ast v2 = {.kind = CQ_AST_VALUE, .text = "kubectl exec"};
    cq_ast v1 = {.kind = CQ_AST_VALUE, .text = "docker exec", .next = &v2};
    cq_ast in = {.kind = CQ_AST_IN, .name = "command", .kids = &v1, .n_kids = 2};
    ck_assert_uint_eq(run_filter(&in, out), 3);

    cq_ast exists = cmp("groups{}", CQ_OP_EQ, "*");
    ck_assert_uint_eq(run_filter(&exists, out), 2);
    cq_ast mv = cmp("groups{}", CQ_OP_EQ, "dev");   /* any value matches */
    ck_assert_uint_eq(run_filter(&mv, out), 2);
    cq_ast none = cmp("nope", CQ_OP_EQ, "*");
    ck_assert_uint_eq(run_filter(&none, out), 0);
}
END_TEST

START_TEST(test_filter_and_or)
{
    uint16_t out[8];
    cq_ast b = cmp("groups{}", CQ_OP_EQ, "dev");
    cq_ast a = cmp("command", CQ_OP_EQ, "docker exec");
    a.next = &b;
    cq_ast or = {.kind = CQ_AST_OR, .kids = &a, .n_kids = 2};
    ck_assert_uint_eq(run_filter(&or, out), 2);     /* rows 0 and 2, in order */
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[1], 2);
    cq_ast and = {.kind = CQ_AST_AND, .kids = &a, .n_kids = 2};
    ck_assert_uint_eq(run_filter(&and, out), 1);    /* row 0: docker exec, groups has dev */
    ck_assert_uint_eq(out[0], 0);
    b.text = "system:masters";
    a.text = "kubectl exec";
    ck_assert_uint_eq(run_filter(&and, out), 0);
}
END_TEST

Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, test_wildcards);
    tcase_add_test(tc, test_terms_and_phrases);
    tcase_add_test(tc, test_numbers_and_order);
    tcase_add_test(tc, test_time_modifiers);
    tcase_add_test(tc, test_filter_compare_in_not);
    tcase_add_test(tc, test_filter_and_or);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_diff.c - the short run of the differential test (tests/diff/): two
 * seeded data sets, 100 random queries each, every answer of the real
 * cquery binary compared with SQL over the same events.  A mismatch prints
 * the seed, the query, both answers and how to reproduce it (on stderr, so
 * in tests/check_cquery.log).  `make check-diff-long` asks 10,000.
 */
#include "tests/unit/suites.h"
#include "tests/diff/diff.h"

#include <stdio.h>
#include <stdlib.h>

#define DIFF_SEEDS 2
#define DIFF_QUERIES 100

START_TEST(test_diff_seed)
{
    const char *bin = test_env("CQUERY_BIN");
    char dir[] = "/tmp/cq-diff-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    cq_diff_opts o = {0};
    o.seed = (uint64_t)_i + 1;
    o.n_events = 1500;
    o.n_queries = DIFF_QUERIES;
    o.only_query = -1;
    o.cquery = bin && *bin ? bin : "./cquery";
    o.workdir = dir;
    o.max_report = 3;
    o.log = stderr;
    cq_diff_stats st;
    int rc = cq_diff_run(&o, &st);
    ck_assert_msg(rc == 0, "seed %d: the differential test could not run (see the log)", _i + 1);
    ck_assert_int_eq(st.asked, DIFF_QUERIES);
    ck_assert_msg(st.mismatches == 0, "seed %d: %d of %d queries answered differently by cquery "
                  "and the SQLite oracle (details on stderr)", _i + 1, st.mismatches, st.asked);
}
END_TEST

Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("oracle");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_diff_seed, 0, DIFF_SEEDS);
    suite_add_tcase(s, tc);
    return s;
}

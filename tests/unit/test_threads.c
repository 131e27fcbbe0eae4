/*
 * test_threads.c - the scan on several threads against the scan on one:
 * over an index of several blocks, every query gives byte for byte the
 * answer of --threads 1 with 2, 3 and 7 threads: a stats whose partial
 * states the scan threads build (engine/par.h; runs of unequal length,
 * more threads than some runs need) and queries whose blocks the threads
 * read ahead (engine/ops/op_scan.c: order kept).  The one-thread answer is the reference the regression cases
 * and the differential test check.
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], db[128];

/* 6,000 audit events: 8 blocks. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cq-threads-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/idx.db", dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' audit --count 6000 --seed 3 > '%s/a.json' && '%s' ingest -q --index '%s' '%s/a.json'",
             test_env("CQUERY_GEN"), dir, test_env("CQUERY_BIN"), db, dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
    ck_assert_int_eq(test_rmdir(dir), 0);
}

/* `cquery search --threads T` (or explain); stdout as a string, exit status in *rc. */
static char *run(const char *sub, unsigned threads, const char *q, int *rc, char **err)
{
    char out[160], errp[160], t[16];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    snprintf(t, sizeof t, "%u", threads);
    char *argv[] = {(char *)test_env("CQUERY_BIN"), (char *)sub, "--threads", t, "--index", db,
                    "--format", "csv", (char *)q, NULL};
    char *eargv[] = {argv[0], (char *)sub, "--threads", t, (char *)q, NULL};
    *rc = test_wait(test_spawn(strcmp(sub, "explain") ? argv : eargv, out, errp));
    *err = test_slurp(errp, NULL);
    char *text = test_slurp(out, NULL);
    ck_assert(text && *err);
    return text;
}

static const char *const queries[] = {
    "* | stats count",
    "* | stats count by user.username",
    "* | eval l=len(requestURI) | where l > 20 | stats avg(l) sum(l) min(l) max(l) range(l) "
    "median(l) perc90(l) sumsq(l) count by verb",
    "* | stats dc(user.username) values(verb) min(verb) max(verb) earliest(verb) latest(verb) "
    "count(objectRef.namespace) min(_time) max(_time) by objectRef.resource",
    "* | stats count by user.groups{}, verb | sort - count | head 5",
    "verb=create | stats count(eval(verb=\"create\")) as c, earliest(_time) as e, latest(stage) "
    "by sourceIPs{}",
    "* | where 'responseStatus.code' >= 400 | stats count by objectRef.resource, verb",
    "* | fields verb, user.username | rename user.username as u | stats dc(u) by verb",
    /* The variance family merges runs with Chan's formula, which rounds
     * otherwise than one pass of Welford's: equal to 12 digits.  Rounded to
     * 6, since a variance can be a binary fraction that ends on a 5 at the
     * digit rounded at (33.1005859375 = 33 + 103/1024 rounds either way at
     * 9 digits when off by 1e-14). */
    "* | eval l=len(requestURI) | stats stdev(l) as s, var(l) as v, stdevp(l) as sp, "
    "varp(l) as vp by verb | eval s=round(s, 6), v=round(v, 6), sp=round(sp, 6), vp=round(vp, 6)",
    "nosuchterm | stats count, dc(verb)",
    /* Not on the scan threads: blocks read ahead, handed on in order. */
    "* | table _time verb user.username | head 2500",
    "objectRef.subresource=exec | table _time user.username requestURI",
    "* | eval l=len(requestURI) | where l > 60 | fields _time, l, verb",
    "* | stats first(verb) as f, last(auditID) as l by objectRef.resource",
    "* | sort 20 - responseStatus.code, auditID | table auditID responseStatus.code",
    "* | dedup verb | table _time verb",
    "* | head 10",
    /* iplocation on the scan threads: one database shared by their chains */
    "* | eval ip=case(verb=\"get\", \"81.2.69.142\", verb=\"list\", \"2001:480::9\", "
    "verb=\"create\", \"67.43.156.1\", true(), \"10.0.0.1\") | iplocation ip "
    "| stats count by Country City",
    "* | eval ip=if(verb=\"get\", \"216.160.83.56\", \"bad\") | iplocation allfields=t ip "
    "| table _time verb City MetroCode | head 3000",
};

START_TEST(test_threads_same_answer)
{
    const char *q = queries[_i];
    int rc;
    char *err;
    char *plan = run("explain", 2, q, &rc, &err);
    ck_assert_msg(rc == 0 && strstr(plan, "scan threads: up to 2"), "%s: not on scan threads:\n%s%s",
                  q, plan, err);
    free(plan);
    free(err);
    char *one = run("search", 1, q, &rc, &err);
    ck_assert_msg(rc == 0 && !*err, "%s: exit %d: %s", q, rc, err);
    ck_assert_msg(strchr(one, '\n'), "%s: no output", q);
    free(err);
    static const unsigned ts[] = {2, 3, 7};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
        char *many = run("search", ts[i], q, &rc, &err);
        ck_assert_msg(rc == 0 && !*err, "%s: --threads %u: exit %d: %s", q, ts[i], rc, err);
        ck_assert_msg(!strcmp(one, many), "%s: --threads %u differs from --threads 1:\n%s\n---\n%s",
                      q, ts[i], many, one);
        free(many);
        free(err);
    }
    free(one);
}
END_TEST

/* Both threads cross --timeout at their first block: the message is the
 * timeout's, not "another scan thread failed"; and a scan whose blocks
 * threads read ahead stops (and joins them) at the error. */
static const char *const timed_out[] = {"* | stats count by verb", "* | table verb"};

START_TEST(test_threads_error_reported)
{
    char out[160], errp[160];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    char *argv[] = {(char *)test_env("CQUERY_BIN"), "search", "--threads", "2", "--timeout",
                    "0.000001", "--index", db, (char *)timed_out[_i], NULL};
    int rc = test_wait(test_spawn(argv, out, errp));
    char *err = test_slurp(errp, NULL);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(rc != 0 && strstr(err, "ran longer than") && !strstr(err, "another"),
                  "exit %d: %s", rc, err);
    free(err);
}
END_TEST

Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_threads_same_answer, 0, sizeof queries / sizeof *queries);
    tcase_add_loop_test(tc, test_threads_error_reported, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * suites.h - every Check suite of the test runner.  Each test_<module>.c
 * defines one suite constructor; check_main.c runs them all.
 */
#ifndef CQ_TESTS_SUITES_H
#define CQ_TESTS_SUITES_H

#include <check.h>

Suite *common_suite(void);
Suite *lexer_suite(void);
Suite *parser_suite(void);
Suite *index_suite(void);
Suite *ingest_suite(void);
Suite *engine_suite(void);
Suite *cases_suite(void);
Suite *macro_suite(void);
Suite *resolve_suite(void);
Suite *corpus_suite(void);
Suite *safety_suite(void);
Suite *diff_suite(void);
Suite *rows_suite(void);
Suite *threads_suite(void);
Suite *tstats_suite(void);
Suite *hostile_suite(void);
Suite *forget_suite(void);

/* Directory of the source tree (for fixtures), from $CQUERY_SRCDIR or ".". */
const char *test_srcdir(void);
/* $name (CQUERY_BIN, CQUERY_GEN), or the test fails: make check sets them,
 * and a test that needs one must not pass without it. */
const char *test_env(const char *name);
/* Adds a failing test to tc when n is 0: a data-driven suite that finds
 * no case (what: "regression cases under DIR") must not pass. */
void test_require_cases(TCase *tc, int n, const char *what);

#include <sys/types.h>

/* Starts argv (NULL-terminated, argv[0] a path) with stdin from /dev/null and
 * stdout/stderr to the files out and err; returns the pid. */
pid_t test_spawn(char **argv, const char *out, const char *err);
/* The same with stdin read from the file in. */
pid_t test_spawn_in(char **argv, const char *in, const char *out, const char *err);
/* Waits for pid; fails the test if it died of a signal; returns its status. */
int test_wait(pid_t pid);
/* The contents of path (malloc'd, NUL-terminated; "" for an empty file)
 * and its length in *len (may be NULL); NULL when it cannot be read. */
char *test_slurp(const char *path, size_t *len);
/* Removes the directory tree dir (rm -rf); on failure warns on stderr and
 * returns nonzero. */
int test_rmdir(const char *dir);

#endif

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

/* Directory of the source tree (for fixtures), from $CQUERY_SRCDIR or ".". */
const char *test_srcdir(void);

#endif

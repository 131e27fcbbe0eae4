/*
 * test_ingest.h - what the two files of the ingest suite share.
 */
#ifndef CQ_TESTS_UNIT_TEST_INGEST_H
#define CQ_TESTS_UNIT_TEST_INGEST_H

#include <check.h>
#include <stddef.h>

#include "index/record.h"

/* dockerd's debug messages for a container create and start. */
#define CREATE(n) "Calling POST /v1.43/containers/create?name=" n
#define START(id) "Calling POST /v1.43/containers/" id "/start"

/* All values of name joined with "|", or NULL when absent (static buffer). */
const char *vals(const cq_record *r, const char *name);
/* The shipped data/sourcetypes.conf (malloc'd path). */
char *conf_path(void);
/* A whole file (malloc'd; *len its length); fails the test when unreadable. */
char *slurp(const char *path, size_t *len);

/* test_ingest_par.c: adds its tests to tc and its "crash" case to s. */
void ingest_par_tests(Suite *s, TCase *tc);
/* test_ingest_damage.c: hostile inputs that must lose nothing (issue 14). */
void ingest_damage_tests(Suite *s, TCase *tc);

#endif

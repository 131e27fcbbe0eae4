/*
 * diff.h - the differential test (issue 5, "Correctness oracle").
 *
 * A seeded generator makes JSON events with a handful of fields whose value
 * sets are controlled (mixed case strings, JSON numbers, numeric-looking
 * strings, missing fields, multivalue arrays) and random queries over them.
 * Each query is answered twice: by the real `cquery` binary over an index of
 * those events, and by SQL over the same events in an in-memory SQLite
 * database, where every rule of Splunk's that the query relies on is spelled
 * out explicitly (diff_sql.c).  The two answers must be byte-identical CSV
 * (rows sorted first where the query does not order them).
 *
 * Everything is reproducible from (seed, query number): `cquery-diff --seed S
 * --query K` rebuilds the same events and re-asks the same question.
 */
#ifndef CQ_TESTS_DIFF_DIFF_H
#define CQ_TESTS_DIFF_DIFF_H

#include <stdint.h>
#include <stdio.h>

typedef struct cq_diff_opts {
    uint64_t seed;          /* the data set's seed; queries derive from it */
    int n_events;           /* 0: chosen by the seed (500..5,000) */
    int n_queries;          /* questions asked of this data set */
    int only_query;         /* >= 0: ask only this question (reproduce one) */
    const char *cquery;     /* path of the cquery binary */
    const char *workdir;    /* scratch directory (created, removed unless keep) */
    int keep;               /* keep the work directory (events, index) */
    int verbose;            /* print every query */
    int max_report;         /* mismatches printed in full (the rest counted) */
    FILE *log;              /* where mismatches and the summary go */
} cq_diff_opts;

typedef struct cq_diff_stats {
    int asked;              /* queries run */
    int mismatches;         /* answers that differ (or cquery failed) */
    int by_kind[8];         /* queries per kind (see diff_kind_name) */
    int rows;               /* CSV lines compared in total */
    int fail_streak;        /* cquery runs that failed in a row */
} cq_diff_stats;

/* Builds the events of opts->seed, asks opts->n_queries questions, prints
 * every mismatch (seed, query, both answers) to opts->log.  Returns 0 when
 * the run could be made (see st->mismatches for the verdict), -1 when it
 * could not (cquery missing, ingest failed, cquery failing 10 times in a
 * row, ...), with a message on log. */
int cq_diff_run(const cq_diff_opts *opts, cq_diff_stats *st);

/* The name of query kind i (for summaries), NULL past the last. */
const char *cq_diff_kind_name(int i);

#endif

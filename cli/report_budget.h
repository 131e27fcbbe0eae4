/*
 * report_budget.h - `cquery hunt --summary`: the alert budget.
 *
 * The analytics ranked by hits per day over the hunted range, those above
 * --budget flagged noisy, each with the false positives its header expects,
 * so a team sees which analytic would flood it and why.  A stats analytic's
 * hits are its result rows.  Table (fitted to a terminal), CSV or JSON Lines.
 */
#ifndef CQ_CLI_REPORT_BUDGET_H
#define CQ_CLI_REPORT_BUDGET_H

#include "cli/output.h"
#include "cli/report_html.h"

#include <stdint.h>
#include <stdio.h>

/* --budget's default: hits a day per analytic before it is called noisy.
 * Five is about what one person triages in a day besides other work. */
#define CQ_BUDGET_DEFAULT 5.0
/* --budget's largest value: a sanity bound, far above any real budget. */
#define CQ_BUDGET_MAX 1e9

/* The hunted time range: --since/--until where given, else the first and
 * last event in the index. */
typedef struct cq_hunt_range {
    int64_t start, end;     /* INT64_MIN: none (an empty index, no option) */
    double days;            /* end - start in days, 0 when there is no range */
    const char *which;      /* where start and end came from, in words ("from ...":
                               no leading '-' for a CSV cell to defuse) */
} cq_hunt_range;

void cq_hunt_range_of(const cq_report_info *info, cq_hunt_range *r);
/* "START to END (N days: WHICH)" into buf (at least CQ_RANGE_BUFLEN bytes). */
#define CQ_RANGE_BUFLEN 192
const char *cq_hunt_range_text(const cq_hunt_range *r, int tz, char *buf);

/* Parses --budget's value: a finite number, 0 to CQ_BUDGET_MAX.  -1 after
 * printing the error. */
int cq_budget_parse(const char *val, double *budget);

/* Writes the ranking of r[0..n) as fmt; term_cols > 0: a table cut to
 * that width. */
void cq_report_budget(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *info,
                      double budget, cq_out_format fmt, unsigned term_cols);

#endif

/*
 * report_html.h - `cquery hunt --format html`: one self-contained HTML file.
 *
 * The page needs no network and runs no script: a header (what was hunted,
 * the data's time range, when the report was made), a summary table and a
 * timeline (inline SVG) in severity order, and each analytic's hits as a
 * table, at most CQ_REPORT_ROWS of them unless --report-rows says otherwise.
 * Everything from logs and analytics is HTML-escaped, and a
 * Content-Security-Policy forbids scripts and any outside resource.
 */
#ifndef CQ_CLI_REPORT_HTML_H
#define CQ_CLI_REPORT_HTML_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Hit rows shown per analytic by default: enough to read, and a report of
 * millions of hits stays a few MB. */
#define CQ_REPORT_ROWS 100

typedef struct cq_hunt_result {
    const char *id, *title, *technique, *severity, *description, *query;
    const char *false_positives;    /* the header's expected false positives ("-": none) */
    int failed;             /* the analytic did not run (error on stderr) */
    int fixed_columns;      /* the query chose its columns (else events) */
    uint64_t hits;
    int64_t first, last;    /* oldest and newest time of the hits, INT64_MIN: none */
    const char *time_cols;  /* the columns those came from ("_time", "first_time") */
    const int64_t *times;   /* every hit's (earliest) time, in no order */
    size_t n_times;
    json_t **rows;          /* the hits shown, in the analytic's order: objects
                               field -> string or array of strings */
    size_t n_rows;
} cq_hunt_result;

typedef struct cq_report_info {
    const char *what;       /* "index" or "archive" */
    const char *source;     /* its path(s) */
    int tz;                 /* --tz: seconds east of UTC, or CQ_TZ_LOCAL */
    int64_t generated;      /* when the report was made (us) */
    uint64_t events;        /* events in the index */
    int64_t data_first, data_last;  /* their time range, INT64_MIN: none */
    int64_t since, until;   /* --since/--until, INT64_MIN/INT64_MAX: none */
    uint64_t max_rows;      /* rows kept per analytic (0: all) */
} cq_report_info;

/* Writes the report of the n analytics r[]. */
void cq_report_html(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *info);

/* Writes s HTML-escaped (& < > " '), control characters as &#xNN;. */
void cq_html_escape(FILE *out, const char *s);

#endif

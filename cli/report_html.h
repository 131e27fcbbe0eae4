/*
 * report_html.h - `cquery hunt --format html`: one self-contained HTML file.
 *
 * The page needs no network and runs no script: a summary table, a timeline
 * (inline SVG) of hits per analytic, and each analytic's hits as a table.
 * Everything from logs and analytics is HTML-escaped, and a
 * Content-Security-Policy forbids scripts and any outside resource.
 */
#ifndef CQ_CLI_REPORT_HTML_H
#define CQ_CLI_REPORT_HTML_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cq_hunt_result {
    const char *id, *title, *technique, *severity, *description, *file;
    int failed;             /* the analytic did not run (error on stderr) */
    int fixed_columns;      /* the query chose its columns (else events) */
    uint64_t hits;
    int64_t first, last;    /* _time of the oldest and newest hit, INT64_MIN: none */
    json_t **rows;          /* the hits, newest first: objects field -> string or array */
    size_t n_rows;
} cq_hunt_result;

/* Writes the report.  source names what was hunted (index or archive). */
void cq_report_html(FILE *out, const cq_hunt_result *r, size_t n, const char *source, int tz);

/* Writes s HTML-escaped (& < > " '), control characters as &#xNN;. */
void cq_html_escape(FILE *out, const char *s);

#endif

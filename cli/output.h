/*
 * output.h - printing results: aligned table, CSV with a header row, or JSON
 * Lines.  Fields whose name starts with "_" are hidden (as in Splunk) except
 * _time and _raw; _time prints as ISO 8601 with the zone.
 */
#ifndef CQ_CLI_OUTPUT_H
#define CQ_CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "engine/exec.h"

typedef enum cq_format { CQ_FMT_TABLE, CQ_FMT_CSV, CQ_FMT_JSON } cq_format;

typedef struct cq_output cq_output;

/* Parses "table", "csv", "json".  Returns 0 or -1. */
int cq_format_parse(const char *s, cq_format *f);

/*
 * fixed_columns: the query fixed the columns (table, stats): print them in
 * the order they come; else the default event view (table: _time,
 * sourcetype, the normalized fields present, _raw; csv/json: every visible
 * field, _time first and _raw last).
 */
cq_output *cq_output_new(cq_format f, FILE *out, int tz_offset_s, int fixed_columns);
cq_sink *cq_output_sink(cq_output *o);
/* JSON only: adds name=value as the first key of every row (both strings
 * must outlive the output). */
void cq_output_tag(cq_output *o, const char *name, const char *value);
/* Prints what was buffered (table, csv).  Returns 0, or -1 on a write error. */
int cq_output_finish(cq_output *o);
uint64_t cq_output_rows(const cq_output *o);
/* Time of the first and last row seen (INT64_MIN when none had _time). */
void cq_output_time_range(const cq_output *o, int64_t *first, int64_t *last);
void cq_output_free(cq_output *o);

/* Writes s to out with C0/C1 controls, DEL and ESC shown as \xNN, so log
 * content can never drive the analyst's terminal. */
void cq_put_safe(FILE *out, const char *s, size_t len);

#endif

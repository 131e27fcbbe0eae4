/*
 * output.h - printing results: aligned table, CSV with a header row, or JSON
 * Lines.  Fields whose name starts with "_" are hidden (as in Splunk) except
 * _time and _raw; _time prints as ISO 8601 with the zone.
 */
#ifndef CQ_CLI_OUTPUT_H
#define CQ_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/exec.h"

typedef enum cq_out_format { CQ_FMT_TABLE, CQ_FMT_CSV, CQ_FMT_JSON } cq_out_format;

typedef struct cq_output cq_output;

/* Parses "table", "csv", "json".  Returns 0 or -1. */
int cq_out_format_parse(const char *s, cq_out_format *f);

/*
 * fixed_columns: the query fixed the columns (table, stats): print them in
 * the order they come; else the default event view (table: _time,
 * sourcetype, the normalized fields present, _raw; csv/json: every visible
 * field, _time first and _raw last).
 */
cq_output *cq_output_new(cq_out_format f, FILE *out, int tz_offset_s, int fixed_columns);
/* CSV cells that a spreadsheet would run as a formula (starting with =, +,
 * -, @, tab or CR, and not a plain number) are printed with a leading ' by
 * default (OWASP's advice against CSV injection); raw=1 (--csv-raw) prints
 * them as they are. */
void cq_output_csv_raw(cq_output *o, int raw);
cq_sink *cq_output_sink(cq_output *o);
/* JSON only: adds name=value as the first key of every row (both strings
 * must outlive the output). */
void cq_output_tag(cq_output *o, const char *name, const char *value);
/* Table, when out is a terminal: the event view becomes Splunk's (_time,
 * sourcetype, host, _raw), cells are cut with an ellipsis so that rows fit
 * `cols` characters, and with rows > 0 a table longer than `rows` lines
 * goes through the pager (cli/term.h). */
void cq_output_terminal(cq_output *o, unsigned cols, unsigned rows);
/* Cuts the widths w[0..n) of a table's columns (two spaces apart) so that
 * a row fits `cols` characters: the last column first, then the widest
 * ones, none below 8 (past that, rows are wider than the terminal). */
void cq_fit_widths(size_t *w, uint32_t n, unsigned cols);
/* Prints what was buffered (table, csv).  Returns 0, or -1 on a write error. */
int cq_output_finish(cq_output *o);
/* JSON only: writes the first max_rows rows (0: all); cq_output_rows() and
 * the times still count every row (hunt's HTML report shows a few). */
void cq_output_keep(cq_output *o, uint64_t max_rows);
/* Keeps the earliest time of every row that has one, for
 * cq_output_take_times() (malloc'ed, the caller frees it). */
void cq_output_collect_times(cq_output *o);
int64_t *cq_output_take_times(cq_output *o, size_t *n);
uint64_t cq_output_rows(const cq_output *o);
/* Oldest and newest time seen (INT64_MIN when no row had one), from _time
 * and from the columns that hold an aggregate's times: firstTime, lastTime,
 * first_time, earliest, latest, last_seen, ... (case and _ aside), as a
 * time, epoch seconds or ISO 8601 text.  cq_output_time_columns() names the
 * columns that held them ("" if none). */
void cq_output_time_range(const cq_output *o, int64_t *first, int64_t *last);
const char *cq_output_time_columns(const cq_output *o);
void cq_output_free(cq_output *o);

/* A JSON string of s[0..len) as JSON output makes it: bytes that are not
 * UTF-8 become U+FFFD, a NUL \u0000.  Never NULL (out of memory aborts). */
typedef struct json_t json_t;
json_t *cq_out_json_text(const char *s, size_t len);
/* Writes one CSV cell as CSV output does (RFC 4180 quoting, multivalues
 * already joined with newlines): formula-like cells defused unless raw, and
 * to a terminal (tty) controls escaped as cq_put_safe does. */
void cq_csv_cell(FILE *out, const char *s, size_t len, int raw, int tty);

/* Writes s to out so that log content can never drive the analyst's
 * terminal: C0 controls (ESC included) and DEL as \xNN, C1 controls and the
 * bidirectional overrides (U+202A..U+202E, U+2066..U+2069) as \uNNNN, and
 * every byte that is not valid UTF-8 as \xNN.  Table output, `cquery
 * sources` and messages that echo log content print through it. */
void cq_put_safe(FILE *out, const char *s, size_t len);
/* A stream that writes to `to` through cq_put_safe, line by line (newlines
 * kept): for reports that quote logs, such as ingest's "path:LINE: reason".
 * Close it with fclose() (which leaves `to` open); returns `to` itself if
 * the stream cannot be made. */
FILE *cq_safe_stream(FILE *to);
/* Prints s as cq_put_safe does, within `width` characters: when it is
 * wider, as much as fits before an ellipsis (U+2026), never cutting a
 * character or an escape in two.  Returns the width printed. */
size_t cq_put_cut(FILE *out, const char *s, size_t len, size_t width);
/* Characters cq_put_safe prints for s[0..len). */
size_t cq_safe_width(const char *s, size_t len);
/* One line of a fitted report: cell j cut to w[j], two spaces between
 * cells, right-aligned where bit j of `right` is set, no trailing blanks. */
void cq_put_row(FILE *out, const char *const *cell, const size_t *w, uint32_t n,
                uint32_t right);

#endif

/*
 * ingest.h - reading docker and Kubernetes logs into the index.
 *
 * cq_ingest reads files, directories (recursively, in sorted order, gzip
 * included) or stdin; recognizes each event's format from its content using
 * sourcetypes.conf (a data file read at run time); flattens JSON into
 * Splunk-style field names; normalizes common fields (action, command, user,
 * exec_command, ...) with the conf file's rules; and feeds the records to the
 * index writer, one transaction per file.  A file already ingested is
 * skipped, a file that grew is resumed where it ended.  Malformed lines are
 * counted and reported as "path:LINE: reason" and never stop the file.
 *
 * It knows nothing of the query language.
 */
#ifndef CQ_INGEST_INGEST_H
#define CQ_INGEST_INGEST_H

#include <stddef.h>
#include <stdio.h>

#include "index/index.h"
#include "index/record.h"

typedef struct cq_ingest_opts {
    const char *sourcetype;   /* forced sourcetype, or NULL to detect from content */
    const char *conf_path;    /* sourcetypes.conf; NULL: cq_find_data("sourcetypes.conf") */
    int verbose;              /* report every malformed line, not only the first few */
    int progress;             /* progress on stderr: the terminal's width in columns
                                 (the caller sets it when stderr is a TTY), 0: none */
    int force;                /* a file already indexed is read again, replacing its rows */
    FILE *err;                /* where reports go */
} cq_ingest_opts;

typedef struct cq_ingest cq_ingest;

/*
 * Loads the sourcetype definitions; on error writes "file:line: message" into
 * err and returns -1 (also for an unknown forced sourcetype).  The caller
 * frees *out with cq_ingest_free().
 */
int cq_ingest_new(const cq_ingest_opts *o, cq_ingest **out, char *err, size_t errlen);

/*
 * Ingests a file, a directory (walked recursively, sorted, rotated *.1.gz
 * included) or "-" (stdin).  Returns 0, or -1 when the input could not be
 * read / the index failed (already reported on o->err).  Malformed lines are
 * not errors.
 */
int cq_ingest_path(cq_ingest *g, cq_index *idx, const char *path);

/*
 * Ingests the file open on fd as cq_ingest_path does a file (the fd is not
 * moved or closed: a duplicate is read from the start), recorded under
 * path, reading at most limit bytes (0: to the end): `search --follow`
 * reads a growing file up to its last complete line, and a rotated file
 * through the descriptor it had open.
 */
int cq_ingest_fd(cq_ingest *g, cq_index *idx, int fd, uint64_t limit, const char *path);

/*
 * The files row whose content this file's content starts with: what ingest
 * would skip (the whole file) or resume (a prefix), wherever it was read
 * from.  Returns 1 with *id set, 0 (none, *id 0), or -1 with err set (the
 * file cannot be read).
 */
int cq_ingest_identify(cq_index *idx, const char *path, int64_t *id, char *err, size_t errlen);

/* Final summary: files (new / skipped as already ingested / resumed),
   records per sourcetype, malformed lines, seconds, MB/s. */
void cq_ingest_summary(const cq_ingest *g, FILE *out);
void cq_ingest_free(cq_ingest *g);

/* ---- without an index: for tests and tools ---- */

/* Receives each finished record; returns 0, or -1 to stop. */
typedef int (*cq_ingest_sink)(void *ctx, const cq_record *r);

/*
 * Runs the whole read/normalize pipeline over text[0..len) as if it were a
 * file named `source`, giving each record to sink.  Returns the number of
 * malformed lines (reported on o->err like a file's), or -1 if the sink failed.
 */
long cq_ingest_buffer(cq_ingest *g, const char *source, const char *text, size_t len,
                      cq_ingest_sink sink, void *ctx);

/* Canonical name of a sourcetype name or alias (e.g. "kube:apiserver-audit"
   gives "kubernetes:apiserver"), or NULL when unknown.  Valid while g lives. */
const char *cq_ingest_sourcetype_name(const cq_ingest *g, const char *name_or_alias);

/* Totals so far. */
typedef struct cq_ingest_stats {
    unsigned long n_files_new, n_files_skipped, n_files_resumed, n_files_failed;
    unsigned long n_files_partial;  /* ingested up to damage (a broken gzip stream) */
    unsigned long n_files_replaced; /* re-ingested (--force) */
    unsigned long long n_records, n_malformed, n_bytes;
    unsigned long long n_fixed_events;  /* events kept with bad bytes replaced by U+FFFD */
    unsigned long long n_fixed;         /* the replacements in them */
    unsigned long long n_no_time;       /* events given the ingest time: no time of their own */
} cq_ingest_stats;
void cq_ingest_get_stats(const cq_ingest *g, cq_ingest_stats *s);

#endif

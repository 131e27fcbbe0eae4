/*
 * query.h - one query from text to results: the object the CLI holds.
 *
 *   q = cq_query_new(text, len, "query", 0);
 *   if (cq_query_compile(q, &opts)) cq_query_print_error(q, stderr);
 *   else cq_query_run(q, idx, &sink, &stats);
 *   cq_query_free(q);
 *
 * The query owns one arena: its text, AST, plan and constants all go with
 * cq_query_free().
 */
#ifndef CQ_ENGINE_QUERY_H
#define CQ_ENGINE_QUERY_H

#include <stdio.h>

#include "common/arena.h"
#include "common/diag.h"
#include "engine/exec.h"
#include "engine/plan.h"
#include "grammar/ast.h"
#include "grammar/macro.h"

typedef struct cq_query {
    cq_arena arena;
    const char *text;       /* the query as written (a copy) */
    size_t len;
    const char *source;     /* "query", or the .spl file it came from */
    unsigned line_base;     /* lines before the query in that file */
    cq_expansion expanded;  /* text after macro expansion, mapped back to text */
    cq_ast *ast;            /* spans index `text` (the query as written) */
    cq_plan *plan;
    cq_diag diag;
    cq_bounds bounds;       /* set before cq_query_run: --timeout, --max-memory */
} cq_query;

typedef struct cq_query_opts {
    int64_t earliest;       /* --earliest, or INT64_MIN */
    int64_t latest;         /* --latest, or INT64_MAX */
    int64_t now_us;         /* "now" for relative times (0: the clock) */
    const char *macros;     /* macro definitions file; NULL: macros.conf
                               found by cq_find_data() (none: no macros) */
    const char *lookups;    /* lookup directory; NULL: $CQUERY_LOOKUPS, else
                               "lookups" found by cq_find_data() */
    const cq_limits *limits; /* NULL: Splunk's (CQ_LIMITS_SPLUNK) */
    unsigned threads;       /* scan threads at most; 0: one per CPU */
    const char *const *geoip_db; /* --geoip-db PATH..., n_geoip_db of them; none:
                               $CQUERY_GEOIP_DB (':'-separated), else the
                               default paths of iplocation */
    size_t n_geoip_db;
    int tz;                 /* --tz (common/timeutil.h): strftime() and friends; 0: UTC */
} cq_query_opts;

cq_query *cq_query_new(const char *text, size_t len, const char *source, unsigned line_base);
/* Expands macros, parses, resolves (grammar/resolve.h) and plans.  Returns 0,
 * or -1 with q->diag set; every span points into q->text. */
int cq_query_compile(cq_query *q, const cq_query_opts *o);
/* Runs a compiled query.  Returns 0, or -1 with q->diag set. */
int cq_query_run(cq_query *q, cq_index *idx, cq_sink *sink, cq_exec_stats *stats);
/* The first command of a compiled query whose results depend on more than
 * each event by itself (stats, sort, head, dedup, a generating command...),
 * or NULL when every one is row by row: what `search --follow` can run on
 * each batch of new events alone. */
const cq_ast *cq_query_not_streaming(const cq_query *q);
/* Prints q->diag as SOURCE:LINE:COL: error: ... with the caret. */
void cq_query_print_error(const cq_query *q, FILE *out);
/* Prints the AST and the plan (what went to SQLite, what stays in the engine). */
void cq_query_explain(const cq_query *q, FILE *out);
void cq_query_free(cq_query *q);

#endif

/*
 * subsearch.h - private to engine/: running a sub-pipeline `[ ... ]` and
 * turning results into a search expression (Splunk's implicit `format`).
 *
 * A subsearch is planned with the query (cq_plan_build on its PIPELINE) and
 * run by whoever needs it: a search expression before its chain opens
 * (cq_subsearch_substitute), join and append when they first need the rows,
 * multisearch as streams.  Rows are copied into a rowstore, up to a limit;
 * a limit that cuts is announced on stderr (cq_exec_note), never silent.
 *
 * This header is the one way back from an operator into the planner: an
 * operator that runs a nested query (join, append, multisearch) plans it
 * with cq_subsearch_plan() and never calls the planner (cq_plan_build) itself
 * (tests/check-layers.sh checks it).
 */
#ifndef CQ_ENGINE_SUBSEARCH_H
#define CQ_ENGINE_SUBSEARCH_H

#include "common/strbuf.h"
#include "engine/op.h"
#include "engine/rowstore.h"

/*
 * Plans the nested query of sub, a SUBSEARCH node (its kids are the
 * PIPELINE), at compile time; memory from a.  Returns 0, or -1 with diag.
 */
int cq_subsearch_plan(cq_arena *a, const cq_ast *sub, const cq_plan_opts *o, cq_plan **out,
                      cq_diag *d);

/*
 * cq_subsearch_plan_all() plans every subsearch of p's search expressions
 * into p->subs (compile time, called by the planner).
 * cq_subsearch_substitute() runs them and returns a copy of p (from
 * ctx->arena) whose search expressions hold their results instead (called
 * by cq_exec_open before the chain opens).
 */
int cq_subsearch_plan_all(cq_arena *a, cq_plan *p, const cq_plan_opts *o, cq_diag *d);
int cq_subsearch_substitute(const cq_plan *p, cq_exec_ctx *ctx, const cq_plan **out);

/* A sub-pipeline's chain with its own context (same index, diag, stats). */
typedef struct cq_subrun {
    cq_exec_ctx ctx;
    cq_arena arena;
    cq_oper *root;
} cq_subrun;

/* Opens plan p under parent's index and diag.  Returns 0, or -1 (diag set;
 * r needs no close).  r must not move while open. */
int cq_subrun_open(cq_subrun *r, const cq_plan *p, const cq_exec_ctx *parent);
void cq_subrun_close(cq_subrun *r);

/*
 * Runs plan p to the end (or to the limits: maxout rows, maxtime seconds;
 * 0 = none) and copies its rows into rs in result order.  `what` names the
 * limit in the note ("subsearch", "join").  Returns 0, or -1 with diag.
 */
int cq_subsearch_collect(const cq_plan *p, const cq_exec_ctx *parent, uint64_t maxout,
                         double maxtime, const char *what, const char *setting,
                         cq_rowstore *rs);

/*
 * A sub-pipeline over results in hand (appendpipe [ ... ], foreach [ ... ]):
 * cq_subpipe_plan() plans every command of pipe, a PIPELINE, as a stage
 * (memory from a; 0 or -1 with diag).  cq_subpipe_run() runs p's stages
 * over the rows of in, in order, under parent's index, diag and bounds,
 * and copies what comes out into out (which may not be in).  Returns 0,
 * or -1 with diag.
 */
int cq_subpipe_plan(cq_arena *a, const cq_ast *pipe, const cq_plan_opts *o, cq_plan **out,
                    cq_diag *d);
int cq_subpipe_run(const cq_plan *p, const cq_rowstore *in, const cq_exec_ctx *parent,
                   cq_rowstore *out);

/* The six strings and options of `format` (Splunk's defaults in
 * CQ_FORMAT_DEFAULT). */
typedef struct cq_format_opts {
    const char *row_prefix, *col_prefix, *col_sep, *col_end, *row_sep, *row_end;
    const char *mvsep;          /* between the values of a multivalue field */
    uint64_t maxresults;        /* rows used (0: all) */
    const char *emptystr;       /* text when no row has a field to format */
} cq_format_opts;

#define CQ_FORMAT_DEFAULT ((cq_format_opts){"(", "(", "AND", ")", "OR", ")", "OR", 0, "NOT()"})

/*
 * Splunk's format: rows[0..n) of rs as one search string into out.  Fields
 * whose names start with "_" are left out; a field named search or query is
 * written as its bare value; other fields as name="value" (quotes and
 * backslashes escaped).  Returns the number of rows written (0: out holds
 * emptystr).
 */
size_t cq_format_rows(const cq_rowstore *rs, const cq_format_opts *fo, cq_strbuf *out);

/*
 * The search expression that text means (parsed like a query's first
 * search), from arena a; every node gets span `at`.  "NOT()" (format's
 * empty result) is an OR with no operands: it matches nothing.  Returns 0 or
 * -1 with diag at `at`.
 */
int cq_subsearch_parse(cq_arena *a, const char *text, cq_span at, const cq_ast **out,
                       cq_diag *d);

#endif

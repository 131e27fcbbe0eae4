/*
 * tstats.h - private to engine/: `| tstats`, `| from datamodel=` and
 * `| datamodel` planned as the commands they are equivalent to.
 *
 * Every field cquery stores is an index-time field, so tstats is a search
 * over the column blocks followed by stats:
 *
 *   | tstats count dc(Processes.user) from datamodel=Endpoint.Processes
 *       where Processes.process_name=sh by Processes.dest _time span=1h
 *
 * is planned as
 *
 *   search <the dataset's constraint (and its parents')> <where terms that
 *       name no data-model field>
 *   | eval Processes.process_name=<its expression>, Processes.user=...,
 *       Processes.dest=...          (only the data-model fields named)
 *   | search Processes.process_name=sh
 *   | bin _time span=1h
 *   | stats count dc(Processes.user) by Processes.dest _time
 *
 * so its results are those of `search ... | stats ...` by construction.
 * The first search gets the planner's usual pushdown (sourcetype, source,
 * host, time range, terms).  A count that block metadata answers exactly
 * (no residual filter, by nothing but sourcetype, source, host) is marked
 * so, and the plan reads block row counts instead of rows (cq_plan.meta).
 */
#ifndef CQ_ENGINE_TSTATS_H
#define CQ_ENGINE_TSTATS_H

#include "common/arena.h"
#include "common/diag.h"
#include "engine/plan.h"
#include "grammar/ast.h"

/* Whether cmd is one of the commands this file plans (tstats, from,
 * datamodel). */
int cq_tstats_is(const cq_ast *cmd);

/* What the rewrite made, for the planner. */
typedef struct cq_tstats_info {
    const char *note;           /* for explain */
    /* The stats command the rewrite made, when block metadata may answer
     * it (no data model, only count, by nothing but sourcetype, source,
     * host, index; the planner still checks that the pushdown is the whole
     * filter); else NULL. */
    const cq_ast *meta_stats;
} cq_tstats_info;

/* The column op_tstats.c gives each block's row count in. */
#define CQ_TSTATS_ROWS "_tstats_rows"

/*
 * Rewrites a PIPELINE whose first command satisfies cq_tstats_is() into
 * the equivalent pipeline (memory from a; nodes of the query keep their
 * spans, nodes from datamodels.conf take the span of the datamodel=
 * option).  *note gets a line for explain.  Returns 0, or -1 with d set:
 * an unknown model, dataset or field, an option it does not run.
 */
int cq_tstats_rewrite(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o,
                      const cq_ast **out, cq_tstats_info *info, cq_diag *d);

/*
 * Given the plan of a rewritten tstats whose info->meta_stats is stage 0
 * and whose first search the pushdown answers whole: makes the plan read
 * block row counts (op_tstats.c) and add them up with stats sum(), instead
 * of reading rows.  Returns 1 if it did, 0 if not, -1 with d set.
 */
int cq_tstats_use_meta(cq_arena *a, cq_plan *p, const cq_plan_opts *o,
                       const cq_tstats_info *info, cq_diag *d);

#endif

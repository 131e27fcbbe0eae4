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

/* Whether cmd is one of the commands this file plans (tstats, from, datamodel). */
int cq_tstats_is(const cq_ast *cmd);

/*
 * Rewrites a PIPELINE whose first command satisfies cq_tstats_is() into
 * the equivalent pipeline (memory from a; nodes of the query keep their
 * spans, nodes from datamodels.conf take the span of the datamodel=
 * option).  *note gets a line for explain.  Returns 0, or -1 with d set:
 * an unknown model, dataset or field, an option it does not run.
 */
int cq_tstats_rewrite(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o,
                      const cq_ast **out, const char **note, cq_diag *d);

#endif

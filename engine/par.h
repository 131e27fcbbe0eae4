/*
 * par.h - private to engine/: one query's scan on several threads.
 *
 * A plan whose first stages are row-local and end in a command whose state
 * merges (plan->par_stages, engine/needs.c) runs its scan on up to
 * plan->scan_threads threads.  The blocks the pushdown selected are split
 * into consecutive runs, one per thread, in scan order; each thread scans
 * its run and runs the row-local stages over it with its own index
 * connection, diag, counters and memory (cq_par_open builds these chains).
 * The merging command then pulls each chain into a partial state of its own
 * on that chain's thread (cq_par_run) and folds the partial states together
 * in run order, so that its answer is the one a single thread gives.
 */
#ifndef CQ_ENGINE_PAR_H
#define CQ_ENGINE_PAR_H

#include "engine/op.h"

typedef struct cq_par cq_par;

/*
 * Selects the blocks of ctx->plan, splits them over at most `threads`
 * threads (one per run of blocks, never more runs than blocks, at least
 * one) and builds each run's chain: scan, then stages [0, n_stages) of the
 * plan.  Returns NULL with ctx->diag set on error.
 */
cq_par *cq_par_open(cq_exec_ctx *ctx, size_t n_stages, unsigned threads);
unsigned cq_par_n(const cq_par *p);
/* Run w's context (its diag and now_us are what its partial state uses). */
cq_exec_ctx *cq_par_ctx(cq_par *p, unsigned w);
/*
 * Calls fn(arg, w, chain of run w) for every run, each on a thread of its
 * own (run 0 on the calling one), and waits for all.  fn returns 0, or -1
 * with cq_par_ctx(p, w)->diag set; the first failure stops the other runs
 * within a block.  Adds the runs' counters to the caller's.  Returns 0, or
 * -1 with the caller's diag set from the run that failed first.
 */
int cq_par_run(cq_par *p, int (*fn)(void *arg, unsigned w, cq_oper *chain), void *arg);
void cq_par_close(cq_par *p);

/* Threads of a scan when none is asked for: the CPUs online (at most
 * CQ_MAX_SCAN_THREADS). */
unsigned cq_par_default_threads(void);

#endif

/*
 * par.c - one query's scan on several threads (par.h).
 *
 * Each run owns everything its thread touches: a second connection to the
 * index (run 0 reuses the caller's: its thread is the caller's), a fork of
 * the block list, the operator chain and its memory.  The stage configs
 * and the plan are shared read-only; operators keep their state (regex
 * caches, arenas) in themselves.  Threads meet only at the cancel flag and
 * at the join.
 */
#include "engine/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct run {
    cq_par *par;
    unsigned w;
    cq_index *idx;              /* own connection (run 0: the caller's) */
    cq_diag diag;
    cq_exec_stats stats;
    cq_arena arena;
    cq_exec_ctx ctx;
    cq_oper *chain;
    pthread_t th;
    int started, rc;
    int cancelled;              /* it failed because another run did */
} run;

struct cq_par {
    cq_exec_ctx *ctx;           /* the caller's */
    cq_scan *scan;              /* the blocks, split among the runs */
    run *runs;
    unsigned n;
    _Atomic int cancel;
    int (*fn)(void *, unsigned, cq_oper *);
    void *arg;
};

unsigned cq_par_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CQ_MAX_SCAN_THREADS ? CQ_MAX_SCAN_THREADS : (unsigned)n;
}

/* Run w's connection, scan fork and chain.  Returns 0 or -1 (its diag). */
static int run_open(cq_par *p, run *r, size_t first, size_t n, size_t n_stages)
{
    const cq_exec_ctx *c = p->ctx;
    r->ctx = *c;
    r->ctx.diag = &r->diag;
    r->ctx.stats = &r->stats;
    r->ctx.arena = &r->arena;
    r->ctx.par = NULL;
    r->ctx.cancel = &p->cancel;
    cq_arena_init(&r->arena);
    cq_diag_init(&r->diag);
    r->idx = c->idx;
    if (r->w) {
        char err[600];
        if (cq_index_open(cq_index_path(c->idx), CQ_INDEX_READ, &r->idx, err, sizeof err)) {
            r->idx = NULL;
            return cq_diag_set(&r->diag, CQ_SPAN_NONE, "%s", err);
        }
    }
    r->ctx.idx = r->idx;
    cq_scan *fork;
    if (cq_scan_fork(p->scan, r->idx, first, n, &fork))
        return cq_diag_set(&r->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(r->idx));
    r->chain = cq_exec_stack(c->plan, 0, n_stages, cq_op_scan_of(&r->ctx, fork), &r->ctx);
    return r->chain ? 0 : -1;
}

cq_par *cq_par_open(cq_exec_ctx *ctx, size_t n_stages, unsigned threads)
{
    cq_par *p = cq_xcalloc(1, sizeof *p);
    p->ctx = ctx;
    if (cq_scan_open(ctx->idx, &ctx->plan->pd, &p->scan)) {
        cq_diag_set(ctx->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(ctx->idx));
        free(p);
        return NULL;
    }
    size_t nb = cq_scan_n_blocks(p->scan);
    ctx->stats->blocks_total = nb;
    p->n = threads < 1 ? 1 : threads;
    if (p->n > nb)
        p->n = nb ? (unsigned)nb : 1;
    p->runs = cq_xcalloc(p->n, sizeof *p->runs);
    for (unsigned w = 0; w < p->n; w++) {
        run *r = &p->runs[w];
        r->par = p;
        r->w = w;
        size_t first = nb * w / p->n, end = nb * (w + 1) / p->n;
        if (run_open(p, r, first, end - first, n_stages)) {
            if (!ctx->diag->set)
                *ctx->diag = r->diag;
            p->n = w + 1;       /* what cq_par_close frees */
            cq_par_close(p);
            return NULL;
        }
    }
    return p;
}

unsigned cq_par_n(const cq_par *p)
{
    return p->n;
}

cq_exec_ctx *cq_par_ctx(cq_par *p, unsigned w)
{
    return &p->runs[w].ctx;
}

static void *run_main(void *arg)
{
    run *r = arg;
    r->rc = r->par->fn(r->par->arg, r->w, r->chain);
    if (r->rc) {
        r->cancelled = atomic_load(&r->par->cancel);
        atomic_store(&r->par->cancel, 1);
    }
    if (r->w)
        cq_col_thread_done();   /* its thread ends here */
    return NULL;
}

int cq_par_run(cq_par *p, int (*fn)(void *arg, unsigned w, cq_oper *chain), void *arg)
{
    p->fn = fn;
    p->arg = arg;
    for (unsigned w = 1; w < p->n; w++)
        p->runs[w].started = !pthread_create(&p->runs[w].th, NULL, run_main, &p->runs[w]);
    run_main(&p->runs[0]);
    for (unsigned w = 1; w < p->n; w++) {
        if (p->runs[w].started)
            pthread_join(p->runs[w].th, NULL);
        else
            run_main(&p->runs[w]);      /* no thread to be had: run it here */
    }
    /* Report the failure that caused the others: a run stopped by the
     * cancel flag says only that. */
    const run *failed = NULL;
    for (unsigned w = 0; w < p->n; w++) {
        const run *r = &p->runs[w];
        p->ctx->stats->blocks_read += r->stats.blocks_read;
        p->ctx->stats->rows_scanned += r->stats.rows_scanned;
        if (r->rc && (!failed || (failed->cancelled && !r->cancelled)))
            failed = r;
    }
    if (failed && !p->ctx->diag->set)
        *p->ctx->diag = failed->diag;
    return failed ? -1 : 0;
}

void cq_par_close(cq_par *p)
{
    if (!p)
        return;
    for (unsigned w = 0; w < p->n; w++) {
        run *r = &p->runs[w];
        cq_exec_close(r->chain);
        if (r->w && r->idx)
            cq_index_close(r->idx);
        cq_arena_free(&r->arena);
    }
    free(p->runs);
    cq_scan_close(p->scan);
    free(p);
}

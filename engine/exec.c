/*
 * exec.c - the driver: builds the operator chain of a plan (source, then one
 * operator per stage) and pulls batches from its end into the sink.  The
 * same chain builder runs sub-pipelines (join, append, multisearch and
 * subsearches in search expressions each build a second chain over the
 * same index).
 */
#include "engine/op.h"
#include "engine/par.h"
#include "engine/subsearch.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Frees an operator chain, last operator first. */
static void op_free_chain(cq_oper *op)
{
    while (op) {
        cq_oper *child = op->child;
        cq_oper_free(op);
        op = child;
    }
}

/* next() of an operator of a bounded run: the bounds first.  Every
 * operator that loops or holds memory does so by pulling batches from its
 * child (stats, sort, join, transaction ...) or by handing out batches
 * (mvexpand, eventstats), so one check here bounds them all, nested
 * subsearches and pipelines included (they open their chains here too). */
static int bounded_next(cq_oper *op, cq_batch **out)
{
    if (cq_exec_check_bounds(op->ctx))
        return -1;
    return op->own_next(op, out);
}

static cq_oper *bound(cq_oper *op, const cq_exec_ctx *ctx)
{
    if (op && ctx->bounds && op->next != bounded_next) {
        op->own_next = op->next;
        op->next = bounded_next;
    }
    return op;
}

cq_oper *cq_exec_open(const cq_plan *p, cq_exec_ctx *ctx)
{
    ctx->plan = p;
    if (p->n_subs && cq_subsearch_substitute(p, ctx, &ctx->plan))
        return NULL;
    p = ctx->plan;
    size_t i = 0;
    cq_oper *root;
    if (p->source) {
        root = p->source->def->open(p->source->cfg, NULL, ctx);
    } else if (p->par_stages && p->scan_threads > 1) {
        i = p->par_stages - 1;      /* the merging stage takes the threads over */
        ctx->par = cq_par_open(ctx, i, p->scan_threads);
        root = ctx->par ? p->stages[i].def->open(p->stages[i].cfg, NULL, ctx) : NULL;
        cq_par_close(ctx->par);     /* still here: its stage failed to open */
        ctx->par = NULL;
        i++;
    } else {
        root = cq_op_source(ctx);
    }
    return cq_exec_stack(p, i, p->n_stages, bound(root, ctx), ctx);
}

cq_oper *cq_exec_stack(const cq_plan *p, size_t from, size_t to, cq_oper *root,
                       cq_exec_ctx *ctx)
{
    for (size_t i = from; root && i < to; i++) {
        cq_oper *op = bound(p->stages[i].def->open(p->stages[i].cfg, root, ctx), ctx);
        if (!op)
            op_free_chain(root);
        root = op;
    }
    return root;
}

void cq_exec_close(cq_oper *root)
{
    op_free_chain(root);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cq_exec_check_bounds(cq_exec_ctx *ctx)
{
    if (ctx->cancel && atomic_load(ctx->cancel) && !ctx->diag->set)
        return cq_diag_set(ctx->diag, CQ_SPAN_NONE, "search stopped: another scan thread failed");
    const cq_bounds *b = ctx->bounds;
    if (!b || ctx->diag->set)
        return ctx->diag->set ? -1 : 0;
    if (b->stop && *b->stop)
        return cq_diag_set(ctx->diag, CQ_SPAN_NONE, "search stopped: interrupted (Ctrl-C)");
    if (b->timeout_s > 0 && mono_s() - ctx->t_start > b->timeout_s)
        return cq_diag_set(ctx->diag, CQ_SPAN_NONE,
                           "search stopped: it ran longer than %g s (--timeout)", b->timeout_s);
    struct rusage ru;
    if (b->max_memory && !getrusage(RUSAGE_SELF, &ru) &&
        (uint64_t)ru.ru_maxrss * 1024 > b->max_memory)
        return cq_diag_set(ctx->diag, CQ_SPAN_NONE,
                           "search stopped: it needed more than %.0f MB of memory (--max-memory)",
                           (double)b->max_memory / (1024 * 1024));
    return 0;
}

int cq_exec_run(const cq_plan *p, cq_index *idx, cq_sink *sink, cq_diag *diag,
                cq_exec_stats *stats)
{
    return cq_exec_run_bounded(p, idx, sink, diag, stats, NULL);
}

int cq_exec_run_bounded(const cq_plan *p, cq_index *idx, cq_sink *sink, cq_diag *diag,
                        cq_exec_stats *stats, const cq_bounds *bounds)
{
    memset(stats, 0, sizeof *stats);
    cq_arena arena;
    cq_arena_init(&arena);
    cq_exec_ctx ctx = {idx, diag, stats, p, p->now_us, &arena, bounds, mono_s(), NULL, NULL};
    cq_oper *root = cq_exec_open(p, &ctx);
    int rc = root ? 1 : -1;
    cq_batch *b;
    while (root && (rc = root->next(root, &b)) == 1) {
        stats->rows_out += b->n_sel;
        if (b->n_sel && sink->batch(sink, b)) {
            rc = -1;
            break;
        }
    }
    cq_exec_close(root);
    cq_arena_free(&arena);
    return rc < 0 ? -1 : 0;
}

/*
 * op_stats.c - `| stats F(x) [as name] ... [by f ...]`: hash aggregation.
 *
 * Reads every batch of its child, folding each into the groups' states a
 * batch at a time (engine/agg/agg.c), then hands out one row per group, sorted
 * by the by-values (numbers numerically, before strings; strings byte-wise),
 * with the by-fields first and the functions in the order written.  A row
 * without a by-field counts in no group; a multivalue by-field counts the
 * row once under each value.  With no by-clause there is always one row, so
 * `stats count` over nothing gives 0, while `stats count by x` gives no row
 * (Splunk).  Memory grows with the number of groups, not of events.
 *
 * Opened over scan threads (engine/par.h) instead of a child, it folds each
 * thread's rows into a partial grouper of that thread's, then merges them
 * in scan order into its own before handing out the groups.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"
#include "engine/par.h"

#include <stdlib.h>
#include <string.h>

typedef struct stats_op {
    cq_oper base;
    const cq_aggcmd *cfg;
    cq_grouper g;
    cq_par *par;            /* scan threads, or NULL: the child */
    cq_grouper *parts;      /* one per scan thread */
    int done;               /* input consumed */
    uint32_t *order;        /* group ids in output order */
    uint32_t next_out;      /* next index into order */
    cq_arena out_arena;
    cq_batch out;
} stats_op;

int cq_prepare_stats(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    cq_aggcmd *c = cq_arena_calloc(a, sizeof *c);
    if (cq_aggcmd_prepare(a, cmd, 1, c, d))
        return -1;
    *cfg = c;
    return 0;
}

/* Folds every batch of chain into g. */
static int consume(cq_grouper *g, cq_oper *chain)
{
    cq_batch *b;
    int rc;
    uint16_t rows[CQ_BATCH_ROWS];
    while ((rc = chain->next(chain, &b)) == 1) {
        uint32_t n = b->n_sel;
        for (uint32_t i = 0; i < n; i++)
            rows[i] = (uint16_t)cq_batch_row(b, i);
        if (n && cq_grouper_add(g, b, rows, n))
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* Scan thread w's share: its rows into its own grouper. */
static int consume_part(void *arg, unsigned w, cq_oper *chain)
{
    stats_op *s = arg;
    return consume(&s->parts[w], chain);
}

static int consume_all(stats_op *s)
{
    if (!s->par)
        return consume(&s->g, s->base.child);
    if (cq_par_run(s->par, consume_part, s))
        return -1;
    for (unsigned w = 0; w < cq_par_n(s->par); w++)
        cq_grouper_merge(&s->g, &s->parts[w]);
    return 0;
}

static int stats_next(cq_oper *op, cq_batch **out)
{
    stats_op *s = (stats_op *)op;
    if (!s->done) {
        if (consume_all(s))
            return -1;
        s->done = 1;
        cq_aggset_grow(&s->g.set, s->g.groups.n_groups);
        s->order = cq_groups_sorted(&s->g.groups);
        cq_aggset_report(&s->g.set, "stats", s->base.ctx);
    }
    uint32_t left = s->g.groups.n_groups - s->next_out;
    if (!left)
        return 0;
    uint32_t n = left < CQ_BATCH_ROWS ? left : CQ_BATCH_ROWS;
    cq_arena_reset(&s->out_arena);
    if (cq_aggset_emit(&s->g.set, &s->g.groups, s->order + s->next_out, n, &s->out,
                       &s->out_arena, op->ctx->diag))
        return -1;
    s->next_out += n;
    *out = &s->out;
    return 1;
}

static void stats_free(cq_oper *op)
{
    stats_op *s = (stats_op *)op;
    cq_grouper_free(&s->g);
    for (unsigned w = 0; s->parts && w < cq_par_n(s->par); w++)
        cq_grouper_free(&s->parts[w]);
    free(s->parts);
    cq_par_close(s->par);
    free(s->order);
}

cq_oper *cq_open_stats(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    stats_op *s = cq_oper_new(sizeof *s, stats_next, stats_free, child, ctx);
    const cq_aggcmd *c = s->cfg = cfg;
    cq_grouper_init(&s->g, c->by, c->n_by, c->aggs, c->n_aggs, c->list_max, ctx->diag,
                    ctx->now_us, ctx->plan->tz);
    if (!child && ctx->par) {
        s->par = ctx->par;
        ctx->par = NULL;
        unsigned n = cq_par_n(s->par);
        s->parts = cq_xcalloc(n, sizeof *s->parts);
        for (unsigned w = 0; w < n; w++) {
            const cq_exec_ctx *wc = cq_par_ctx(s->par, w);
            cq_grouper_init(&s->parts[w], c->by, c->n_by, c->aggs, c->n_aggs, c->list_max,
                            wc->diag, wc->now_us, wc->plan->tz);
        }
    }
    cq_oper_out(&s->base, &s->out_arena, &s->out);
    return &s->base;
}

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
 */
#include "engine/op.h"
#include "engine/agg/agg.h"

#include <stdlib.h>
#include <string.h>

typedef struct stats_op {
    cq_oper base;
    const cq_aggcmd *cfg;
    cq_grouper g;
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

/* Folds one input batch into the groups. */
static int consume(stats_op *s, const cq_batch *b)
{
    uint16_t rows[CQ_BATCH_ROWS];
    uint32_t n = b->n_sel;
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)cq_batch_row(b, i);
    return cq_grouper_add(&s->g, b, rows, n);
}

static int stats_next(cq_oper *op, cq_batch **out)
{
    stats_op *s = (stats_op *)op;
    if (!s->done) {
        cq_batch *b;
        int rc;
        while ((rc = op->child->next(op->child, &b)) == 1)
            if (b->n_sel && consume(s, b))
                return -1;
        if (rc < 0)
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
    free(s->order);
}

cq_oper *cq_open_stats(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    stats_op *s = cq_oper_new(sizeof *s, stats_next, stats_free, child, ctx);
    s->cfg = cfg;
    cq_grouper_init(&s->g, s->cfg->by, s->cfg->n_by, s->cfg->aggs, s->cfg->n_aggs,
                    s->cfg->list_max, ctx->diag, ctx->now_us);
    cq_oper_out(&s->base, &s->out_arena, &s->out);
    return &s->base;
}

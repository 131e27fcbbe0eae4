/*
 * op_streamstats.c - `| streamstats [current=t|f] F(x) [as name] ... [by
 * f ...]`: running aggregates in result order, added to each event.
 *
 * Each event gets the aggregates of the events seen so far in its group
 * (itself included unless current=false), so over newest-first results
 * `streamstats count` numbers the events 1, 2, 3, ...  Groups follow stats'
 * rules (engine/agg/agg.h); an event without a by-field gets no value and does
 * not count.  Streams: memory grows with the groups, not the events.
 * window= (a sliding window) is not supported yet and says so.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"

#include <stdlib.h>
#include <string.h>

typedef struct sst_cfg {
    cq_aggcmd ac;
    int current;
} sst_cfg;

typedef struct sst_op {
    cq_oper base;
    const sst_cfg *cfg;
    cq_grouper g;
    cq_arena arena;
    cq_batch view;
} sst_op;

int cq_prepare_streamstats(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                           cq_diag *d)
{
    (void)o;
    sst_cfg *c = cq_arena_calloc(a, sizeof *c);
    if (cq_aggcmd_prepare(a, cmd, 1, &c->ac, d) || cq_opt_bool(cmd, "current", 1, &c->current, d))
        return -1;
    static const char *const unsupported[] = {"window", "time_window", "reset_on_change",
                                              "reset_before", "reset_after"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        const cq_ast *opt = cq_ast_option(cmd, unsupported[i]);
        long w = 0;
        if (opt && !strcmp(unsupported[i], "window") && !cq_opt_uint(cmd, "window", 0, &w, d) &&
            w == 0)
            continue;       /* window=0: no window, Splunk's default */
        if (opt)
            return cq_diag_set(d, opt->span, "not supported yet: streamstats %s=",
                               unsupported[i]);
    }
    *cfg = c;
    return 0;
}

static int sst_next(cq_oper *op, cq_batch **out)
{
    sst_op *s = (sst_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&s->arena);
    cq_batch_view(&s->view, b);
    uint32_t n = b->n_sel, na = s->g.set.n_aggs;
    uint16_t rows[CQ_BATCH_ROWS];
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)cq_batch_row(b, i);
    if (cq_grouper_map(&s->g, b, rows, n))
        return -1;
    uint32_t np = s->g.n_pairs;
    cq_val *v = cq_arena_calloc(&s->arena, ((size_t)n * na + 1) * sizeof *v);
    for (uint32_t p = 0, i = 0; i < n; i++) {
        uint32_t first = p;
        while (p < np && s->g.pos[p] == i)
            p++;
        if (p == first)
            continue;               /* no group: no values */
        if (s->cfg->current)
            cq_aggset_add(&s->g.set, s->g.pos + first, s->g.gid + first, p - first);
        for (uint32_t k = 0; k < na; k++)
            cq_aggset_result(&s->g.set, s->g.gid[first], k, &s->arena, &v[(size_t)k * n + i]);
        if (!s->cfg->current)
            cq_aggset_add(&s->g.set, s->g.pos + first, s->g.gid + first, p - first);
    }
    for (uint32_t k = 0; k < na; k++) {
        cq_col c;
        if (cq_vals_to_col(v + (size_t)k * n, rows, n, b->n_rows, &s->arena, &c, NULL,
                           op->ctx->diag))
            return -1;
        cq_batch_put(&s->view, s->g.set.aggs[k].name, &c);
    }
    *out = &s->view;
    return 1;
}

static void sst_free(cq_oper *op)
{
    sst_op *s = (sst_op *)op;
    cq_aggset_report(&s->g.set, "streamstats", s->base.ctx);
    cq_grouper_free(&s->g);
}

cq_oper *cq_open_streamstats(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    sst_op *s = cq_oper_new(sizeof *s, sst_next, sst_free, child, ctx);
    s->cfg = cfg;
    cq_grouper_init(&s->g, s->cfg->ac.by, s->cfg->ac.n_by, s->cfg->ac.aggs, s->cfg->ac.n_aggs,
                    s->cfg->ac.list_max, ctx->diag, ctx->now_us, ctx->plan->tz);
    cq_oper_out(&s->base, &s->arena, &s->view);
    return &s->base;
}

/*
 * op_eventstats.c - `| eventstats F(x) [as name] ... [by f ...]`: the
 * aggregates of each event's group, added to every event of the group.
 *
 * Events keep their order and their fields; a new field of the same name
 * replaces the event's own.  Groups follow stats' rules (engine/agg/agg.h): an
 * event without a by-field gets no value; an event with a multivalue
 * by-field counts under each value and shows the aggregates of its first
 * value's group.  The operator must see every event before it can emit the
 * first, so it keeps them all (engine/rowstore.h): memory grows with the
 * events, as in Splunk.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"
#include "engine/rowstore.h"

#include <stdlib.h>
#include <string.h>

typedef struct evs_op {
    cq_oper base;
    const cq_aggcmd *cfg;
    cq_grouper g;
    cq_rowstore store;
    uint32_t *row_gid;      /* per stored row: its group, UINT32_MAX none */
    int done;
    size_t next_out;
    cq_arena arena;
    cq_batch out;
} evs_op;

int cq_prepare_eventstats(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                          cq_diag *d)
{
    (void)o;
    cq_aggcmd *c = cq_arena_calloc(a, sizeof *c);
    if (cq_aggcmd_prepare(a, cmd, 1, c, d))
        return -1;
    *cfg = c;
    return 0;
}

/* Rows [at, at+n) of the store as a batch in e->out. */
static void emit_rows(evs_op *e, size_t at, uint32_t n)
{
    const cq_row *ptr[CQ_BATCH_ROWS];
    for (uint32_t i = 0; i < n; i++)
        ptr[i] = &e->store.rows[at + i];
    cq_arena_reset(&e->arena);
    cq_rows_emit(&e->store, ptr, n, &e->out);
}

/* Reads every input row, then folds them into the groups. */
static int gather(evs_op *e)
{
    cq_oper *child = e->base.child;
    cq_batch *b;
    int rc;
    while ((rc = child->next(child, &b)) == 1) {
        cq_rows_add_cols(&e->store, b);
        for (uint32_t i = 0; i < b->n_sel; i++)
            cq_rows_add(&e->store, b, cq_batch_row(b, i));
    }
    if (rc < 0)
        return -1;
    size_t n_rows = e->store.n_rows;
    e->row_gid = cq_xmalloc((n_rows + 1) * sizeof *e->row_gid);
    memset(e->row_gid, 0xff, (n_rows + 1) * sizeof *e->row_gid);
    uint16_t rows[CQ_BATCH_ROWS];
    for (uint32_t i = 0; i < CQ_BATCH_ROWS; i++)
        rows[i] = (uint16_t)i;
    for (size_t at = 0; at < n_rows; at += CQ_BATCH_ROWS) {
        uint32_t n = n_rows - at < CQ_BATCH_ROWS ? (uint32_t)(n_rows - at) : CQ_BATCH_ROWS;
        emit_rows(e, at, n);
        if (cq_grouper_fold(&e->g, &e->out, rows, n))
            return -1;
        for (uint32_t k = e->g.n_pairs; k-- > 0;)  /* first pair of a row wins */
            e->row_gid[at + e->g.pos[k]] = e->g.gid[k];
    }
    cq_aggset_report(&e->g.set, "eventstats", e->base.ctx);
    return 0;
}

static int evs_next(cq_oper *op, cq_batch **out)
{
    evs_op *e = (evs_op *)op;
    if (!e->done) {
        if (gather(e))
            return -1;
        e->done = 1;
    }
    size_t left = e->store.n_rows - e->next_out;
    if (!left)
        return 0;
    uint32_t n = left < CQ_BATCH_ROWS ? (uint32_t)left : CQ_BATCH_ROWS;
    emit_rows(e, e->next_out, n);
    uint16_t rows[CQ_BATCH_ROWS];
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)i;
    cq_val *v = cq_arena_alloc(&e->arena, (n + 1) * sizeof *v);
    for (uint32_t k = 0; k < e->g.set.n_aggs; k++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t g = e->row_gid[e->next_out + i];
            if (g == UINT32_MAX)
                v[i] = (cq_val){0};
            else
                cq_aggset_result(&e->g.set, g, k, &e->arena, &v[i]);
        }
        cq_col c;
        if (cq_vals_to_col(v, rows, n, n, &e->arena, &c, NULL, op->ctx->diag))
            return -1;
        cq_batch_put(&e->out, e->g.set.aggs[k].name, &c);
    }
    e->next_out += n;
    *out = &e->out;
    return 1;
}

static void evs_free(cq_oper *op)
{
    evs_op *e = (evs_op *)op;
    cq_grouper_free(&e->g);
    cq_rows_free(&e->store);
    free(e->row_gid);
}

cq_oper *cq_open_eventstats(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    evs_op *e = cq_oper_new(sizeof *e, evs_next, evs_free, child, ctx);
    e->cfg = cfg;
    cq_grouper_init(&e->g, e->cfg->by, e->cfg->n_by, e->cfg->aggs, e->cfg->n_aggs,
                    e->cfg->list_max, ctx->diag, ctx->now_us, ctx->plan->tz);
    cq_rows_init(&e->store);
    cq_oper_out(&e->base, &e->arena, &e->out);
    return &e->base;
}

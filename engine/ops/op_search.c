/*
 * op_search.c - `| search EXPR`: keeps the rows the search expression
 * matches (Splunk's search semantics, see filter.c).
 */
#include "engine/op.h"

#include <stdlib.h>

typedef struct search_op {
    cq_oper base;
    const cq_ast *expr;
    cq_arena scratch;
    uint16_t sel[CQ_BATCH_ROWS];
} search_op;

int cq_prepare_search(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    (void)a;
    (void)o;
    if (!cmd->kids)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "search needs an expression");
    if (cq_filter_check(cmd->kids, -1, d))
        return -1;
    *cfg = (void *)cmd->kids;
    return 0;
}

static int search_next(cq_oper *op, cq_batch **out)
{
    search_op *f = (search_op *)op;
    cq_batch *b;
    int rc;
    while ((rc = op->child->next(op->child, &b)) == 1) {
        uint16_t in[CQ_BATCH_ROWS];
        for (uint32_t i = 0; i < b->n_sel; i++)
            in[i] = (uint16_t)cq_batch_row(b, i);
        cq_arena_reset(&f->scratch);
        uint32_t n = cq_filter_search(f->expr, b, in, b->n_sel, f->sel, &f->scratch);
        if (n) {
            b->sel = f->sel;
            b->n_sel = n;
            *out = b;
            return 1;
        }
    }
    return rc;
}

static void search_free(cq_oper *op)
{
    search_op *f = (search_op *)op;
    cq_arena_free(&f->scratch);
}

cq_oper *cq_open_search(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    search_op *f = cq_oper_new(sizeof *f, search_next, search_free, child, ctx);
    f->expr = cfg;
    cq_arena_init(&f->scratch);
    return &f->base;
}

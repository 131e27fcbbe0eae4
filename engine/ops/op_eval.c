/*
 * op_eval.c - `| where EXPR` and `| eval f=EXPR, g=EXPR ...`.
 *
 * where keeps the rows for which the expression is true (case-sensitive
 * comparisons, unlike search).  eval computes each assignment in order over
 * the batch (a later one sees the fields an earlier one set) and hands out a
 * view of the child's batch with the new columns added.
 */
#include "engine/op.h"
#include "engine/expr/eval.h"

#include <stdlib.h>
#include <string.h>

typedef struct eval_op {
    cq_oper base;
    const cq_ast *cmd;
    cq_arena arena;             /* values and columns of the current batch */
    cq_eval_ctx ec;
    cq_batch view;
    uint16_t sel[CQ_BATCH_ROWS];
} eval_op;

int cq_prepare_where(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)a;
    (void)o;
    if (!cmd->kids)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "where needs an expression");
    *cfg = (void *)cmd;
    return cq_eval_check(cmd->kids, d);
}

/* Splunk refuses to store a boolean: catch the obvious cases when the query
 * is compiled (cq_vals_to_col catches the rest when it runs). */
static int is_boolean(const cq_ast *e)
{
    if (e->kind == CQ_AST_UNARY)
        return e->op == CQ_OP_NOT;
    return e->kind == CQ_AST_BINARY &&
           ((e->op >= CQ_OP_EQ && e->op <= CQ_OP_GE) || e->op == CQ_OP_AND ||
            e->op == CQ_OP_OR || e->op == CQ_OP_XOR || e->op == CQ_OP_LIKE);
}

int cq_prepare_eval(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)a;
    (void)o;
    if (!cmd->kids)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "eval needs field=expression");
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_ASSIGN || !k->kids)
            return cq_diag_set(d, k->span, "expected field=expression");
        if (cq_eval_check(k->kids, d))
            return -1;
        if (is_boolean(k->kids))
            return cq_diag_set(d, k->kids->span,
                               "fields cannot be assigned a boolean result; use if(cond, a, b)");
    }
    *cfg = (void *)cmd;
    return 0;
}

/* The selected rows of b as a list. */
static uint32_t rows_of(const cq_batch *b, uint16_t *rows)
{
    for (uint32_t i = 0; i < b->n_sel; i++)
        rows[i] = (uint16_t)cq_batch_row(b, i);
    return b->n_sel;
}

static int where_next(cq_oper *op, cq_batch **out)
{
    eval_op *w = (eval_op *)op;
    cq_batch *b;
    int rc;
    while ((rc = op->child->next(op->child, &b)) == 1) {
        cq_arena_reset(&w->arena);
        uint16_t rows[CQ_BATCH_ROWS];
        uint32_t n = rows_of(b, rows);
        cq_val *v = cq_arena_alloc(&w->arena, (n + 1) * sizeof *v);
        if (cq_eval(w->cmd->kids, &w->ec, b, rows, n, v))
            return -1;
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++)
            if (cq_val_truthy(&v[i]))
                w->sel[k++] = rows[i];
        if (k) {
            b->sel = w->sel;
            b->n_sel = k;
            *out = b;
            return 1;
        }
    }
    return rc;
}

static int eval_next(cq_oper *op, cq_batch **out)
{
    eval_op *e = (eval_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&e->arena);
    /* Our view: the child's rows and selection, a copy of its column list. */
    cq_batch_clear(&e->view);
    e->view.n_rows = b->n_rows;
    e->view.sel = b->sel;
    e->view.n_sel = b->n_sel;
    for (uint32_t i = 0; i < b->n_cols; i++)
        cq_batch_put(&e->view, b->cols[i].name, &b->cols[i].col);
    uint16_t rows[CQ_BATCH_ROWS];
    uint32_t n = rows_of(b, rows);
    for (const cq_ast *k = e->cmd->kids; k; k = k->next) {
        cq_val *v = cq_arena_alloc(&e->arena, (n + 1) * sizeof *v);
        cq_col col;
        if (cq_eval(k->kids, &e->ec, &e->view, rows, n, v) ||
            cq_vals_to_col(v, rows, n, b->n_rows, &e->arena, &col, k->kids, op->ctx->diag))
            return -1;
        cq_batch_put(&e->view, k->name, &col);
    }
    *out = &e->view;
    return 1;
}

static void eval_free(cq_oper *op)
{
    eval_op *e = (eval_op *)op;
    cq_regex_cache_free(e->ec.regex);
}

static cq_oper *eval_new(const void *cfg, cq_oper *child, cq_exec_ctx *ctx,
                         int (*next)(cq_oper *, cq_batch **))
{
    eval_op *e = cq_oper_new(sizeof *e, next, eval_free, child, ctx);
    e->cmd = cfg;
    cq_oper_out(&e->base, &e->arena, &e->view);
    e->ec = (cq_eval_ctx){&e->arena, ctx->diag, ctx->now_us, cq_regex_cache_new(), ctx->plan->tz};
    return &e->base;
}

cq_oper *cq_open_where(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return eval_new(cfg, child, ctx, where_next);
}

cq_oper *cq_open_eval(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return eval_new(cfg, child, ctx, eval_next);
}

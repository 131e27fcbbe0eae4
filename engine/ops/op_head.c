/*
 * op_head.c - `| head N`: the first N results (Splunk's default 10), then it
 * stops pulling, so nothing upstream reads another block.
 */
#include "engine/op.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>

typedef struct head_op {
    cq_oper base;
    uint64_t left;
} head_op;

int cq_prepare_head(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    uint64_t *limit = cq_arena_alloc(a, sizeof *limit);
    *limit = 10;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        const cq_ast *v = k->kind == CQ_AST_OPTION ? k->kids : k;
        if (k->kind == CQ_AST_OPTION && strcmp(k->name, "limit"))
            return cq_diag_set(d, k->span, "not supported yet: head %s=", k->name);
        double n;
        if (v && v->kind == CQ_AST_NUMBER)
            n = v->num;
        else if (v && v->text && cq_parse_num(v->text, strlen(v->text), &n))
            ;
        else
            return cq_diag_set(d, k->span, "not supported yet: head with an expression");
        if (n < 0 || n != (double)(uint64_t)n)
            return cq_diag_set(d, k->span, "head takes a whole number of results");
        *limit = (uint64_t)n;
    }
    *cfg = limit;
    return 0;
}

static int head_next(cq_oper *op, cq_batch **out)
{
    head_op *h = (head_op *)op;
    if (!h->left)
        return 0;
    int rc = op->child->next(op->child, out);
    if (rc != 1)
        return rc;
    if ((*out)->n_sel > h->left)
        (*out)->n_sel = (uint32_t)h->left;
    h->left -= (*out)->n_sel;
    return 1;
}

cq_oper *cq_open_head(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    head_op *h = cq_oper_new(sizeof *h, head_next, NULL, child, ctx);
    h->left = *(const uint64_t *)cfg;
    return &h->base;
}

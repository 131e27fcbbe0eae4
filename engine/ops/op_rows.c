/*
 * op_rows.c - helpers shared by the row, field and text commands
 * (op_rows.h).
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int64_t cq_ast_whole(const cq_ast *v)
{
    double n;
    if (!v)
        return -1;
    if (v->kind == CQ_AST_NUMBER)
        n = v->num;
    else if (!v->text || !cq_parse_num(v->text, strlen(v->text), &n))
        return -1;
    if (n < 0 || n > 1e15 || n != (double)(int64_t)n)
        return -1;
    return (int64_t)n;
}

const char *cq_ast_opt_text(const cq_ast *opt)
{
    const cq_ast *v = opt ? opt->kids : NULL;
    if (!v)
        return NULL;
    if (v->kind == CQ_AST_FIELD)
        return v->name;
    return v->text;
}

int cq_ast_truth(const cq_ast *v)
{
    const char *t = v ? (v->kind == CQ_AST_FIELD ? v->name : v->text) : NULL;
    if (!t)
        return -1;
    static const char *const yes[] = {"true", "t", "1", "yes", "y"};
    static const char *const no[] = {"false", "f", "0", "no", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(t, yes[i]))
            return 1;
        if (!strcasecmp(t, no[i]))
            return 0;
    }
    return -1;
}

const char *cq_field_unquote(cq_arena *a, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
        return cq_arena_strndup(a, name + 1, n - 2);
    return name;
}

/* ---------------------------------------------------- blocking operators */

cq_rowstore *cq_block_store(void)
{
    cq_rowstore *s = cq_xmalloc(sizeof *s);
    cq_rows_init(s);
    return s;
}

void cq_block_free_store(cq_rowstore *s)
{
    if (!s)
        return;
    cq_rows_free(s);
    free(s);
}

static int block_next(cq_oper *op, cq_batch **out)
{
    cq_block_op *k = (cq_block_op *)op;
    if (!k->read) {
        k->read = 1;
        cq_batch *b;
        int rc;
        while ((rc = op->child->next(op->child, &b)) == 1) {
            cq_rows_add_cols(k->rows, b);
            for (uint32_t i = 0; i < b->n_sel; i++)
                cq_rows_add(k->rows, b, cq_batch_row(b, i));
        }
        if (rc < 0 || (k->done && k->done(k)))
            return -1;
    }
    if (k->pos >= k->rows->n_rows)
        return 0;
    cq_arena_reset(&k->out_arena);
    const cq_row *rows[CQ_BATCH_ROWS];
    uint32_t n = 0;
    while (n < CQ_BATCH_ROWS && k->pos < k->rows->n_rows)
        rows[n++] = &k->rows->rows[k->pos++];
    cq_rows_emit(k->rows, rows, n, &k->out);
    *out = &k->out;
    return 1;
}

static void block_free(cq_oper *op)
{
    cq_block_op *k = (cq_block_op *)op;
    if (k->free_fn)
        k->free_fn(k);
    cq_block_free_store(k->rows);
}

void *cq_block_new(size_t size, int (*done)(cq_block_op *), void (*free_fn)(cq_block_op *),
                   const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    cq_block_op *k = cq_oper_new(size, block_next, block_free, child, ctx);
    cq_oper_out(&k->base, &k->out_arena, &k->out);
    k->rows = cq_block_store();
    k->cfg = cfg;
    k->done = done;
    k->free_fn = free_fn;
    return k;
}

/*
 * op_fields.c - `| table F...` and `| fields [+|-] F...`: which columns the
 * results carry.  Field names may have "*" wildcards.
 *
 * table keeps exactly the listed fields, in the listed order (a wildcard
 * expands to the matching fields in name order), and lists a field even in
 * batches that lack it, so the output's columns follow the table command.
 * fields keeps (or with "-" drops) the listed fields; _time and _raw stay
 * unless named, as in Splunk.
 */
#include "engine/op.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>

typedef struct field_list {
    const char **names;
    size_t n;
    int drop;
} field_list;

typedef struct fields_op {
    cq_oper base;
    const field_list *fl;
    int table;
    cq_batch view;          /* the child's batch with our own column list */
    cq_bcol *cols;
    uint32_t cap;
} fields_op;

static int list_prepare(cq_arena *a, const cq_ast *cmd, void **cfg, cq_diag *d)
{
    field_list *fl = cq_arena_calloc(a, sizeof *fl);
    fl->names = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *fl->names);
    fl->drop = (cmd->flags & CQ_AST_MINUS) != 0;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        const char *name = k->kind == CQ_AST_FIELD ? k->name : k->text;
        if ((k->kind != CQ_AST_FIELD && k->kind != CQ_AST_ARG && k->kind != CQ_AST_VALUE) ||
            !name)
            return cq_diag_set(d, k->span, "expected a field name");
        fl->names[fl->n++] = name;
    }
    if (!fl->n)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "%s needs at least one field name",
                           cmd->name);
    *cfg = fl;
    return 0;
}

int cq_prepare_table(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    return list_prepare(a, cmd, cfg, d);
}

int cq_prepare_fields(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    (void)o;
    return list_prepare(a, cmd, cfg, d);
}

static int matches(const char *pat, const char *name)
{
    return cq_wild_match_cs(pat, strlen(pat), name, strlen(name));
}

static int listed(const field_list *fl, const char *name)
{
    for (size_t i = 0; i < fl->n; i++)
        if (matches(fl->names[i], name))
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const cq_bcol *)a)->name, ((const cq_bcol *)b)->name);
}

/* Reads b's columns, writes f->cols; returns the count. */
static uint32_t table_cols(fields_op *f, const cq_batch *b)
{
    const field_list *fl = f->fl;
    uint32_t n = 0;
    for (size_t i = 0; i < fl->n; i++) {
        const char *pat = fl->names[i];
        if (!strchr(pat, '*')) {
            const cq_col *c = cq_batch_get(b, pat);
            cq_col null = {.kind = CQ_COL_NULL, .n_rows = b->n_rows};
            int dup = 0;
            for (uint32_t j = 0; j < n && !dup; j++)
                dup = !strcmp(f->cols[j].name, pat);
            if (!dup)
                f->cols[n++] = (cq_bcol){pat, c ? *c : null};
            continue;
        }
        uint32_t first = n;
        for (uint32_t k = 0; k < b->n_cols; k++) {
            int dup = 0;
            for (uint32_t j = 0; j < n && !dup; j++)
                dup = !strcmp(f->cols[j].name, b->cols[k].name);
            if (!dup && matches(pat, b->cols[k].name))
                f->cols[n++] = b->cols[k];
        }
        qsort(f->cols + first, n - first, sizeof *f->cols, by_name);
    }
    return n;
}

static uint32_t fields_cols(fields_op *f, const cq_batch *b)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < b->n_cols; i++) {
        const char *name = b->cols[i].name;
        int keep = listed(f->fl, name);
        if (f->fl->drop)
            keep = !keep;
        else if (!keep)
            keep = !strcmp(name, "_time") || !strcmp(name, "_raw");
        if (keep)
            f->cols[j++] = b->cols[i];
    }
    return j;
}

static int fields_next(cq_oper *op, cq_batch **out)
{
    fields_op *f = (fields_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    uint32_t need = b->n_cols + (uint32_t)f->fl->n;
    if (need > f->cap) {
        f->cap = need * 2;
        f->cols = cq_xrealloc(f->cols, f->cap * sizeof *f->cols);
    }
    /* A view: the child's rows and selection, our own column list (the
     * child's arrays stay untouched for its next call). */
    f->view = *b;
    f->view.cols = f->cols;
    f->view.n_cols = f->table ? table_cols(f, b) : fields_cols(f, b);
    f->view.cap_cols = 0;
    *out = &f->view;
    return 1;
}

static void fields_free(cq_oper *op)
{
    fields_op *f = (fields_op *)op;
    free(f->cols);
}

static cq_oper *fields_new(const void *cfg, cq_oper *child, cq_exec_ctx *ctx, int table)
{
    fields_op *f = cq_oper_new(sizeof *f, fields_next, fields_free, child, ctx);
    f->fl = cfg;
    f->table = table;
    return &f->base;
}

cq_oper *cq_open_table(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return fields_new(cfg, child, ctx, 1);
}

cq_oper *cq_open_fields(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return fields_new(cfg, child, ctx, 0);
}

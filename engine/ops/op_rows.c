/*
 * op_rows.c - helpers shared by the row, field and text commands
 * (op_rows.h).
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"

#include <string.h>
#include <strings.h>

cq_sv cq_col_text(const cq_col *c, uint32_t r, uint32_t k, cq_arena *a)
{
    if (k >= cq_col_nvals(c, r))
        return (cq_sv){NULL, 0};
    if (c->kind == CQ_COL_NUM)
        return cq_num_format(c->nums[r], a);
    if (c->kind == CQ_COL_TIME)
        return cq_num_format((double)c->times[r] / 1e6, a);
    return cq_col_val(c, r, k);
}

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

void cq_batch_view(cq_batch *view, const cq_batch *b)
{
    cq_batch_clear(view);
    view->n_rows = b->n_rows;
    view->sel = b->sel;
    view->n_sel = b->n_sel;
    for (uint32_t i = 0; i < b->n_cols; i++)
        cq_batch_put(view, b->cols[i].name, &b->cols[i].col);
}

void cq_col_strs(cq_col *c, uint32_t n_rows, const cq_sv *vals, const uint32_t *off)
{
    memset(c, 0, sizeof *c);
    c->kind = CQ_COL_STR;
    c->n_rows = n_rows;
    c->strs = vals;
    c->row_off = off;
}

const char *cq_field_unquote(cq_arena *a, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
        return cq_arena_strndup(a, name + 1, n - 2);
    return name;
}

void cq_col_gather(const cq_col *c, const uint32_t *src, uint32_t n, cq_arena *a, cq_col *out)
{
    memset(out, 0, sizeof *out);
    out->n_rows = n;
    out->kind = c->kind;
    if (c->kind == CQ_COL_NULL)
        return;
    if (c->kind == CQ_COL_TIME) {
        int64_t *t = cq_arena_alloc(a, (n + 1) * sizeof *t);
        for (uint32_t i = 0; i < n; i++)
            t[i] = c->times[src[i]];
        out->times = t;
        return;
    }
    if (c->kind == CQ_COL_NUM) {
        double *d = cq_arena_alloc(a, (n + 1) * sizeof *d);
        for (uint32_t i = 0; i < n; i++)
            d[i] = c->nums[src[i]];
        out->nums = d;
        return;
    }
    if (c->kind == CQ_COL_DICT && !c->row_off) {
        uint32_t *codes = cq_arena_alloc(a, (n + 1) * sizeof *codes);
        for (uint32_t i = 0; i < n; i++)
            codes[i] = c->codes[src[i]];
        out->dict = c->dict;
        out->n_dict = c->n_dict;
        out->codes = codes;
        return;
    }
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += cq_col_nvals(c, src[i]);
    uint32_t *off = cq_arena_alloc(a, (n + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(a, (total + 1) * sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        off[i] = k;
        for (uint32_t j = 0, nv = cq_col_nvals(c, src[i]); j < nv; j++)
            v[k++] = cq_col_val(c, src[i], j);
    }
    off[n] = k;
    cq_col_strs(out, n, v, off);
}

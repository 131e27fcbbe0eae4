/* batch.c - column batch bookkeeping. */
#include "engine/batch.h"
#include "engine/expr/eval.h"

#include <stdlib.h>
#include <string.h>

void cq_batch_init(cq_batch *b, cq_arena *a)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
}

void cq_batch_clear(cq_batch *b)
{
    b->n_rows = b->n_sel = 0;
    b->sel = NULL;
    b->n_cols = 0;
}

void cq_batch_free(cq_batch *b)
{
    free(b->cols);
    b->cols = NULL;
    b->n_cols = b->cap_cols = 0;
}

cq_col *cq_batch_put(cq_batch *b, const char *name, const cq_col *col)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        if (!strcmp(b->cols[i].name, name)) {
            b->cols[i].col = *col;
            return &b->cols[i].col;
        }
    if (b->n_cols == b->cap_cols) {
        b->cap_cols = b->cap_cols ? b->cap_cols * 2 : 32;
        b->cols = cq_xrealloc(b->cols, b->cap_cols * sizeof *b->cols);
    }
    b->cols[b->n_cols].name = name;
    b->cols[b->n_cols].col = *col;
    return &b->cols[b->n_cols++].col;
}

const cq_col *cq_batch_get(const cq_batch *b, const char *name)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        if (!strcmp(b->cols[i].name, name))
            return &b->cols[i].col;
    return NULL;
}

void cq_batch_remove(cq_batch *b, const char *name)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        if (!strcmp(b->cols[i].name, name)) {
            memmove(&b->cols[i], &b->cols[i + 1], (b->n_cols - i - 1) * sizeof *b->cols);
            b->n_cols--;
            return;
        }
}

void cq_col_const(cq_col *c, cq_arena *a, const char *value, uint32_t n_rows)
{
    memset(c, 0, sizeof *c);
    c->n_rows = n_rows;
    if (!value) {
        c->kind = CQ_COL_NULL;
        return;
    }
    cq_sv *d = cq_arena_alloc(a, sizeof *d);
    d->p = value;
    d->len = (uint32_t)strlen(value);
    uint32_t *codes = cq_arena_alloc(a, (size_t)n_rows * sizeof *codes + 4);
    for (uint32_t i = 0; i < n_rows; i++)
        codes[i] = 1;
    c->kind = CQ_COL_DICT;
    c->dict = d;
    c->n_dict = 1;
    c->codes = codes;
}

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

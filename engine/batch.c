/* batch.c - column batch bookkeeping. */
#include "engine/batch.h"

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

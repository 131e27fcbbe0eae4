/*
 * rowstore.c - rows copied out of batches and batches built back from them
 * (see rowstore.h).
 */
#include "engine/rowstore.h"
#include "engine/expr/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cq_rows_init(cq_rowstore *s)
{
    memset(s, 0, sizeof *s);
    cq_arena_init(&s->arena);
    cq_arena_init(&s->names_arena);
    cq_strmap_init(&s->ids);
}

void cq_rows_free(cq_rowstore *s)
{
    cq_arena_free(&s->arena);
    cq_arena_free(&s->names_arena);
    cq_strmap_free(&s->ids);
    free(s->names);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

void cq_rows_clear(cq_rowstore *s)
{
    cq_arena_reset(&s->arena);
    s->n_rows = 0;
}

uint32_t cq_rows_col(cq_rowstore *s, const char *name)
{
    size_t len = strlen(name);
    uint32_t id;
    if (cq_strmap_get(&s->ids, name, len, &id))
        return id;
    if (s->n_names == s->cap_names) {
        s->cap_names = s->cap_names ? s->cap_names * 2 : 32;
        s->names = cq_xrealloc(s->names, s->cap_names * sizeof *s->names);
    }
    char *copy = cq_arena_strndup(&s->names_arena, name, len);
    id = s->n_names;
    s->names[s->n_names++] = copy;
    cq_strmap_upsert(&s->ids, copy, len, &id);
    return id;
}

uint32_t cq_rows_find(const cq_rowstore *s, const char *name)
{
    uint32_t id;
    return cq_strmap_get(&s->ids, name, strlen(name), &id) ? id : CQ_ROWS_NONE;
}

void cq_rows_add_cols(cq_rowstore *s, const cq_batch *b)
{
    for (uint32_t i = 0; i < b->n_cols; i++)
        cq_rows_col(s, b->cols[i].name);
}

static cq_row *new_row(cq_rowstore *s, uint32_t n_cells)
{
    if (s->n_rows == s->cap_rows) {
        s->cap_rows = s->cap_rows ? s->cap_rows * 2 : 256;
        s->rows = cq_xrealloc(s->rows, s->cap_rows * sizeof *s->rows);
    }
    cq_row *row = &s->rows[s->n_rows++];
    row->cells = cq_arena_alloc(&s->arena, (n_cells + 1) * sizeof *row->cells);
    row->n_cells = 0;
    row->seq = s->n_seen++;
    return row;
}

static cq_sv sv_copy(cq_arena *a, cq_sv v)
{
    return (cq_sv){cq_arena_strndup(a, v.p ? v.p : "", v.len), v.len};
}

cq_row *cq_rows_add(cq_rowstore *s, const cq_batch *b, uint32_t r)
{
    cq_row *row = new_row(s, b->n_cols);
    for (uint32_t i = 0; i < b->n_cols; i++) {
        const cq_col *c = &b->cols[i].col;
        uint32_t id = cq_rows_col(s, b->cols[i].name), nv = cq_col_nvals(c, r);
        if (!nv)
            continue;
        cq_rcell *cell = &row->cells[row->n_cells++];
        memset(cell, 0, sizeof *cell);
        cell->col = id;
        cell->n_vals = 1;
        if (c->kind == CQ_COL_TIME) {
            cell->kind = CQ_RCELL_TIME;
            cell->t = c->times[r];
        } else if (c->kind == CQ_COL_NUM) {
            cell->kind = CQ_RCELL_NUM;
            cell->d = c->nums[r];
        } else {
            cell->kind = CQ_RCELL_STR;
            cell->n_vals = nv;
            cell->vals = cq_arena_alloc(&s->arena, nv * sizeof *cell->vals);
            for (uint32_t k = 0; k < nv; k++)
                cell->vals[k] = sv_copy(&s->arena, cq_col_val(c, r, k));
        }
    }
    return row;
}

/* Copies row's cells into arena a (string values too). */
static void copy_cells(cq_arena *a, cq_row *dst, const cq_row *src)
{
    dst->cells = cq_arena_alloc(a, (src->n_cells + 1) * sizeof *dst->cells);
    dst->n_cells = src->n_cells;
    for (uint32_t i = 0; i < src->n_cells; i++) {
        cq_rcell *c = &dst->cells[i];
        *c = src->cells[i];
        if (c->kind != CQ_RCELL_STR)
            continue;
        c->vals = cq_arena_alloc(a, c->n_vals * sizeof *c->vals);
        for (uint32_t k = 0; k < c->n_vals; k++)
            c->vals[k] = sv_copy(a, src->cells[i].vals[k]);
    }
}

cq_row *cq_rows_copy(cq_rowstore *s, const cq_rowstore *from, const cq_row *row)
{
    cq_row src = *row;      /* row may point into s->rows, which may move */
    cq_row *dst = new_row(s, 0);
    uint64_t seq = dst->seq;
    copy_cells(&s->arena, dst, &src);
    if (from != s)
        for (uint32_t i = 0; i < dst->n_cells; i++)
            dst->cells[i].col = cq_rows_col(s, from->names[src.cells[i].col]);
    dst->seq = seq;
    return dst;
}

const cq_rcell *cq_row_cell(const cq_row *row, uint32_t col)
{
    for (uint32_t i = 0; i < row->n_cells; i++)
        if (row->cells[i].col == col)
            return &row->cells[i];
    return NULL;
}

cq_sv cq_rcell_text(const cq_rcell *c, uint32_t k, cq_arena *a)
{
    if (c->kind == CQ_RCELL_STR)
        return k < c->n_vals ? c->vals[k] : (cq_sv){NULL, 0};
    if (c->kind == CQ_RCELL_NUM)
        return cq_num_format(c->d, a);
    /* times as epoch seconds, as eval reads them */
    return cq_num_format((double)c->t / 1e6, a);
}

void cq_rows_keep(cq_rowstore *s, const size_t *keep, size_t n)
{
    cq_arena fresh;
    cq_arena_init(&fresh);
    cq_row *rows = cq_xmalloc((n + 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i].seq = s->rows[keep[i]].seq;
        copy_cells(&fresh, &rows[i], &s->rows[keep[i]]);
    }
    cq_arena_free(&s->arena);
    s->arena = fresh;
    free(s->rows);
    s->rows = rows;
    s->n_rows = n;
    s->cap_rows = n + 1;
}

/* Column kind for id over the rows: 1 time, 2 numbers, 0 strings, -1 none. */
static int col_kind(const cq_row *const *rows, uint32_t n, uint32_t id)
{
    int seen = 0, all_time = 1, all_num = 1;
    for (uint32_t i = 0; i < n; i++) {
        const cq_rcell *c = cq_row_cell(rows[i], id);
        if (!c) {
            all_time = 0;
            continue;
        }
        seen = 1;
        all_time &= c->kind == CQ_RCELL_TIME;
        all_num &= c->kind == CQ_RCELL_NUM;
    }
    if (!seen)
        return -1;
    return all_time ? 1 : all_num ? 2 : 0;
}

static void emit_col(const cq_row *const *rows, uint32_t n, uint32_t id, cq_arena *a,
                     cq_col *col)
{
    memset(col, 0, sizeof *col);
    col->n_rows = n;
    int kind = col_kind(rows, n, id);
    if (kind < 0) {
        col->kind = CQ_COL_NULL;
    } else if (kind == 1) {
        int64_t *t = cq_arena_alloc(a, (n + 1) * sizeof *t);
        for (uint32_t i = 0; i < n; i++)
            t[i] = cq_row_cell(rows[i], id)->t;
        col->kind = CQ_COL_TIME;
        col->times = t;
    } else if (kind == 2) {
        double *d = cq_arena_alloc(a, (n + 1) * sizeof *d);
        for (uint32_t i = 0; i < n; i++) {
            const cq_rcell *c = cq_row_cell(rows[i], id);
            d[i] = c ? c->d : NAN;
        }
        col->kind = CQ_COL_NUM;
        col->nums = d;
    } else {
        uint32_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            const cq_rcell *c = cq_row_cell(rows[i], id);
            total += c ? c->n_vals : 0;
        }
        uint32_t *off = cq_arena_alloc(a, (n + 1) * sizeof *off), k = 0;
        cq_sv *v = cq_arena_alloc(a, (total + 1) * sizeof *v);
        for (uint32_t i = 0; i < n; i++) {
            off[i] = k;
            const cq_rcell *c = cq_row_cell(rows[i], id);
            for (uint32_t j = 0; c && j < c->n_vals; j++)
                v[k++] = cq_rcell_text(c, j, a);
        }
        off[n] = k;
        col->kind = CQ_COL_STR;
        col->strs = v;
        col->row_off = off;
    }
}

void cq_rows_emit(const cq_rowstore *s, const cq_row *const *rows, uint32_t n, cq_batch *b)
{
    cq_batch_clear(b);
    b->n_rows = b->n_sel = n;
    b->sel = NULL;
    for (uint32_t id = 0; id < s->n_names; id++) {
        cq_col col;
        emit_col(rows, n, id, b->arena, &col);
        cq_batch_put(b, s->names[id], &col);
    }
}

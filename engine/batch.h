/*
 * batch.h - a column batch: up to CQ_BATCH_ROWS rows of named columns plus
 * a selection vector.
 *
 * Operators pass batches by pointer; a batch and everything it points to
 * stays valid until the producer's next `next` call.  `sel == NULL` means
 * every row 0..n_rows in order; otherwise the batch's rows are sel[0..n_sel)
 * in that order (a filter narrows the selection and never moves column data;
 * a newest-first reader hands out a descending selection).
 */
#ifndef CQ_ENGINE_BATCH_H
#define CQ_ENGINE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "index/colenc.h"

#define CQ_BATCH_ROWS 1024
_Static_assert((CQ_BATCH_ROWS & (CQ_BATCH_ROWS - 1)) == 0, "batch size must be a power of two");
_Static_assert(CQ_BATCH_ROWS <= 65536, "selection entries are 16-bit");

typedef struct cq_bcol {
    const char *name;       /* field name (owned by the batch's producer) */
    cq_col col;
} cq_bcol;

typedef struct cq_batch {
    uint32_t n_rows;        /* rows held by the columns */
    uint16_t *sel;          /* selected rows in order, or NULL: all rows */
    uint32_t n_sel;         /* selected count (== n_rows when sel is NULL) */
    cq_bcol *cols;
    uint32_t n_cols, cap_cols;
    cq_arena *arena;        /* where the producer allocates; reset by it */
} cq_batch;

void cq_batch_init(cq_batch *b, cq_arena *a);
/* Forgets columns and selection (memory stays with the arena). */
void cq_batch_clear(cq_batch *b);
void cq_batch_free(cq_batch *b);
/* Adds or replaces column `name` (name must outlive the batch). */
cq_col *cq_batch_put(cq_batch *b, const char *name, const cq_col *col);
/* The column called name, or NULL. */
const cq_col *cq_batch_get(const cq_batch *b, const char *name);
void cq_batch_remove(cq_batch *b, const char *name);
/* Row index of the i-th selected row. */
static inline uint32_t cq_batch_row(const cq_batch *b, uint32_t i)
{
    return b->sel ? b->sel[i] : i;
}
/* A dictionary column with one value repeated for n rows (block constants). */
void cq_col_const(cq_col *c, cq_arena *a, const char *value, uint32_t n_rows);

/* The engine's reading of a cell, for operators, functions and output:
 * cq_col_nvals() (index/colenc.h) says how many values row r has. */
/* Text of value k of row r of c: numbers formatted, times as epoch
 * seconds (memory from a when made); {NULL,0} when absent. */
cq_sv cq_col_text(const cq_col *c, uint32_t r, uint32_t k, cq_arena *a);

/*
 * A view of b for an operator that adds or replaces columns: `view` gets
 * b's rows, selection and a copy of its column list (view->arena is the
 * caller's).  Then cq_batch_put() on the view leaves b untouched.
 */
void cq_batch_view(cq_batch *view, const cq_batch *b);

/*
 * Builds a string column of n_rows rows from per-row value lists:
 * vals[off[r]..off[r+1]) (off has n_rows+1 entries).  Memory stays the
 * caller's.
 */
void cq_col_strs(cq_col *c, uint32_t n_rows, const cq_sv *vals, const uint32_t *off);

/* out[i] = row src[i] of c, for n rows (values shared with c, arrays from a). */
void cq_col_gather(const cq_col *c, const uint32_t *src, uint32_t n, cq_arena *a, cq_col *out);

#endif

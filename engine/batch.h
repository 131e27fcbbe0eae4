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

#endif

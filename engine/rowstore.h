/*
 * rowstore.h - private to engine/: rows copied out of batches, for the
 * operators that must keep results across batches (sort, tail, dedup's
 * sortby, mvcombine), and batches built back from them.
 *
 * A batch and what it points to lives only until its producer's next call,
 * so a blocking operator copies each row it keeps: every value (strings
 * into the store's arena, times and numbers as they are) under a column id.
 * Column names are interned once, in the order first seen, so batches built
 * from the store list the columns in the order the input had them (what a
 * `table` before a `sort` needs).  A column every row lacks is still listed.
 *
 * cq_rows_keep() drops all rows but some (sort's bounded top-N, tail's
 * window) and copies the survivors into a fresh arena, so memory stays
 * proportional to the rows kept, not to the rows seen.
 */
#ifndef CQ_ENGINE_ROWSTORE_H
#define CQ_ENGINE_ROWSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/strmap.h"
#include "engine/batch.h"

enum { CQ_RCELL_STR = 0, CQ_RCELL_TIME = 1, CQ_RCELL_NUM = 2 };

typedef struct cq_rcell {
    uint32_t col;           /* column id in the store */
    uint8_t kind;           /* CQ_RCELL_* */
    uint32_t n_vals;        /* STR: values (>= 1); TIME/NUM: 1 */
    int64_t t;              /* TIME: microseconds */
    double d;               /* NUM */
    cq_sv *vals;            /* STR: the values */
} cq_rcell;

typedef struct cq_row {
    cq_rcell *cells;        /* present fields only */
    uint32_t n_cells;
    uint64_t seq;           /* arrival order (stable sorts) */
} cq_row;

typedef struct cq_rowstore {
    cq_arena arena;         /* row cells and values */
    cq_arena names_arena;   /* interned column names (never compacted) */
    cq_strmap ids;          /* name -> column id */
    const char **names;     /* id -> name */
    uint32_t n_names, cap_names;
    cq_row *rows;
    size_t n_rows, cap_rows;
    uint64_t n_seen;        /* rows ever added */
} cq_rowstore;

void cq_rows_init(cq_rowstore *s);
void cq_rows_free(cq_rowstore *s);
/* Forgets every row (names stay). */
void cq_rows_clear(cq_rowstore *s);

/* The id of column name (interned on first use). */
uint32_t cq_rows_col(cq_rowstore *s, const char *name);
/* The id of column name, or CQ_ROWS_NONE when no row had it. */
#define CQ_ROWS_NONE UINT32_MAX
uint32_t cq_rows_find(const cq_rowstore *s, const char *name);
/* Registers every column of b (in b's order), so empty ones are listed. */
void cq_rows_add_cols(cq_rowstore *s, const cq_batch *b);
/* Copies row r of b; returns it (valid until the next add/keep/clear). */
cq_row *cq_rows_add(cq_rowstore *s, const cq_batch *b, uint32_t r);
/* Copies a row of another store (or this one) into s. */
cq_row *cq_rows_copy(cq_rowstore *s, const cq_rowstore *from, const cq_row *row);

/* The cell of column id in row, or NULL when the row lacks it. */
const cq_rcell *cq_row_cell(const cq_row *row, uint32_t col);
/* Value k of a cell as text (numbers and times formatted into a). */
cq_sv cq_rcell_text(const cq_rcell *c, uint32_t k, cq_arena *a);

/*
 * Keeps only rows[keep[0..n)] in that order and moves them into a fresh
 * arena (the old one is freed).  keep must not repeat a row.
 */
void cq_rows_keep(cq_rowstore *s, const size_t *keep, size_t n);

/*
 * Builds in b (cleared first; memory from b->arena, which the caller resets)
 * a batch of the n rows (at most CQ_BATCH_ROWS) with every column of the
 * store: a time column when every row has a time there, numbers when every
 * present value is a number, else strings (multivalue kept).
 */
void cq_rows_emit(const cq_rowstore *s, const cq_row *const *rows, uint32_t n, cq_batch *b);

#endif

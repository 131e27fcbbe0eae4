/*
 * reader.h - reading blocks back for the engine.
 *
 * A scan selects blocks with a pushdown (sourcetype/source/host patterns and
 * a time range, turned into SQL with bound parameters only) and lets the
 * caller fetch the columns it needs from each block.  The pushdown only
 * narrows: the engine re-checks every predicate on the rows it gets.
 */
#ifndef CQ_INDEX_READER_H
#define CQ_INDEX_READER_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "index/colenc.h"
#include "index/index.h"

typedef enum cq_attr {          /* block-level attributes a pushdown can test */
    CQ_ATTR_SOURCETYPE,
    CQ_ATTR_SOURCE,
    CQ_ATTR_HOST,
} cq_attr;

typedef struct cq_pd_atom {
    cq_attr attr;
    const char *value;          /* Splunk value: case-insensitive, "*" wildcards */
} cq_pd_atom;

typedef struct cq_pd_clause {   /* OR of atoms */
    const cq_pd_atom *atoms;
    size_t n_atoms;
} cq_pd_clause;

typedef struct cq_pushdown {    /* AND of clauses, within [earliest, latest) */
    const cq_pd_clause *clauses;
    size_t n_clauses;
    int64_t earliest;           /* INT64_MIN: none */
    int64_t latest;             /* INT64_MAX: none */
    /*
     * Bare search terms every event must contain (AND), as the user wrote
     * them (case does not matter).  Only blocks whose term filter may hold
     * every token of every term are returned (index/terms.h).  A term with
     * a wildcard '*' or a backslash narrows nothing; never put phrases,
     * terms under NOT or OR alternatives here.
     */
    const char *const *terms;
    size_t n_terms;
} cq_pushdown;

typedef struct cq_block_info {
    int64_t id;
    const char *sourcetype;
    const char *source;
    const char *host;           /* NULL when unknown */
    int64_t t_min, t_max;
    uint32_t n_rows;
} cq_block_info;

typedef struct cq_scan cq_scan;

/*
 * Selects the matching blocks, newest first (by t_max).  With terms, the
 * term filter is read first (one row per group of blocks and token) and only
 * candidate blocks are selected.  Returns 0 or -1 (cq_index_errmsg).
 */
int cq_scan_open(cq_index *idx, const cq_pushdown *pd, cq_scan **out);
void cq_scan_close(cq_scan *s);
/*
 * A scan of blocks [first, first + n) of parent that reads through idx, a
 * second connection to the same index (one per thread: a connection is
 * used by one thread at a time).  Its block list and field names are the
 * parent's, so it sees exactly the parent's blocks even if an ingest
 * committed since (committed blocks never change; readers never see
 * pending ones).  The parent must outlive it.  Returns 0 or -1
 * (cq_index_errmsg(idx)).
 */
int cq_scan_fork(const cq_scan *parent, cq_index *idx, size_t first, size_t n, cq_scan **out);
/* Builds the block query's SQL text without running it (for explain). */
void cq_scan_describe(const cq_pushdown *pd, cq_strbuf *sql);

size_t cq_scan_n_blocks(const cq_scan *s);
const cq_block_info *cq_scan_block(const cq_scan *s, size_t i);

/* Field names known to the index; id i has name cq_scan_field_name(s, i). */
int cq_scan_field_id(const cq_scan *s, const char *name, int64_t *id);

/*
 * Decodes column `name` of block i into col (memory from a), as `how`
 * says (CQ_DECODE_FULL or CQ_DECODE_SHAPE, index/colenc.h).  A field the
 * block lacks gives CQ_COL_NULL.  Returns 0 or -1 (corrupt or I/O error).
 */
int cq_scan_column(cq_scan *s, size_t i, const char *name, cq_arena *a, cq_col *col,
                   unsigned how);

/*
 * Decodes every column of block i: calls fn(ctx, name, col) for each.
 * Stops and returns the first nonzero fn result, -1 on error, else 0.
 */
typedef int (*cq_col_fn)(void *ctx, const char *name, const cq_col *col);
int cq_scan_all_columns(cq_scan *s, size_t i, cq_arena *a, cq_col_fn fn, void *ctx);

#endif

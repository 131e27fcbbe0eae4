/*
 * op_rows.h - private to engine/: helpers shared by the row, field and
 * text commands (op_sort.c, op_dedup.c, op_rename.c, op_mv.c, op_rex.c,
 * op_spath.c, op_convert.c).
 */
#ifndef CQ_ENGINE_OP_ROWS_H
#define CQ_ENGINE_OP_ROWS_H

#include "engine/op.h"
#include "engine/rowstore.h"

/*
 * A sort over child by the SORTKEY nodes from `first` on (dedup's sortby),
 * keeping every row.  cfg memory comes from a.  Returns 0 or -1 with diag.
 */
int cq_sort_prepare_keys(cq_arena *a, const cq_ast *first, void **cfg, cq_diag *d);
cq_oper *cq_sort_open_cfg(const void *cfg, cq_oper *child, cq_exec_ctx *ctx);

/* A whole number from a NUMBER or VALUE node; -1 when it is not one. */
int64_t cq_ast_whole(const cq_ast *v);
/* Value of a boolean option (true/false/t/f/1/0/yes/no); -1 if none. */
int cq_ast_truth(const cq_ast *v);
/* Text of an option's value node (VALUE, NUMBER, FIELD), or NULL. */
const char *cq_ast_opt_text(const cq_ast *opt);

/* A field name as written in a command's arguments, without the single
 * quotes of 'a.b{}' (memory from a when it had them). */
const char *cq_field_unquote(cq_arena *a, const char *name);

/* A CSV lookup table (engine/ops/op_lookup.c). */
typedef struct cq_lookup_table {
    const char *path;
    const char **cols;
    uint32_t n_cols;
    cq_sv *cells;           /* n_rows * n_cols, row-major; p NULL: empty */
    size_t n_rows;
} cq_lookup_table;

/* The file name of table arg (an ARG node) in the lookup directory, with
 * ".csv" added when missing: the one name rule for reading and writing
 * (letters, digits, ".", "_", "-"; not starting with "."; no "..").
 * Returns 0, or -1 with diag (bad name, no lookup directory). */
int cq_lookup_name(cq_arena *a, const cq_ast *arg, const cq_plan_opts *o, const char **file,
                   cq_diag *d);
/* Reads and parses dir/file (which must not leave dir) into *out, memory
 * from a; name and at for errors.  Returns 0 or -1 with diag. */
int cq_lookup_read(cq_arena *a, const char *dir, const char *file, const char *name, cq_span at,
                   cq_lookup_table **out, cq_diag *d);

/*
 * A blocking operator (reverse, appendpipe, foreach, fieldsummary,
 * outputlookup, ...): it reads all of its child's rows into *rows, calls
 * done() once (which may rewrite *rows, or replace it with another store
 * from cq_block_store()), then hands out the rows of *rows in order.
 * cq_block_new() allocates size bytes (a struct that starts with
 * cq_block_op), zeroed; free_fn (or NULL) frees what the operator owns
 * beyond the stores, which cq_oper_free() frees.
 */
typedef struct cq_block_op cq_block_op;
struct cq_block_op {
    cq_oper base;
    cq_arena out_arena;
    cq_batch out;
    cq_rowstore *rows;          /* the input, then what it hands out */
    const void *cfg;            /* the command's config */
    int (*done)(cq_block_op *); /* 0, or -1 with diag set */
    void (*free_fn)(cq_block_op *);
    int read;                   /* the input was read */
    size_t pos;                 /* next row to hand out */
};

void *cq_block_new(size_t size, int (*done)(cq_block_op *), void (*free_fn)(cq_block_op *),
                   const void *cfg, cq_oper *child, cq_exec_ctx *ctx);
/* A new empty store (freed with cq_block_free_store). */
cq_rowstore *cq_block_store(void);
void cq_block_free_store(cq_rowstore *s);

#endif

/*
 * functions.h - private to engine/: the eval functions the engine runs.
 *
 * Each function works on whole vectors: args[k][i] is argument k for row i,
 * out[i] its result.  A LAZY function gets no evaluated arguments and
 * evaluates what it needs itself (mvfilter binds each value in turn).
 */
#ifndef CQ_ENGINE_FUNCTIONS_H
#define CQ_ENGINE_FUNCTIONS_H

#include "engine/expr/eval.h"

typedef struct cq_fn_call {
    cq_eval_ctx *c;
    const cq_ast *node;         /* the CALL node: errors point at it */
    const cq_batch *b;          /* the batch and rows being evaluated */
    const uint16_t *rows;
    uint32_t n;
    uint32_t n_args;
    cq_val **args;              /* NULL for LAZY functions */
    cq_val *out;
} cq_fn_call;

typedef int (*cq_fn_impl)(cq_fn_call *fc);

enum { CQ_FN_LAZY = 1u << 0 };

typedef struct cq_fn {
    const char *name;
    int min_args, max_args;     /* max -1: any number */
    cq_fn_impl impl;
    unsigned flags;
} cq_fn;

/* The function called name, or NULL. */
const cq_fn *cq_fn_find(const char *name);
/* The tables of functions_time.c, functions_mv.c and functions_more.c,
 * which cq_fn_find() searches after its own. */
const cq_fn *cq_fn_find_time(const char *name);
const cq_fn *cq_fn_find_mv(const char *name);
const cq_fn *cq_fn_find_more(const char *name);

#endif

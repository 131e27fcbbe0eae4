/*
 * fn.h - private to engine/: the eval functions the engine runs.
 *
 * Each function works on whole vectors: args[k][i] is argument k for row i,
 * out[i] its result.  A LAZY function gets no evaluated arguments and
 * evaluates what it needs itself (mvfilter binds each value in turn).
 */
#ifndef CQ_ENGINE_FN_H
#define CQ_ENGINE_FN_H

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

enum {
    CQ_FN_LAZY = 1u << 0,       /* gets no evaluated arguments (mvfilter) */
    CQ_FN_ROW = 1u << 1,        /* reads the whole event, not only its arguments */
    CQ_FN_VOLATILE = 1u << 2,   /* differs from call to call (time()) */
    CQ_FN_NOT_YET = 1u << 4,    /* Splunk has it, cquery does not run it (help: why) */
    CQ_FN_SHAPE = 1u << 3,      /* of a field argument, reads only the lengths
                                 * of its values when they are ASCII (len()):
                                 * then it is called with args NULL and reads
                                 * the column (engine/expr/eval.c shape_col) */
};

typedef struct cq_fn {
    const char *name;
    int min_args, max_args;     /* max -1: any number */
    cq_fn_impl impl;
    unsigned flags;
    const char *help;           /* its line of grammar/functions.def */
} cq_fn;

/* A copy of n bytes at p, as a value's text. */
static inline cq_sv cq_fn_sv_dup(cq_arena *a, const char *p, size_t n)
{
    return (cq_sv){cq_arena_strndup(a, p, n), (uint32_t)n};
}

/* The eval function called name, or NULL (engine/fn/table.c). */
const cq_fn *cq_fn_find(const char *name);

/* One implementation per EVAL row of grammar/functions.def, in the file of
 * its kind (engine/fn/). */
#define FN(name, lo, hi, kind, impl, flags, help) FN_##kind(cq_fn_##impl)
#define FN_EVAL(fn) int fn(cq_fn_call *fc);
#define FN_STATS(fn)
#define FN_CONVERT(fn)
#include "grammar/functions.def"
#undef FN_CONVERT
#undef FN_STATS
#undef FN_EVAL
#undef FN

#endif

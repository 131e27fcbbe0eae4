/*
 * eval.h - eval/where expressions over a batch, a vector at a time.
 *
 * Values are dynamically typed as in Splunk: null, number, string, boolean,
 * or multivalue (a list of strings).  Field values read from events are
 * strings; arithmetic and comparison treat a string that parses as a number
 * as that number.  cq_eval() evaluates an expression for n rows of a batch
 * into out[0..n): out[i] is the value for row rows[i].  Every child is
 * evaluated for all n rows before the parent combines them, so the work is a
 * loop per node, not a tree walk per row.
 *
 * Strings made while evaluating come from the context's arena and live until
 * the caller resets it (once per batch).
 */
#ifndef CQ_ENGINE_EVAL_H
#define CQ_ENGINE_EVAL_H

#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "engine/batch.h"
#include "grammar/ast.h"

typedef enum cq_vtype {
    CQ_V_NULL = 0,
    CQ_V_NUM,
    CQ_V_STR,
    CQ_V_BOOL,
    CQ_V_MV,
} cq_vtype;

typedef struct cq_val {
    uint8_t t;          /* cq_vtype */
    uint8_t b;          /* BOOL */
    uint32_t n_mv;      /* MV: number of values */
    double num;         /* NUM */
    cq_sv str;          /* STR */
    const cq_sv *mv;    /* MV: the values */
} cq_val;

typedef struct cq_regex_cache cq_regex_cache;

typedef struct cq_eval_ctx {
    cq_arena *arena;            /* per-batch scratch for made strings */
    cq_diag *diag;              /* runtime errors (regex limits, ...) */
    int64_t now_us;             /* now() and relative_time() */
    cq_regex_cache *regex;      /* compiled patterns, by AST node */
    int tz;                     /* strftime()/strptime()'s zone (--tz; 0: UTC) */
} cq_eval_ctx;

/* Evaluates e for rows[0..n) of b into out.  Returns 0, or -1 with diag set. */
int cq_eval(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b, const uint16_t *rows,
            uint32_t n, cq_val *out);

/*
 * Checks an expression when the query is compiled: every function is known
 * to the engine with a valid number of arguments, literal regexes compile.
 * Returns 0 or -1 with diag pointing at the spot.
 */
int cq_eval_check(const cq_ast *e, cq_diag *d);

/* Value helpers shared by the functions and operators. */
int cq_val_num(const cq_val *v, double *out);           /* number, or a numeric string */
cq_sv cq_val_str(const cq_val *v, cq_arena *a);          /* text; {NULL,0} for null */
int cq_val_truthy(const cq_val *v);                      /* BOOL true */
cq_val cq_val_from_sv(cq_sv s);
cq_val cq_val_number(double d);
cq_val cq_val_bool(int b);
/* Splunk's number formatting: integers without a decimal point, else up to
 * 15 significant digits. */
cq_sv cq_num_format(double d, cq_arena *a);

cq_regex_cache *cq_regex_cache_new(void);
void cq_regex_cache_free(cq_regex_cache *rc);

/*
 * Turns evaluated values into a column for a batch of n_rows rows, where
 * out[i] belongs to row rows[i] (other rows null): a number column when every
 * value is a number or null, else strings (multivalue kept).  Booleans are an
 * error (Splunk: fields cannot be assigned a boolean result), reported at e.
 */
int cq_vals_to_col(const cq_val *v, const uint16_t *rows, uint32_t n, uint32_t n_rows,
                   cq_arena *a, cq_col *out, const cq_ast *e, cq_diag *d);

#endif

/*
 * eval.c - the expression evaluator: literals, fields, operators, calls.
 *
 * Semantics (Splunk's eval): comparisons are case-sensitive and numeric
 * when both sides are numbers; a comparison with null is false; `.` and
 * arithmetic with null give null; on a multivalue field `=` is true when any
 * value matches; `+` on two non-numeric strings concatenates.
 */
#include "engine/expr/eval.h"
#include "engine/fn/fn.h"
#include "engine/expr/match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- values */

cq_val cq_val_from_sv(cq_sv s)
{
    cq_val v = {0};
    if (s.p) {
        v.t = CQ_V_STR;
        v.str = s;
    }
    return v;
}

cq_val cq_val_number(double d)
{
    cq_val v = {0};
    if (d == d && !isinf(d)) {
        v.t = CQ_V_NUM;
        v.num = d;
    }
    return v;
}

cq_val cq_val_bool(int b)
{
    cq_val v = {0};
    v.t = CQ_V_BOOL;
    v.b = b != 0;
    return v;
}

int cq_val_num(const cq_val *v, double *out)
{
    if (v->t == CQ_V_NUM) {
        *out = v->num;
        return 1;
    }
    if (v->t == CQ_V_STR)
        return cq_parse_num(v->str.p, v->str.len, out);
    if (v->t == CQ_V_MV && v->n_mv == 1)
        return cq_parse_num(v->mv[0].p, v->mv[0].len, out);
    return 0;
}

cq_sv cq_num_format(double d, cq_arena *a)
{
    char buf[64];
    int n;
    if (d == floor(d) && fabs(d) < 1e15)
        n = snprintf(buf, sizeof buf, "%.0f", d);
    else
        n = snprintf(buf, sizeof buf, "%.15g", d);
    if (n < 0)
        n = 0;
    return (cq_sv){cq_arena_strndup(a, buf, (size_t)n), (uint32_t)n};
}

cq_sv cq_val_str(const cq_val *v, cq_arena *a)
{
    switch (v->t) {
    case CQ_V_STR:
        return v->str;
    case CQ_V_NUM:
        return cq_num_format(v->num, a);
    case CQ_V_BOOL:
        return v->b ? (cq_sv){"true", 4} : (cq_sv){"false", 5};
    case CQ_V_MV:
        return v->n_mv ? v->mv[0] : (cq_sv){NULL, 0};
    default:
        return (cq_sv){NULL, 0};
    }
}

int cq_val_truthy(const cq_val *v)
{
    return v->t == CQ_V_BOOL && v->b;
}

/* -------------------------------------------------------------- fields */

/* Reads column values for the rows (dictionary entries converted once). */
static void read_field(const cq_col *c, const uint16_t *rows, uint32_t n, cq_val *out,
                       cq_arena *a)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i], nv = cq_col_nvals(c, r);
        cq_val v = {0};
        if (c->kind == CQ_COL_NUM) {
            v = cq_val_number(c->nums[r]);
        } else if (c->kind == CQ_COL_TIME) {
            v = cq_val_number((double)c->times[r] / 1e6);
        } else if (nv == 1) {
            v = cq_val_from_sv(cq_col_val(c, r, 0));
        } else if (nv > 1) {
            cq_sv *mv = cq_arena_alloc(a, nv * sizeof *mv);
            for (uint32_t k = 0; k < nv; k++)
                mv[k] = cq_col_val(c, r, k);
            v.t = CQ_V_MV;
            v.n_mv = nv;
            v.mv = mv;
        }
        out[i] = v;
    }
}

/* ---------------------------------------------------------- comparisons */

/* Compares two scalars Splunk's way; sets *ok to 0 when either is null. */
static int cmp_scalar(const cq_val *x, const cq_val *y, int *ok, cq_arena *a)
{
    double p, q;
    *ok = x->t != CQ_V_NULL && y->t != CQ_V_NULL;
    if (!*ok)
        return 0;
    if (cq_val_num(x, &p) && cq_val_num(y, &q))
        return (p > q) - (p < q);
    cq_sv s = cq_val_str(x, a), t = cq_val_str(y, a);
    size_t m = s.len < t.len ? s.len : t.len;
    int c = memcmp(s.p, t.p, m);
    return c ? c : (s.len > t.len) - (s.len < t.len);
}

static int op_holds(cq_op op, int c)
{
    switch (op) {
    case CQ_OP_EQ: return c == 0;
    case CQ_OP_NE: return c != 0;
    case CQ_OP_LT: return c < 0;
    case CQ_OP_LE: return c <= 0;
    case CQ_OP_GT: return c > 0;
    case CQ_OP_GE: return c >= 0;
    default: return 0;
    }
}

/* Multivalue: true when any value of x (or y) satisfies the comparison. */
static int compare(cq_op op, const cq_val *x, const cq_val *y, cq_arena *a)
{
    if (x->t == CQ_V_MV || y->t == CQ_V_MV) {
        const cq_val *m = x->t == CQ_V_MV ? x : y;
        for (uint32_t k = 0; k < m->n_mv; k++) {
            cq_val one = cq_val_from_sv(m->mv[k]);
            int r = m == x ? compare(op, &one, y, a) : compare(op, x, &one, a);
            if (r)
                return 1;
        }
        return 0;
    }
    int ok, c = cmp_scalar(x, y, &ok, a);
    return ok && op_holds(op, c);
}

/* SQL LIKE: % any run, _ one character; case-sensitive. */
static int like_match(const char *p, size_t pl, const char *s, size_t sl)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sl) {
        if (pi < pl && p[pi] == '%') {
            star = ++pi;
            mark = si;
        } else if (pi < pl && (p[pi] == '_' || p[pi] == s[si])) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < pl && p[pi] == '%')
        pi++;
    return pi == pl;
}

int cq_like(const cq_val *v, const cq_val *pat, cq_arena *a)
{
    if (v->t == CQ_V_NULL || pat->t == CQ_V_NULL)
        return 0;
    cq_sv p = cq_val_str(pat, a);
    if (v->t == CQ_V_MV) {
        for (uint32_t k = 0; k < v->n_mv; k++)
            if (like_match(p.p, p.len, v->mv[k].p, v->mv[k].len))
                return 1;
        return 0;
    }
    cq_sv s = cq_val_str(v, a);
    return like_match(p.p, p.len, s.p, s.len);
}

/* ---------------------------------------------------------- arithmetic */

static cq_val arith(cq_op op, const cq_val *x, const cq_val *y, cq_arena *a)
{
    double p, q;
    if (x->t == CQ_V_NULL || y->t == CQ_V_NULL)
        return (cq_val){0};
    if (cq_val_num(x, &p) && cq_val_num(y, &q)) {
        switch (op) {
        case CQ_OP_ADD: return cq_val_number(p + q);
        case CQ_OP_SUB: return cq_val_number(p - q);
        case CQ_OP_MUL: return cq_val_number(p * q);
        case CQ_OP_DIV: return q == 0 ? (cq_val){0} : cq_val_number(p / q);
        case CQ_OP_MOD: return q == 0 ? (cq_val){0} : cq_val_number(fmod(p, q));
        default: return (cq_val){0};
        }
    }
    if (op == CQ_OP_ADD && x->t == CQ_V_STR && y->t == CQ_V_STR) {
        char *s = cq_arena_alloc(a, (size_t)x->str.len + y->str.len + 1);
        memcpy(s, x->str.p, x->str.len);
        memcpy(s + x->str.len, y->str.p, y->str.len);
        s[x->str.len + y->str.len] = '\0';
        return cq_val_from_sv((cq_sv){s, x->str.len + y->str.len});
    }
    return (cq_val){0};
}

static cq_val concat(const cq_val *x, const cq_val *y, cq_arena *a)
{
    if (x->t == CQ_V_NULL || y->t == CQ_V_NULL)
        return (cq_val){0};
    cq_sv s = cq_val_str(x, a), t = cq_val_str(y, a);
    char *r = cq_arena_alloc(a, (size_t)s.len + t.len + 1);
    memcpy(r, s.p, s.len);
    memcpy(r + s.len, t.p, t.len);
    r[s.len + t.len] = '\0';
    return cq_val_from_sv((cq_sv){r, s.len + t.len});
}

static void binary(cq_op op, const cq_val *x, const cq_val *y, uint32_t n, cq_val *out,
                   cq_arena *a)
{
    for (uint32_t i = 0; i < n; i++) {
        switch (op) {
        case CQ_OP_EQ: case CQ_OP_NE: case CQ_OP_LT:
        case CQ_OP_LE: case CQ_OP_GT: case CQ_OP_GE:
            out[i] = cq_val_bool(compare(op, &x[i], &y[i], a));
            break;
        case CQ_OP_AND:
            out[i] = cq_val_bool(cq_val_truthy(&x[i]) && cq_val_truthy(&y[i]));
            break;
        case CQ_OP_OR:
            out[i] = cq_val_bool(cq_val_truthy(&x[i]) || cq_val_truthy(&y[i]));
            break;
        case CQ_OP_XOR:
            out[i] = cq_val_bool(cq_val_truthy(&x[i]) != cq_val_truthy(&y[i]));
            break;
        case CQ_OP_LIKE:
            out[i] = cq_val_bool(cq_like(&x[i], &y[i], a));
            break;
        case CQ_OP_CONCAT:
            out[i] = concat(&x[i], &y[i], a);
            break;
        default:
            out[i] = arith(op, &x[i], &y[i], a);
        }
    }
}

static int eval_node(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b, const uint16_t *rows,
                     uint32_t n, cq_val *out);

/* --------------------------------------------------------------- calls */

/* The column a CQ_FN_SHAPE call reads lengths from: its one argument is a
 * field of single ASCII values.  NULL: evaluate the argument. */
static const cq_col *shape_col(const cq_ast *e, const cq_fn *fn, const cq_batch *b)
{
    if (!fn || !(fn->flags & CQ_FN_SHAPE) || !e->kids || e->kids->next ||
        e->kids->kind != CQ_AST_FIELD)
        return NULL;
    const cq_col *col = cq_batch_get(b, e->kids->name);
    return col && col->ascii && !col->row_off &&
                   (col->kind == CQ_COL_DICT || col->kind == CQ_COL_STR)
               ? col
               : NULL;
}

static int eval_call(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b, const uint16_t *rows,
                     uint32_t n, cq_val *out)
{
    const cq_fn *fn = cq_fn_find(e->name);
    if (!fn)
        return cq_diag_set(c->diag, e->span, "not supported yet: function \"%s\"", e->name);
    cq_fn_call fc = {c, e, b, rows, n, (uint32_t)e->n_kids, NULL, out};
    if (!(fn->flags & CQ_FN_LAZY) && !shape_col(e, fn, b)) {
        fc.args = cq_arena_alloc(c->arena, (e->n_kids + 1) * sizeof *fc.args);
        uint32_t k = 0;
        for (const cq_ast *a = e->kids; a; a = a->next, k++) {
            fc.args[k] = cq_arena_alloc(c->arena, (n + 1) * sizeof **fc.args);
            if (cq_eval(a, c, b, rows, n, fc.args[k]))
                return -1;
        }
    }
    return fn->impl(&fc);
}

/* ------------------------------------------------- dictionary evaluation */

/*
 * The one field an expression reads, when it reads exactly one and every
 * function in it gives the same result for the same input (so evaluating it
 * once per distinct value is the same as once per row).  NULL otherwise.
 */
static const char *sole_field(const cq_ast *e, const char *found, int *ok)
{
    if (!*ok)
        return NULL;
    if (e->kind == CQ_AST_FIELD) {
        if (found && strcmp(found, e->name))
            *ok = 0;
        return e->name;
    }
    if (e->kind == CQ_AST_CALL) {
        const cq_fn *fn = cq_fn_find(e->name);
        if (!fn || (fn->flags & (CQ_FN_LAZY | CQ_FN_ROW | CQ_FN_VOLATILE)))
            *ok = 0;
    }
    for (const cq_ast *k = e->kids; k; k = k->next) {
        const char *f = sole_field(k, found, ok);
        if (f)
            found = f;
    }
    return found;
}

/*
 * A dictionary column (one value per row) with fewer distinct values than
 * rows asked for: evaluate e on each distinct value (plus null) once, then
 * hand each row the result of its code.  len(verb) on a block costs a
 * handful of len() calls instead of 1,024.
 */
static int eval_on_dict(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b,
                        const uint16_t *rows, uint32_t n, cq_val *out, int *done)
{
    *done = 0;
    if (e->kind != CQ_AST_CALL && e->kind != CQ_AST_BINARY && e->kind != CQ_AST_UNARY)
        return 0;
    if (e->kind == CQ_AST_CALL && shape_col(e, cq_fn_find(e->name), b))
        return 0;       /* len(f): lengths straight from the column */
    int ok = 1;
    const char *name = sole_field(e, NULL, &ok);
    const cq_col *col = name && ok ? cq_batch_get(b, name) : NULL;
    if (!col || col->kind != CQ_COL_DICT || col->row_off || col->n_dict + 1 >= n)
        return 0;
    /* A batch holding only the dictionary: row k is value k-1, row 0 null. */
    uint32_t nd = col->n_dict + 1;
    cq_sv *vals = cq_arena_alloc(c->arena, nd * sizeof *vals);
    vals[0] = (cq_sv){NULL, 0};
    memcpy(vals + 1, col->dict, col->n_dict * sizeof *vals);
    cq_batch db;
    cq_batch_init(&db, c->arena);
    db.n_rows = db.n_sel = nd;
    cq_col dc = {.kind = CQ_COL_STR, .n_rows = nd, .strs = vals, .ascii = col->ascii};
    cq_bcol one = {name, dc};
    db.cols = &one;
    db.n_cols = 1;
    uint16_t *drows = cq_arena_alloc(c->arena, nd * sizeof *drows);
    for (uint32_t k = 0; k < nd; k++)
        drows[k] = (uint16_t)k;
    cq_val *dv = cq_arena_alloc(c->arena, nd * sizeof *dv);
    if (eval_node(e, c, &db, drows, nd, dv))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        out[i] = dv[col->codes[rows[i]]];
    *done = 1;
    return 0;
}

int cq_eval(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b, const uint16_t *rows,
            uint32_t n, cq_val *out)
{
    int done;
    if (eval_on_dict(e, c, b, rows, n, out, &done))
        return -1;
    return done ? 0 : eval_node(e, c, b, rows, n, out);
}

/* Evaluates e row by row (each node over all n rows). */
static int eval_node(const cq_ast *e, cq_eval_ctx *c, const cq_batch *b, const uint16_t *rows,
                     uint32_t n, cq_val *out)
{
    switch (e->kind) {
    case CQ_AST_NUMBER:
        for (uint32_t i = 0; i < n; i++)
            out[i] = cq_val_number(e->num);
        return 0;
    case CQ_AST_STRING:
    case CQ_AST_VALUE: {
        cq_val v = cq_val_from_sv((cq_sv){e->text, (uint32_t)strlen(e->text)});
        for (uint32_t i = 0; i < n; i++)
            out[i] = v;
        return 0;
    }
    case CQ_AST_FIELD: {
        const cq_col *col = cq_batch_get(b, e->name);
        if (!col) {
            memset(out, 0, n * sizeof *out);
            return 0;
        }
        read_field(col, rows, n, out, c->arena);
        return 0;
    }
    case CQ_AST_CALL:
        return eval_call(e, c, b, rows, n, out);
    case CQ_AST_UNARY: {
        if (cq_eval(e->kids, c, b, rows, n, out))
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            double d;
            if (e->op == CQ_OP_NOT)
                out[i] = cq_val_bool(out[i].t == CQ_V_BOOL && !out[i].b);
            else
                out[i] = cq_val_num(&out[i], &d) ? cq_val_number(-d) : (cq_val){0};
        }
        return 0;
    }
    case CQ_AST_BINARY: {
        cq_val *y = cq_arena_alloc(c->arena, (n + 1) * sizeof *y);
        if (cq_eval(e->kids, c, b, rows, n, out) || cq_eval(e->kids->next, c, b, rows, n, y))
            return -1;
        binary(e->op, out, y, n, out, c->arena);
        return 0;
    }
    default:
        return cq_diag_set(c->diag, e->span, "not supported yet: %s in an eval expression",
                           cq_ast_kind_name(e->kind));
    }
}

int cq_eval_check(const cq_ast *e, cq_diag *d)
{
    if (e->kind == CQ_AST_CALL) {
        const cq_fn *fn = cq_fn_find(e->name);
        cq_span name = cq_span_make(e->span.start, e->span.start + (uint32_t)strlen(e->name));
        if (!fn)
            return cq_diag_set(d, name, "not supported yet: function \"%s\"", e->name);
        if (fn->flags & CQ_FN_NOT_YET) {
            const char *why = strstr(fn->help, "): ");
            return cq_diag_set(d, name, "not supported yet: function \"%s\" (%s)", e->name,
                               why ? why + 3 : fn->help);
        }
        int n = (int)e->n_kids;
        if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
            if (fn->max_args < 0)
                return cq_diag_set(d, name, "function \"%s\" takes at least %d argument%s, not %d",
                                   e->name, fn->min_args, fn->min_args == 1 ? "" : "s", n);
            if (fn->min_args == fn->max_args)
                return cq_diag_set(d, name, "function \"%s\" takes %d argument%s, not %d", e->name,
                                   fn->min_args, fn->min_args == 1 ? "" : "s", n);
            return cq_diag_set(d, name, "function \"%s\" takes %d to %d arguments, not %d",
                               e->name, fn->min_args, fn->max_args, n);
        }
    } else if (e->kind != CQ_AST_NUMBER && e->kind != CQ_AST_STRING && e->kind != CQ_AST_FIELD &&
               e->kind != CQ_AST_UNARY && e->kind != CQ_AST_BINARY && e->kind != CQ_AST_VALUE) {
        return cq_diag_set(d, e->span, "not supported yet: %s in an eval expression",
                           cq_ast_kind_name(e->kind));
    }
    for (const cq_ast *k = e->kids; k; k = k->next)
        if (cq_eval_check(k, d))
            return -1;
    return 0;
}

/* ------------------------------------------------------ values -> column */

int cq_vals_to_col(const cq_val *v, const uint16_t *rows, uint32_t n, uint32_t n_rows,
                   cq_arena *a, cq_col *out, const cq_ast *e, cq_diag *d)
{
    memset(out, 0, sizeof *out);
    out->n_rows = n_rows;
    int all_num = 1;
    uint32_t n_vals = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].t == CQ_V_BOOL)
            return cq_diag_set(d, e ? e->span : CQ_SPAN_NONE,
                               "fields cannot be assigned a boolean result; use if(cond, a, b)");
        if (v[i].t != CQ_V_NUM && v[i].t != CQ_V_NULL)
            all_num = 0;
        n_vals += v[i].t == CQ_V_MV ? v[i].n_mv : 1;
    }
    if (all_num) {
        double *num = cq_arena_alloc(a, (n_rows + 1) * sizeof *num);
        for (uint32_t r = 0; r < n_rows; r++)
            num[r] = NAN;
        for (uint32_t i = 0; i < n; i++)
            if (v[i].t == CQ_V_NUM)
                num[rows[i]] = v[i].num;
        out->kind = CQ_COL_NUM;
        out->nums = num;
        return 0;
    }
    /* Strings, multivalue kept: per row its values, rows outside the
     * selection empty (null). */
    const cq_val **by_row = cq_arena_calloc(a, (n_rows + 1) * sizeof *by_row);
    for (uint32_t i = 0; i < n; i++)
        by_row[rows[i]] = &v[i];
    uint32_t *off = cq_arena_alloc(a, (n_rows + 1) * sizeof *off);
    cq_sv *s = cq_arena_alloc(a, (n_vals + 1) * sizeof *s);
    uint32_t k = 0;
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = k;
        const cq_val *x = by_row[r];
        if (!x || x->t == CQ_V_NULL)
            continue;
        if (x->t == CQ_V_MV) {
            for (uint32_t j = 0; j < x->n_mv; j++)
                s[k++] = x->mv[j];
        } else {
            s[k++] = cq_val_str(x, a);
        }
    }
    off[n_rows] = k;
    out->kind = CQ_COL_STR;
    out->strs = s;
    out->row_off = off;
    return 0;
}

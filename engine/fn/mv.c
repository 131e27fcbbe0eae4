/*
 * mv.c - multivalue eval functions: mvcount(), mvindex(), mvjoin(),
 * mvappend(), split(), mvfilter(), mvmap(), mvrange(), mvdedup(), mvsort(),
 * mvzip(), mvfind().
 *
 * Null rules (Splunk): a null multivalue argument gives null; a result with
 * no values is null (mvfilter() that keeps nothing, mvfind() that finds
 * nothing); a single value is a multivalue of one.
 */
#include "engine/fn/fn.h"
#include "engine/expr/regex.h"

#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* -------------------------------------------------------- multivalue */

/* The values of v as a list (a scalar is a list of one, null of none). */
static uint32_t values_of(const cq_val *v, cq_sv *one, const cq_sv **out, cq_arena *a)
{
    *out = one;
    if (v->t == CQ_V_MV) {
        *out = v->mv;
        return v->n_mv;
    }
    if (v->t == CQ_V_NULL)
        return 0;
    *one = cq_val_str(v, a);
    *out = one;
    return 1;
}

static cq_val mv_make(cq_sv *vals, uint32_t n)
{
    cq_val v = {0};
    if (n == 1)
        return cq_val_from_sv(vals[0]);
    if (n > 1) {
        v.t = CQ_V_MV;
        v.mv = vals;
        v.n_mv = n;
    }
    return v;
}

int cq_fn_mvcount(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        const cq_val *v = &A(0, i);
        fc->out[i] = v->t == CQ_V_NULL ? (cq_val){0}
                                       : cq_val_number(v->t == CQ_V_MV ? v->n_mv : 1);
    }
    return 0;
}

/* mvindex(mv, start [, end]): 0-based, negative from the end, end inclusive. */
int cq_fn_mvindex(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one;
        const cq_sv *vals;
        uint32_t n = values_of(&A(0, i), &one, &vals, ARENA);
        double s, e;
        fc->out[i] = (cq_val){0};
        if (!n || !cq_val_num(&A(1, i), &s))
            continue;
        if (fc->n_args < 3 || !cq_val_num(&A(2, i), &e))
            e = s;
        int64_t a = (int64_t)s, b = (int64_t)e;
        if (a < 0)
            a += n;
        if (b < 0)
            b += n;
        if (a < 0 || a >= n || b < a)
            continue;
        if (b >= n)
            b = n - 1;
        cq_sv *r = cq_arena_alloc(ARENA, (size_t)(b - a + 1) * sizeof *r);
        memcpy(r, vals + a, (size_t)(b - a + 1) * sizeof *r);
        fc->out[i] = mv_make(r, (uint32_t)(b - a + 1));
    }
    return 0;
}

int cq_fn_mvjoin(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one, sep = cq_val_str(&A(1, i), ARENA);
        const cq_sv *vals;
        uint32_t n = values_of(&A(0, i), &one, &vals, ARENA);
        if (!n || !sep.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        size_t len = (size_t)sep.len * (n - 1);
        for (uint32_t k = 0; k < n; k++)
            len += vals[k].len;
        char *r = cq_arena_alloc(ARENA, len + 1), *w = r;
        for (uint32_t k = 0; k < n; k++) {
            if (k) {
                memcpy(w, sep.p, sep.len);
                w += sep.len;
            }
            memcpy(w, vals[k].p, vals[k].len);
            w += vals[k].len;
        }
        *w = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, (uint32_t)len});
    }
    return 0;
}

int cq_fn_mvappend(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        uint32_t total = 0;
        for (uint32_t k = 0; k < fc->n_args; k++) {
            const cq_val *v = &A(k, i);
            total += v->t == CQ_V_MV ? v->n_mv : v->t != CQ_V_NULL;
        }
        cq_sv *r = cq_arena_alloc(ARENA, (total + 1) * sizeof *r);
        uint32_t n = 0;
        for (uint32_t k = 0; k < fc->n_args; k++) {
            cq_sv one;
            const cq_sv *vals;
            uint32_t m = values_of(&A(k, i), &one, &vals, ARENA);
            memcpy(r + n, vals, m * sizeof *r);
            n += m;
        }
        fc->out[i] = mv_make(r, n);
    }
    return 0;
}

int cq_fn_split(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), sep = cq_val_str(&A(1, i), ARENA);
        if (!s.p || !sep.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        uint32_t cap = sep.len ? s.len / sep.len + 2 : s.len + 1, n = 0, from = 0;
        cq_sv *r = cq_arena_alloc(ARENA, cap * sizeof *r);
        if (!sep.len) {     /* split into characters */
            for (uint32_t k = 0; k < s.len; k++)
                r[n++] = (cq_sv){s.p + k, 1};
        } else {
            for (uint32_t k = 0; k + sep.len <= s.len;) {
                if (!memcmp(s.p + k, sep.p, sep.len)) {
                    r[n++] = (cq_sv){s.p + from, k - from};
                    k += sep.len;
                    from = k;
                } else {
                    k++;
                }
            }
            r[n++] = (cq_sv){s.p + from, s.len - from};
        }
        fc->out[i] = mv_make(r, n);
    }
    return 0;
}

static int sv_eq(cq_sv a, cq_sv b)
{
    return a.len == b.len && !memcmp(a.p, b.p, a.len);
}

/* mvdedup: the first of each value, order kept. */
int cq_fn_mvdedup(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one;
        const cq_sv *v;
        uint32_t n = values_of(&A(0, i), &one, &v, ARENA), m = 0;
        cq_sv *r = cq_arena_alloc(ARENA, (n + 1) * sizeof *r);
        for (uint32_t k = 0; k < n; k++) {
            int seen = 0;
            for (uint32_t j = 0; j < m && !seen; j++)   /* short lists; quadratic is fine */
                seen = sv_eq(r[j], v[k]);
            if (!seen)
                r[m++] = v[k];
        }
        fc->out[i] = mv_make(r, m);
    }
    return 0;
}

static int sv_cmp(const void *a, const void *b)
{
    const cq_sv *x = a, *y = b;
    uint32_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* mvsort: lexicographic (byte order: numbers as text, upper before lower case). */
int cq_fn_mvsort(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one;
        const cq_sv *v;
        uint32_t n = values_of(&A(0, i), &one, &v, ARENA);
        cq_sv *r = cq_arena_alloc(ARENA, (n + 1) * sizeof *r);
        if (n)
            memcpy(r, v, n * sizeof *r);
        qsort(r, n, sizeof *r, sv_cmp);
        fc->out[i] = mv_make(r, n);
    }
    return 0;
}

/* mvzip(a, b [, delim]): "a1<delim>b1", ... up to the shorter list; delim ",". */
int cq_fn_mvzip(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one_a, one_b, delim = {",", 1};
        const cq_sv *x, *y;
        uint32_t na = values_of(&A(0, i), &one_a, &x, ARENA), nb = values_of(&A(1, i), &one_b, &y, ARENA);
        if (fc->n_args > 2)
            delim = cq_val_str(&A(2, i), ARENA);
        if (!na || !nb || !delim.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        uint32_t n = na < nb ? na : nb;
        cq_sv *r = cq_arena_alloc(ARENA, (n + 1) * sizeof *r);
        for (uint32_t k = 0; k < n; k++) {
            size_t len = (size_t)x[k].len + delim.len + y[k].len;
            char *s = cq_arena_alloc(ARENA, len + 1);
            memcpy(s, x[k].p, x[k].len);
            memcpy(s + x[k].len, delim.p, delim.len);
            memcpy(s + x[k].len + delim.len, y[k].p, y[k].len);
            s[len] = '\0';
            r[k] = (cq_sv){s, (uint32_t)len};
        }
        fc->out[i] = mv_make(r, n);
    }
    return 0;
}

/* mvfind(mv, regex): 0-based index of the first value the regex matches. */
int cq_fn_mvfind(cq_fn_call *fc)
{
    const cq_ast *pat_node = cq_ast_kid(fc->node, 1);
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv one, p = cq_val_str(&A(1, i), ARENA);
        const cq_sv *v;
        uint32_t n = values_of(&A(0, i), &one, &v, ARENA);
        fc->out[i] = (cq_val){0};
        if (!n || !p.p)
            continue;
        pcre2_code *re = cq_regex_get(fc->c->regex, p, pat_node, fc->c->diag);
        if (!re)
            return -1;
        pcre2_match_data *md = cq_regex_mdata(fc->c->regex, re);
        for (uint32_t k = 0; k < n; k++) {
            int m = cq_regex_match(fc->c->regex, re, v[k], 0, md, pat_node, fc->c->diag);
            if (m < 0)
                return -1;
            if (m) {
                fc->out[i] = cq_val_number(k);
                break;
            }
        }
    }
    return 0;
}

/* The first field an expression reads (the one mvfilter binds), or NULL. */
static const cq_ast *first_field(const cq_ast *e)
{
    if (e->kind == CQ_AST_FIELD)
        return e;
    for (const cq_ast *k = e->kids; k; k = k->next) {
        const cq_ast *f = first_field(k);
        if (f)
            return f;
    }
    return NULL;
}

/*
 * Each value of field f (or, f NULL, of the values arg gives each row) bound
 * in turn as f's only value, with expr evaluated over them: every (row,
 * value) pair becomes a row of a scratch batch in which f holds that one
 * value (the other columns copied from the pair's row), and expr is
 * evaluated over that batch a vector at a time.  keep(fc, owner row, value,
 * result) is called for each pair in order.
 */
static int each_value(cq_fn_call *fc, const char *f, const cq_ast *expr,
                      void (*keep)(cq_fn_call *, uint32_t, cq_sv, const cq_val *, void *),
                      void *ctx)
{
    const cq_col *col = f ? cq_batch_get(fc->b, f) : NULL;
    if (!col)
        return 0;
    cq_arena *a = ARENA;
    uint32_t src[CQ_BATCH_ROWS], owner[CQ_BATCH_ROWS];
    uint16_t seq[CQ_BATCH_ROWS];
    cq_sv v[CQ_BATCH_ROWS];
    for (uint32_t k = 0; k < CQ_BATCH_ROWS; k++)
        seq[k] = (uint16_t)k;
    uint32_t i = 0, j = 0;
    while (i < fc->n) {
        uint32_t m = 0;
        while (m < CQ_BATCH_ROWS && i < fc->n) {
            uint32_t r = fc->rows[i];
            if (j < cq_col_nvals(col, r)) {
                src[m] = r;
                owner[m] = i;
                v[m++] = cq_col_text(col, r, j++, a);
            } else {
                i++;
                j = 0;
            }
        }
        if (!m)
            break;
        cq_batch tmp;
        cq_batch_init(&tmp, a);
        tmp.n_rows = tmp.n_sel = m;
        for (uint32_t c = 0; c < fc->b->n_cols; c++) {
            cq_col g;
            if (!strcmp(fc->b->cols[c].name, f))
                continue;
            cq_col_gather(&fc->b->cols[c].col, src, m, a, &g);
            cq_batch_put(&tmp, fc->b->cols[c].name, &g);
        }
        uint32_t *off = cq_arena_alloc(a, (m + 1) * sizeof *off);
        cq_sv *one = cq_arena_alloc(a, (m + 1) * sizeof *one);
        for (uint32_t k = 0; k <= m; k++)
            off[k] = k;
        memcpy(one, v, m * sizeof *one);
        cq_col bound;
        cq_col_strs(&bound, m, one, off);
        cq_batch_put(&tmp, f, &bound);
        cq_val *res = cq_arena_alloc(a, (m + 1) * sizeof *res);
        int rc = cq_eval(expr, fc->c, &tmp, seq, m, res);
        cq_batch_free(&tmp);
        if (rc)
            return -1;
        for (uint32_t k = 0; k < m; k++)
            keep(fc, owner[k], v[k], &res[k], ctx);
    }
    return 0;
}

/* What mvfilter and mvmap keep, per output row. */
typedef struct kept_vals {
    uint32_t *n;
    cq_sv **v;
    uint32_t *cap;
} kept_vals;

static kept_vals kept_new(cq_fn_call *fc, const char *f, uint32_t per_value)
{
    const cq_col *col = f ? cq_batch_get(fc->b, f) : NULL;
    kept_vals k;
    k.n = cq_arena_calloc(ARENA, (fc->n + 1) * sizeof *k.n);
    k.cap = cq_arena_calloc(ARENA, (fc->n + 1) * sizeof *k.cap);
    k.v = cq_arena_calloc(ARENA, (fc->n + 1) * sizeof *k.v);
    for (uint32_t i = 0; col && i < fc->n; i++) {
        k.cap[i] = cq_col_nvals(col, fc->rows[i]) * per_value;
        k.v[i] = cq_arena_alloc(ARENA, (k.cap[i] + 1) * sizeof **k.v);
    }
    return k;
}

static void kept_add(cq_fn_call *fc, kept_vals *k, uint32_t row, cq_sv v)
{
    if (k->n[row] == k->cap[row]) {
        uint32_t cap = k->cap[row] ? 2 * k->cap[row] : 4;
        cq_sv *nv = cq_arena_alloc(ARENA, cap * sizeof *nv);
        if (k->n[row])
            memcpy(nv, k->v[row], k->n[row] * sizeof *nv);
        k->v[row] = nv;
        k->cap[row] = cap;
    }
    k->v[row][k->n[row]++] = v;
}

static void filter_keep(cq_fn_call *fc, uint32_t row, cq_sv v, const cq_val *res, void *ctx)
{
    if (cq_val_truthy(res))
        kept_add(fc, ctx, row, v);
}

/* mvfilter(cond): the values of the field cond names for which cond is
 * true. */
int cq_fn_mvfilter(cq_fn_call *fc)
{
    const cq_ast *cond = fc->node->kids;
    const cq_ast *f = first_field(cond);
    memset(fc->out, 0, fc->n * sizeof *fc->out);
    kept_vals k = kept_new(fc, f ? f->name : NULL, 1);
    if (each_value(fc, f ? f->name : NULL, cond, filter_keep, &k))
        return -1;
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = mv_make(k.v[i], k.n[i]);
    return 0;
}

static void map_keep(cq_fn_call *fc, uint32_t row, cq_sv v, const cq_val *res, void *ctx)
{
    (void)v;
    if (res->t == CQ_V_MV) {
        for (uint32_t j = 0; j < res->n_mv; j++)
            kept_add(fc, ctx, row, res->mv[j]);
    } else if (res->t != CQ_V_NULL && res->t != CQ_V_BOOL) {
        kept_add(fc, ctx, row, cq_val_str(res, ARENA));
    }
}

/*
 * mvmap(mv, expr): expr for each value of the field mv (expr names the
 * field for the value at hand), as a multivalue; null results are dropped.
 * mv must be a field; over a null field the result is null.
 */
int cq_fn_mvmap(cq_fn_call *fc)
{
    const cq_ast *f = fc->node->kids, *expr = f ? f->next : NULL;
    memset(fc->out, 0, fc->n * sizeof *fc->out);
    if (!f || f->kind != CQ_AST_FIELD || !expr)
        return cq_diag_set(fc->c->diag, f ? f->span : fc->node->span,
                           "mvmap() takes a field name first, e.g. mvmap(ports, ports + 1)");
    kept_vals k = kept_new(fc, f->name, 1);
    if (each_value(fc, f->name, expr, map_keep, &k))
        return -1;
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = mv_make(k.v[i], k.n[i]);
    return 0;
}

/* mvrange(start, end [, step]): numbers from start while below end (above,
 * for a negative step), at most 10,000 of them; null when an argument is
 * not a number or step is 0. */
int cq_fn_mvrange(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double s, e, st = 1;
        fc->out[i] = (cq_val){0};
        if (!cq_val_num(&A(0, i), &s) || !cq_val_num(&A(1, i), &e) ||
            (fc->n_args > 2 && !cq_val_num(&A(2, i), &st)) || st == 0)
            continue;
        uint32_t n = 0, cap = 16;
        cq_sv *vals = cq_arena_alloc(ARENA, cap * sizeof *vals);
        for (double x = s; (st > 0 ? x < e : x > e) && n < 10000; x = s + st * (double)n) {
            if (n == cap) {
                cq_sv *nv = cq_arena_alloc(ARENA, 2 * cap * sizeof *nv);
                memcpy(nv, vals, n * sizeof *nv);
                vals = nv;
                cap *= 2;
            }
            vals[n++] = cq_num_format(x, ARENA);
        }
        fc->out[i] = mv_make(vals, n);
    }
    return 0;
}

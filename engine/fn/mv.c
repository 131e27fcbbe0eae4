/*
 * mv.c - multivalue eval functions: mvcount(), mvindex(), mvjoin(),
 * mvappend(), split(), mvfilter(), mvdedup(), mvsort(), mvzip(), mvfind().
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
 * mvfilter(cond): the values of the field cond names for which cond is
 * true.  Lazy: every (row, value) pair becomes a row of a scratch batch in
 * which the field holds that one value (the other columns copied from the
 * pair's row), and cond is evaluated over that batch a vector at a time.
 */
int cq_fn_mvfilter(cq_fn_call *fc)
{
    const cq_ast *cond = fc->node->kids;
    const cq_ast *f = first_field(cond);
    const cq_col *col = f ? cq_batch_get(fc->b, f->name) : NULL;
    memset(fc->out, 0, fc->n * sizeof *fc->out);
    if (!col)
        return 0;
    cq_arena *a = ARENA;
    uint32_t src[CQ_BATCH_ROWS], owner[CQ_BATCH_ROWS];
    uint16_t seq[CQ_BATCH_ROWS];
    cq_sv v[CQ_BATCH_ROWS];
    for (uint32_t k = 0; k < CQ_BATCH_ROWS; k++)
        seq[k] = (uint16_t)k;
    /* kept values per output row, built up across chunks */
    uint32_t *n_kept = cq_arena_calloc(a, (fc->n + 1) * sizeof *n_kept);
    cq_sv **kept = cq_arena_calloc(a, (fc->n + 1) * sizeof *kept);
    for (uint32_t i = 0; i < fc->n; i++) {
        uint32_t nv = cq_col_nvals(col, fc->rows[i]);
        kept[i] = cq_arena_alloc(a, (nv + 1) * sizeof **kept);
    }
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
            if (!strcmp(fc->b->cols[c].name, f->name))
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
        cq_batch_put(&tmp, f->name, &bound);
        cq_val *res = cq_arena_alloc(a, (m + 1) * sizeof *res);
        int rc = cq_eval(cond, fc->c, &tmp, seq, m, res);
        cq_batch_free(&tmp);
        if (rc)
            return -1;
        for (uint32_t k = 0; k < m; k++)
            if (cq_val_truthy(&res[k]))
                kept[owner[k]][n_kept[owner[k]]++] = v[k];
    }
    for (uint32_t k = 0; k < fc->n; k++)
        fc->out[k] = mv_make(kept[k], n_kept[k]);
    return 0;
}

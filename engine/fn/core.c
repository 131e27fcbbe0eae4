/*
 * core.c - the eval functions: conditionals, null handling, strings,
 * numbers, multivalue basics and regexes.  Null rules follow Splunk: most
 * functions give null for a null argument (len(null) is null), coalesce
 * skips nulls, isnull/isnotnull never return null.
 */
#include "engine/fn/fn.h"
#include "engine/expr/match.h"
#include "engine/expr/regex.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

static cq_sv sv_dup(cq_arena *a, const char *p, size_t n)
{
    return (cq_sv){cq_arena_strndup(a, p, n), (uint32_t)n};
}

/* ------------------------------------------------------- conditionals */

int cq_fn_if(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_truthy(&A(0, i)) ? A(1, i) : A(2, i);
    return 0;
}

int cq_fn_case(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_val v = {0};
        for (uint32_t k = 0; k + 1 < fc->n_args; k += 2)
            if (cq_val_truthy(&A(k, i))) {
                v = A(k + 1, i);
                break;
            }
        fc->out[i] = v;
    }
    return 0;
}

int cq_fn_coalesce(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_val v = {0};
        for (uint32_t k = 0; k < fc->n_args && v.t == CQ_V_NULL; k++)
            v = A(k, i);
        fc->out[i] = v;
    }
    return 0;
}

int cq_fn_nullif(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv x = cq_val_str(&A(0, i), ARENA), y = cq_val_str(&A(1, i), ARENA);
        int same = x.p && y.p && x.len == y.len && !memcmp(x.p, y.p, x.len);
        fc->out[i] = same ? (cq_val){0} : A(0, i);
    }
    return 0;
}

int cq_fn_isnull(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(A(0, i).t == CQ_V_NULL);
    return 0;
}

int cq_fn_isnotnull(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(A(0, i).t != CQ_V_NULL);
    return 0;
}

int cq_fn_null(cq_fn_call *fc)
{
    memset(fc->out, 0, fc->n * sizeof *fc->out);
    return 0;
}

int cq_fn_true(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(1);
    return 0;
}

int cq_fn_false(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(0);
    return 0;
}

int cq_like(const cq_val *v, const cq_val *pat, cq_arena *a);

int cq_fn_like(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(cq_like(&A(0, i), &A(1, i), ARENA));
    return 0;
}

/* in(field, v1, v2, ...): true when the field equals one of the values. */
int cq_fn_in(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        int hit = 0;
        const cq_val *x = &A(0, i);
        for (uint32_t k = 1; k < fc->n_args && !hit && x->t != CQ_V_NULL; k++) {
            cq_sv want = cq_val_str(&A(k, i), ARENA);
            uint32_t nv = x->t == CQ_V_MV ? x->n_mv : 1;
            for (uint32_t j = 0; j < nv && !hit; j++) {
                cq_sv s = x->t == CQ_V_MV ? x->mv[j] : cq_val_str(x, ARENA);
                hit = want.p && s.len == want.len && !memcmp(s.p, want.p, s.len);
            }
        }
        fc->out[i] = cq_val_bool(hit);
    }
    return 0;
}

/* ----------------------------------------------------------- strings */

static int fn_lower_upper(cq_fn_call *fc, int upper)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        char *r = cq_arena_alloc(ARENA, s.len + 1);
        for (uint32_t k = 0; k < s.len; k++)
            r[k] = (char)(upper ? toupper((unsigned char)s.p[k]) : tolower((unsigned char)s.p[k]));
        r[s.len] = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, s.len});
    }
    return 0;
}

int cq_fn_lower(cq_fn_call *fc)
{
    return fn_lower_upper(fc, 0);
}

int cq_fn_upper(cq_fn_call *fc)
{
    return fn_lower_upper(fc, 1);
}

static uint32_t utf8_len(cq_sv s)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < s.len; k++)
        n += ((unsigned char)s.p[k] & 0xC0) != 0x80;
    return n;
}

/* Byte offset of character index ci (clamped to the end). */
static uint32_t utf8_off(cq_sv s, uint32_t ci)
{
    uint32_t k = 0;
    while (k < s.len && ci) {
        k++;
        while (k < s.len && ((unsigned char)s.p[k] & 0xC0) == 0x80)
            k++;
        ci--;
    }
    return k;
}

int cq_fn_len(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = A(0, i).t == CQ_V_NULL ? (cq_val){0}
                                            : cq_val_number(utf8_len(cq_val_str(&A(0, i), ARENA)));
    return 0;
}

/* substr(s, start, len): 1-based; a negative start counts from the end. */
int cq_fn_substr(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double st, ln = -1;
        if (A(0, i).t == CQ_V_NULL || !cq_val_num(&A(1, i), &st) ||
            (fc->n_args > 2 && !cq_val_num(&A(2, i), &ln))) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        int64_t chars = utf8_len(s), from = (int64_t)st;
        from = from < 0 ? chars + from : from - 1;
        if (from < 0)
            from = 0;
        int64_t to = fc->n_args > 2 ? from + (int64_t)ln : chars;
        if (to > chars)
            to = chars;
        if (to < from)
            to = from;
        uint32_t b0 = utf8_off(s, (uint32_t)from), b1 = utf8_off(s, (uint32_t)to);
        fc->out[i] = cq_val_from_sv(sv_dup(ARENA, s.p + b0, b1 - b0));
    }
    return 0;
}

static int fn_trim_side(cq_fn_call *fc, int left, int right)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        cq_sv chars = fc->n_args > 1 ? cq_val_str(&A(1, i), ARENA) : (cq_sv){" \t", 2};
        uint32_t a = 0, b = s.len;
        while (left && a < b && chars.p && memchr(chars.p, s.p[a], chars.len))
            a++;
        while (right && b > a && chars.p && memchr(chars.p, s.p[b - 1], chars.len))
            b--;
        fc->out[i] = cq_val_from_sv(sv_dup(ARENA, s.p + a, b - a));
    }
    return 0;
}

int cq_fn_trim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 1, 1);
}

int cq_fn_ltrim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 1, 0);
}

int cq_fn_rtrim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 0, 1);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

int cq_fn_urldecode(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        char *r = cq_arena_alloc(ARENA, s.len + 1);
        uint32_t n = 0;
        for (uint32_t k = 0; k < s.len; k++) {
            int h, l;
            if (s.p[k] == '%' && k + 2 < s.len && (h = hexval((unsigned char)s.p[k + 1])) >= 0 &&
                (l = hexval((unsigned char)s.p[k + 2])) >= 0) {
                r[n++] = (char)(h * 16 + l);
                k += 2;
            } else {
                r[n++] = s.p[k] == '+' ? ' ' : s.p[k];
            }
        }
        r[n] = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, n});
    }
    return 0;
}

/* ----------------------------------------------------------- numbers */

/* tonumber(s [, base]) */
int cq_fn_tonumber(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d, base = 10;
        if (fc->n_args > 1 && !cq_val_num(&A(1, i), &base))
            base = -1;
        if (base == 10) {
            fc->out[i] = cq_val_num(&A(0, i), &d) ? cq_val_number(d) : (cq_val){0};
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        fc->out[i] = (cq_val){0};
        if (!s.p || s.len == 0 || s.len > 64 || base < 2 || base > 36 || base != floor(base))
            continue;
        char buf[72], *end;
        memcpy(buf, s.p, s.len);
        buf[s.len] = '\0';
        long long v = strtoll(buf, &end, (int)base);
        if (*end == '\0')
            fc->out[i] = cq_val_number((double)v);
    }
    return 0;
}

/* tostring(v [, "hex"|"commas"|"duration"]) */
int cq_fn_tostring(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        const cq_val *v = &A(0, i);
        cq_sv how = fc->n_args > 1 ? cq_val_str(&A(1, i), ARENA) : (cq_sv){NULL, 0};
        double d;
        char buf[64];
        int n = -1;
        if (how.p && cq_val_num(v, &d)) {
            if (how.len == 3 && !memcmp(how.p, "hex", 3))
                n = snprintf(buf, sizeof buf, "0x%llX", (long long)d);
            else if (how.len == 8 && !memcmp(how.p, "duration", 8))
                n = snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", (long long)d / 3600,
                             (long long)d / 60 % 60, (long long)d % 60);
        }
        if (n >= 0)
            fc->out[i] = cq_val_from_sv(sv_dup(ARENA, buf, (size_t)n));
        else if (v->t == CQ_V_NULL || v->t == CQ_V_MV)
            fc->out[i] = *v;
        else
            fc->out[i] = cq_val_from_sv(cq_val_str(v, ARENA));
    }
    return 0;
}

int cq_fn_round(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d, places = 0;
        if (!cq_val_num(&A(0, i), &d) || (fc->n_args > 1 && !cq_val_num(&A(1, i), &places))) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        double m = pow(10, floor(places));
        fc->out[i] = cq_val_number(round(d * m) / m);
    }
    return 0;
}

static int fn_math1(cq_fn_call *fc, double (*f)(double))
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d;
        fc->out[i] = cq_val_num(&A(0, i), &d) ? cq_val_number(f(d)) : (cq_val){0};
    }
    return 0;
}

int cq_fn_abs(cq_fn_call *fc)
{
    return fn_math1(fc, fabs);
}

int cq_fn_floor(cq_fn_call *fc)
{
    return fn_math1(fc, floor);
}

int cq_fn_ceil(cq_fn_call *fc)
{
    return fn_math1(fc, ceil);
}

/* min/max over all arguments (and their values): numbers compare as
 * numbers and rank below strings, as in Splunk. */
static int fn_minmax(cq_fn_call *fc, int want_max)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_val best = {0};
        for (uint32_t k = 0; k < fc->n_args; k++) {
            const cq_val *v = &A(k, i);
            uint32_t nv = v->t == CQ_V_MV ? v->n_mv : v->t == CQ_V_NULL ? 0 : 1;
            for (uint32_t j = 0; j < nv; j++) {
                cq_val x = v->t == CQ_V_MV ? cq_val_from_sv(v->mv[j]) : *v;
                double p, q;
                int better;
                if (best.t == CQ_V_NULL) {
                    better = 1;
                } else {
                    int xn = cq_val_num(&x, &p), bn = cq_val_num(&best, &q);
                    if (xn && bn)
                        better = want_max ? p > q : p < q;
                    else if (xn != bn)
                        better = want_max ? !xn : xn;
                    else {
                        cq_sv s = cq_val_str(&x, ARENA), t = cq_val_str(&best, ARENA);
                        int c = cq_value_cmp(s.p, s.len, t.p, t.len);
                        better = want_max ? c > 0 : c < 0;
                    }
                }
                if (better)
                    best = x;
            }
        }
        fc->out[i] = best;
    }
    return 0;
}

int cq_fn_min(cq_fn_call *fc)
{
    return fn_minmax(fc, 0);
}

int cq_fn_max(cq_fn_call *fc)
{
    return fn_minmax(fc, 1);
}

int cq_fn_now(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_number((double)(fc->c->now_us / 1000000));
    return 0;
}

int cq_fn_isnum(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d;
        fc->out[i] = cq_val_bool(A(0, i).t != CQ_V_MV && cq_val_num(&A(0, i), &d));
    }
    return 0;
}

int cq_fn_isstr(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d;
        fc->out[i] = cq_val_bool(A(0, i).t == CQ_V_STR && !cq_val_num(&A(0, i), &d));
    }
    return 0;
}

/* Field values are strings; one that reads as a number is a Number, as
 * Splunk treats extracted numeric fields. */
int cq_fn_typeof(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        const cq_val *v = &A(0, i);
        double d;
        const char *t = v->t == CQ_V_NULL ? "Invalid"
                        : v->t == CQ_V_BOOL ? "Boolean"
                        : v->t == CQ_V_MV ? "Multivalue"
                        : cq_val_num(v, &d) ? "Number" : "String";
        fc->out[i] = cq_val_from_sv((cq_sv){t, (uint32_t)strlen(t)});
    }
    return 0;
}

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

/* ------------------------------------------------------------ regexes */

int cq_fn_match(cq_fn_call *fc)
{
    cq_regex_cache *rc = fc->c->regex;
    const cq_ast *pat_node = cq_ast_kid(fc->node, 1);
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), p = cq_val_str(&A(1, i), ARENA);
        if (!s.p || !p.p) {
            fc->out[i] = cq_val_bool(0);
            continue;
        }
        pcre2_code *re = cq_regex_get(rc, p, pat_node, fc->c->diag);
        if (!re)
            return -1;
        int m = cq_regex_match(rc, re, s, 0, cq_regex_mdata(rc, re), pat_node, fc->c->diag);
        if (m < 0)
            return -1;
        fc->out[i] = cq_val_bool(m);
    }
    return 0;
}

/* replace(s, regex, replacement): every match; \1..\9 refer to groups. */
int cq_fn_replace(cq_fn_call *fc)
{
    cq_regex_cache *rc = fc->c->regex;
    const cq_ast *pat_node = cq_ast_kid(fc->node, 1);
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), p = cq_val_str(&A(1, i), ARENA);
        cq_sv rep = cq_val_str(&A(2, i), ARENA);
        if (!s.p || !p.p || !rep.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        pcre2_code *re = cq_regex_get(rc, p, pat_node, fc->c->diag);
        if (!re)
            return -1;
        pcre2_match_data *md = cq_regex_mdata(rc, re);
        cq_strbuf out = CQ_STRBUF_INIT;
        size_t pos = 0;
        for (;;) {
            int m = cq_regex_match(rc, re, s, pos, md, pat_node, fc->c->diag);
            if (m < 0) {
                cq_strbuf_free(&out);
                return -1;
            }
            if (!m)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            uint32_t groups = pcre2_get_ovector_count(md);
            cq_strbuf_add(&out, s.p + pos, ov[0] - pos);
            for (uint32_t k = 0; k < rep.len; k++) {
                if (rep.p[k] == '\\' && k + 1 < rep.len && isdigit((unsigned char)rep.p[k + 1])) {
                    uint32_t g = (uint32_t)(rep.p[++k] - '0');
                    if (g < groups && ov[2 * g] != PCRE2_UNSET)
                        cq_strbuf_add(&out, s.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
                } else {
                    cq_strbuf_addc(&out, rep.p[k]);
                }
            }
            if (ov[1] == ov[0]) {       /* empty match: step over one byte */
                if (ov[1] >= s.len)
                    { pos = s.len; break; }
                cq_strbuf_addc(&out, s.p[ov[1]]);
                pos = ov[1] + 1;
            } else {
                pos = ov[1];
            }
        }
        if (pos < s.len)
            cq_strbuf_add(&out, s.p + pos, s.len - pos);
        fc->out[i] = cq_val_from_sv(sv_dup(ARENA, cq_strbuf_str(&out), out.len));
        cq_strbuf_free(&out);
    }
    return 0;
}

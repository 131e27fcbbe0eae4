/*
 * math.c - numbers and conversions: tonumber(), tostring(), round(), abs(),
 * floor(), ceil(), min(), max(), sum(), avg(), pow(), exp(), ln(), log(),
 * sqrt(), pi(), exact(), the trigonometric functions and bit_*().  A null
 * argument gives null, and so does a result that is not a number.
 */
#include "engine/fn/fn.h"
#include "engine/expr/match.h"
#include "common/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

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

/* [D+]HH:MM:SS, as Splunk writes a duration of d seconds (whole seconds). */
static int duration(double d, char *buf, size_t size)
{
    if (!(fabs(d) < 9e15))
        return -1;
    long long t = (long long)d, neg = t < 0;
    if (neg)
        t = -t;
    long long days = t / 86400;
    if (days)
        return snprintf(buf, size, "%s%lld+%02lld:%02lld:%02lld", neg ? "-" : "", days,
                        t / 3600 % 24, t / 60 % 60, t % 60);
    return snprintf(buf, size, "%s%02lld:%02lld:%02lld", neg ? "-" : "", t / 3600, t / 60 % 60,
                    t % 60);
}

/* d with commas between thousands; a fraction rounded to two places. */
static int commas(double d, char *buf, size_t size)
{
    if (!(fabs(d) < 1e15))
        return -1;
    char num[64];
    int n = d == floor(d) ? snprintf(num, sizeof num, "%.0f", fabs(d))
                          : snprintf(num, sizeof num, "%.2f", fabs(d));
    const char *dot = strchr(num, '.');
    int whole = dot ? (int)(dot - num) : n, o = 0;
    if (d < 0 && (size_t)o < size)
        buf[o++] = '-';
    for (int k = 0; k < whole && (size_t)o + 2 < size; k++) {
        if (k && (whole - k) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = num[k];
    }
    for (int k = whole; k < n && (size_t)o + 1 < size; k++)
        buf[o++] = num[k];
    buf[o] = '\0';
    return o;
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
                n = duration(d, buf, sizeof buf);
            else if (how.len == 6 && !memcmp(how.p, "commas", 6))
                n = commas(d, buf, sizeof buf);
        }
        if (n >= 0)
            fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, buf, (size_t)n));
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

/* ------------------------------------------- more math (issue 13) */

/* A result: null when it is not a number (sqrt(-1), log(0)). */
static cq_val num_or_null(double d)
{
    return isfinite(d) ? cq_val_number(d) : (cq_val){0};
}

static int fn_math1n(cq_fn_call *fc, double (*f)(double))
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d;
        fc->out[i] = cq_val_num(&A(0, i), &d) ? num_or_null(f(d)) : (cq_val){0};
    }
    return 0;
}

static int fn_math2n(cq_fn_call *fc, double (*f)(double, double))
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double x, y;
        fc->out[i] = cq_val_num(&A(0, i), &x) && cq_val_num(&A(1, i), &y) ? num_or_null(f(x, y))
                                                                          : (cq_val){0};
    }
    return 0;
}

#define MATH1(name, f) \
    int cq_fn_##name(cq_fn_call *fc) { return fn_math1n(fc, f); }
#define MATH2(name, f) \
    int cq_fn_##name(cq_fn_call *fc) { return fn_math2n(fc, f); }
MATH1(exp, exp)
MATH1(ln, log)
MATH1(sqrt, sqrt)
MATH1(acos, acos)
MATH1(acosh, acosh)
MATH1(asin, asin)
MATH1(asinh, asinh)
MATH1(atan, atan)
MATH1(atanh, atanh)
MATH1(cos, cos)
MATH1(cosh, cosh)
MATH1(sin, sin)
MATH1(sinh, sinh)
MATH1(tan, tan)
MATH1(tanh, tanh)
MATH2(pow, pow)
MATH2(atan2, atan2)
MATH2(hypot, hypot)

/* log(x [, base]): base 10 unless given. */
int cq_fn_log(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double x, b = 10;
        if (!cq_val_num(&A(0, i), &x) || (fc->n_args > 1 && !cq_val_num(&A(1, i), &b))) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        fc->out[i] = num_or_null(b == 10 ? log10(x) : log(x) / log(b));
    }
    return 0;
}

int cq_fn_pi(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_number(M_PI);
    return 0;
}

/* exact(x): cquery computes in doubles and prints up to 15 significant
 * digits either way, so x itself. */
int cq_fn_exact(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = A(0, i);
    return 0;
}

/* sum/avg over the numeric arguments and the numeric values of multivalue
 * ones; null when there are none. */
static int fn_sum_avg(cq_fn_call *fc, int avg)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double s = 0, d;
        uint64_t n = 0;
        for (uint32_t k = 0; k < fc->n_args; k++) {
            const cq_val *v = &A(k, i);
            if (v->t == CQ_V_MV) {
                for (uint32_t j = 0; j < v->n_mv; j++) {
                    cq_val one = cq_val_from_sv(v->mv[j]);
                    if (cq_val_num(&one, &d))
                        s += d, n++;
                }
            } else if (v->t != CQ_V_BOOL && cq_val_num(v, &d)) {
                s += d, n++;
            }
        }
        fc->out[i] = !n ? (cq_val){0} : cq_val_number(avg ? s / (double)n : s);
    }
    return 0;
}

int cq_fn_sum(cq_fn_call *fc)
{
    return fn_sum_avg(fc, 0);
}

int cq_fn_avg(cq_fn_call *fc)
{
    return fn_sum_avg(fc, 1);
}

/* ----------------------------------------------------------- bitwise */

/* A whole number that fits 63 bits, for the bit_* functions. */
static int whole(const cq_val *v, int64_t *out)
{
    double d;
    if (v->t == CQ_V_MV || !cq_val_num(v, &d) || d != floor(d) || fabs(d) > 9.2e18)
        return 0;
    *out = (int64_t)d;
    return 1;
}

enum { BIT_AND, BIT_OR, BIT_XOR };

static int fn_bits(cq_fn_call *fc, int op)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        int64_t r, x;
        int ok = whole(&A(0, i), &r);
        for (uint32_t k = 1; ok && k < fc->n_args; k++) {
            ok = whole(&A(k, i), &x);
            r = op == BIT_AND ? r & x : op == BIT_OR ? r | x : r ^ x;
        }
        fc->out[i] = ok ? cq_val_number((double)r) : (cq_val){0};
    }
    return 0;
}

int cq_fn_bit_and(cq_fn_call *fc)
{
    return fn_bits(fc, BIT_AND);
}

int cq_fn_bit_or(cq_fn_call *fc)
{
    return fn_bits(fc, BIT_OR);
}

int cq_fn_bit_xor(cq_fn_call *fc)
{
    return fn_bits(fc, BIT_XOR);
}

int cq_fn_bit_not(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        int64_t x, mask = -1;
        int ok = whole(&A(0, i), &x) && (fc->n_args < 2 || whole(&A(1, i), &mask));
        fc->out[i] = ok ? cq_val_number((double)(~x & mask)) : (cq_val){0};
    }
    return 0;
}

static int fn_shift(cq_fn_call *fc, int left)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        int64_t x, n;
        int ok = whole(&A(0, i), &x) && whole(&A(1, i), &n) && n >= 0 && n < 63;
        fc->out[i] = !ok ? (cq_val){0}
                   : cq_val_number((double)(left ? (int64_t)((uint64_t)x << n) : x >> n));
    }
    return 0;
}

int cq_fn_bit_shift_left(cq_fn_call *fc)
{
    return fn_shift(fc, 1);
}

int cq_fn_bit_shift_right(cq_fn_call *fc)
{
    return fn_shift(fc, 0);
}

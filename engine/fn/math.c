/*
 * math.c - numbers and conversions: tonumber(), tostring(), round(), abs(),
 * floor(), ceil(), min(), max().  A null argument gives null.
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

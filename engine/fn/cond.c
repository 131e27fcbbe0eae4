/*
 * cond.c - conditions and nulls: if(), case(), coalesce(), nullif(),
 * isnull(), isnotnull(), null(), true(), false(), like(), in(), isnum(),
 * isstr(), typeof(), searchmatch().
 *
 * Null rules (Splunk): coalesce skips nulls, isnull/isnotnull never return
 * null; searchmatch() is a condition and never null.
 */
#include "engine/fn/fn.h"
#include "engine/expr/match.h"
#include "engine/expr/filter.h"
#include "grammar/parse.h"

#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

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

/* -------------------------------------------------------- searchmatch */

/*
 * searchmatch("expr"): the search expression (search semantics: terms,
 * field=value case-insensitive with wildcards) holds for the row.  The
 * text is parsed per batch (a few microseconds) when it is the same for
 * every row, which it is when written as a literal.
 */
int cq_fn_searchmatch(cq_fn_call *fc)
{
    const cq_ast *at = fc->node;
    uint8_t *hit = cq_arena_calloc(ARENA, CQ_BATCH_ROWS + 1);
    for (uint32_t i = 0; i < fc->n;) {
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        uint32_t j = i + 1;     /* the run of rows with the same text */
        while (j < fc->n) {
            cq_sv t = cq_val_str(&A(0, j), ARENA);
            if (!s.p || !t.p || t.len != s.len || memcmp(s.p, t.p, s.len))
                break;
            j++;
        }
        if (!s.p) {
            for (uint32_t k = i; k < j; k++)
                fc->out[k] = cq_val_bool(0);
            i = j;
            continue;
        }
        cq_ast *pipe;
        cq_diag d;
        cq_diag_init(&d);
        if (cq_parse(ARENA, s.p, s.len, &pipe, &d) || !pipe->kids || pipe->kids->next ||
            strcmp(pipe->kids->name, "search")) {
            return cq_diag_set(fc->c->diag, at->span,
                               "searchmatch() needs a search expression, not \"%.*s\"",
                               (int)s.len, s.p);
        }
        const cq_ast *e = pipe->kids->kids;
        uint16_t *in = cq_arena_alloc(ARENA, (j - i + 1) * sizeof *in);
        uint16_t *out = cq_arena_alloc(ARENA, (j - i + 1) * sizeof *out);
        for (uint32_t k = i; k < j; k++)
            in[k - i] = fc->rows[k];
        uint32_t n = e ? cq_filter_search(e, fc->b, in, j - i, out, ARENA) : j - i;
        if (!e)
            memcpy(out, in, (j - i) * sizeof *out);
        for (uint32_t k = 0; k < n; k++)
            hit[out[k]] = 1;
        for (uint32_t k = i; k < j; k++) {
            fc->out[k] = cq_val_bool(hit[fc->rows[k]]);
            hit[fc->rows[k]] = 0;
        }
        i = j;
    }
    return 0;
}

/* --------------------------------------------------- more conditions */

int cq_fn_isbool(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_bool(A(0, i).t == CQ_V_BOOL);
    return 0;
}

int cq_fn_isint(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double d;
        fc->out[i] = cq_val_bool(A(0, i).t != CQ_V_MV && A(0, i).t != CQ_V_BOOL &&
                                 cq_val_num(&A(0, i), &d) && d == (double)(int64_t)d);
    }
    return 0;
}

/* validate(cond1, text1, ...): the text of the first condition that is not
 * true (false or null), else null. */
int cq_fn_validate(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        fc->out[i] = (cq_val){0};
        for (uint32_t k = 0; k + 1 < fc->n_args; k += 2)
            if (!cq_val_truthy(&A(k, i))) {
                fc->out[i] = A(k + 1, i);
                break;
            }
    }
    return 0;
}

/*
 * op_convert.c - `| convert [timeformat=F] fn(field) [as name], ...`.
 *
 * The functions, as Splunk defines them:
 *   ctime(f)    epoch seconds -> text in timeformat (default
 *               %m/%d/%Y %H:%M:%S, UTC: see timefmt.h)
 *   mktime(f)   text in timeformat -> epoch seconds
 *   dur2sec(f)  [D+]HH:MM:SS -> seconds
 *   mstime(f)   [MM:]SS.SSS -> seconds
 *   memk(f)     a number with an optional k, m or g -> kilobytes
 *   rmcomma(f)  drops commas; rmunit(f) drops a trailing unit (then a number)
 *   auto(f)     a number when the value reads as one, else unchanged
 *   num(f)      like auto, but a value that is no number is removed
 *   none(f)     unchanged (for use with wildcards)
 * A value a function cannot convert is left as it was (num() removes it).
 * Without `as` the field is converted in place; `*` in the field name
 * converts every matching field.  Multivalue fields convert value by value.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"
#include "engine/fn/timefmt.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The CONVERT rows of grammar/functions.def: CQ_CONV_<impl>, and names. */
enum {
#define FN(name, lo, hi, kind, impl, flags, help) FN_##kind(CQ_CONV_##impl)
#define FN_EVAL(conv)
#define FN_STATS(conv)
#define FN_CONVERT(conv) conv,
#include "grammar/functions.def"
#undef FN
    CQ_CONV_N
};

static const char *const cv_names[CQ_CONV_N] = {
#define FN(name, lo, hi, kind, impl, flags, help) FN_##kind(CQ_CONV_##impl, #name)
#undef FN_EVAL
#undef FN_STATS
#undef FN_CONVERT
#define FN_EVAL(conv, name)
#define FN_STATS(conv, name)
#define FN_CONVERT(conv, name) [conv] = name,
#include "grammar/functions.def"
#undef FN_CONVERT
#undef FN_STATS
#undef FN_EVAL
#undef FN
};

typedef struct conv {
    int fn;
    const char *field;          /* may hold "*" */
    const char *as;             /* NULL: in place */
} conv;

typedef struct convert_cfg {
    const char *timeformat;
    conv *convs;
    uint32_t n;
} convert_cfg;

typedef struct convert_op {
    cq_oper base;
    const convert_cfg *cfg;
    cq_arena arena;
    cq_batch view;
} convert_op;

int cq_prepare_convert(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                       cq_diag *d)
{
    (void)o;
    convert_cfg *cc = cq_arena_calloc(a, sizeof *cc);
    cc->timeformat = "%m/%d/%Y %H:%M:%S";
    cc->convs = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *cc->convs);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "timeformat") && cq_ast_opt_text(k)) {
            cc->timeformat = cq_ast_opt_text(k);
            continue;
        }
        if (k->kind != CQ_AST_CALL || !k->kids || k->kids->next ||
            (k->kids->kind != CQ_AST_FIELD && !k->kids->text))
            return cq_diag_set(d, k->span, "expected a conversion such as ctime(<field>)");
        int fn = -1;
        for (int i = 0; i < (int)(sizeof cv_names / sizeof cv_names[0]); i++)
            if (!strcmp(k->name, cv_names[i]))
                fn = i;
        if (fn < 0)
            return cq_diag_set(d, k->span, "unknown convert function \"%s\"", k->name);
        conv *c = &cc->convs[cc->n++];
        c->fn = fn;
        c->field = cq_field_unquote(a, k->kids->kind == CQ_AST_FIELD ? k->kids->name
                                                                     : k->kids->text);
        c->as = k->alias ? cq_field_unquote(a, k->alias) : NULL;
        if (c->as && strchr(c->field, '*'))
            return cq_diag_set(d, k->span, "not supported yet: convert of a wildcard with as");
    }
    if (!cc->n)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "convert needs a conversion, e.g. "
                                                      "ctime(_time)");
    *cfg = cc;
    return 0;
}

/* "[D+]HH:MM:SS" -> seconds. */
static int dur2sec(cq_sv s, double *out)
{
    char buf[64];
    if (s.len >= sizeof buf)
        return 0;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    long days = 0, h, m;
    double sec;
    char *p = buf, *plus = strchr(buf, '+');
    if (plus) {
        days = strtol(buf, &p, 10);
        if (p != plus)
            return 0;
        p++;
    }
    int used = 0;
    if (sscanf(p, "%ld:%ld:%lf%n", &h, &m, &sec, &used) != 3 || p[used])
        return 0;
    *out = days * 86400.0 + h * 3600.0 + m * 60.0 + sec;
    return 1;
}

/* "[MM:]SS.SSS" -> seconds. */
static int mstime(cq_sv s, double *out)
{
    const char *colon = memchr(s.p, ':', s.len);
    double m = 0, sec;
    if (colon) {
        if (!cq_parse_num(s.p, (size_t)(colon - s.p), &m))
            return 0;
        s.len -= (uint32_t)(colon + 1 - s.p);
        s.p = colon + 1;
    }
    if (!cq_parse_num(s.p, s.len, &sec))
        return 0;
    *out = m * 60 + sec;
    return 1;
}

/* Leading number of s; *rest gets the text after it. */
static int lead_num(cq_sv s, double *out, cq_sv *rest)
{
    uint32_t k = 0;
    while (k < s.len && (isdigit((unsigned char)s.p[k]) || s.p[k] == '.' || s.p[k] == '-' ||
                         s.p[k] == '+' || s.p[k] == 'e' || s.p[k] == 'E'))
        k++;
    while (k && !cq_parse_num(s.p, k, out))
        k--;
    if (!k)
        return 0;
    *rest = (cq_sv){s.p + k, s.len - k};
    return 1;
}

/* Converts one value; returns 1 with *out set, 0 to keep it, -1 to drop it. */
static int convert_value(const convert_cfg *cc, int fn, cq_sv v, int tz, cq_sv *out,
                         cq_arena *a)
{
    double d;
    cq_sv rest;
    switch (fn) {
    case CQ_CONV_CTIME:
        if (!cq_parse_num(v.p, v.len, &d))
            return 0;
        *out = cq_time_strftime(d, cc->timeformat, tz, a);
        return out->p ? 1 : 0;
    case CQ_CONV_MKTIME:
        if (cq_time_strptime(v, cc->timeformat, tz, &d))
            return 0;
        break;
    case CQ_CONV_DUR2SEC:
        if (!dur2sec(v, &d))
            return 0;
        break;
    case CQ_CONV_MSTIME:
        if (!mstime(v, &d))
            return 0;
        break;
    case CQ_CONV_MEMK: {
        if (!lead_num(v, &d, &rest))
            return 0;
        int u = rest.len == 1 ? tolower((unsigned char)rest.p[0]) : rest.len ? -1 : 'k';
        if (u == 'm')
            d *= 1024;
        else if (u == 'g')
            d *= 1024 * 1024;
        else if (u != 'k')
            return 0;
        break;
    }
    case CQ_CONV_RMCOMMA: {
        char *s = cq_arena_alloc(a, v.len + 1);
        uint32_t n = 0;
        for (uint32_t k = 0; k < v.len; k++)
            if (v.p[k] != ',')
                s[n++] = v.p[k];
        s[n] = '\0';
        *out = (cq_sv){s, n};
        return 1;
    }
    case CQ_CONV_RMUNIT:
        if (!lead_num(v, &d, &rest))
            return 0;
        break;
    case CQ_CONV_AUTO:
    case CQ_CONV_NUM:
        if (!cq_parse_num(v.p, v.len, &d)) {
            char *s = cq_arena_alloc(a, v.len + 1);     /* "1,234" reads as 1234 */
            uint32_t n = 0;
            for (uint32_t k = 0; k < v.len; k++)
                if (v.p[k] != ',')
                    s[n++] = v.p[k];
            if (!n || n == v.len || !cq_parse_num(s, n, &d))
                return fn == CQ_CONV_NUM ? -1 : 0;
        }
        break;
    default:
        return 0;
    }
    *out = cq_num_format(d, a);
    return 1;
}

static void convert_col(convert_op *x, const cq_col *c, const conv *cv, uint32_t n_rows,
                        const cq_batch *b, cq_col *out)
{
    uint32_t total = 0;
    for (uint32_t r = 0; r < n_rows; r++)
        total += cq_col_nvals(c, r);
    uint32_t *off = cq_arena_alloc(&x->arena, (n_rows + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
    uint8_t *sel = cq_arena_calloc(&x->arena, n_rows + 1);
    for (uint32_t i = 0; i < b->n_sel; i++)
        sel[cq_batch_row(b, i)] = 1;
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = k;
        for (uint32_t j = 0, nv = sel[r] ? cq_col_nvals(c, r) : 0; j < nv; j++) {
            cq_sv in = cq_col_text(c, r, j, &x->arena), res;
            int rc = convert_value(x->cfg, cv->fn, in, x->base.ctx->plan->tz, &res, &x->arena);
            if (rc >= 0)
                v[k++] = rc ? res : in;
        }
    }
    off[n_rows] = k;
    cq_col_strs(out, n_rows, v, off);
}

static int convert_next(cq_oper *op, cq_batch **out)
{
    convert_op *x = (convert_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_batch_view(&x->view, b);
    for (uint32_t i = 0; i < x->cfg->n; i++) {
        const conv *cv = &x->cfg->convs[i];
        uint32_t n_cols = x->view.n_cols;
        for (uint32_t c = 0; c < n_cols; c++) {
            const char *name = x->view.cols[c].name;
            if (!cq_wild_match_cs(cv->field, strlen(cv->field), name, strlen(name)))
                continue;
            cq_col col;
            convert_col(x, &x->view.cols[c].col, cv, b->n_rows, b, &col);
            cq_batch_put(&x->view, cv->as ? cv->as : name, &col);
        }
    }
    *out = &x->view;
    return 1;
}

cq_oper *cq_open_convert(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    convert_op *x = cq_oper_new(sizeof *x, convert_next, NULL, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->view);
    return &x->base;
}

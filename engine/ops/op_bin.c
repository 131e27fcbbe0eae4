/*
 * op_bin.c - `| bin [span=S] field [as name]` (bucket is the same): puts
 * numbers and times into buckets, a batch at a time.
 *
 * Times (_time, or any time column) snap down to a multiple of the span
 * counted from the epoch in UTC: 30s, 5m, 1h, 1d; months, quarters and
 * years snap to calendar months (span=3mon starts in January, April, ...).
 * Numbers become ranges written "lo-hi" as Splunk writes them (bin x
 * span=10: 23 -> "20-30").  A value that is neither stays as it is missing:
 * the row keeps no value for the field.  `bin _time span=5m | stats count by
 * _time, f` is how Sigma's Splunk backend writes correlations.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"
#include "engine/expr/match.h"
#include "common/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t us;             /* 0: calendar months, below */
    int months;
} units[] = {
    {"us", 1, 0}, {"ms", 1000, 0}, {"cs", 10000, 0}, {"ds", 100000, 0},
    {"s", 1000000, 0}, {"sec", 1000000, 0}, {"secs", 1000000, 0},
    {"second", 1000000, 0}, {"seconds", 1000000, 0},
    {"m", 60000000, 0}, {"min", 60000000, 0}, {"mins", 60000000, 0},
    {"minute", 60000000, 0}, {"minutes", 60000000, 0},
    {"h", 3600000000LL, 0}, {"hr", 3600000000LL, 0}, {"hrs", 3600000000LL, 0},
    {"hour", 3600000000LL, 0}, {"hours", 3600000000LL, 0},
    {"d", 86400000000LL, 0}, {"day", 86400000000LL, 0}, {"days", 86400000000LL, 0},
    {"w", 604800000000LL, 0}, {"week", 604800000000LL, 0}, {"weeks", 604800000000LL, 0},
    {"mon", 0, 1}, {"month", 0, 1}, {"months", 0, 1},
    {"q", 0, 3}, {"qtr", 0, 3}, {"qtrs", 0, 3}, {"quarter", 0, 3}, {"quarters", 0, 3},
    {"y", 0, 12}, {"yr", 0, 12}, {"yrs", 0, 12}, {"year", 0, 12}, {"years", 0, 12},
};

int cq_binspan_parse(const char *text, cq_binspan *out)
{
    memset(out, 0, sizeof *out);
    char *end;
    double v = strtod(text, &end);
    if (end == text || !(v > 0) || !isfinite(v))
        return -1;
    out->num = v;
    if (!*end)
        return 0;           /* a plain number */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].unit)) {
            out->is_time = 1;
            if (units[i].months) {
                if (v != floor(v))
                    return -1;
                out->months = (int)v * units[i].months;
            } else {
                out->us = (int64_t)(v * (double)units[i].us);
                if (out->us <= 0)
                    return -1;
            }
            return 0;
        }
    return -1;
}

/* Civil date of a day count (days since 1970-01-01), proleptic Gregorian. */
static void civil(int64_t z, int64_t *y, int *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cq_bin_time(const cq_binspan *s, int64_t t)
{
    if (!s->months) {
        int64_t us = s->us ? s->us : (int64_t)(s->num * 1e6);
        return us > 0 ? floor_div(t, us) * us : t;
    }
    int64_t y;
    int m;
    civil(floor_div(t, 86400000000LL), &y, &m);
    int64_t idx = floor_div(y * 12 + (m - 1), s->months) * s->months;
    int64_t yy = floor_div(idx, 12);
    return cq_days_from_civil(yy, (unsigned)(idx - yy * 12 + 1), 1) * 86400000000LL;
}

typedef struct bin_cfg {
    const char *field, *as;
    cq_binspan span;
} bin_cfg;

typedef struct bin_op {
    cq_oper base;
    const bin_cfg *cfg;
    cq_arena arena;
    cq_batch view;
} bin_op;

int cq_prepare_bin(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    bin_cfg *c = cq_arena_calloc(a, sizeof *c);
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_FIELD) {
            if (c->field)
                return cq_diag_set(d, k->span, "bin takes one field");
            c->field = k->name;
            c->as = k->alias ? k->alias : k->name;
        }
    if (!c->field)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "bin needs a field, e.g. bin _time span=5m");
    const cq_ast *sp = cq_ast_option(cmd, "span");
    const char *text = cq_opt_text(cmd, "span");
    if (!text) {
        const cq_ast *bins = cq_ast_option(cmd, "bins");
        return cq_diag_set(d, bins ? bins->span : cq_cmd_name_span(cmd),
                           "not supported yet: bin without span= (e.g. span=5m or span=10)");
    }
    if (cq_binspan_parse(text, &c->span)) {
        cq_diag_set(d, sp->span, "bad span \"%s\"", text);
        cq_diag_hint(d, "a positive number, or a time like 30s, 5m, 1h, 1d, 1mon");
        return -1;
    }
    *cfg = c;
    return 0;
}

/* Times: snapped in place into a new time column. */
static void bin_times(const bin_cfg *c, const cq_col *in, const cq_batch *b, cq_arena *a,
                      cq_col *out)
{
    int64_t *t = cq_arena_alloc(a, (b->n_rows + 1) * sizeof *t);
    for (uint32_t i = 0; i < b->n_sel; i++) {
        uint32_t r = cq_batch_row(b, i);
        t[r] = cq_bin_time(&c->span, in->times[r]);
    }
    *out = (cq_col){.kind = CQ_COL_TIME, .n_rows = b->n_rows, .times = t};
}

/* Numbers: "lo-hi" labels (the first value of a multivalue row). */
static void bin_numbers(const bin_cfg *c, const cq_col *in, const cq_batch *b, cq_arena *a,
                        cq_col *out)
{
    cq_sv *s = cq_arena_calloc(a, (b->n_rows + 1) * sizeof *s);
    double span = c->span.num;
    for (uint32_t i = 0; i < b->n_sel; i++) {
        uint32_t r = cq_batch_row(b, i);
        double v;
        if (in->kind == CQ_COL_NUM) {
            v = in->nums[r];
            if (v != v)
                continue;
        } else {
            cq_sv x = cq_col_nvals(in, r) ? cq_col_val(in, r, 0) : (cq_sv){NULL, 0};
            if (!x.p || !cq_parse_num(x.p, x.len, &v))
                continue;
        }
        double lo = floor(v / span) * span;
        cq_sv l = cq_num_format(lo, a), h = cq_num_format(lo + span, a);
        char *p = cq_arena_printf(a, "%.*s-%.*s", (int)l.len, l.p, (int)h.len, h.p);
        s[r] = (cq_sv){p, l.len + 1 + h.len};
    }
    *out = (cq_col){.kind = CQ_COL_STR, .n_rows = b->n_rows, .strs = s};
}

static int bin_next(cq_oper *op, cq_batch **out)
{
    bin_op *x = (bin_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_batch_clear(&x->view);
    x->view.n_rows = b->n_rows;
    x->view.sel = b->sel;
    x->view.n_sel = b->n_sel;
    for (uint32_t i = 0; i < b->n_cols; i++)
        cq_batch_put(&x->view, b->cols[i].name, &b->cols[i].col);
    const cq_col *in = cq_batch_get(b, x->cfg->field);
    cq_col col;
    if (!in || in->kind == CQ_COL_NULL)
        col = (cq_col){.kind = CQ_COL_NULL, .n_rows = b->n_rows};
    else if (in->kind == CQ_COL_TIME)
        bin_times(x->cfg, in, b, &x->arena, &col);
    else
        bin_numbers(x->cfg, in, b, &x->arena, &col);
    cq_batch_put(&x->view, x->cfg->as, &col);
    *out = &x->view;
    return 1;
}

cq_oper *cq_open_bin(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    bin_op *x = cq_oper_new(sizeof *x, bin_next, NULL, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->view);
    return &x->base;
}

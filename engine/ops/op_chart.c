/*
 * op_chart.c - `| chart F(x) ... [over r] [by c]` and `| timechart
 * [span=S] F(x) ... [by c]`: aggregates in a grid, one row per value of r
 * (timechart: per time bucket of _time, column `_time`) and one column per
 * function, or per value of c with a by-clause.
 *
 * `chart count by r c` is `chart count over r by c`.  Rows are sorted like
 * stats groups; timechart rows run from the first to the last bucket with
 * the empty buckets filled in (Splunk's cont=true).  Columns are named after
 * the function (its alias), after the by-value with one function, or
 * "F: value" with several.  Empty cells of count and dc are 0, of other
 * functions empty.  An event without r or c is not counted (Splunk's
 * usenull/NULL column is not made).  limit= (default 10, 0 for all) keeps
 * the by-values with the highest totals of the first function; when it
 * cuts, an OTHER column sums the rest for count and sum (useother=false
 * drops it), and a note on stderr says how many values were cut.
 * timechart without span= picks one from the data's time range, keeping
 * the events meanwhile.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"
#include "engine/rowstore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chart_cfg {
    cq_aggcmd ac;
    const char *keys[2];    /* row field, column field */
    uint32_t n_keys;
    int has_col;
    int timechart;
    int has_span;
    cq_binspan span;
    long limit;
    int useother;
} chart_cfg;

typedef struct grow {        /* one output row */
    uint32_t first, n;      /* its groups: sorted[first .. first+n) */
    int64_t t;              /* timechart: bucket */
    uint32_t key_gid;       /* chart: a group holding the row's key */
} grow;

typedef struct chart_op {
    cq_oper base;
    const chart_cfg *cfg;
    cq_grouper g;
    cq_binspan span;
    cq_rowstore store;      /* timechart without span: the events */
    int done;
    uint32_t *sorted;       /* group ids by (row, column) */
    uint32_t *col_of;       /* group id -> output column value index, or UINT32_MAX */
    uint32_t n_cv;          /* column values kept */
    uint32_t *cv_gid;       /* a group per column value (its name) */
    int other;              /* an OTHER column is added */
    grow *rows;
    uint32_t n_rows, next_out;
    cq_arena arena, scratch;
    cq_batch out, view;
} chart_op;

int cq_prepare_chart(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    chart_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->timechart = !strcmp(cmd->name, "timechart");
    if (cq_aggcmd_prepare(a, cmd, 1, &c->ac, d))
        return -1;
    const char *over = cq_opt_text(cmd, "over");
    uint32_t n = 0;
    if (c->timechart)
        c->keys[n++] = "_time";
    else if (over)
        c->keys[n++] = over;
    for (uint32_t i = 0; i < c->ac.n_by; i++) {
        if (n == 2) {
            const cq_ast *by = NULL;
            for (const cq_ast *k = cmd->kids; k; k = k->next)
                if (k->kind == CQ_AST_BY)
                    by = k;
            return cq_diag_set(d, by ? by->span : cmd->span,
                               "%s takes one row field and one column field", cmd->name);
        }
        c->keys[n++] = c->ac.by[i];
    }
    c->n_keys = n;
    c->has_col = n == 2;
    if (cq_opt_uint(cmd, "limit", 10, &c->limit, d) ||
        cq_opt_bool(cmd, "useother", 1, &c->useother, d))
        return -1;
    const char *span = cq_opt_text(cmd, "span");
    if (span) {
        c->has_span = 1;
        if (cq_binspan_parse(span, &c->span)) {
            cq_diag_set(d, cq_ast_option(cmd, "span")->span, "bad span \"%s\"", span);
            cq_diag_hint(d, "a time like 30s, 5m, 1h, 1d, 1mon");
            return -1;
        }
    }
    *cfg = c;
    return 0;
}

/* Folds one batch; timechart first snaps _time to its bucket. */
static int consume(chart_op *c, const cq_batch *b)
{
    uint16_t rows[CQ_BATCH_ROWS];
    uint32_t n = b->n_sel;
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)cq_batch_row(b, i);
    const cq_batch *in = b;
    if (c->cfg->timechart) {
        const cq_col *t = cq_batch_get(b, "_time");
        if (!t || t->kind != CQ_COL_TIME)
            return 0;
        cq_arena_reset(&c->scratch);
        cq_batch_view(&c->view, b);
        int64_t *bt = cq_arena_alloc(&c->scratch, (b->n_rows + 1) * sizeof *bt);
        for (uint32_t i = 0; i < n; i++)
            bt[rows[i]] = cq_bin_time(&c->span, t->times[rows[i]]);
        cq_col col = {.kind = CQ_COL_TIME, .n_rows = b->n_rows, .times = bt};
        cq_batch_put(&c->view, "_time", &col);
        in = &c->view;
    }
    return cq_grouper_fold(&c->g, in, rows, n);
}

/* An automatic span for a time range: the smallest of Splunk's usual
 * spans that gives at most 100 buckets, else calendar months. */
static void auto_span(int64_t lo, int64_t hi, cq_binspan *s)
{
    static const int64_t steps[] = {1, 10, 30, 60, 300, 600, 1800, 3600, 86400, 604800};
    int64_t range = (hi - lo) / 1000000;
    memset(s, 0, sizeof *s);
    s->is_time = 1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (range / steps[i] < 100) {
            s->us = steps[i] * 1000000;
            return;
        }
    s->months = 1;
}

/* timechart without span: keep the events, then pick the span. */
static int gather_unspanned(chart_op *c)
{
    cq_oper *child = c->base.child;
    cq_batch *b;
    int rc;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    while ((rc = child->next(child, &b)) == 1) {
        const cq_col *t = cq_batch_get(b, "_time");
        cq_rows_add_cols(&c->store, b);
        for (uint32_t i = 0; i < b->n_sel; i++) {
            uint32_t r = cq_batch_row(b, i);
            if (t && t->kind == CQ_COL_TIME) {
                lo = t->times[r] < lo ? t->times[r] : lo;
                hi = t->times[r] > hi ? t->times[r] : hi;
            }
            cq_rows_add(&c->store, b, r);
        }
    }
    if (rc < 0)
        return -1;
    auto_span(lo == INT64_MAX ? 0 : lo, hi == INT64_MIN ? 0 : hi, &c->span);
    cq_batch tmp;
    cq_arena ta;
    cq_arena_init(&ta);
    cq_batch_init(&tmp, &ta);
    int err = 0;
    for (size_t at = 0; at < c->store.n_rows && !err; at += CQ_BATCH_ROWS) {
        uint32_t n = c->store.n_rows - at < CQ_BATCH_ROWS ? (uint32_t)(c->store.n_rows - at)
                                                           : CQ_BATCH_ROWS;
        const cq_row *ptr[CQ_BATCH_ROWS];
        for (uint32_t i = 0; i < n; i++)
            ptr[i] = &c->store.rows[at + i];
        cq_arena_reset(&ta);
        cq_rows_emit(&c->store, ptr, n, &tmp);
        err = consume(c, &tmp);
    }
    cq_batch_free(&tmp);
    cq_arena_free(&ta);
    cq_rows_free(&c->store);
    cq_rows_init(&c->store);
    return err;
}

typedef struct keyref {
    const cq_groups *g;
    uint32_t id;
} keyref;

/* Orders groups by their column value (key 1), then id. */
static int cmp_col(const void *x, const void *y)
{
    const keyref *a = x, *b = y;
    int c = cq_gkey_cmp(&a->g->keys[(size_t)a->id * 2 + 1], &b->g->keys[(size_t)b->id * 2 + 1]);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

typedef struct cvrank {
    double total;
    uint32_t cv;
} cvrank;

static int cmp_rank(const void *x, const void *y)
{
    const cvrank *a = x, *b = y;
    if (a->total != b->total)
        return a->total < b->total ? 1 : -1;
    return (a->cv > b->cv) - (a->cv < b->cv);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

static int additive(const cq_aggset *s)
{
    for (uint32_t k = 0; k < s->n_aggs; k++)
        if (s->aggs[k].kind != CQ_AGG_COUNT && s->aggs[k].kind != CQ_AGG_COUNTF &&
            s->aggs[k].kind != CQ_AGG_SUM)
            return 0;
    return 1;
}

/* The column values: distinct values of key 1, the `limit` biggest kept. */
static void pick_columns(chart_op *c)
{
    uint32_t n = c->g.groups.n_groups;
    keyref *refs = cq_xmalloc((n + 1) * sizeof *refs);
    for (uint32_t i = 0; i < n; i++)
        refs[i] = (keyref){&c->g.groups, i};
    qsort(refs, n, sizeof *refs, cmp_col);
    c->col_of = cq_xmalloc((n + 1) * sizeof *c->col_of);
    uint32_t *cv_gid = cq_xmalloc((n + 1) * sizeof *cv_gid);
    cvrank *rank = cq_xmalloc((n + 1) * sizeof *rank);
    uint32_t n_cv = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t g = refs[i].id;
        if (!i || cmp_col(&(keyref){&c->g.groups, cv_gid[n_cv - 1]}, &refs[i]) > 0 ||
            cq_gkey_cmp(&c->g.groups.keys[(size_t)cv_gid[n_cv - 1] * 2 + 1],
                        &c->g.groups.keys[(size_t)g * 2 + 1])) {
            cv_gid[n_cv] = g;
            rank[n_cv] = (cvrank){0, n_cv};
            n_cv++;
        }
        c->col_of[g] = n_cv - 1;
        cq_val v;
        cq_aggset_result(&c->g.set, g, 0, &c->scratch, &v);
        if (v.t == CQ_V_NUM)
            rank[n_cv - 1].total += v.num;
    }
    uint32_t keep = n_cv;
    if (c->cfg->limit && n_cv > (uint32_t)c->cfg->limit) {
        keep = (uint32_t)c->cfg->limit;
        qsort(rank, n_cv, sizeof *rank, cmp_rank);
        uint32_t *kept = cq_xmalloc((keep + 1) * sizeof *kept);
        for (uint32_t i = 0; i < keep; i++)
            kept[i] = rank[i].cv;
        qsort(kept, keep, sizeof *kept, cmp_u32);      /* value order */
        uint32_t *remap = cq_xmalloc((n_cv + 1) * sizeof *remap);
        for (uint32_t i = 0; i < n_cv; i++)
            remap[i] = UINT32_MAX;
        for (uint32_t i = 0; i < keep; i++) {
            remap[kept[i]] = i;
            cv_gid[i] = cv_gid[kept[i]];
        }
        for (uint32_t g = 0; g < n; g++)
            c->col_of[g] = remap[c->col_of[g]];
        c->other = c->cfg->useother && additive(&c->g.set);
        cq_exec_note(c->base.ctx, "%s: limit=%ld kept %u of %u columns%s (use limit=0 for all)",
                     c->cfg->timechart ? "timechart" : "chart", c->cfg->limit, keep, n_cv,
                     c->other ? ", the rest summed in OTHER" : "");
        free(kept);
        free(remap);
    }
    c->n_cv = keep;
    c->cv_gid = cv_gid;
    free(rank);
    free(refs);
}

static void add_row(chart_op *c, uint32_t *cap, grow r)
{
    if (c->n_rows == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        c->rows = cq_xrealloc(c->rows, *cap * sizeof *c->rows);
    }
    c->rows[c->n_rows++] = r;
}

/* The output rows: groups with the same row value, timechart gaps filled. */
static void make_rows(chart_op *c)
{
    uint32_t n = c->g.groups.n_groups, cap = 0, nk = c->g.groups.n_by;
    const cq_gkey *k = c->g.groups.keys;
    int64_t prev = 0;
    for (uint32_t lo = 0, hi; lo < n; lo = hi) {
        uint32_t g = c->sorted[lo];
        for (hi = lo + 1; hi < n && !cq_gkey_cmp(&k[(size_t)g * nk],
                                                 &k[(size_t)c->sorted[hi] * nk]); hi++)
            ;
        int64_t t = k[(size_t)g * nk].t;
        if (c->cfg->timechart && c->n_rows) {
            for (int64_t e = cq_bin_time(&c->span, prev + (c->span.us ? c->span.us
                                                          : 32 * 86400000000LL));
                 e < t; e = cq_bin_time(&c->span, e + (c->span.us ? c->span.us
                                                       : 32 * 86400000000LL)))
                add_row(c, &cap, (grow){0, 0, e, UINT32_MAX});
        }
        add_row(c, &cap, (grow){lo, hi - lo, t, g});
        prev = t;
    }
}

static void finish(chart_op *c)
{
    cq_aggset_grow(&c->g.set, c->g.groups.n_groups);
    c->sorted = cq_groups_sorted(&c->g.groups);
    if (c->cfg->has_col)
        pick_columns(c);
    if (c->g.groups.n_by)
        make_rows(c);
    else
        c->rows = cq_xcalloc(1, sizeof *c->rows), c->rows[0].n = 1, c->n_rows = 1;
    cq_aggset_report(&c->g.set, c->cfg->timechart ? "timechart" : "chart", c->base.ctx);
}

/* The name of column value j. */
static const char *cv_name(chart_op *c, uint32_t j, cq_arena *a)
{
    const cq_gkey *k = &c->g.groups.keys[(size_t)c->cv_gid[j] * 2 + 1];
    if (k->is_time)
        return cq_num_format((double)k->t / 1e6, a).p;
    return cq_arena_strndup(a, k->s.p, k->s.len);
}

/* One cell column: function k for column value j (UINT32_MAX: OTHER). */
static int cell_col(chart_op *c, const grow *rows, uint32_t n, uint32_t k, uint32_t j,
                    cq_arena *a, cq_col *out)
{
    cq_val *v = cq_arena_alloc(a, (n + 1) * sizeof *v);
    uint16_t idx[CQ_BATCH_ROWS];
    int zero = cq_agg_counts(&c->g.set.aggs[k]);
    for (uint32_t i = 0; i < n; i++) {
        idx[i] = (uint16_t)i;
        v[i] = zero ? cq_val_number(0) : (cq_val){0};
        double sum = 0;
        int any = 0;
        for (uint32_t x = rows[i].first; x < rows[i].first + rows[i].n; x++) {
            uint32_t g = c->sorted[x];
            uint32_t col = c->cfg->has_col ? c->col_of[g] : j;
            if (col != j)
                continue;
            cq_val r;
            cq_aggset_result(&c->g.set, g, k, a, &r);
            if (j != UINT32_MAX) {
                v[i] = r;
                break;
            }
            sum += r.t == CQ_V_NUM ? r.num : 0;
            any = 1;
        }
        if (j == UINT32_MAX && any)
            v[i] = cq_val_number(sum);
    }
    return cq_vals_to_col(v, idx, n, n, a, out, NULL, c->base.ctx->diag);
}

static int chart_next(cq_oper *op, cq_batch **out)
{
    chart_op *c = (chart_op *)op;
    if (!c->done) {
        if (c->cfg->timechart && !c->cfg->has_span) {
            if (gather_unspanned(c))
                return -1;
        } else {
            cq_batch *b;
            int rc;
            while ((rc = op->child->next(op->child, &b)) == 1)
                if (b->n_sel && consume(c, b))
                    return -1;
            if (rc < 0)
                return -1;
        }
        c->done = 1;
        finish(c);
    }
    uint32_t left = c->n_rows - c->next_out;
    if (!left)
        return 0;
    uint32_t n = left < CQ_BATCH_ROWS ? left : CQ_BATCH_ROWS;
    const grow *rows = c->rows + c->next_out;
    cq_arena *a = &c->arena;
    cq_arena_reset(a);
    cq_batch_clear(&c->out);
    c->out.n_rows = c->out.n_sel = n;
    cq_col col;
    if (c->cfg->timechart) {
        int64_t *t = cq_arena_alloc(a, (n + 1) * sizeof *t);
        for (uint32_t i = 0; i < n; i++)
            t[i] = rows[i].t;
        col = (cq_col){.kind = CQ_COL_TIME, .n_rows = n, .times = t};
        cq_batch_put(&c->out, "_time", &col);
    } else if (c->g.groups.n_by) {
        uint32_t ids[CQ_BATCH_ROWS];
        for (uint32_t i = 0; i < n; i++)
            ids[i] = rows[i].key_gid;
        cq_groups_col(&c->g.groups, 0, ids, n, a, &col);
        cq_batch_put(&c->out, c->cfg->keys[0], &col);
    }
    uint32_t na = c->g.set.n_aggs;
    for (uint32_t k = 0; k < na; k++) {
        uint32_t n_cells = c->cfg->has_col ? c->n_cv + (uint32_t)c->other : 1;
        for (uint32_t j = 0; j < n_cells; j++) {
            uint32_t cv = c->cfg->has_col && j == c->n_cv ? UINT32_MAX : j;
            const char *name = c->g.set.aggs[k].name;
            if (c->cfg->has_col) {
                const char *v = cv == UINT32_MAX ? "OTHER" : cv_name(c, cv, a);
                name = na == 1 ? v : cq_arena_printf(a, "%s: %s", name, v);
            }
            if (cell_col(c, rows, n, k, cv, a, &col))
                return -1;
            cq_batch_put(&c->out, name, &col);
        }
    }
    c->next_out += n;
    *out = &c->out;
    return 1;
}

static void chart_free(cq_oper *op)
{
    chart_op *c = (chart_op *)op;
    cq_grouper_free(&c->g);
    cq_rows_free(&c->store);
    cq_batch_free(&c->view);
    cq_arena_free(&c->scratch);
    free(c->sorted);
    free(c->col_of);
    free(c->cv_gid);
    free(c->rows);
}

cq_oper *cq_open_chart(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    chart_op *c = cq_oper_new(sizeof *c, chart_next, chart_free, child, ctx);
    c->cfg = cfg;
    c->span = c->cfg->span;
    cq_grouper_init(&c->g, c->cfg->keys, c->cfg->n_keys, c->cfg->ac.aggs, c->cfg->ac.n_aggs,
                    c->cfg->ac.list_max, ctx->diag, ctx->now_us, ctx->plan->tz);
    cq_rows_init(&c->store);
    cq_arena_init(&c->scratch);
    cq_oper_out(&c->base, &c->arena, &c->out);
    cq_batch_init(&c->view, &c->scratch);
    return &c->base;
}

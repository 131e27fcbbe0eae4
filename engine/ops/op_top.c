/*
 * op_top.c - `| top [limit=N] f ... [by g ...]` and `| rare ...`: the most
 * (least) common combinations of values of the fields, with count and
 * percent columns.
 *
 * Splunk's rules: events lacking one of the fields are not counted; a
 * multivalue field counts once per value; with `by`, each by-group gets its
 * own list and percentages; ties keep the values' sort order.  percent is
 * count / (events counted in the by-group) * 100, printed with six
 * decimals as Splunk does.  Options: limit= (default 10, 0 for all),
 * countfield=, percentfield=, showcount=, showperc=.  Splunk drops the rows
 * past the limit silently; cquery says on stderr how many it left out.
 */
#include "engine/op.h"
#include "engine/agg/agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct top_cfg {
    const char **keys;      /* by-fields, then the fields */
    uint32_t n_by, n_fields;
    long limit;
    const char *countfield, *percentfield;
    int showcount, showperc;
    int rare;
    cq_agg count;           /* the one function: count */
} top_cfg;

typedef struct top_op {
    cq_oper base;
    const top_cfg *cfg;
    cq_grouper g;
    int done;
    uint32_t *out_ids;      /* groups to print, in order */
    double *out_pct;
    uint32_t n_out, next_out;
    cq_arena out_arena;
    cq_batch out;
} top_op;

int cq_prepare_top(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    top_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->rare = !strcmp(cmd->name, "rare");
    c->keys = cq_arena_calloc(a, (cmd->n_kids + CQ_GROUPS_MAX_BY + 1) * sizeof *c->keys);
    const char *fields[CQ_GROUPS_MAX_BY];
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_FIELD) {
            if (c->n_fields == CQ_GROUPS_MAX_BY)
                return cq_diag_set(d, k->span, "too many fields");
            fields[c->n_fields++] = k->name;
        } else if (k->kind == CQ_AST_BY) {
            for (const cq_ast *f = k->kids; f; f = f->next) {
                if (c->n_by + 1 >= CQ_GROUPS_MAX_BY)
                    return cq_diag_set(d, f->span, "too many fields after by");
                c->keys[c->n_by++] = f->name;
            }
        }
    }
    if (!c->n_fields)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "%s needs a field, e.g. %s user",
                           cmd->name, cmd->name);
    if (c->n_by + c->n_fields > CQ_GROUPS_MAX_BY)
        return cq_diag_set(d, cmd->span, "too many fields");
    for (uint32_t i = 0; i < c->n_fields; i++)
        c->keys[c->n_by + i] = fields[i];
    if (cq_opt_uint(cmd, "limit", 10, &c->limit, d) ||
        cq_opt_bool(cmd, "showcount", 1, &c->showcount, d) ||
        cq_opt_bool(cmd, "showperc", 1, &c->showperc, d))
        return -1;
    c->countfield = cq_opt_text(cmd, "countfield");
    c->percentfield = cq_opt_text(cmd, "percentfield");
    if (!c->countfield)
        c->countfield = "count";
    if (!c->percentfield)
        c->percentfield = "percent";
    c->count = (cq_agg){.kind = CQ_AGG_COUNT, .name = c->countfield, .span = cmd->span};
    *cfg = c;
    return 0;
}

static int consume(top_op *t, const cq_batch *b)
{
    uint16_t rows[CQ_BATCH_ROWS];
    uint32_t n = b->n_sel;
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)cq_batch_row(b, i);
    return cq_grouper_add(&t->g, b, rows, n);
}

typedef struct ranked {
    uint64_t count;
    uint32_t id;
    uint32_t order;         /* position in by-value order: ties keep it */
    int rare;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->count != b->count)
        return (a->count < b->count) == !a->rare ? 1 : -1;
    return (a->order > b->order) - (a->order < b->order);
}

static int same_by(const cq_groups *g, uint32_t n_by, uint32_t a, uint32_t b)
{
    for (uint32_t f = 0; f < n_by; f++)
        if (cq_gkey_cmp(&g->keys[(size_t)a * g->n_by + f], &g->keys[(size_t)b * g->n_by + f]))
            return 0;
    return 1;
}

/* Ranks each by-group's combinations and keeps the first `limit`. */
static void rank_all(top_op *t)
{
    const top_cfg *c = t->cfg;
    uint32_t n = t->g.groups.n_groups;
    uint32_t *ids = cq_groups_sorted(&t->g.groups);
    ranked *r = cq_xmalloc((n + 1) * sizeof *r);
    t->out_ids = cq_xmalloc((n + 1) * sizeof *t->out_ids);
    t->out_pct = cq_xmalloc((n + 1) * sizeof *t->out_pct);
    uint64_t cut = 0;
    for (uint32_t lo = 0, hi; lo < n; lo = hi) {
        uint64_t total = 0;
        for (hi = lo; hi < n && same_by(&t->g.groups, c->n_by, ids[lo], ids[hi]); hi++) {
            cq_val v;
            cq_aggset_result(&t->g.set, ids[hi], 0, &t->out_arena, &v);
            r[hi] = (ranked){(uint64_t)v.num, ids[hi], hi, c->rare};
            total += (uint64_t)v.num;
        }
        qsort(r + lo, hi - lo, sizeof *r, cmp_ranked);
        uint32_t keep = hi - lo;
        if (c->limit && keep > (uint32_t)c->limit) {
            cut += keep - (uint32_t)c->limit;
            keep = (uint32_t)c->limit;
        }
        for (uint32_t i = 0; i < keep; i++) {
            t->out_ids[t->n_out] = r[lo + i].id;
            t->out_pct[t->n_out++] = total ? (double)r[lo + i].count * 100.0 / (double)total : 0;
        }
    }
    if (cut)
        cq_exec_note(t->base.ctx,
                     "%s: limit=%ld left out %llu less %s value combinations "
                     "(use limit=0 for all)",
                     c->rare ? "rare" : "top", c->limit, (unsigned long long)cut,
                     c->rare ? "rare" : "common");
    free(r);
    free(ids);
}

static int top_next(cq_oper *op, cq_batch **out)
{
    top_op *t = (top_op *)op;
    if (!t->done) {
        cq_batch *b;
        int rc;
        while ((rc = op->child->next(op->child, &b)) == 1)
            if (b->n_sel && consume(t, b))
                return -1;
        if (rc < 0)
            return -1;
        t->done = 1;
        rank_all(t);
    }
    uint32_t left = t->n_out - t->next_out;
    if (!left)
        return 0;
    uint32_t n = left < CQ_BATCH_ROWS ? left : CQ_BATCH_ROWS;
    const uint32_t *ids = t->out_ids + t->next_out;
    cq_arena *a = &t->out_arena;
    cq_arena_reset(a);
    cq_batch_clear(&t->out);
    t->out.n_rows = t->out.n_sel = n;
    for (uint32_t f = 0; f < t->g.groups.n_by; f++) {
        cq_col col;
        cq_groups_col(&t->g.groups, f, ids, n, a, &col);
        cq_batch_put(&t->out, t->g.groups.by[f], &col);
    }
    if (t->cfg->showcount) {
        double *num = cq_arena_alloc(a, (n + 1) * sizeof *num);
        for (uint32_t i = 0; i < n; i++) {
            cq_val v;
            cq_aggset_result(&t->g.set, ids[i], 0, a, &v);
            num[i] = v.num;
        }
        cq_col col = {.kind = CQ_COL_NUM, .n_rows = n, .nums = num};
        cq_batch_put(&t->out, t->cfg->countfield, &col);
    }
    if (t->cfg->showperc) {
        cq_sv *s = cq_arena_alloc(a, (n + 1) * sizeof *s);
        for (uint32_t i = 0; i < n; i++) {
            char *p = cq_arena_printf(a, "%.6f", t->out_pct[t->next_out + i]);
            s[i] = (cq_sv){p, (uint32_t)strlen(p)};
        }
        cq_col col = {.kind = CQ_COL_STR, .n_rows = n, .strs = s};
        cq_batch_put(&t->out, t->cfg->percentfield, &col);
    }
    t->next_out += n;
    *out = &t->out;
    return 1;
}

static void top_free(cq_oper *op)
{
    top_op *t = (top_op *)op;
    cq_grouper_free(&t->g);
    free(t->out_ids);
    free(t->out_pct);
}

cq_oper *cq_open_top(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    top_op *t = cq_oper_new(sizeof *t, top_next, top_free, child, ctx);
    t->cfg = cfg;
    cq_grouper_init(&t->g, t->cfg->keys, t->cfg->n_by + t->cfg->n_fields, &t->cfg->count, 1, 0,
                    ctx->diag, ctx->now_us, ctx->plan->tz);
    cq_oper_out(&t->base, &t->out_arena, &t->out);
    return &t->base;
}

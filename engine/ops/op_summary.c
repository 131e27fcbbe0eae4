/*
 * op_summary.c - commands that sum up the results' fields:
 *
 *   addtotals [row=BOOL] [col=BOOL] [fieldname=F] [labelfield=L] [label=S]
 *             [<wc-field> ...]
 *       row=true (the default): each result gets F (default "Total"), the
 *       sum of its numeric fields (those named, "*" wildcards allowed; by
 *       default all; never the internal fields that start with "_", nor F
 *       itself).  A value counts when it is one number (a multivalue field
 *       or text is skipped); a result with no numeric value gets no F.
 *       col=true: after the results, one more with the sum of each such
 *       field over all results (F included), and L=S (default "Total")
 *       when labelfield= is given.
 *   fieldsummary [maxvals=N] [<wc-field> ...]
 *       one result per field of the results (by name; not the internal
 *       fields unless named): field, count (results that have it),
 *       distinct_count, is_exact (always 1: the distinct count is exact),
 *       max, mean, min, numeric_count, stdev (sample; over the values that
 *       are numbers, empty when there are none), values (a JSON array of
 *       {"value","count"}, most frequent first, then by value, at most
 *       maxvals, default 100, 0 for all).  Each value of a multivalue field
 *       counts.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"
#include "common/num.h"
#include "common/strbuf.h"
#include "common/strmap.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sum_cfg {
    const char **fields;        /* wildcard names; none: every field */
    size_t n_fields;
    int row, col;
    const char *fieldname, *labelfield, *label;
    size_t maxvals;             /* fieldsummary */
} sum_cfg;

/* Whether field name is one the command takes. */
static int takes(const sum_cfg *c, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < c->n_fields; i++)
        if (cq_wild_match_cs(c->fields[i], strlen(c->fields[i]), name, n))
            return name[0] != '_' || c->fields[i][0] == '_';
    return !c->n_fields && name[0] != '_';
}

static int list_fields(cq_arena *a, const cq_ast *cmd, sum_cfg *c, cq_diag *d)
{
    c->fields = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *c->fields);
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_FIELD) {
            if (k->alias)
                return cq_diag_set(d, k->span, "%s takes field names, not `as`", cmd->name);
            c->fields[c->n_fields++] = cq_field_unquote(a, k->name);
        }
    return 0;
}

static int truth(const cq_ast *k, int *out, cq_diag *d)
{
    int v = cq_ast_truth(k->kids);
    if (v < 0)
        return cq_diag_set(d, k->span, "%s= takes true or false", k->name);
    *out = v;
    return 0;
}

/* ----------------------------------------------------------- addtotals */

int cq_prepare_addtotals(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                         cq_diag *d)
{
    (void)o;
    sum_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->row = 1;
    c->fieldname = "Total";
    c->label = "Total";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_OPTION)
            continue;
        const char *v = cq_ast_opt_text(k);
        if (!strcmp(k->name, "row")) {
            if (truth(k, &c->row, d))
                return -1;
        } else if (!strcmp(k->name, "col")) {
            if (truth(k, &c->col, d))
                return -1;
        } else if (!v || !*v) {
            return cq_diag_set(d, k->span, "%s= takes a value", k->name);
        } else if (!strcmp(k->name, "fieldname")) {
            c->fieldname = cq_field_unquote(a, v);
        } else if (!strcmp(k->name, "labelfield")) {
            c->labelfield = cq_field_unquote(a, v);
        } else if (!strcmp(k->name, "label")) {
            c->label = v;
        }
    }
    if (list_fields(a, cmd, c, d))
        return -1;
    *cfg = c;
    return 0;
}

/* A cell as one number: single-valued, and a number or text that is one. */
static int cell_num(const cq_col *col, uint32_t r, double *out)
{
    if (cq_col_nvals(col, r) != 1)
        return 0;
    if (col->kind == CQ_COL_NUM) {
        *out = col->nums[r];
        return 1;
    }
    if (col->kind == CQ_COL_TIME) {
        *out = (double)col->times[r] / 1e6;
        return 1;
    }
    cq_sv v = cq_col_val(col, r, 0);
    return v.p && cq_parse_num(v.p, v.len, out);
}

typedef struct colsum {
    const char *name;
    double sum;
} colsum;

typedef struct totals_op {
    cq_oper base;
    const sum_cfg *cfg;
    cq_arena arena, names;
    cq_batch view;
    cq_strmap ids;              /* col=true: field -> index into sums */
    colsum *sums;
    uint32_t n_sums, cap_sums;
    int done;
} totals_op;

static void add_sum(totals_op *t, const char *name, double v)
{
    uint32_t id;
    size_t n = strlen(name);
    if (!cq_strmap_get(&t->ids, name, n, &id)) {
        if (t->n_sums == t->cap_sums) {
            t->cap_sums = t->cap_sums ? 2 * t->cap_sums : 16;
            t->sums = cq_xrealloc(t->sums, t->cap_sums * sizeof *t->sums);
        }
        id = t->n_sums++;
        t->sums[id] = (colsum){cq_arena_strndup(&t->names, name, n), 0};
        cq_strmap_upsert(&t->ids, t->sums[id].name, n, &id);
    }
    t->sums[id].sum += v;
}

/* The last result of col=true: the sums, and the label. */
static int totals_row(totals_op *t, cq_batch **out)
{
    const sum_cfg *c = t->cfg;
    cq_arena_reset(&t->arena);
    cq_batch_clear(&t->view);
    t->view.n_rows = t->view.n_sel = 1;
    for (uint32_t i = 0; i < t->n_sums; i++) {
        double *v = cq_arena_alloc(&t->arena, sizeof *v);
        *v = t->sums[i].sum;
        cq_col col = {.kind = CQ_COL_NUM, .n_rows = 1, .nums = v};
        cq_batch_put(&t->view, t->sums[i].name, &col);
    }
    if (c->labelfield) {
        cq_col col;
        cq_col_const(&col, &t->arena, c->label, 1);
        cq_batch_put(&t->view, c->labelfield, &col);
    }
    *out = &t->view;
    return 1;
}

static int totals_next(cq_oper *op, cq_batch **out)
{
    totals_op *t = (totals_op *)op;
    const sum_cfg *c = t->cfg;
    if (t->done)
        return 0;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc < 0)
        return rc;
    if (!rc) {
        t->done = 1;
        return c->col ? totals_row(t, out) : 0;
    }
    cq_arena_reset(&t->arena);
    cq_batch_view(&t->view, b);
    double *tot = cq_arena_alloc(&t->arena, (b->n_rows + 1) * sizeof *tot);
    for (uint32_t r = 0; r < b->n_rows; r++)
        tot[r] = NAN;
    for (uint32_t k = 0; k < b->n_cols; k++) {
        const char *name = b->cols[k].name;
        if (!takes(c, name) || !strcmp(name, c->fieldname))
            continue;
        for (uint32_t i = 0; i < b->n_sel; i++) {
            uint32_t r = cq_batch_row(b, i);
            double v;
            if (!cell_num(&b->cols[k].col, r, &v))
                continue;
            tot[r] = tot[r] == tot[r] ? tot[r] + v : v;
            if (c->col)
                add_sum(t, name, v);
        }
    }
    if (c->row) {
        cq_col col = {.kind = CQ_COL_NUM, .n_rows = b->n_rows, .nums = tot};
        cq_batch_put(&t->view, c->fieldname, &col);
        for (uint32_t i = 0; c->col && i < b->n_sel; i++) {
            uint32_t r = cq_batch_row(b, i);
            if (tot[r] == tot[r])
                add_sum(t, c->fieldname, tot[r]);
        }
    }
    *out = &t->view;
    return 1;
}

static void totals_free(cq_oper *op)
{
    totals_op *t = (totals_op *)op;
    cq_strmap_free(&t->ids);
    cq_arena_free(&t->names);
    free(t->sums);
}

cq_oper *cq_open_addtotals(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    totals_op *t = cq_oper_new(sizeof *t, totals_next, totals_free, child, ctx);
    t->cfg = cfg;
    cq_oper_out(&t->base, &t->arena, &t->view);
    cq_arena_init(&t->names);
    cq_strmap_init(&t->ids);
    return &t->base;
}

/* -------------------------------------------------------- fieldsummary */

int cq_prepare_fieldsummary(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                            cq_diag *d)
{
    (void)o;
    sum_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->maxvals = 100;
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "maxvals")) {
            int64_t n = cq_ast_whole(k->kids);
            if (n < 0)
                return cq_diag_set(d, k->span, "maxvals= takes a whole number (0: all)");
            c->maxvals = (size_t)n;
        }
    if (list_fields(a, cmd, c, d))
        return -1;
    *cfg = c;
    return 0;
}

typedef struct vcount {
    cq_sv v;
    uint64_t n;
} vcount;

static int by_count(const void *x, const void *y)
{
    const vcount *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    size_t n = a->v.len < b->v.len ? a->v.len : b->v.len;
    int c = memcmp(a->v.p, b->v.p, n);
    return c ? c : (a->v.len > b->v.len) - (a->v.len < b->v.len);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

enum { FS_FIELD, FS_COUNT, FS_DC, FS_EXACT, FS_MAX, FS_MEAN, FS_MIN, FS_NUMERIC, FS_STDEV,
       FS_VALUES, FS_N };
static const char *const fs_names[FS_N] = {"field", "count", "distinct_count", "is_exact", "max",
                                           "mean", "min", "numeric_count", "stdev", "values"};

/* The summary of column id of rs into cells[FS_N] (text; p NULL: empty). */
static void summarize(const sum_cfg *c, const cq_rowstore *rs, uint32_t id, cq_arena *a,
                      cq_sv *cells)
{
    cq_strmap seen;
    cq_strmap_init(&seen);
    vcount *vc = NULL;
    uint32_t n_vc = 0, cap = 0;
    uint64_t count = 0, n_num = 0;
    double sum = 0, sumsq = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < rs->n_rows; r++) {
        const cq_rcell *cell = cq_row_cell(&rs->rows[r], id);
        if (!cell)
            continue;
        count++;
        for (uint32_t k = 0; k < cell->n_vals; k++) {
            cq_sv v = cq_rcell_text(cell, k, a);
            double d;
            if (cell->kind == CQ_RCELL_NUM || cell->kind == CQ_RCELL_TIME ||
                cq_parse_num(v.p, v.len, &d)) {
                if (cell->kind == CQ_RCELL_NUM)
                    d = cell->d;
                else if (cell->kind == CQ_RCELL_TIME)
                    d = (double)cell->t / 1e6;
                n_num++;
                sum += d;
                sumsq += d * d;
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
            }
            uint32_t at;
            if (cq_strmap_get(&seen, v.p, v.len, &at)) {
                vc[at].n++;
                continue;
            }
            if (n_vc == cap)
                vc = cq_xrealloc(vc, (cap = cap ? 2 * cap : 64) * sizeof *vc);
            vc[n_vc] = (vcount){v, 1};
            cq_strmap_upsert(&seen, v.p, v.len, &n_vc);
            n_vc++;
        }
    }
    cq_strmap_free(&seen);
    qsort(vc, n_vc, sizeof *vc, by_count);
    cells[FS_FIELD] = (cq_sv){rs->names[id], (uint32_t)strlen(rs->names[id])};
    cells[FS_COUNT] = cq_num_format((double)count, a);
    cells[FS_DC] = cq_num_format((double)n_vc, a);
    cells[FS_EXACT] = (cq_sv){"1", 1};
    cells[FS_NUMERIC] = cq_num_format((double)n_num, a);
    cells[FS_MAX] = cells[FS_MIN] = cells[FS_MEAN] = cells[FS_STDEV] = (cq_sv){NULL, 0};
    if (n_num) {
        double mean = sum / (double)n_num;
        cells[FS_MAX] = cq_num_format(hi, a);
        cells[FS_MIN] = cq_num_format(lo, a);
        cells[FS_MEAN] = cq_num_format(mean, a);
        if (n_num > 1) {
            double var = (sumsq - (double)n_num * mean * mean) / (double)(n_num - 1);
            cells[FS_STDEV] = cq_num_format(var > 0 ? sqrt(var) : 0, a);
        }
    }
    json_t *arr = json_array();
    for (uint32_t i = 0; i < n_vc && (!c->maxvals || i < c->maxvals); i++)
        json_array_append_new(arr, json_pack("{s:s%,s:I}", "value", vc[i].v.p ? vc[i].v.p : "",
                                             (size_t)vc[i].v.len, "count",
                                             (json_int_t)vc[i].n));
    char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cells[FS_VALUES] = (cq_sv){cq_arena_strdup(a, s ? s : "[]"), s ? (uint32_t)strlen(s) : 2};
    free(s);
    json_decref(arr);
    free(vc);
}

static int fieldsummary_done(cq_block_op *k)
{
    const sum_cfg *c = k->cfg;
    cq_rowstore *in = k->rows, *out = cq_block_store();
    const char **names = cq_xcalloc(in->n_names + 1, sizeof *names);
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->n_names; i++)
        if (takes(c, in->names[i]))
            names[n++] = in->names[i];
    qsort(names, n, sizeof *names, by_name);
    cq_arena a;
    cq_arena_init(&a);
    for (uint32_t i = 0; i < FS_N; i++)
        cq_rows_col(out, fs_names[i]);
    for (uint32_t i = 0; i < n; i += CQ_BATCH_ROWS) {
        uint32_t m = n - i < CQ_BATCH_ROWS ? n - i : CQ_BATCH_ROWS;
        cq_sv *cells = cq_arena_alloc(&a, (size_t)m * FS_N * sizeof *cells);
        for (uint32_t j = 0; j < m; j++)
            summarize(c, in, cq_rows_find(in, names[i + j]), &a, cells + (size_t)j * FS_N);
        cq_batch b;
        cq_batch_init(&b, &a);
        b.n_rows = b.n_sel = m;
        for (uint32_t f = 0; f < FS_N; f++) {
            cq_sv *v = cq_arena_alloc(&a, (m + 1) * sizeof *v);
            uint32_t *off = cq_arena_alloc(&a, (m + 1) * sizeof *off), t = 0;
            for (uint32_t j = 0; j < m; j++) {
                off[j] = t;
                if (cells[(size_t)j * FS_N + f].p)
                    v[t++] = cells[(size_t)j * FS_N + f];
            }
            off[m] = t;
            cq_col col;
            cq_col_strs(&col, m, v, off);
            cq_batch_put(&b, fs_names[f], &col);
        }
        for (uint32_t j = 0; j < m; j++)
            cq_rows_add(out, &b, j);
        cq_batch_free(&b);
        cq_arena_reset(&a);
    }
    cq_arena_free(&a);
    free(names);
    cq_block_free_store(in);
    k->rows = out;
    return 0;
}

cq_oper *cq_open_fieldsummary(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return &((cq_block_op *)cq_block_new(sizeof(cq_block_op), fieldsummary_done, NULL, cfg,
                                         child, ctx))->base;
}

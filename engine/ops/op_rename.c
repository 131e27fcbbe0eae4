/*
 * op_rename.c - `| rename a as b, p* as q*` and `| fillnull [value=V] [f ...]`.
 *
 * rename, as in Splunk: each clause applies in turn to the fields the
 * previous ones left; `*` in the old name matches any run of characters and
 * each `*` of the new name takes, in order, what the old one's matched; the
 * renamed field replaces a field of the new name where the event has the old
 * field, and an event without the old field keeps its own.
 *
 * fillnull puts V (default "0") in every listed field where an event has no
 * value, adding the field when no event has it.  Without a field list Splunk
 * fills every field of the whole result set; cquery streams, so it fills the
 * fields present in each batch of up to 1,024 results (fields starting with
 * "_" are left alone).  A field that first appears in a later batch is not
 * added to earlier ones: name the fields when that matters.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/match.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct rename_cfg {
    const char **from, **to;
    uint32_t n;
} rename_cfg;

typedef struct fillnull_cfg {
    const char *value;
    double num;             /* value as a number, when is_num */
    int is_num;
    const char **fields;
    uint32_t n_fields;
} fillnull_cfg;

typedef struct view_op {
    cq_oper base;
    const void *cfg;
    cq_arena arena;         /* per batch */
    cq_batch view;
} view_op;

/* ------------------------------------------------------------- rename */

static uint32_t count_stars(const char *s)
{
    uint32_t n = 0;
    for (; *s; s++)
        n += *s == '*';
    return n;
}

int cq_prepare_rename(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    (void)o;
    rename_cfg *rc = cq_arena_calloc(a, sizeof *rc);
    rc->from = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *rc->from);
    rc->to = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *rc->to);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_RENAME || !k->name || !k->alias)
            return cq_diag_set(d, k->span, "expected <field> as <name>");
        uint32_t sf = count_stars(k->name), st = count_stars(k->alias);
        if (st && st != sf)
            return cq_diag_set(d, k->span, "the new name must have as many \"*\" as the old "
                                           "one (or none)");
        rc->from[rc->n] = cq_field_unquote(a, k->name);
        rc->to[rc->n++] = cq_field_unquote(a, k->alias);
    }
    if (!rc->n)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "rename needs <field> as <name>");
    *cfg = rc;
    return 0;
}

/*
 * Matches name against pat ("*" any run, case-sensitive as field names
 * are) and records the text each star took.  Backtracking glob; patterns
 * are short.
 */
static int glob_capture(const char *pat, const char *s, const char **cap, size_t *cap_len)
{
    if (!*pat)
        return !*s;
    if (*pat == '*') {
        for (size_t n = strlen(s);; n--) {
            if (glob_capture(pat + 1, s + n, cap + 1, cap_len + 1)) {
                cap[0] = s;
                cap_len[0] = n;
                return 1;
            }
            if (!n)
                return 0;
        }
    }
    return *pat == *s && glob_capture(pat + 1, s + 1, cap, cap_len);
}

/* The new name for name under from -> to, or NULL when it does not match. */
static const char *new_name(const char *from, const char *to, const char *name, cq_arena *a)
{
    if (!strchr(from, '*'))
        return strcmp(from, name) ? NULL : to;
    uint32_t n = count_stars(from);
    const char **cap = cq_arena_alloc(a, (n + 1) * sizeof *cap);
    size_t *cap_len = cq_arena_alloc(a, (n + 1) * sizeof *cap_len);
    if (!glob_capture(from, name, cap, cap_len))
        return NULL;
    if (!count_stars(to))
        return to;
    size_t len = strlen(to);
    for (uint32_t i = 0; i < n; i++)
        len += cap_len[i];
    char *r = cq_arena_alloc(a, len + 1), *w = r;
    uint32_t i = 0;
    for (const char *p = to; *p; p++) {
        if (*p == '*') {
            memcpy(w, cap[i], cap_len[i]);
            w += cap_len[i++];
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return r;
}

/* Column `src` over `dst` where src has a value, else dst's value. */
static void merge_cols(const cq_col *src, const cq_col *dst, uint32_t n_rows, cq_arena *a,
                       cq_col *out)
{
    uint32_t total = 0;
    for (uint32_t r = 0; r < n_rows; r++)
        total += cq_col_nvals(src, r) ? cq_col_nvals(src, r) : cq_col_nvals(dst, r);
    uint32_t *off = cq_arena_alloc(a, (n_rows + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(a, (total + 1) * sizeof *v);
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = k;
        const cq_col *c = cq_col_nvals(src, r) ? src : dst;
        for (uint32_t j = 0, nv = cq_col_nvals(c, r); j < nv; j++)
            v[k++] = cq_col_text(c, r, j, a);
    }
    off[n_rows] = k;
    cq_col_strs(out, n_rows, v, off);
}

/* Does column c have a value in every row? */
static int col_full(const cq_col *c, uint32_t n_rows)
{
    for (uint32_t r = 0; r < n_rows; r++)
        if (!cq_col_nvals(c, r))
            return 0;
    return 1;
}

static void rename_one(view_op *v, const char *from, const char *to)
{
    cq_batch *b = &v->view;
    /* names first: renaming moves columns, so collect the matches */
    uint32_t n = b->n_cols;
    const char **olds = cq_arena_alloc(&v->arena, (n + 1) * sizeof *olds);
    const char **news = cq_arena_alloc(&v->arena, (n + 1) * sizeof *news);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *nn = new_name(from, to, b->cols[i].name, &v->arena);
        if (nn && strcmp(nn, b->cols[i].name)) {
            olds[m] = b->cols[i].name;
            news[m++] = nn;
        }
    }
    for (uint32_t i = 0; i < m; i++) {
        const cq_col *src = cq_batch_get(b, olds[i]);
        if (!src)
            continue;
        cq_col col = *src;
        const cq_col *dst = cq_batch_get(b, news[i]);
        if (dst && !col_full(&col, b->n_rows))
            merge_cols(&col, dst, b->n_rows, &v->arena, &col);
        /* keep the column's place: rename it where it stands */
        cq_batch_remove(b, news[i]);
        for (uint32_t j = 0; j < b->n_cols; j++)
            if (!strcmp(b->cols[j].name, olds[i])) {
                b->cols[j].name = news[i];
                b->cols[j].col = col;
            }
    }
}

static int rename_next(cq_oper *op, cq_batch **out)
{
    view_op *v = (view_op *)op;
    const rename_cfg *rc = v->cfg;
    cq_batch *b;
    int rc_next = op->child->next(op->child, &b);
    if (rc_next != 1)
        return rc_next;
    cq_arena_reset(&v->arena);
    cq_batch_view(&v->view, b);
    for (uint32_t i = 0; i < rc->n; i++)
        rename_one(v, rc->from[i], rc->to[i]);
    *out = &v->view;
    return 1;
}

/* ----------------------------------------------------------- fillnull */

int cq_prepare_fillnull(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                        cq_diag *d)
{
    (void)o;
    fillnull_cfg *fc = cq_arena_calloc(a, sizeof *fc);
    fc->fields = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *fc->fields);
    fc->value = "0";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "value")) {
            fc->value = cq_ast_opt_text(k);
            if (!fc->value)
                return cq_diag_set(d, k->span, "value= needs a value");
        } else if (k->kind == CQ_AST_FIELD) {
            fc->fields[fc->n_fields++] = cq_field_unquote(a, k->name);
        } else {
            return cq_diag_set(d, k->span, "expected value=<text> or a field name");
        }
    }
    fc->is_num = cq_parse_num(fc->value, strlen(fc->value), &fc->num);
    *cfg = fc;
    return 0;
}

static void fill_col(view_op *v, const fillnull_cfg *fc, const char *name, const cq_col *c)
{
    cq_batch *b = &v->view;
    uint32_t n = b->n_rows;
    cq_col col;
    if (c && col_full(c, n))
        return;
    if (fc->is_num && (!c || c->kind == CQ_COL_NUM || c->kind == CQ_COL_NULL)) {
        double *d = cq_arena_alloc(&v->arena, (n + 1) * sizeof *d);
        for (uint32_t r = 0; r < n; r++)
            d[r] = c && c->kind == CQ_COL_NUM && !isnan(c->nums[r]) ? c->nums[r] : fc->num;
        memset(&col, 0, sizeof col);
        col.kind = CQ_COL_NUM;
        col.n_rows = n;
        col.nums = d;
    } else {
        uint32_t total = 0;
        for (uint32_t r = 0; r < n; r++)
            total += c && cq_col_nvals(c, r) ? cq_col_nvals(c, r) : 1;
        uint32_t *off = cq_arena_alloc(&v->arena, (n + 1) * sizeof *off), k = 0;
        cq_sv *vals = cq_arena_alloc(&v->arena, (total + 1) * sizeof *vals);
        cq_sv fill = {fc->value, (uint32_t)strlen(fc->value)};
        for (uint32_t r = 0; r < n; r++) {
            off[r] = k;
            uint32_t nv = c ? cq_col_nvals(c, r) : 0;
            if (!nv)
                vals[k++] = fill;
            for (uint32_t j = 0; j < nv; j++)
                vals[k++] = cq_col_text(c, r, j, &v->arena);
        }
        off[n] = k;
        cq_col_strs(&col, n, vals, off);
    }
    cq_batch_put(b, name, &col);
}

static int fillnull_next(cq_oper *op, cq_batch **out)
{
    view_op *v = (view_op *)op;
    const fillnull_cfg *fc = v->cfg;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&v->arena);
    cq_batch_view(&v->view, b);
    if (fc->n_fields) {
        for (uint32_t i = 0; i < fc->n_fields; i++)
            fill_col(v, fc, fc->fields[i], cq_batch_get(b, fc->fields[i]));
    } else {
        for (uint32_t i = 0; i < b->n_cols; i++)
            if (b->cols[i].name[0] != '_')
                fill_col(v, fc, b->cols[i].name, &b->cols[i].col);
    }
    *out = &v->view;
    return 1;
}

/* -------------------------------------------------------------- common */

static cq_oper *view_new(const void *cfg, cq_oper *child, cq_exec_ctx *ctx,
                         int (*next)(cq_oper *, cq_batch **))
{
    view_op *v = cq_oper_new(sizeof *v, next, NULL, child, ctx);
    v->cfg = cfg;
    cq_oper_out(&v->base, &v->arena, &v->view);
    return &v->base;
}

cq_oper *cq_open_rename(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return view_new(cfg, child, ctx, rename_next);
}

cq_oper *cq_open_fillnull(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return view_new(cfg, child, ctx, fillnull_next);
}

/*
 * op_mv.c - multivalue commands: `| mvexpand F [limit=N]`,
 * `| makemv [delim=D|tokenizer=RE] [allowempty=B] [setsv=B] F` and
 * `| mvcombine [delim=D] F`.
 *
 * mvexpand (Splunk): one result per value of F, the other fields copied;
 * limit= keeps the first N values of each result; a result without F is
 * dropped.  It streams: one input batch may give several output batches.
 *
 * makemv: splits F's text at D (default a space), dropping empty values
 * unless allowempty=true; with tokenizer= each match of the regex is a value
 * (its first group when it has one).  setsv=true keeps the text too.
 *
 * mvcombine: results identical in every field but F become one, F holding
 * all their values in order; a result without F is a group of its own.  It
 * must see every result first, so it keeps one copy of each group (memory
 * grows with the groups).  delim= is how Splunk renders the combined value
 * as one string; cquery keeps a real multivalue field, which the CSV output
 * prints one value per line, as Splunk's export does.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/regex.h"
#include "engine/rowstore.h"
#include "common/strbuf.h"
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct mv_cfg {
    const char *field;
    uint64_t limit;             /* mvexpand: values per result, 0 all */
    const char *delim;
    const cq_ast *tokenizer;    /* makemv tokenizer= node */
    int allowempty, setsv;
} mv_cfg;

static int mv_prepare(cq_arena *a, const cq_ast *cmd, void **cfg, cq_diag *d)
{
    mv_cfg *mc = cq_arena_calloc(a, sizeof *mc);
    mc->delim = " ";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_FIELD) {
            if (mc->field)
                return cq_diag_set(d, k->span, "%s takes one field", cmd->name);
            mc->field = cq_field_unquote(a, k->name);
            continue;
        }
        if (k->kind != CQ_AST_OPTION)
            return cq_diag_set(d, k->span, "expected a field name");
        const char *o = k->name;
        if (!strcmp(o, "limit") && !strcmp(cmd->name, "mvexpand")) {
            int64_t n = cq_ast_whole(k->kids);
            if (n < 0)
                return cq_diag_set(d, k->span, "limit= takes a whole number");
            mc->limit = (uint64_t)n;
        } else if (!strcmp(o, "delim")) {
            mc->delim = cq_ast_opt_text(k);
            if (!mc->delim || !*mc->delim)
                return cq_diag_set(d, k->span, "delim= needs a delimiter");
        } else if (!strcmp(o, "tokenizer")) {
            if (!k->kids || !k->kids->text)
                return cq_diag_set(d, k->span, "tokenizer= needs a regex");
            mc->tokenizer = k->kids;
            cq_regex_cache *rc = cq_regex_cache_new();
            cq_sv p = {k->kids->text, (uint32_t)strlen(k->kids->text)};
            int bad = !cq_regex_get(rc, p, k->kids, d);
            cq_regex_cache_free(rc);
            if (bad)
                return -1;
        } else if (!strcmp(o, "allowempty") || !strcmp(o, "setsv")) {
            int b = cq_ast_truth(k->kids);
            if (b < 0)
                return cq_diag_set(d, k->span, "%s= takes true or false", o);
            *(!strcmp(o, "setsv") ? &mc->setsv : &mc->allowempty) = b;
        } else {
            return cq_diag_set(d, k->span, "not supported yet: %s %s=", cmd->name, o);
        }
    }
    if (!mc->field)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "%s needs a field", cmd->name);
    *cfg = mc;
    return 0;
}

int cq_prepare_mv(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    return mv_prepare(a, cmd, cfg, d);
}

/* ------------------------------------------------------------ mvexpand */

typedef struct expand_op {
    cq_oper base;
    const mv_cfg *cfg;
    cq_batch *in;               /* current input batch, or NULL */
    uint32_t i, j;              /* next selected row of in, next value of it */
    cq_arena arena;
    cq_batch out;
} expand_op;

static int expand_next(cq_oper *op, cq_batch **out)
{
    expand_op *x = (expand_op *)op;
    uint32_t src[CQ_BATCH_ROWS], val[CQ_BATCH_ROWS];
    for (;;) {
        if (!x->in) {
            int rc = op->child->next(op->child, &x->in);
            if (rc != 1) {
                x->in = NULL;
                return rc;
            }
            x->i = x->j = 0;
        }
        const cq_batch *b = x->in;
        const cq_col *f = cq_batch_get(b, x->cfg->field);
        uint32_t n = 0;
        while (f && n < CQ_BATCH_ROWS && x->i < b->n_sel) {
            uint32_t r = cq_batch_row(b, x->i), nv = cq_col_nvals(f, r);
            if (x->cfg->limit && nv > x->cfg->limit)
                nv = (uint32_t)x->cfg->limit;
            if (x->j < nv) {
                src[n] = r;
                val[n++] = x->j++;
            } else {
                x->i++;
                x->j = 0;
            }
        }
        if (!f || x->i >= b->n_sel)
            x->in = NULL;       /* pulled again at the next call */
        if (!n)
            continue;
        cq_arena_reset(&x->arena);
        cq_batch_clear(&x->out);
        x->out.n_rows = x->out.n_sel = n;
        for (uint32_t c = 0; c < b->n_cols; c++) {
            cq_col col;
            if (!strcmp(b->cols[c].name, x->cfg->field)) {
                cq_sv *v = cq_arena_alloc(&x->arena, n * sizeof *v);
                uint32_t *off = cq_arena_alloc(&x->arena, (n + 1) * sizeof *off);
                for (uint32_t k = 0; k < n; k++) {
                    v[k] = cq_col_text(f, src[k], val[k], &x->arena);
                    off[k] = k;
                }
                off[n] = n;
                cq_col_strs(&col, n, v, off);
            } else {
                cq_col_gather(&b->cols[c].col, src, n, &x->arena, &col);
            }
            cq_batch_put(&x->out, b->cols[c].name, &col);
        }
        *out = &x->out;
        return 1;
    }
}

cq_oper *cq_open_mvexpand(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    expand_op *x = cq_oper_new(sizeof *x, expand_next, NULL, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->out);
    return &x->base;
}

/* -------------------------------------------------------------- makemv */

typedef struct makemv_op {
    cq_oper base;
    const mv_cfg *cfg;
    cq_regex_cache *rc;
    cq_arena arena;
    cq_batch view;
} makemv_op;

typedef struct svlist {
    cq_sv *v;
    uint32_t n, cap;
} svlist;

static void sv_push(svlist *l, cq_sv s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cq_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

static int split_value(makemv_op *x, cq_sv s, svlist *out)
{
    const mv_cfg *mc = x->cfg;
    if (mc->tokenizer) {
        cq_sv p = {mc->tokenizer->text, (uint32_t)strlen(mc->tokenizer->text)};
        pcre2_code *re = cq_regex_get(x->rc, p, mc->tokenizer, x->base.ctx->diag);
        if (!re)
            return -1;
        pcre2_match_data *md = cq_regex_mdata(x->rc, re);
        size_t pos = 0;
        while (pos <= s.len) {
            int m = cq_regex_match(x->rc, re, s, pos, md, mc->tokenizer, x->base.ctx->diag);
            if (m < 0)
                return -1;
            if (!m)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            uint32_t g = pcre2_get_ovector_count(md) > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
            cq_sv v = {s.p + ov[2 * g], (uint32_t)(ov[2 * g + 1] - ov[2 * g])};
            if (v.len || mc->allowempty)
                sv_push(out, v);
            pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
        }
        return 0;
    }
    size_t dl = strlen(mc->delim);
    uint32_t from = 0;
    for (uint32_t k = 0; k + dl <= s.len;) {
        if (!memcmp(s.p + k, mc->delim, dl)) {
            if (k > from || mc->allowempty)
                sv_push(out, (cq_sv){s.p + from, k - from});
            k += (uint32_t)dl;
            from = k;
        } else {
            k++;
        }
    }
    if (s.len > from || mc->allowempty)
        sv_push(out, (cq_sv){s.p + from, s.len - from});
    return 0;
}

static int makemv_next(cq_oper *op, cq_batch **out)
{
    makemv_op *x = (makemv_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_batch_view(&x->view, b);
    const cq_col *f = cq_batch_get(b, x->cfg->field);
    if (f) {
        svlist vals = {0};
        uint32_t *off = cq_arena_alloc(&x->arena, (b->n_rows + 1) * sizeof *off);
        for (uint32_t r = 0; r < b->n_rows; r++) {
            off[r] = vals.n;
            uint32_t nv = cq_col_nvals(f, r);
            for (uint32_t j = 0; j < nv; j++) {
                cq_sv s = cq_col_text(f, r, j, &x->arena);
                if (x->cfg->setsv)
                    sv_push(&vals, s);
                if (split_value(x, s, &vals)) {
                    free(vals.v);
                    return -1;
                }
            }
        }
        off[b->n_rows] = vals.n;
        cq_sv *v = cq_arena_alloc(&x->arena, (vals.n + 1) * sizeof *v);
        if (vals.n)
            memcpy(v, vals.v, vals.n * sizeof *v);
        free(vals.v);
        cq_col col;
        cq_col_strs(&col, b->n_rows, v, off);
        cq_batch_put(&x->view, x->cfg->field, &col);
    }
    *out = &x->view;
    return 1;
}

static void makemv_free(cq_oper *op)
{
    makemv_op *x = (makemv_op *)op;
    cq_regex_cache_free(x->rc);
}

cq_oper *cq_open_makemv(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    makemv_op *x = cq_oper_new(sizeof *x, makemv_next, makemv_free, child, ctx);
    x->cfg = cfg;
    x->rc = cq_regex_cache_new();
    cq_oper_out(&x->base, &x->arena, &x->view);
    return &x->base;
}

/* ----------------------------------------------------------- mvcombine */

typedef struct group {
    svlist vals;                /* the field's values, copied into vals_arena */
} group;

typedef struct combine_op {
    cq_oper base;
    const mv_cfg *cfg;
    cq_rowstore rows;           /* one row per group */
    group *groups;              /* parallel to rows.rows */
    size_t cap_groups;
    cq_strmap keys;             /* group key -> row index */
    cq_arena keys_arena, vals_arena;
    cq_strbuf key;
    cq_arena scratch;
    int read;
    size_t pos;
    cq_arena out_arena;
    cq_batch out;
} combine_op;

static int cell_by_col(const void *a, const void *b)
{
    const cq_rcell *x = *(const cq_rcell *const *)a, *y = *(const cq_rcell *const *)b;
    return (x->col > y->col) - (x->col < y->col);
}

/* The group key of a row: every cell but the field's, by column id. */
static void group_key(combine_op *x, const cq_row *row, uint32_t fcol)
{
    cq_strbuf_reset(&x->key);
    const cq_rcell **cells = cq_arena_alloc(&x->scratch, (row->n_cells + 1) * sizeof *cells);
    uint32_t n = 0;
    for (uint32_t i = 0; i < row->n_cells; i++)
        if (row->cells[i].col != fcol)
            cells[n++] = &row->cells[i];
    qsort(cells, n, sizeof *cells, cell_by_col);
    for (uint32_t i = 0; i < n; i++) {
        cq_strbuf_add(&x->key, &cells[i]->col, sizeof cells[i]->col);
        cq_strbuf_add(&x->key, &cells[i]->n_vals, sizeof cells[i]->n_vals);
        for (uint32_t k = 0; k < cells[i]->n_vals; k++) {
            cq_sv v = cq_rcell_text(cells[i], k, &x->scratch);
            cq_strbuf_add(&x->key, &v.len, sizeof v.len);
            cq_strbuf_add(&x->key, v.p, v.len);
        }
    }
}

static void combine_row(combine_op *x, const cq_batch *b, uint32_t r)
{
    cq_row *row = cq_rows_add(&x->rows, b, r);
    uint32_t fcol = cq_rows_col(&x->rows, x->cfg->field);
    const cq_rcell *fc = cq_row_cell(row, fcol);
    uint32_t id;
    group_key(x, row, fcol);
    int have = fc && cq_strmap_get(&x->keys, x->key.buf ? x->key.buf : "", x->key.len, &id);
    if (have) {
        x->rows.n_rows--;       /* drop the copy; its memory stays until the end */
    } else {
        id = (uint32_t)(x->rows.n_rows - 1);
        if (x->rows.n_rows > x->cap_groups) {
            x->cap_groups = x->cap_groups ? x->cap_groups * 2 : 256;
            x->groups = cq_xrealloc(x->groups, x->cap_groups * sizeof *x->groups);
        }
        memset(&x->groups[id], 0, sizeof x->groups[id]);
        if (fc) {
            char *k = cq_arena_strndup(&x->keys_arena, x->key.buf ? x->key.buf : "", x->key.len);
            cq_strmap_upsert(&x->keys, k, x->key.len, &id);
        }
    }
    for (uint32_t k = 0; fc && k < fc->n_vals; k++) {
        cq_sv v = cq_rcell_text(fc, k, &x->scratch);
        sv_push(&x->groups[id].vals, (cq_sv){cq_arena_strndup(&x->vals_arena, v.p, v.len), v.len});
    }
}

/* Puts each group's values into its row's field cell. */
static void finish_groups(combine_op *x)
{
    uint32_t fcol = cq_rows_col(&x->rows, x->cfg->field);
    for (size_t i = 0; i < x->rows.n_rows; i++) {
        cq_row *row = &x->rows.rows[i];
        const group *g = &x->groups[i];
        if (!g->vals.n)
            continue;
        cq_rcell *cells = cq_arena_alloc(&x->vals_arena, (row->n_cells + 1) * sizeof *cells);
        uint32_t n = 0;
        for (uint32_t k = 0; k < row->n_cells; k++)
            if (row->cells[k].col != fcol)
                cells[n++] = row->cells[k];
        memset(&cells[n], 0, sizeof cells[n]);
        cells[n].col = fcol;
        cells[n].kind = CQ_RCELL_STR;
        cells[n].n_vals = g->vals.n;
        cells[n++].vals = g->vals.v;
        row->cells = cells;
        row->n_cells = n;
    }
}

static int combine_next(cq_oper *op, cq_batch **out)
{
    combine_op *x = (combine_op *)op;
    if (!x->read) {
        x->read = 1;
        cq_batch *b;
        int rc;
        while ((rc = op->child->next(op->child, &b)) == 1) {
            cq_rows_add_cols(&x->rows, b);
            for (uint32_t i = 0; i < b->n_sel; i++) {
                cq_arena_reset(&x->scratch);
                combine_row(x, b, cq_batch_row(b, i));
            }
        }
        if (rc < 0)
            return -1;
        finish_groups(x);
    }
    if (x->pos >= x->rows.n_rows)
        return 0;
    cq_arena_reset(&x->out_arena);
    const cq_row *rows[CQ_BATCH_ROWS];
    uint32_t n = 0;
    while (n < CQ_BATCH_ROWS && x->pos < x->rows.n_rows)
        rows[n++] = &x->rows.rows[x->pos++];
    cq_rows_emit(&x->rows, rows, n, &x->out);
    *out = &x->out;
    return 1;
}

static void combine_free(cq_oper *op)
{
    combine_op *x = (combine_op *)op;
    for (size_t i = 0; i < x->rows.n_rows; i++)
        free(x->groups[i].vals.v);
    cq_rows_free(&x->rows);
    free(x->groups);
    cq_strmap_free(&x->keys);
    cq_arena_free(&x->keys_arena);
    cq_arena_free(&x->vals_arena);
    cq_arena_free(&x->scratch);
    cq_strbuf_free(&x->key);
}

cq_oper *cq_open_mvcombine(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    combine_op *x = cq_oper_new(sizeof *x, combine_next, combine_free, child, ctx);
    x->cfg = cfg;
    cq_rows_init(&x->rows);
    cq_strmap_init(&x->keys);
    cq_arena_init(&x->keys_arena);
    cq_arena_init(&x->vals_arena);
    cq_arena_init(&x->scratch);
    cq_oper_out(&x->base, &x->out_arena, &x->out);
    return &x->base;
}

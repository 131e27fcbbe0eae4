/*
 * op_dedup.c - `| dedup [N] f ... [keepempty=] [consecutive=] [keepevents=]
 * [sortby key ...]`.
 *
 * Splunk's rules: keep the first N results (default 1), in result order,
 * for each combination of values of the listed fields; a result that lacks
 * any listed field is dropped, unless keepempty=true keeps it (every such
 * result); consecutive=true removes only runs of the same combination;
 * keepevents=true keeps every result but clears the listed fields of the
 * duplicates; sortby sorts what dedup kept.  A multivalue field counts as
 * its whole list of values.
 *
 * dedup streams: it narrows each batch's selection and remembers only the
 * combinations seen (memory grows with distinct combinations, not events).
 */
#include "engine/ops/op_rows.h"
#include "common/strbuf.h"
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct dedup_cfg {
    const char **fields;
    uint32_t n_fields;
    uint64_t keep;          /* results per combination */
    int keepempty, consecutive, keepevents;
    void *sort_cfg;         /* sortby, or NULL */
} dedup_cfg;

typedef struct dedup_op {
    cq_oper base;
    const dedup_cfg *cfg;
    cq_strmap seen;         /* combination -> index into counts */
    uint64_t *counts;
    uint32_t n_counts, cap_counts;
    cq_arena keys;          /* combination bytes (kept for the whole run) */
    cq_strbuf key, prev;    /* current and previous combination */
    int have_prev;
    uint64_t run;           /* consecutive: results kept in the current run */
    cq_arena arena;         /* per batch: keepevents columns */
    cq_batch view;
    uint16_t sel[CQ_BATCH_ROWS];
} dedup_op;

int cq_prepare_dedup(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    dedup_cfg *dc = cq_arena_calloc(a, sizeof *dc);
    dc->fields = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *dc->fields);
    dc->keep = 1;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_FIELD) {
            dc->fields[dc->n_fields++] = cq_field_unquote(a, k->name);
        } else if (k->kind == CQ_AST_SORTKEY) {
            if (cq_sort_prepare_keys(a, k, &dc->sort_cfg, d))
                return -1;
            break;
        } else if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "limit")) {
            int64_t n = cq_ast_whole(k->kids);
            if (n < 1)
                return cq_diag_set(d, k->span, "dedup keeps a whole number (1 or more) of "
                                               "results per combination");
            dc->keep = (uint64_t)n;
        } else if (k->kind == CQ_AST_OPTION) {
            int b = cq_ast_truth(k->kids);
            if (b < 0)
                return cq_diag_set(d, k->span, "%s= takes true or false", k->name);
            if (!strcmp(k->name, "keepempty"))
                dc->keepempty = b;
            else if (!strcmp(k->name, "consecutive"))
                dc->consecutive = b;
            else if (!strcmp(k->name, "keepevents"))
                dc->keepevents = b;
            else
                return cq_diag_set(d, k->span, "not supported yet: dedup %s=", k->name);
        } else {
            return cq_diag_set(d, k->span, "expected a field name");
        }
    }
    if (!dc->n_fields)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "dedup needs at least one field");
    *cfg = dc;
    return 0;
}

/* Builds the combination of row r into x->key; 0 when a field is missing. */
static int row_key(dedup_op *x, const cq_col *const *cols, uint32_t r)
{
    cq_strbuf_reset(&x->key);
    for (uint32_t f = 0; f < x->cfg->n_fields; f++) {
        const cq_col *c = cols[f];
        uint32_t nv = c ? cq_col_nvals(c, r) : 0;
        if (!nv)
            return 0;
        uint32_t n32 = nv;
        cq_strbuf_add(&x->key, &n32, sizeof n32);
        for (uint32_t k = 0; k < nv; k++) {
            cq_sv v = cq_col_text(c, r, k, &x->arena);
            cq_strbuf_add(&x->key, &v.len, sizeof v.len);
            cq_strbuf_add(&x->key, v.p, v.len);
        }
    }
    return 1;
}

/* Counts the row's combination; returns 1 when the row is kept. */
static int count_key(dedup_op *x)
{
    const char *k = x->key.buf ? x->key.buf : "";
    if (x->cfg->consecutive) {
        int same = x->have_prev && x->prev.len == x->key.len && !memcmp(x->prev.buf, k, x->key.len);
        if (!same) {
            cq_strbuf_reset(&x->prev);
            cq_strbuf_add(&x->prev, k, x->key.len);
            x->have_prev = 1;
            x->run = 0;
        }
        return ++x->run <= x->cfg->keep;
    }
    uint32_t id;
    if (cq_strmap_get(&x->seen, k, x->key.len, &id))
        return ++x->counts[id] <= x->cfg->keep;
    if (x->n_counts == x->cap_counts) {
        x->cap_counts = x->cap_counts ? x->cap_counts * 2 : 1024;
        x->counts = cq_xrealloc(x->counts, x->cap_counts * sizeof *x->counts);
    }
    id = x->n_counts++;
    x->counts[id] = 1;
    char *copy = cq_arena_strndup(&x->keys, k, x->key.len);
    cq_strmap_upsert(&x->seen, copy, x->key.len, &id);
    return 1;
}

/* keepevents: the listed fields with the dropped rows' values cleared. */
static void clear_dups(dedup_op *x, cq_batch *b, const cq_col *const *cols, const uint8_t *dup)
{
    cq_batch_view(&x->view, b);
    for (uint32_t f = 0; f < x->cfg->n_fields; f++) {
        const cq_col *c = cols[f];
        if (!c)
            continue;
        uint32_t total = 0;
        for (uint32_t r = 0; r < b->n_rows; r++)
            total += cq_col_nvals(c, r);
        uint32_t *off = cq_arena_alloc(&x->arena, (b->n_rows + 1) * sizeof *off), k = 0;
        cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
        for (uint32_t r = 0; r < b->n_rows; r++) {
            off[r] = k;
            uint32_t nv = dup[r] ? 0 : cq_col_nvals(c, r);
            for (uint32_t j = 0; j < nv; j++)
                v[k++] = cq_col_text(c, r, j, &x->arena);
        }
        off[b->n_rows] = k;
        cq_col col;
        cq_col_strs(&col, b->n_rows, v, off);
        cq_batch_put(&x->view, x->cfg->fields[f], &col);
    }
}

static int dedup_next(cq_oper *op, cq_batch **out)
{
    dedup_op *x = (dedup_op *)op;
    cq_batch *b;
    int rc;
    while ((rc = op->child->next(op->child, &b)) == 1) {
        cq_arena_reset(&x->arena);
        const cq_col **cols = cq_arena_alloc(&x->arena, x->cfg->n_fields * sizeof *cols);
        for (uint32_t f = 0; f < x->cfg->n_fields; f++)
            cols[f] = cq_batch_get(b, x->cfg->fields[f]);
        uint8_t *dup = x->cfg->keepevents ? cq_arena_calloc(&x->arena, b->n_rows + 1) : NULL;
        uint32_t k = 0;
        for (uint32_t i = 0; i < b->n_sel; i++) {
            uint32_t r = cq_batch_row(b, i);
            int keep = row_key(x, cols, r) ? count_key(x) : x->cfg->keepempty;
            if (dup) {
                dup[r] = !keep;
                keep = 1;
            }
            if (keep)
                x->sel[k++] = (uint16_t)r;
        }
        if (!k)
            continue;
        if (dup) {
            clear_dups(x, b, cols, dup);
            *out = &x->view;
            return 1;
        }
        b->sel = x->sel;
        b->n_sel = k;
        *out = b;
        return 1;
    }
    return rc;
}

static void dedup_free(cq_oper *op)
{
    dedup_op *x = (dedup_op *)op;
    cq_strmap_free(&x->seen);
    free(x->counts);
    cq_arena_free(&x->keys);
    cq_strbuf_free(&x->key);
    cq_strbuf_free(&x->prev);
}

cq_oper *cq_open_dedup(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    const dedup_cfg *dc = cfg;
    dedup_op *x = cq_oper_new(sizeof *x, dedup_next, dedup_free, child, ctx);
    x->cfg = dc;
    cq_strmap_init(&x->seen);
    cq_arena_init(&x->keys);
    cq_oper_out(&x->base, &x->arena, &x->view);
    if (dc->sort_cfg)
        return cq_sort_open_cfg(dc->sort_cfg, &x->base, ctx);
    return &x->base;
}

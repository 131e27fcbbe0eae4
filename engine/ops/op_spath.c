/*
 * op_spath.c - `| spath [input=F] [output=O] [path=P | P]`.
 *
 * Splunk's rules: the JSON in F (default _raw) is read; with a path, the
 * values there go to O (default: the path itself as the field name), several
 * values (from `{}`) making a multivalue field; without a path every leaf is
 * extracted under its flattened name (`a.b`, `list{}`).  Paths are those of
 * engine/expr/jsonpath.h ({N} is 0-based).  An event whose F is not JSON, or has
 * nothing at the path, keeps the fields it had.  Unlike Splunk's automatic
 * extraction (first 5,000 characters), the whole value is read.
 *
 * `| fromjson F [prefix=P]` (Splunk's fromjson): each key of the JSON object
 * in F becomes a field P<key>: a string, number or boolean as its text, an
 * array a multivalue field of its elements, a nested object its JSON text
 * (not flattened, unlike spath); a JSON null sets nothing.  F not holding a
 * JSON object (or missing) leaves the event as it was; a key that names an
 * existing field replaces it where the object has it.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/jsonpath.h"
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct spath_cfg {
    const char *input, *output, *path;
    int fromjson;               /* fromjson: the object's keys, not spath's leaves */
    const char *prefix;         /* fromjson prefix= */
} spath_cfg;

typedef struct pair {
    uint32_t row;
    cq_sv v;
} pair;

typedef struct outcol {         /* values extracted for one field */
    const char *name;
    pair *p;
    uint32_t n, cap;
} outcol;

typedef struct spath_op {
    cq_oper base;
    const spath_cfg *cfg;
    cq_arena arena;
    cq_batch view;
    cq_strmap ids;              /* name -> index into cols (per batch) */
    outcol *cols;
    uint32_t n_cols, cap_cols;
    uint32_t cur_row;
} spath_op;

int cq_prepare_spath(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    spath_cfg *sc = cq_arena_calloc(a, sizeof *sc);
    sc->input = "_raw";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        const char *v = k->kind == CQ_AST_OPTION ? cq_ast_opt_text(k) : NULL;
        if (k->kind == CQ_AST_OPTION && v && !strcmp(k->name, "input"))
            sc->input = cq_field_unquote(a, v);
        else if (k->kind == CQ_AST_OPTION && v && !strcmp(k->name, "output"))
            sc->output = cq_field_unquote(a, v);
        else if (k->kind == CQ_AST_OPTION && v && !strcmp(k->name, "path"))
            sc->path = v;
        else if ((k->kind == CQ_AST_FIELD || k->kind == CQ_AST_ARG) && !sc->path)
            sc->path = cq_field_unquote(a, k->kind == CQ_AST_FIELD ? k->name : k->text);
        else
            return cq_diag_set(d, k->span, "spath takes input=, output= and one path");
    }
    if (sc->output && !sc->path)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "spath output= needs a path");
    if (!sc->output)
        sc->output = sc->path;
    *cfg = sc;
    return 0;
}

int cq_prepare_fromjson(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                        cq_diag *d)
{
    (void)o;
    spath_cfg *sc = cq_arena_calloc(a, sizeof *sc);
    sc->fromjson = 1;
    sc->prefix = "";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        const char *v = k->kind == CQ_AST_OPTION ? cq_ast_opt_text(k) : NULL;
        if (k->kind == CQ_AST_OPTION && v && !strcmp(k->name, "prefix"))
            sc->prefix = v;
        else if (k->kind == CQ_AST_FIELD && !sc->input && !k->alias)
            sc->input = cq_field_unquote(a, k->name);
        else
            return cq_diag_set(d, k->span, "fromjson takes one field and prefix=");
    }
    if (!sc->input)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "fromjson needs the field that holds JSON");
    *cfg = sc;
    return 0;
}

static outcol *col_for(spath_op *x, const char *name)
{
    uint32_t id;
    size_t len = strlen(name);
    if (cq_strmap_get(&x->ids, name, len, &id))
        return &x->cols[id];
    if (x->n_cols == x->cap_cols) {
        x->cap_cols = x->cap_cols ? x->cap_cols * 2 : 32;
        x->cols = cq_xrealloc(x->cols, x->cap_cols * sizeof *x->cols);
    }
    id = x->n_cols++;
    outcol *c = &x->cols[id];
    memset(c, 0, sizeof *c);
    c->name = cq_arena_strndup(&x->arena, name, len);
    cq_strmap_upsert(&x->ids, c->name, len, &id);
    return c;
}

static void col_push(spath_op *x, outcol *c, uint32_t row, cq_sv v)
{
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 64;
        pair *p = cq_arena_alloc(&x->arena, cap * sizeof *p);
        if (c->n)
            memcpy(p, c->p, c->n * sizeof *p);
        c->p = p;
        c->cap = cap;
    }
    c->p[c->n++] = (pair){row, v};
}

static void on_leaf(const char *name, cq_sv value, void *ctx)
{
    spath_op *x = ctx;
    col_push(x, col_for(x, name), x->cur_row, value);
}

/* fromjson: the keys of object root, for row r. */
static void from_object(spath_op *x, json_t *root, uint32_t r)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return;
    json_object_foreach(root, key, v) {
        const char *name = *x->cfg->prefix ? cq_arena_printf(&x->arena, "%s%s", x->cfg->prefix, key)
                                           : key;
        size_t i;
        json_t *e;
        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                cq_sv t = cq_json_text(e, &x->arena);
                if (t.p)
                    col_push(x, col_for(x, name), r, t);
            }
        } else {
            cq_sv t = cq_json_text(v, &x->arena);
            if (t.p)
                col_push(x, col_for(x, name), r, t);
        }
    }
}

/* The column for c: extracted values per row, else the field's old ones. */
static void build_col(spath_op *x, const cq_batch *b, const outcol *c, cq_col *out)
{
    uint32_t n_rows = b->n_rows;
    const cq_col *old = cq_batch_get(b, c->name);
    uint32_t *cnt = cq_arena_calloc(&x->arena, (n_rows + 1) * sizeof *cnt);
    for (uint32_t i = 0; i < c->n; i++)
        cnt[c->p[i].row]++;
    uint32_t *off = cq_arena_alloc(&x->arena, (n_rows + 1) * sizeof *off), total = 0;
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = total;
        total += cnt[r] ? cnt[r] : old ? cq_col_nvals(old, r) : 0;
    }
    off[n_rows] = total;
    cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
    uint32_t *fill = cq_arena_calloc(&x->arena, (n_rows + 1) * sizeof *fill);
    for (uint32_t i = 0; i < c->n; i++) {       /* pairs of one row are in order */
        uint32_t r = c->p[i].row;
        v[off[r] + fill[r]++] = c->p[i].v;
    }
    for (uint32_t r = 0; r < n_rows; r++)
        if (!cnt[r] && old)
            for (uint32_t j = 0, nv = cq_col_nvals(old, r); j < nv; j++)
                v[off[r] + j] = cq_col_text(old, r, j, &x->arena);
    cq_col_strs(out, n_rows, v, off);
}

static int spath_next(cq_oper *op, cq_batch **out)
{
    spath_op *x = (spath_op *)op;
    const spath_cfg *sc = x->cfg;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_strmap_clear(&x->ids);
    x->n_cols = 0;
    cq_batch_view(&x->view, b);
    const cq_col *in = cq_batch_get(b, sc->input);
    outcol *target = sc->path ? col_for(x, sc->output) : NULL;
    for (uint32_t i = 0; in && i < b->n_sel; i++) {
        uint32_t r = cq_batch_row(b, i);
        for (uint32_t j = 0, nv = cq_col_nvals(in, r); j < nv; j++) {
            json_t *root = cq_json_parse(cq_col_text(in, r, j, &x->arena));
            if (!root)
                continue;
            if (sc->fromjson) {
                from_object(x, root, r);
            } else if (target) {
                cq_json_vals vals = {0};
                cq_json_path(root, sc->path, &x->arena, &vals);
                for (uint32_t k = 0; k < vals.n; k++)
                    col_push(x, target, r, vals.v[k]);
            } else {
                x->cur_row = r;
                cq_jsonpath_flatten(root, &x->arena, on_leaf, x);
            }
            json_decref(root);
        }
    }
    for (uint32_t c = 0; c < x->n_cols; c++) {
        cq_col col;
        build_col(x, b, &x->cols[c], &col);
        cq_batch_put(&x->view, x->cols[c].name, &col);
    }
    *out = &x->view;
    return 1;
}

static void spath_free(cq_oper *op)
{
    spath_op *x = (spath_op *)op;
    cq_strmap_free(&x->ids);
    free(x->cols);
}

cq_oper *cq_open_spath(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    spath_op *x = cq_oper_new(sizeof *x, spath_next, spath_free, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->view);
    cq_strmap_init(&x->ids);
    return &x->base;
}

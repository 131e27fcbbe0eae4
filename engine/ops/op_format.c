/*
 * op_format.c - `| format` and `| return`: results -> one row whose field
 * `search` holds a search string (Splunk's way to hand values from a
 * subsearch up to the search around it; subsearch.c inserts a `search`
 * field as its bare text).
 *
 *   format [mvsep=S] [maxresults=N] [emptystr=S] ["(" "(" "AND" ")" "OR" ")"]
 *       every row, `( ( f1="v1" AND f2="v2" ) OR ( ... ) )`; no row (or no
 *       field to write): emptystr, "NOT()" by default (matches nothing)
 *   return [N] [alias=field] [field] [$field]
 *       the first N rows (default 1), each as `field="v"`, `alias="v"` or
 *       the bare value for $field; several rows as `(...) OR (...)`; no
 *       row: no result
 */
#include "engine/subsearch.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>

typedef struct ret_item {
    const char *field;      /* field read */
    const char *name;       /* name written, or NULL: the bare value ($field) */
} ret_item;

typedef struct format_cfg {
    int is_return;
    cq_format_opts fo;      /* format */
    uint64_t count;         /* return: rows used */
    ret_item *items;
    size_t n_items;
} format_cfg;

typedef struct format_op {
    cq_oper base;
    const format_cfg *cfg;
    cq_rowstore rows;
    cq_strbuf text;
    cq_arena arena;
    cq_batch out;
    int done;
} format_op;

/* A whole number >= 0 from an option or a NUMBER node. */
static int whole_number(const cq_ast *v, uint64_t *out)
{
    double n;
    if (v && v->kind == CQ_AST_NUMBER)
        n = v->num;
    else if (!v || !v->text || !cq_parse_num(v->text, strlen(v->text), &n))
        return -1;
    if (n < 0 || n > 1e15 || n != (double)(uint64_t)n)
        return -1;
    *out = (uint64_t)n;
    return 0;
}

int cq_prepare_format(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    (void)o;
    format_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->fo = CQ_FORMAT_DEFAULT;
    const char *strs[6];
    size_t n_strs = 0;
    const cq_ast *first_arg = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_ARG) {
            if (!first_arg)
                first_arg = k;
            if (n_strs == 6)
                return cq_diag_set(d, k->span, "format takes six quoted strings, not more");
            strs[n_strs++] = k->text;
            continue;
        }
        const char *v = k->kids && k->kids->text ? k->kids->text : "";
        if (!strcmp(k->name, "mvsep"))
            c->fo.mvsep = v;
        else if (!strcmp(k->name, "emptystr"))
            c->fo.emptystr = v;
        else if (!strcmp(k->name, "maxresults")) {
            if (whole_number(k->kids, &c->fo.maxresults))
                return cq_diag_set(d, k->span, "maxresults takes a whole number");
        } else {
            return cq_diag_set(d, k->span, "not supported yet: format %s=", k->name);
        }
    }
    if (n_strs && n_strs != 6) {
        cq_diag_set(d, first_arg->span, "format takes all six strings or none");
        cq_diag_hint(d, "row prefix, column prefix, column separator, column end, row"
                        " separator, row end: \"(\" \"(\" \"AND\" \")\" \"OR\" \")\"");
        return -1;
    }
    if (n_strs) {
        c->fo.row_prefix = strs[0];
        c->fo.col_prefix = strs[1];
        c->fo.col_sep = strs[2];
        c->fo.col_end = strs[3];
        c->fo.row_sep = strs[4];
        c->fo.row_end = strs[5];
    }
    *cfg = c;
    return 0;
}

int cq_prepare_return(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    (void)o;
    format_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->is_return = 1;
    c->count = 1;
    c->items = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *c->items);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION) {
            if (strcmp(k->name, "limit") || whole_number(k->kids, &c->count) || !c->count)
                return cq_diag_set(d, k->span, "return takes a count of at least 1");
            continue;
        }
        if (k->kind != CQ_AST_FIELD)
            return cq_diag_set(d, k->span, "expected a field name");
        ret_item *it = &c->items[c->n_items++];
        if (k->name[0] == '$') {
            if (!k->name[1])
                return cq_diag_set(d, k->span, "expected a field name after \"$\"");
            it->field = k->name + 1;
            it->name = NULL;
        } else {
            it->field = k->name;
            it->name = k->alias ? k->alias : k->name;
        }
    }
    if (!c->n_items)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "return needs at least one field");
    *cfg = c;
    return 0;
}

/* return's text: each used row as `name="v" ...`, rows ORed.  Returns the
 * number of rows that had a returned field. */
static size_t return_text(const format_cfg *c, const cq_rowstore *rs, cq_strbuf *out)
{
    cq_arena scratch;
    cq_arena_init(&scratch);
    cq_strbuf row = CQ_STRBUF_INIT;
    size_t n_rows = 0, used = rs->n_rows < c->count ? rs->n_rows : (size_t)c->count;
    for (size_t r = 0; r < used; r++) {
        cq_strbuf_reset(&row);
        for (size_t i = 0; i < c->n_items; i++) {
            uint32_t id = cq_rows_find(rs, c->items[i].field);
            const cq_rcell *cell = id == CQ_ROWS_NONE ? NULL : cq_row_cell(&rs->rows[r], id);
            if (!cell)
                continue;
            cq_sv v = cq_rcell_text(cell, 0, &scratch);
            if (row.len)
                cq_strbuf_addc(&row, ' ');
            if (!c->items[i].name) {
                cq_strbuf_add(&row, v.p, v.len);
                continue;
            }
            cq_strbuf_addf(&row, "%s=\"", c->items[i].name);
            for (uint32_t j = 0; j < v.len; j++) {
                if (v.p[j] == '"' || v.p[j] == '\\')
                    cq_strbuf_addc(&row, '\\');
                cq_strbuf_addc(&row, v.p[j]);
            }
            cq_strbuf_addc(&row, '"');
        }
        if (!row.len)
            continue;
        cq_strbuf_addf(out, "%s(%s)", n_rows ? " OR " : "", cq_strbuf_str(&row));
        n_rows++;
    }
    if (n_rows == 1) {      /* one row: no parentheses, as Splunk writes it */
        memmove(out->buf, out->buf + 1, out->len - 2);
        out->len -= 2;
        out->buf[out->len] = '\0';
    }
    cq_strbuf_free(&row);
    cq_arena_free(&scratch);
    return n_rows;
}

static int format_next(cq_oper *op, cq_batch **out)
{
    format_op *f = (format_op *)op;
    if (f->done)
        return 0;
    const format_cfg *c = f->cfg;
    cq_batch *b;
    int rc = 0;
    while ((!c->is_return || f->rows.n_rows < c->count) &&
           (rc = op->child->next(op->child, &b)) == 1) {
        cq_rows_add_cols(&f->rows, b);
        for (uint32_t i = 0; i < b->n_sel; i++)
            if (!c->is_return || f->rows.n_rows < c->count)
                cq_rows_add(&f->rows, b, cq_batch_row(b, i));
    }
    if (rc < 0)
        return -1;
    f->done = 1;
    size_t n = c->is_return ? return_text(c, &f->rows, &f->text)
                            : (cq_format_rows(&f->rows, &c->fo, &f->text), 1);
    if (!n)
        return 0;
    cq_sv *v = cq_arena_alloc(&f->arena, sizeof *v);
    *v = (cq_sv){cq_strbuf_str(&f->text), (uint32_t)f->text.len};
    cq_col col = {.kind = CQ_COL_STR, .n_rows = 1, .strs = v};
    cq_batch_clear(&f->out);
    f->out.n_rows = f->out.n_sel = 1;
    cq_batch_put(&f->out, "search", &col);
    *out = &f->out;
    return 1;
}

static void format_free(cq_oper *op)
{
    format_op *f = (format_op *)op;
    cq_rows_free(&f->rows);
    cq_strbuf_free(&f->text);
}

cq_oper *cq_open_format(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    format_op *f = cq_oper_new(sizeof *f, format_next, format_free, child, ctx);
    f->cfg = cfg;
    cq_rows_init(&f->rows);
    cq_oper_out(&f->base, &f->arena, &f->out);
    return &f->base;
}

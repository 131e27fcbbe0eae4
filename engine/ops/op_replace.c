/*
 * op_replace.c - `| replace <wc-string> with <wc-string>, ... [in <field>, ...]`.
 *
 * As Splunk defines it: a value equal to a pattern (`*` matches any run of
 * characters, case-sensitive, the whole value) becomes the replacement, each
 * `*` of the replacement taking what the pattern's `*` at the same place
 * matched (`replace "::ffff:*" with * in src`).  When several patterns
 * match, an exact one beats a wildcard one, a later exact one an earlier
 * one, and of the wildcard ones the fuller (more literal characters) wins.
 * Without `in`, every field but the internal ones (`_...`) is replaced;
 * `in` names fields, wildcards allowed.  Multivalue fields are replaced
 * value by value; a value no pattern matches is kept.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>

/* At most this many `*` in a pattern: captures live on the stack. */
#define MAX_STARS 16

typedef struct pair {
    const char *from, *to;
    uint32_t from_len, to_len;
    unsigned stars, literal, order;
} pair;

typedef struct replace_cfg {
    pair *pairs;                /* in precedence order: the first that matches wins */
    uint32_t n_pairs;
    const char **fields;        /* NULL: every field but _... */
    uint32_t n_fields;
} replace_cfg;

typedef struct replace_op {
    cq_oper base;
    const replace_cfg *cfg;
    cq_arena arena;
    cq_batch view;
} replace_op;

static const char *arg_text(cq_arena *a, const cq_ast *k)
{
    if (k->kind == CQ_AST_FIELD)
        return (k->flags & CQ_AST_QUOTED) ? k->name : cq_field_unquote(a, k->name);
    return k->text;
}

static int is_word(const cq_ast *k, const char *w)
{
    return k && k->kind == CQ_AST_FIELD && !(k->flags & CQ_AST_QUOTED) &&
           !strcasecmp(k->name, w);
}

static int precedes(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if ((a->stars == 0) != (b->stars == 0))
        return a->stars == 0 ? -1 : 1;
    if (a->stars && a->literal != b->literal)
        return a->literal > b->literal ? -1 : 1;
    return a->order > b->order ? -1 : 1;    /* the later one */
}

static int new_pair(cq_arena *a, const cq_ast *from, const cq_ast *to, unsigned order,
                    pair *p, cq_diag *d)
{
    p->from = arg_text(a, from);
    p->to = arg_text(a, to);
    p->from_len = (uint32_t)strlen(p->from);
    p->to_len = (uint32_t)strlen(p->to);
    p->order = order;
    for (uint32_t i = 0; i < p->from_len; i++)
        p->from[i] == '*' ? p->stars++ : p->literal++;
    if (p->stars > MAX_STARS)
        return cq_diag_set(d, from->span, "a replace pattern holds at most %d *", MAX_STARS);
    return 0;
}

int cq_prepare_replace(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                       cq_diag *d)
{
    (void)o;
    replace_cfg *rc = cq_arena_calloc(a, sizeof *rc);
    rc->pairs = cq_arena_calloc(a, (cmd->n_kids / 3 + 1) * sizeof *rc->pairs);
    const cq_ast *k = cmd->kids;
    while (k && !is_word(k, "in")) {
        if (!is_word(k->next, "with") || !k->next->next || is_word(k->next->next, "in"))
            return cq_diag_set(d, k->next ? k->next->span : k->span,
                               "replace takes <value> with <value>, ... [in <field>, ...]");
        if (new_pair(a, k, k->next->next, rc->n_pairs, &rc->pairs[rc->n_pairs], d))
            return -1;
        rc->n_pairs++;
        k = k->next->next->next;
    }
    if (!rc->n_pairs)
        return cq_diag_set(d, cq_cmd_name_span(cmd),
                           "replace needs <value> with <value>, e.g. replace \"::ffff:*\" with * "
                           "in src");
    if (k) {
        if (!k->next)
            return cq_diag_set(d, k->span, "replace ... in needs a field");
        rc->fields = cq_arena_calloc(a, cmd->n_kids * sizeof *rc->fields);
        for (k = k->next; k; k = k->next)
            rc->fields[rc->n_fields++] = arg_text(a, k);
    }
    qsort(rc->pairs, rc->n_pairs, sizeof *rc->pairs, precedes);
    *cfg = rc;
    return 0;
}

/* Matches pat (with `*`) against the whole of s; cap gets what each `*`
 * matched.  Backtracks on the last `*` only, so it is linear per `*`. */
static int wild_capture(const char *pat, uint32_t plen, cq_sv s, cq_sv *cap)
{
    uint32_t p = 0, i = 0, n = 0;
    uint32_t star_p = UINT32_MAX, star_i = 0;
    while (i < s.len) {
        if (p < plen && pat[p] == '*') {
            star_p = p++;
            star_i = i;
            cap[n++] = (cq_sv){s.p + i, 0};
        } else if (p < plen && pat[p] == s.p[i]) {
            p++;
            i++;
        } else if (star_p != UINT32_MAX) {
            p = star_p + 1;
            i = ++star_i;
            cap[n - 1].len++;
        } else {
            return 0;
        }
    }
    while (p < plen && pat[p] == '*') {
        cap[n++] = (cq_sv){s.p + s.len, 0};
        p++;
    }
    return p == plen;
}

/* The replacement of v, or v itself when no pattern matches. */
static cq_sv replace_value(const replace_cfg *rc, cq_sv v, cq_arena *a)
{
    cq_sv cap[MAX_STARS];
    for (uint32_t i = 0; i < rc->n_pairs; i++) {
        const pair *p = &rc->pairs[i];
        if (!wild_capture(p->from, p->from_len, v, cap))
            continue;
        size_t len = 0;
        unsigned used = 0;
        for (uint32_t j = 0; j < p->to_len; j++)
            len += p->to[j] == '*' && used < p->stars ? cap[used++].len : 1;
        char *out = cq_arena_alloc(a, len + 1), *w = out;
        used = 0;
        for (uint32_t j = 0; j < p->to_len; j++) {
            if (p->to[j] == '*' && used < p->stars) {
                memcpy(w, cap[used].p, cap[used].len);
                w += cap[used++].len;
            } else {
                *w++ = p->to[j];
            }
        }
        *w = '\0';
        return (cq_sv){out, (uint32_t)len};
    }
    return v;
}

static void replace_col(replace_op *x, const cq_col *c, const cq_batch *b, cq_col *out)
{
    uint32_t n_rows = b->n_rows, total = 0;
    for (uint32_t r = 0; r < n_rows; r++)
        total += cq_col_nvals(c, r);
    uint32_t *off = cq_arena_alloc(&x->arena, (n_rows + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
    uint8_t *sel = cq_arena_calloc(&x->arena, n_rows + 1);
    for (uint32_t i = 0; i < b->n_sel; i++)
        sel[cq_batch_row(b, i)] = 1;
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = k;
        for (uint32_t j = 0, nv = sel[r] ? cq_col_nvals(c, r) : 0; j < nv; j++)
            v[k++] = replace_value(x->cfg, cq_col_text(c, r, j, &x->arena), &x->arena);
    }
    off[n_rows] = k;
    cq_col_strs(out, n_rows, v, off);
}

static int wanted(const replace_cfg *rc, const char *name)
{
    if (!rc->fields)
        return name[0] != '_';
    for (uint32_t i = 0; i < rc->n_fields; i++)
        if (cq_wild_match_cs(rc->fields[i], strlen(rc->fields[i]), name, strlen(name)))
            return 1;
    return 0;
}

static int replace_next(cq_oper *op, cq_batch **out)
{
    replace_op *x = (replace_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_batch_view(&x->view, b);
    uint32_t n_cols = x->view.n_cols;
    for (uint32_t c = 0; c < n_cols; c++) {
        const char *name = x->view.cols[c].name;
        if (!wanted(x->cfg, name))
            continue;
        cq_col col;
        replace_col(x, &x->view.cols[c].col, b, &col);
        cq_batch_put(&x->view, name, &col);
    }
    *out = &x->view;
    return 1;
}

cq_oper *cq_open_replace(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    replace_op *x = cq_oper_new(sizeof *x, replace_next, NULL, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->view);
    return &x->base;
}

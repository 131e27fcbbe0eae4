/*
 * subsearch.c - subsearches: running a sub-pipeline, Splunk's `format`
 * (rows -> one search string), and the substitution of `[ ... ]` in search
 * expressions.
 *
 * When a subsearch runs: at run time, when the chain that holds it opens
 * and before that chain reads anything (cq_exec_open calls
 * cq_subsearch_substitute).  A query is compiled without an index, so it
 * cannot run at compile time; the plan keeps one sub-plan per subsearch
 * (planned and checked at compile time, so a bad subsearch fails before any
 * data is read) and the run substitutes a copy of the plan.
 *
 * What it becomes (Splunk's implicit format): its rows, up to
 * --subsearch-maxout (Splunk: 10,000) and --subsearch-maxtime (60 s), are
 * written as `( ( f1="v1" AND f2="v2" ) OR ( ... ) )`; internal fields
 * (leading "_") are skipped and a field named search or query is inserted
 * as its bare text.  That text is parsed like a query's search, so
 * `| return` and `| format` (op_format.c), which make a `search` field,
 * come out as Splunk would write them.  No rows: format's "NOT()", which
 * matches nothing.
 */
#include "engine/subsearch.h"
#include "grammar/parse.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ running */

int cq_subrun_open(cq_subrun *r, const cq_plan *p, const cq_exec_ctx *parent)
{
    memset(r, 0, sizeof *r);
    cq_arena_init(&r->arena);
    r->ctx = (cq_exec_ctx){parent->idx, parent->diag, parent->stats, p, p->now_us, &r->arena,
                           parent->bounds, parent->t_start, NULL, parent->cancel};
    r->root = cq_exec_open(p, &r->ctx);
    if (!r->root) {
        cq_arena_free(&r->arena);
        return -1;
    }
    return 0;
}

void cq_subrun_close(cq_subrun *r)
{
    if (!r->root)
        return;
    cq_exec_close(r->root);
    r->root = NULL;
    cq_arena_free(&r->arena);
}

/* ------------------------------------------------------ sub-pipelines */

int cq_subpipe_plan(cq_arena *a, const cq_ast *pipe, const cq_plan_opts *o, cq_plan **out,
                    cq_diag *d)
{
    return cq_plan_stages(a, pipe, o, out, d);
}

/* The source of a sub-pipeline: the rows of a store, a batch at a time. */
typedef struct rows_src {
    cq_oper base;
    cq_arena out_arena;
    cq_batch out;
    const cq_rowstore *rows;
    size_t pos;
} rows_src;

static int rows_src_next(cq_oper *op, cq_batch **out)
{
    rows_src *r = (rows_src *)op;
    if (r->pos >= r->rows->n_rows)
        return 0;
    cq_arena_reset(&r->out_arena);
    const cq_row *rows[CQ_BATCH_ROWS];
    uint32_t n = 0;
    while (n < CQ_BATCH_ROWS && r->pos < r->rows->n_rows)
        rows[n++] = &r->rows->rows[r->pos++];
    cq_rows_emit(r->rows, rows, n, &r->out);
    *out = &r->out;
    return 1;
}

int cq_subpipe_run(const cq_plan *p, const cq_rowstore *in, const cq_exec_ctx *parent,
                   cq_rowstore *out)
{
    cq_subrun r;
    memset(&r, 0, sizeof r);
    cq_arena_init(&r.arena);
    r.ctx = (cq_exec_ctx){parent->idx, parent->diag, parent->stats, p, p->now_us, &r.arena,
                          parent->bounds, parent->t_start, NULL, parent->cancel};
    int rc = -1;
    if (p->n_subs && cq_subsearch_substitute(p, &r.ctx, &r.ctx.plan))
        goto done;
    rows_src *src = cq_oper_new(sizeof *src, rows_src_next, NULL, NULL, &r.ctx);
    cq_oper_out(&src->base, &src->out_arena, &src->out);
    src->rows = in;
    r.root = cq_exec_stack(r.ctx.plan, 0, r.ctx.plan->n_stages, &src->base, &r.ctx);
    if (!r.root)
        goto done;
    cq_batch *b;
    while ((rc = r.root->next(r.root, &b)) == 1) {
        cq_rows_add_cols(out, b);
        for (uint32_t i = 0; i < b->n_sel; i++)
            cq_rows_add(out, b, b->sel ? b->sel[i] : i);
    }
done:
    if (r.root)
        cq_exec_close(r.root);
    cq_arena_free(&r.arena);
    return rc < 0 ? -1 : 0;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cq_subsearch_collect(const cq_plan *p, const cq_exec_ctx *parent, uint64_t maxout,
                         double maxtime, const char *what, const char *setting,
                         cq_rowstore *rs)
{
    cq_subrun r;
    if (cq_subrun_open(&r, p, parent))
        return -1;
    double t0 = mono_seconds();
    uint64_t n = 0;
    int cut = 0, rc;
    cq_batch *b;
    while (!cut && (rc = r.root->next(r.root, &b)) == 1) {
        cq_rows_add_cols(rs, b);
        for (uint32_t i = 0; i < b->n_sel; i++) {
            if (maxout && n == maxout) {
                cut = 1;
                cq_exec_note(parent, "%s: more than %llu results; kept the first %llu"
                             " (Splunk's limit; %s changes it)", what,
                             (unsigned long long)maxout, (unsigned long long)maxout, setting);
                break;
            }
            cq_rows_add(rs, b, cq_batch_row(b, i));
            n++;
        }
        if (!cut && maxtime > 0 && mono_seconds() - t0 > maxtime) {
            cut = 1;
            cq_exec_note(parent, "%s: stopped after %g s with %llu results (Splunk's limit;"
                         " --subsearch-maxtime changes it)", what, maxtime,
                         (unsigned long long)n);
        }
    }
    if (cut)
        rc = 0;
    cq_subrun_close(&r);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------- format */

/* Appends v as a double-quoted search value. */
static void add_quoted(cq_strbuf *out, cq_sv v)
{
    cq_strbuf_addc(out, '"');
    for (uint32_t i = 0; i < v.len; i++) {
        if (v.p[i] == '"' || v.p[i] == '\\')
            cq_strbuf_addc(out, '\\');
        cq_strbuf_addc(out, v.p[i]);
    }
    cq_strbuf_addc(out, '"');
}

/* One field of a row: name="v", or ( name="a" OR name="b" ), or the bare
 * text of a search/query field. */
static void add_cell(cq_strbuf *out, const char *name, const cq_rcell *c,
                     const cq_format_opts *fo, cq_arena *scratch)
{
    int bare = !strcmp(name, "search") || !strcmp(name, "query");
    uint32_t nv = c->kind == CQ_RCELL_STR ? c->n_vals : 1;
    if (nv > 1)
        cq_strbuf_addf(out, "( ");
    for (uint32_t k = 0; k < nv; k++) {
        cq_sv v = cq_rcell_text(c, k, scratch);
        if (k)
            cq_strbuf_addf(out, " %s ", fo->mvsep);
        if (bare) {
            cq_strbuf_add(out, v.p, v.len);
        } else {
            cq_strbuf_adds(out, name);
            cq_strbuf_addc(out, '=');
            add_quoted(out, v);
        }
    }
    if (nv > 1)
        cq_strbuf_addf(out, " )");
}

size_t cq_format_rows(const cq_rowstore *rs, const cq_format_opts *fo, cq_strbuf *out)
{
    cq_arena scratch;
    cq_arena_init(&scratch);
    cq_strbuf_reset(out);
    size_t n_out = 0, n_rows = rs->n_rows;
    if (fo->maxresults && n_rows > fo->maxresults)
        n_rows = (size_t)fo->maxresults;
    for (size_t r = 0; r < n_rows; r++) {
        const cq_row *row = &rs->rows[r];
        size_t n_cells = 0;
        for (uint32_t id = 0; id < rs->n_names; id++) {
            const cq_rcell *c = cq_row_cell(row, id);
            if (!c || rs->names[id][0] == '_')
                continue;
            if (!n_cells++)
                cq_strbuf_addf(out, "%s%s %s ", n_out ? " " : "",
                               n_out ? fo->row_sep : fo->row_prefix, fo->col_prefix);
            else
                cq_strbuf_addf(out, " %s ", fo->col_sep);
            add_cell(out, rs->names[id], c, fo, &scratch);
        }
        if (n_cells) {
            cq_strbuf_addf(out, " %s", fo->col_end);
            n_out++;
        }
    }
    if (n_out)
        cq_strbuf_addf(out, " %s", fo->row_end);
    else
        cq_strbuf_adds(out, fo->emptystr);
    cq_arena_free(&scratch);
    return n_out;
}

/* -------------------------------------------------------------- parse */

static void respan(cq_ast *n, cq_span at)
{
    for (; n; n = n->next) {
        n->span = at;
        respan(n->kids, at);
    }
}

static int has_subsearch(const cq_ast *n)
{
    for (; n; n = n->next)
        if (n->kind == CQ_AST_SUBSEARCH || has_subsearch(n->kids))
            return 1;
    return 0;
}

/* Is text format's empty result, "NOT()" with any spacing? */
static int is_empty_format(const char *text)
{
    char squeezed[8];
    size_t k = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (k == sizeof squeezed - 1)
            return 0;
        squeezed[k++] = *p;
    }
    squeezed[k] = '\0';
    return !strcmp(squeezed, "NOT()");
}

int cq_subsearch_parse(cq_arena *a, const char *text, cq_span at, const cq_ast **out,
                       cq_diag *d)
{
    if (is_empty_format(text)) {
        *out = cq_ast_new(a, CQ_AST_OR, at);    /* no operand: matches nothing */
        return 0;
    }
    cq_diag pd;
    cq_diag_init(&pd);
    cq_ast *pl;
    if (cq_parse(a, text, strlen(text), &pl, &pd)) {
        cq_diag_set(d, at, "the subsearch's result is not a search expression: %s", pd.msg);
        cq_diag_hint(d, "the result was: %.200s", text);
        return -1;
    }
    const cq_ast *cmd = pl->kids;
    if (!cmd || strcmp(cmd->name, "search") || cmd->next || has_subsearch(cmd->kids)) {
        cq_diag_set(d, at, "the subsearch's result is not a search expression");
        cq_diag_hint(d, "the result was: %.200s", text);
        return -1;
    }
    respan(cmd->kids, at);
    if (!cmd->kids) {
        *out = cq_ast_text(a, CQ_AST_TERM, "*", 0, at);
        return 0;
    }
    if (cq_filter_check(cmd->kids, -1, d))
        return -1;
    *out = cmd->kids;
    return 0;
}

/* ------------------------------------------------------- substitution */

typedef struct sub_result {
    const cq_ast *pipeline;
    const cq_ast *expr;
} sub_result;

/* e with every SUBSEARCH replaced by its result; nodes on the way are
 * copied, the rest shared. */
static const cq_ast *rewrite(cq_arena *a, const cq_ast *e, const sub_result *res, size_t n)
{
    if (!e)
        return NULL;
    if (e->kind == CQ_AST_SUBSEARCH) {
        for (size_t i = 0; i < n; i++)
            if (res[i].pipeline == e->kids)
                return res[i].expr;
        return e;
    }
    if (e->kind != CQ_AST_AND && e->kind != CQ_AST_OR && e->kind != CQ_AST_NOT)
        return e;
    const cq_ast **kids = cq_arena_alloc(a, (e->n_kids + 1) * sizeof *kids);
    int changed = 0;
    size_t i = 0;
    for (const cq_ast *k = e->kids; k; k = k->next, i++) {
        kids[i] = rewrite(a, k, res, n);
        changed |= kids[i] != k;
    }
    if (!changed)
        return e;
    cq_ast *copy = cq_arena_alloc(a, sizeof *copy);
    *copy = *e;
    copy->kids = copy->last = copy->next = NULL;
    copy->n_kids = 0;
    for (size_t j = 0; j < i; j++) {
        cq_ast *k = cq_arena_alloc(a, sizeof *k);
        *k = *kids[j];
        k->next = NULL;
        cq_ast_add(copy, k);
    }
    copy->span = e->span;
    return copy;
}

/* Runs one subsearch and turns its rows into an expression. */
static int run_one(const cq_subplan *s, cq_exec_ctx *ctx, const cq_ast **out)
{
    cq_rowstore rs;
    cq_rows_init(&rs);
    cq_strbuf text = CQ_STRBUF_INIT;
    int rc = cq_subsearch_collect(s->plan, ctx, s->maxout, s->maxtime, "subsearch",
                                  "--subsearch-maxout", &rs);
    if (!rc) {
        cq_format_opts fo = CQ_FORMAT_DEFAULT;
        cq_format_rows(&rs, &fo, &text);
        rc = cq_subsearch_parse(ctx->arena, cq_strbuf_str(&text), s->pipeline->span, out,
                                ctx->diag);
    }
    cq_strbuf_free(&text);
    cq_rows_free(&rs);
    return rc;
}

int cq_subsearch_substitute(const cq_plan *p, cq_exec_ctx *ctx, const cq_plan **out)
{
    cq_arena *a = ctx->arena;
    sub_result *res = cq_arena_alloc(a, p->n_subs * sizeof *res);
    for (size_t i = 0; i < p->n_subs; i++) {
        res[i].pipeline = p->subs[i].pipeline;
        if (run_one(&p->subs[i], ctx, &res[i].expr))
            return -1;
    }
    cq_plan *copy = cq_arena_alloc(a, sizeof *copy);
    *copy = *p;
    copy->n_subs = 0;
    copy->scan_expr = rewrite(a, p->scan_expr, res, p->n_subs);
    copy->stages = cq_arena_alloc(a, (p->n_stages + 1) * sizeof *copy->stages);
    for (size_t i = 0; i < p->n_stages; i++) {
        copy->stages[i] = p->stages[i];
        if (!strcmp(p->stages[i].cmd->name, "search"))     /* its cfg is the expression */
            copy->stages[i].cfg = (void *)rewrite(a, p->stages[i].cfg, res, p->n_subs);
    }
    *out = copy;
    return 0;
}

/* ----------------------------------------------------------- planning */

int cq_subsearch_plan(cq_arena *a, const cq_ast *sub, const cq_plan_opts *o, cq_plan **out,
                      cq_diag *d)
{
    return cq_plan_build(a, sub->kids, o, out, d);
}

static int plan_in(cq_arena *a, const cq_ast *e, cq_plan *p, const cq_plan_opts *o,
                   size_t *cap, cq_diag *d)
{
    if (!e)
        return 0;
    if (e->kind == CQ_AST_SUBSEARCH) {
        cq_plan *sp;
        if (cq_subsearch_plan(a, e, o, &sp, d))
            return -1;
        if (p->n_subs == *cap) {
            *cap = *cap ? *cap * 2 : 4;
            cq_subplan *ns = cq_arena_alloc(a, *cap * sizeof *ns);
            if (p->n_subs)
                memcpy(ns, p->subs, p->n_subs * sizeof *ns);
            p->subs = ns;
        }
        p->subs[p->n_subs++] = (cq_subplan){e->kids, sp, o->limits.subsearch_maxout,
                                            o->limits.subsearch_maxtime};
        return 0;
    }
    if (e->kind != CQ_AST_AND && e->kind != CQ_AST_OR && e->kind != CQ_AST_NOT)
        return 0;
    for (const cq_ast *k = e->kids; k; k = k->next)
        if (plan_in(a, k, p, o, cap, d))
            return -1;
    return 0;
}

int cq_subsearch_plan_all(cq_arena *a, cq_plan *p, const cq_plan_opts *o, cq_diag *d)
{
    size_t cap = 0;
    if (plan_in(a, p->scan_expr, p, o, &cap, d))
        return -1;
    for (size_t i = 0; i < p->n_stages; i++)
        if (!strcmp(p->stages[i].cmd->name, "search") &&
            plan_in(a, p->stages[i].cfg, p, o, &cap, d))
            return -1;
    return 0;
}

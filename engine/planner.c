/*
 * planner.c - AST -> plan.
 *
 * The first search expression is split: conjuncts that only test block-level
 * attributes (sourcetype, source, host, possibly ORed or IN-listed) become
 * the pushdown that SQLite evaluates on the blocks table; earliest=/latest=
 * become the time range.  The rest, and in fact the whole expression minus
 * the time modifiers, is the residual the engine re-checks on each row: the
 * pushdown only ever narrows which blocks are read, so a pushdown that is
 * coarser than the predicate can never change a result.
 */
#include "engine/plan.h"
#include "engine/op.h"
#include "engine/par.h"
#include "engine/subsearch.h"
#include "engine/tstats.h"
#include "engine/expr/match.h"
#include "engine/ops/op_rows.h"
#include "grammar/resolve.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/timemod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- pushdown */

static int attr_of(const char *field, cq_attr *a)
{
    if (!strcmp(field, "sourcetype"))
        *a = CQ_ATTR_SOURCETYPE;
    else if (!strcmp(field, "source"))
        *a = CQ_ATTR_SOURCE;
    else if (!strcmp(field, "host"))
        *a = CQ_ATTR_HOST;
    else
        return -1;
    return 0;
}

/* Can node n be answered from block attributes alone?  Counts its atoms. */
static int pushable(const cq_ast *n, size_t *n_atoms)
{
    cq_attr a;
    switch (n->kind) {
    case CQ_AST_COMPARE:
        if (n->op != CQ_OP_EQ || attr_of(n->name, &a))
            return 0;
        (*n_atoms)++;
        return 1;
    case CQ_AST_IN:
        if (attr_of(n->name, &a))
            return 0;
        *n_atoms += n->n_kids;
        return n->n_kids > 0;
    case CQ_AST_OR:
        for (const cq_ast *k = n->kids; k; k = k->next)
            if (!pushable(k, n_atoms))
                return 0;
        return 1;
    default:
        return 0;
    }
}

static void collect_atoms(const cq_ast *n, cq_pd_atom *atoms, size_t *k)
{
    cq_attr a;
    if (n->kind == CQ_AST_COMPARE) {
        attr_of(n->name, &a);
        atoms[(*k)++] = (cq_pd_atom){a, n->text};
    } else if (n->kind == CQ_AST_IN) {
        attr_of(n->name, &a);
        for (const cq_ast *v = n->kids; v; v = v->next)
            atoms[(*k)++] = (cq_pd_atom){a, v->text};
    } else {
        for (const cq_ast *c = n->kids; c; c = c->next)
            collect_atoms(c, atoms, k);
    }
}

static void add_clause(cq_arena *a, cq_plan *p, const cq_ast *n, size_t *cap)
{
    size_t n_atoms = 0;
    if (!pushable(n, &n_atoms))
        return;
    cq_pd_atom *atoms = cq_arena_alloc(a, n_atoms * sizeof *atoms);
    size_t k = 0;
    collect_atoms(n, atoms, &k);
    if (p->pd.n_clauses == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        cq_pd_clause *c = cq_arena_alloc(a, *cap * sizeof *c);
        if (p->pd.n_clauses)
            memcpy(c, p->pd.clauses, p->pd.n_clauses * sizeof *c);
        p->pd.clauses = c;
    }
    ((cq_pd_clause *)p->pd.clauses)[p->pd.n_clauses++] = (cq_pd_clause){atoms, k};
}

/* Applies earliest=/latest= of the top level, and returns the expression
 * without them (NULL when nothing is left). */
static const cq_ast *take_time_mods(cq_arena *a, const cq_ast *e, cq_plan *p,
                                    const cq_plan_opts *o, cq_diag *d)
{
    if (cq_filter_is_time_mod(e)) {
        int64_t t;
        if (cq_time_modifier(e->text, o->now_us, &t)) {
            cq_diag_set(d, e->span, "bad time modifier \"%s\"", e->text);
            cq_diag_hint(d, "use -24h, -7d@d, @w1, now, epoch seconds or %%m/%%d/%%Y:%%H:%%M:%%S");
            return NULL;
        }
        if (!strcmp(e->name, "earliest"))
            p->earliest = t;
        else
            p->latest = t;
        return NULL;
    }
    if (e->kind != CQ_AST_AND)
        return e;
    cq_ast *rest = cq_ast_new(a, CQ_AST_AND, e->span);
    for (const cq_ast *k = e->kids; k; k = k->next) {
        if (cq_filter_is_time_mod(k)) {
            take_time_mods(a, k, p, o, d);
            continue;
        }
        cq_ast *copy = cq_arena_alloc(a, sizeof *copy);
        *copy = *k;
        copy->next = NULL;
        cq_ast_add(rest, copy);
    }
    rest->span = e->span;
    if (rest->n_kids == 0)
        return NULL;
    return rest->n_kids == 1 ? rest->kids : rest;
}

/* A bare term or a quoted phrase (its ends are token ends, so every piece
 * is a whole token of the event) that every matching event contains: the
 * term filter can rule blocks out.  The index ignores wildcards. */
static int pushable_term(const cq_ast *n)
{
    return n->kind == CQ_AST_TERM && !(n->flags & CQ_AST_TERMDIR) &&
           ((n->flags & CQ_AST_QUOTED) || strcmp(n->text, "*") != 0);
}

static void push_terms(cq_arena *a, cq_plan *p, const cq_ast *e)
{
    size_t n = 0;
    const cq_ast *one[1] = {e};
    const cq_ast *const *kids = one;
    size_t n_kids = 1;
    if (e->kind == CQ_AST_AND) {
        const cq_ast **k = cq_arena_alloc(a, e->n_kids * sizeof *k);
        size_t i = 0;
        for (const cq_ast *c = e->kids; c; c = c->next)
            k[i++] = c;
        kids = k;
        n_kids = i;
    }
    const char **terms = cq_arena_alloc(a, (n_kids + 1) * sizeof *terms);
    for (size_t i = 0; i < n_kids; i++)
        if (pushable_term(kids[i]))
            terms[n++] = kids[i]->text;
    p->pd.terms = terms;
    p->pd.n_terms = n;
}

static int first_search(cq_arena *a, const cq_ast *cmd, cq_plan *p, const cq_plan_opts *o,
                        cq_diag *d)
{
    const cq_ast *e = cmd->kids;
    if (!e)
        return 0;
    if (cq_filter_check(e, 1, d))
        return -1;
    size_t cap = 0;
    if (e->kind == CQ_AST_AND) {
        for (const cq_ast *k = e->kids; k; k = k->next)
            add_clause(a, p, k, &cap);
    } else {
        add_clause(a, p, e, &cap);
    }
    push_terms(a, p, e);
    p->scan_expr = take_time_mods(a, e, p, o, d);
    /* `*` alone keeps every event: nothing to re-check per row. */
    if (p->scan_expr && p->scan_expr->kind == CQ_AST_TERM &&
        !(p->scan_expr->flags & CQ_AST_QUOTED) && !strcmp(p->scan_expr->text, "*"))
        p->scan_expr = NULL;
    return d->set ? -1 : 0;
}

/* Whether the pushdown alone decides which rows the first search keeps:
 * every conjunct of the residual is a block attribute test (or there is
 * none), so re-checking each row changes nothing. */
static int residual_pushed(const cq_plan *p)
{
    const cq_ast *e = p->scan_expr;
    size_t n = 0;
    if (!e || p->source)
        return !p->source;
    if (e->kind != CQ_AST_AND)
        return pushable(e, &n);
    for (const cq_ast *k = e->kids; k; k = k->next)
        if (!pushable(k, &n))
            return 0;
    return 1;
}

/* Whether the command's row in grammar/commands.def lists option opt. */
static int takes_option(const char *cmd, const char *opt)
{
    const cq_cmd_def *def = cq_cmd_def_find(cmd);
    size_t n = strlen(opt);
    for (const char *p = def ? def->options : ""; (p = strstr(p, opt)); p += n)
        if ((p == def->options || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
            return 1;
    return 0;
}

/*
 * A generating command after the first, `... | inputlookup append=t T`:
 * Splunk appends its results to the results before it, which is what
 * `append maxout=0 [| inputlookup T]` does, so it is planned as that (no
 * limit: the command's rows are not a subsearch's).  Without append=true it
 * must be first.  Returns the append command, or NULL with d set.
 */
static const cq_ast *generating_stage(cq_arena *a, const cq_ast *cmd, cq_diag *d)
{
    const cq_ast *opt = cq_ast_option(cmd, "append");
    if (!opt || cq_ast_truth(opt->kids) != 1) {
        cq_diag_set(d, cq_cmd_name_span(cmd), "%s must be the first command of a search",
                    cmd->name);
        if (takes_option(cmd->name, "append"))
            cq_diag_hint(d, "or give it append=true to add its results to the results "
                         "before it");
        return NULL;
    }
    cq_ast *gen = cq_ast_named(a, CQ_AST_COMMAND, cmd->name, cmd->span);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k == opt)
            continue;
        cq_ast *c = cq_arena_alloc(a, sizeof *c);
        *c = *k;
        cq_ast_add(gen, c);
    }
    gen->span = cmd->span;
    cq_ast *pipe = cq_ast_add(cq_ast_new(a, CQ_AST_PIPELINE, cmd->span), gen);
    cq_ast *sub = cq_ast_add(cq_ast_new(a, CQ_AST_SUBSEARCH, cmd->span), pipe);
    cq_ast *maxout = cq_ast_add(cq_ast_named(a, CQ_AST_OPTION, "maxout", opt->span),
                                cq_ast_text(a, CQ_AST_VALUE, "0", 0, opt->span));
    cq_ast *app = cq_ast_named(a, CQ_AST_COMMAND, "append", cmd->span);
    return cq_ast_add(cq_ast_add(app, maxout), sub);
}

static int plan_stages(cq_arena *a, const cq_ast *pipeline, const cq_ast *cmd, cq_plan *p,
                       const cq_plan_opts *o, cq_diag *diag);

/* Whether cmd is a command of the table the engine cannot run; if so, d
 * says so, with the reason its row gives. */
static int not_yet(const cq_ast *cmd, cq_diag *d)
{
    const char *why = cq_command_not_yet(cmd->name);
    if (!why)
        return 0;
    if (*why)
        cq_diag_set(d, cq_cmd_name_span(cmd), "not supported yet: %s (%s)", cmd->name, why);
    else
        cq_diag_set(d, cq_cmd_name_span(cmd), "not supported yet: %s", cmd->name);
    return 1;
}

int cq_plan_build(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o,
                  cq_plan **out, cq_diag *diag)
{
    cq_plan *p = cq_arena_calloc(a, sizeof *p);
    p->earliest = o->earliest;
    p->latest = o->latest;
    p->now_us = o->now_us;
    p->tz = o->tz;
    p->newest_first = 1;
    cq_tstats_info ts = {0};
    if (cq_tstats_is(pipeline->kids)) {
        if (cq_tstats_rewrite(a, pipeline, o, &pipeline, &ts, diag))
            return -1;
        p->note = ts.note;
    }
    const cq_ast *cmd = pipeline->kids;
    const cq_command *gen = cmd ? cq_command_find(cmd->name) : NULL;
    if (gen && (gen->flags & CQ_CMD_GENERATING)) {
        /* | inputlookup, | multisearch: the command makes the results. */
        p->source = cq_arena_calloc(a, sizeof *p->source);
        *p->source = (cq_stage){gen, cmd, NULL};
        if (gen->prepare(a, cmd, o, &p->source->cfg, diag))
            return -1;
        p->fixed_columns = (gen->flags & CQ_CMD_FIXES_COLUMNS) != 0;
    } else if (cmd && not_yet(cmd, diag)) {
        return -1;
    } else if (!cmd || strcmp(cmd->name, "search")) {
        return cq_diag_set(diag, cmd ? cmd->span : pipeline->span,
                           "not supported yet: a query that does not start with a search");
    } else if (first_search(a, cmd, p, o, diag)) {
        return -1;
    }
    /* A time in the search overrides the one given outside it (Splunk). */
    p->pd.earliest = p->earliest;
    p->pd.latest = p->latest;
    if (plan_stages(a, pipeline, cmd->next, p, o, diag))
        return -1;
    if (residual_pushed(p) && !p->n_subs && cq_tstats_use_meta(a, p, o, &ts, diag) < 0)
        return -1;
    if (cq_subsearch_plan_all(a, p, o, diag))
        return -1;
    cq_plan_needs(a, p);
    p->scan_threads = p->source ? 1 : o->threads ? o->threads : cq_par_default_threads();
    *out = p;
    return 0;
}

int cq_plan_stages(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o, cq_plan **out,
                   cq_diag *diag)
{
    cq_plan *p = cq_arena_calloc(a, sizeof *p);
    p->earliest = o->earliest;
    p->latest = o->latest;
    p->now_us = o->now_us;
    p->tz = o->tz;
    p->pd.earliest = p->earliest;
    p->pd.latest = p->latest;
    p->scan_threads = 1;
    if (plan_stages(a, pipeline, pipeline->kids, p, o, diag) ||
        cq_subsearch_plan_all(a, p, o, diag))
        return -1;
    *out = p;
    return 0;
}

/* Plans the commands from cmd on as p's stages. */
static int plan_stages(cq_arena *a, const cq_ast *pipeline, const cq_ast *cmd, cq_plan *p,
                       const cq_plan_opts *o, cq_diag *diag)
{
    p->stages = cq_arena_calloc(a, (pipeline->n_kids + 1) * sizeof *p->stages);
    for (; cmd; cmd = cmd->next) {
        cq_stage *st = &p->stages[p->n_stages];
        st->cmd = cmd;
        st->def = cq_command_find(cmd->name);
        if (cq_tstats_is(cmd))
            return cq_diag_set(diag, cq_cmd_name_span(cmd),
                               "%s must be the first command of a search", cmd->name);
        if (!st->def && not_yet(cmd, diag))
            return -1;
        if (!st->def)
            return cq_diag_set(diag, cq_cmd_name_span(cmd), "not supported yet: %s", cmd->name);
        if (st->def->flags & CQ_CMD_GENERATING) {
            if (!(st->cmd = generating_stage(a, cmd, diag)))
                return -1;
            st->def = cq_command_find(st->cmd->name);
        }
        if (st->def->prepare(a, st->cmd, o, &st->cfg, diag))
            return -1;
        p->n_stages++;
        if (st->def->flags & CQ_CMD_FIXES_COLUMNS)
            p->fixed_columns = 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- print */

void cq_plan_print(FILE *out, const cq_plan *p)
{
    if (p->note)
        fprintf(out, "%s\n", p->note);
    if (p->source && !p->source_reads_blocks) {
        fprintf(out, "engine:\n  %s (generating: no index scan)\n", p->source->def->name);
        for (const cq_ast *k = p->source->cmd->kids; k; k = k->next)
            cq_ast_print(out, k, 2);
        goto stages;
    }
    cq_strbuf sql = CQ_STRBUF_INIT;
    cq_scan_describe(&p->pd, &sql);
    fprintf(out, "index (SQLite):\n  %s\n", sql.buf);
    cq_strbuf_free(&sql);
    int k = 1;
    for (size_t i = 0; i < p->pd.n_clauses; i++)
        for (size_t j = 0; j < p->pd.clauses[i].n_atoms; j++)
            fprintf(out, "  ?%d = \"%s\" (case-insensitive)\n", k++,
                    p->pd.clauses[i].atoms[j].value);
    char buf[CQ_TIME_BUFLEN];
    if (p->pd.earliest != INT64_MIN) {
        cq_time_format(p->pd.earliest, 0, buf);
        fprintf(out, "  ?%d = %s (earliest, inclusive)\n", k++, buf);
    }
    if (p->pd.latest != INT64_MAX) {
        cq_time_format(p->pd.latest, 0, buf);
        fprintf(out, "  ?%d = %s (latest, exclusive)\n", k++, buf);
    }
    for (size_t i = 0; i < p->pd.n_terms; i++)
        fprintf(out, "  term filter: blocks that may contain \"%s\"\n", p->pd.terms[i]);
    if (p->source) {
        fprintf(out, "engine:\n  %s: block metadata (sourcetype, source, host, index, "
                "row count) of the blocks above, no rows decoded\n", p->source->def->name);
        goto stages;
    }
    fprintf(out, "engine:\n  scan blocks%s, ", p->newest_first ? " newest first" : " in any order");
    if (p->need_all) {
        fprintf(out, "all columns\n");
    } else {
        fprintf(out, "columns");
        for (size_t i = 0; i < p->n_need; i++)
            fprintf(out, " %s", p->need[i]);
        fputc('\n', out);
    }
    if (p->scan_expr) {
        fprintf(out, "  filter (re-checked on every row):\n");
        cq_ast_print(out, p->scan_expr, 2);
    }
    if (p->scan_threads > 1 && !p->par_stages)
        fprintf(out, "  scan threads: up to %u (no more than blocks) read blocks ahead, each "
                "through its own connection; the stages below get them in scan order\n",
                p->scan_threads);
    if (p->scan_threads > 1 && p->par_stages) {
        const char *m = p->stages[p->par_stages - 1].def->name;
        fprintf(out, "  scan threads: up to %u (no more than blocks), each over its own run "
                "of consecutive blocks\n    each thread: scan (the columns above)", p->scan_threads);
        for (size_t i = 0; i < p->par_stages; i++)
            fprintf(out, ", %s", p->stages[i].def->name);
        fprintf(out, " (partial)\n    then: %s merges the partial states in block order\n", m);
    }
stages:
    for (size_t i = 0; i < p->n_stages; i++) {
        fprintf(out, "  %s\n", p->stages[i].def->name);
        for (const cq_ast *k = p->stages[i].cmd->kids; k; k = k->next)
            cq_ast_print(out, k, 2);
    }
}

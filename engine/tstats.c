/*
 * tstats.c - `| tstats` planned as search | eval | search | bin | stats
 * (see tstats.h for the shape and why it is exact).  This file builds that
 * pipeline from the tstats command and the data model it names; it checks
 * the options tstats has that the rewrite does not express, and runs
 * nothing itself.
 */
#include "engine/tstats.h"
#include "engine/datamodel.h"
#include "engine/op.h"
#include "engine/ops/op_rows.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <string.h>

int cq_tstats_is(const cq_ast *cmd)
{
    return cmd && cmd->kind == CQ_AST_COMMAND &&
           (!strcmp(cmd->name, "tstats") || !strcmp(cmd->name, "from") ||
            !strcmp(cmd->name, "datamodel"));
}

/* A data-model field the query names, and what gives its value. */
typedef struct dm_ref {
    const char *full;           /* Processes.process_name */
    const cq_ast *expr;         /* from datamodels.conf, or NULL: the stored field */
    const char *stored;         /* the stored field when expr is NULL */
} dm_ref;

typedef struct ts {
    cq_arena *a;
    cq_diag *d;
    const cq_ast *cmd;
    const cq_ast *dm_opt;       /* OPTION datamodel, or NULL */
    const char *model;
    const cq_dm_dataset **scope;    /* the datasets searched (one, or a model's roots) */
    size_t n_scope;
    dm_ref *refs;
    size_t n_refs, cap_refs;
} ts;

/* Fields every dataset inherits (CIM: _time, host, source, sourcetype),
 * with index and the time modifiers of a search. */
static int inherited(const char *name)
{
    static const char *const names[] = {"_time", "_raw", "host", "source", "sourcetype",
                                        "index", "earliest", "latest", "nodename", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

/* A copy of the tree at n, every span set to span (nodes read from
 * datamodels.conf point at the datamodel= option of the query). */
static cq_ast *copy_at(cq_arena *a, const cq_ast *n, cq_span span)
{
    cq_ast *c = cq_arena_alloc(a, sizeof *c);
    *c = *n;
    c->span = span;
    c->kids = c->last = c->next = NULL;
    c->n_kids = 0;
    for (const cq_ast *k = n->kids; k; k = k->next)
        cq_ast_add(c, copy_at(a, k, span));
    return c;
}

/* A copy of node n alone (its kids shared), free to be added elsewhere. */
static cq_ast *dup(cq_arena *a, const cq_ast *n)
{
    cq_ast *c = cq_arena_alloc(a, sizeof *c);
    *c = *n;
    c->next = NULL;
    return c;
}

/* ------------------------------------------------------- data models */

static int load_models(ts *t, const cq_plan_opts *o, cq_datamodels *m)
{
    cq_datamodels_init(m, t->a);
    if (!o->datamodels || !*o->datamodels) {
        cq_diag_set(t->d, t->dm_opt->span, "no datamodels.conf found for data model \"%s\"",
                    cq_ast_opt_text(t->dm_opt));
        cq_diag_hint(t->d, "set CQUERY_DATADIR to the directory that holds datamodels.conf");
        return -1;
    }
    char *list = cq_xstrdup(o->datamodels);
    int rc = 0;
    for (char *p = list, *end; rc == 0 && p; p = end) {
        end = strchr(p, ':');
        if (end)
            *end++ = '\0';
        if (*p)
            rc = cq_datamodels_load(m, p, t->d);
    }
    free(list);
    return rc ? -1 : cq_datamodels_link(m, t->d);
}

/* Lists the model's datasets for a hint. */
static void hint_datasets(ts *t, const cq_datamodels *m, const char *model)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (const cq_dm_dataset *ds = m->head; ds; ds = ds->next)
        if (!strcmp(ds->model, model))
            cq_strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", ds->path);
    cq_diag_hint(t->d, "%s has %.200s", model, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
}

static void hint_models(ts *t, const cq_datamodels *m)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (const cq_dm_dataset *ds = m->head; ds; ds = ds->next) {
        int seen = 0;
        for (const cq_dm_dataset *e = m->head; e != ds; e = e->next)
            seen |= !strcmp(e->model, ds->model);
        if (!seen)
            cq_strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", ds->model);
    }
    cq_diag_hint(t->d, "data models: %.220s (datamodels.conf)", cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
}

/* Sets t->scope from "Model[.Dataset]" and a nodename= narrowing. */
static int find_scope(ts *t, const cq_datamodels *m, const char *nodename, cq_span node_span)
{
    const char *spec = cq_ast_opt_text(t->dm_opt);
    const char *dot = spec ? strchr(spec, '.') : NULL;
    t->model = dot ? cq_arena_strndup(t->a, spec, (size_t)(dot - spec)) : spec;
    if (!t->model || !cq_dm_has_model(m, t->model)) {
        cq_diag_set(t->d, t->dm_opt->span, "unknown data model \"%s\"", t->model ? t->model : "");
        hint_models(t, m);
        return -1;
    }
    const char *name = dot ? dot + 1 : NULL;
    if (nodename) {
        /* nodename=All_Traffic.Traffic_By_Action or Model.Dataset... */
        size_t ml = strlen(t->model);
        name = !strncmp(nodename, t->model, ml) && nodename[ml] == '.' ? nodename + ml + 1
                                                                        : nodename;
    }
    size_t n_roots = 0;
    const cq_dm_dataset *ds = cq_dm_find(m, t->model, name, &n_roots);
    if (!ds) {
        cq_diag_set(t->d, nodename ? node_span : t->dm_opt->span,
                    "unknown dataset \"%s\" in data model \"%s\"", name, t->model);
        hint_datasets(t, m, t->model);
        return -1;
    }
    if (name) {
        t->scope = cq_arena_alloc(t->a, sizeof *t->scope);
        t->scope[0] = ds;
        t->n_scope = 1;
        return 0;
    }
    t->scope = cq_arena_alloc(t->a, n_roots * sizeof *t->scope);
    for (const cq_dm_dataset *r = m->head; r; r = r->next)
        if (!strcmp(r->model, t->model) && !r->parent)
            t->scope[t->n_scope++] = r;
    return 0;
}

/* The data-model field called name (Processes.process_name): 1 with *out,
 * 0 when name is not a data-model name (inherited fields), -1 (error set)
 * when it names no field of the datasets searched. */
static int dm_field(ts *t, const char *name, cq_span span, dm_ref *out)
{
    if (!t->dm_opt || inherited(name))
        return 0;
    for (size_t i = 0; i < t->n_scope; i++)
        for (const cq_dm_dataset *ds = t->scope[i]; ds; ds = ds->parent) {
            size_t pl = strlen(ds->path);
            if (strncmp(name, ds->path, pl) || name[pl] != '.')
                continue;
            for (const cq_dm_field *f = ds->fields; f; f = f->next)
                if (!strcmp(f->name, name + pl + 1)) {
                    *out = (dm_ref){name, f->expr, f->name};
                    return 1;
                }
        }
    const cq_dm_dataset *ds = t->scope[0];
    cq_diag_set(t->d, span, "unknown field \"%s\" in data model %s.%s", name, ds->model,
                t->n_scope == 1 ? ds->path : "(every root dataset)");
    cq_diag_hint(t->d, "its fields are named %s.<field> (datamodels.conf); _time, host, "
                 "source and sourcetype keep their names", ds->path);
    return -1;
}

/* Notes field name as used; returns 1 if it is a data-model field, 0 if not,
 * -1 on error. */
static int use_field(ts *t, const char *name, cq_span span)
{
    dm_ref r;
    int rc = dm_field(t, name, span, &r);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < t->n_refs; i++)
        if (!strcmp(t->refs[i].full, name))
            return 1;
    if (t->n_refs == t->cap_refs) {
        t->cap_refs = t->cap_refs ? 2 * t->cap_refs : 8;
        dm_ref *n = cq_arena_alloc(t->a, t->cap_refs * sizeof *n);
        if (t->n_refs)
            memcpy(n, t->refs, t->n_refs * sizeof *n);
        t->refs = n;
    }
    t->refs[t->n_refs++] = r;
    return 1;
}

/* Notes every field the tree at n names; returns 1 if one is a data-model
 * field, 0 if none, -1 on error. */
static int use_fields(ts *t, const cq_ast *n)
{
    int any = 0, rc;
    switch (n->kind) {
    case CQ_AST_COMPARE:
    case CQ_AST_IN:
    case CQ_AST_FIELD:
        if ((rc = use_field(t, cq_field_unquote(t->a, n->name), n->span)) < 0)
            return -1;
        any |= rc;
        if (n->kind == CQ_AST_IN)
            return any;
        break;
    case CQ_AST_SUBSEARCH:
        return 0;
    default:
        break;
    }
    for (const cq_ast *k = n->kids; k; k = k->next) {
        if ((rc = use_fields(t, k)) < 0)
            return -1;
        any |= rc;
    }
    return any;
}

/* ------------------------------------------------------------ options */

/* Options tstats takes that change nothing here, or that it runs: checks
 * their values.  *prestats and *fillnull get theirs. */
static int check_options(ts *t, int *prestats, const cq_ast **fillnull)
{
    for (const cq_ast *k = t->cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_OPTION)
            continue;
        const char *n = k->name;
        int truth = cq_ast_truth(k->kids);
        if (!strcmp(n, "summariesonly") || !strcmp(n, "allow_old_summaries") ||
            !strcmp(n, "include_reduced_buckets") || !strcmp(n, "local") ||
            !strcmp(n, "prestats") || !strcmp(n, "append")) {
            if (truth < 0)
                return cq_diag_set(t->d, k->span, "%s= takes true or false, not \"%s\"", n,
                                   cq_ast_opt_text(k) ? cq_ast_opt_text(k) : "");
            if (!strcmp(n, "prestats"))
                *prestats = truth;
            if (!strcmp(n, "append") && truth)
                return cq_diag_set(t->d, k->span, "not supported yet: tstats append=true");
        } else if (!strcmp(n, "chunk_size")) {
            if (cq_ast_whole(k->kids) <= 0)
                return cq_diag_set(t->d, k->span, "chunk_size= takes a positive number");
        } else if (!strcmp(n, "fillnull_value")) {
            *fillnull = k;
        } else if (!strcmp(n, "datamodel") || !strcmp(n, "where") || !strcmp(n, "span")) {
            continue;
        } else {
            return cq_diag_set(t->d, k->span, "not supported yet: tstats %s=", n);
        }
    }
    return 0;
}

/* ----------------------------------------------------------- pipeline */

static cq_ast *command(ts *t, const char *name)
{
    return cq_ast_named(t->a, CQ_AST_COMMAND, name, t->cmd->span);
}

/* The constraint of ds and its ancestors (AND), or NULL for none. */
static cq_ast *chain_constraint(ts *t, const cq_dm_dataset *ds)
{
    cq_ast *all = NULL;
    for (; ds; ds = ds->parent)
        if (ds->constraint) {
            cq_ast *c = copy_at(t->a, ds->constraint, t->dm_opt->span);
            all = all ? cq_ast_bool(t->a, CQ_AST_AND, c, all) : c;
        }
    return all;
}

/* The search's expression: the scope's constraint, then the conjuncts of
 * `where` that name no data-model field.  `*` when there is neither. */
static cq_ast *first_expr(ts *t, cq_ast *plain)
{
    cq_ast *e = NULL;
    if (t->dm_opt) {
        for (size_t i = 0; i < t->n_scope; i++) {
            cq_ast *c = chain_constraint(t, t->scope[i]);
            if (!c) {
                e = NULL;   /* one dataset takes every event: so does the union */
                break;
            }
            e = e ? cq_ast_bool(t->a, CQ_AST_OR, e, c) : c;
        }
    }
    if (plain)
        e = e ? cq_ast_bool(t->a, CQ_AST_AND, e, plain) : plain;
    if (!e)
        e = cq_ast_text(t->a, CQ_AST_TERM, "*", 0, t->cmd->span);
    return e;
}

/* Splits `where` into conjuncts that name data-model fields (*dm) and the
 * rest (*plain); takes out nodename=. */
static int split_where(ts *t, const cq_ast *where, cq_ast **plain, cq_ast **dm)
{
    const cq_ast *e = where ? where->kids : NULL;
    if (!e)
        return 0;
    const cq_ast *one = e;
    const cq_ast *k = e->kind == CQ_AST_AND ? e->kids : one;
    for (; k; k = e->kind == CQ_AST_AND ? k->next : NULL) {
        if (k->kind == CQ_AST_COMPARE && !strcmp(k->name, "nodename"))
            continue;
        int rc = use_fields(t, k);
        if (rc < 0)
            return -1;
        cq_ast **to = rc ? dm : plain;
        *to = *to ? cq_ast_bool(t->a, CQ_AST_AND, *to, dup(t->a, k)) : dup(t->a, k);
    }
    return 0;
}

/* nodename=X among the top-level conjuncts of where, or NULL. */
static const cq_ast *nodename_of(const cq_ast *where)
{
    const cq_ast *e = where ? where->kids : NULL;
    if (!e)
        return NULL;
    for (const cq_ast *k = e->kind == CQ_AST_AND ? e->kids : e; k;
         k = e->kind == CQ_AST_AND ? k->next : NULL)
        if (k->kind == CQ_AST_COMPARE && !strcmp(k->name, "nodename"))
            return k;
    return NULL;
}

static cq_ast *eval_stage(ts *t)
{
    cq_ast *ev = command(t, "eval");
    for (size_t i = 0; i < t->n_refs; i++) {
        const dm_ref *r = &t->refs[i];
        cq_ast *val = r->expr ? copy_at(t->a, r->expr, t->dm_opt->span)
                              : cq_ast_named(t->a, CQ_AST_FIELD, r->stored, t->dm_opt->span);
        cq_ast_add(ev, cq_ast_add(cq_ast_named(t->a, CQ_AST_ASSIGN, r->full, t->dm_opt->span),
                                  val));
    }
    return ev;
}

/* `bin _time span=S` for `by ... _time ... span=S`. */
static cq_ast *bin_stage(ts *t, const cq_ast *span)
{
    cq_ast *bin = command(t, "bin");
    cq_ast_add(bin, cq_ast_named(t->a, CQ_AST_FIELD, "_time", span->span));
    return cq_ast_add(bin, dup(t->a, span));
}

/* The stats command: the aggregations and the by clause as written. */
static cq_ast *stats_stage(ts *t, const cq_ast *by)
{
    cq_ast *st = command(t, "stats");
    for (const cq_ast *k = t->cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_AGG)
            cq_ast_add(st, dup(t->a, k));
    if (by)
        cq_ast_add(st, dup(t->a, by));
    return st;
}

static int by_has_time(const cq_ast *by)
{
    for (const cq_ast *f = by ? by->kids : NULL; f; f = f->next)
        if (f->kind == CQ_AST_FIELD && !strcmp(f->name, "_time"))
            return 1;
    return 0;
}

/* What the stats stage and the later stages name. */
static int use_aggs_and_by(ts *t, const cq_ast *by)
{
    for (const cq_ast *k = t->cmd->kids; k; k = k->next)
        if ((k->kind == CQ_AST_AGG || k == by) && use_fields(t, k) < 0)
            return -1;
    return 0;
}

static const char *describe(ts *t, int prestats)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_adds(&sb, "tstats: every stored field is indexed, so it runs as the search and "
                   "stats below over the column blocks");
    if (prestats)
        cq_strbuf_adds(&sb, " (prestats=true: the rows go to the next command, which "
                       "aggregates)");
    if (t->dm_opt) {
        cq_strbuf_addf(&sb, "\n  data model %s:", t->model);
        for (size_t i = 0; i < t->n_scope; i++)
            for (const cq_dm_dataset *ds = t->scope[i]; ds; ds = ds->parent)
                cq_strbuf_addf(&sb, "\n    %s (%s:%d): constraint %s", ds->path, ds->file,
                               ds->line, ds->constraint_text ? ds->constraint_text : "(none)");
    }
    const char *s = cq_arena_strdup(t->a, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return s;
}

/* Whether block metadata may answer the stats the rewrite makes: counts by
 * block-level fields only. */
static int meta_shape(const ts *t, const cq_ast *by)
{
    for (const cq_ast *k = t->cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_AGG && (k->kids || (strcmp(k->name, "count") &&
                                                  strcmp(k->name, "c"))))
            return 0;
    for (const cq_ast *f = by ? by->kids : NULL; f; f = f->next)
        if (f->kind != CQ_AST_FIELD ||
            (strcmp(f->name, "sourcetype") && strcmp(f->name, "source") &&
             strcmp(f->name, "host") && strcmp(f->name, "index")))
            return 0;
    return 1;
}

static int dataset_rewrite(ts *t, const cq_ast *pipeline, const cq_plan_opts *o,
                           const cq_ast **out, cq_tstats_info *info);

int cq_tstats_rewrite(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o,
                      const cq_ast **out, cq_tstats_info *info, cq_diag *d)
{
    ts t = {.a = a, .d = d, .cmd = pipeline->kids};
    if (strcmp(t.cmd->name, "tstats"))
        return dataset_rewrite(&t, pipeline, o, out, info);
    int prestats = 0;
    const cq_ast *fillnull = NULL;
    if (check_options(&t, &prestats, &fillnull))
        return -1;
    const cq_ast *where = cq_ast_option(t.cmd, "where");
    const cq_ast *span = cq_ast_option(t.cmd, "span");
    const cq_ast *by = NULL;
    for (const cq_ast *k = t.cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_BY)
            by = k;
    t.dm_opt = cq_ast_option(t.cmd, "datamodel");
    const cq_ast *node = nodename_of(where);
    if (node && !t.dm_opt)
        return cq_diag_set(d, node->span, "nodename= needs from datamodel=");
    cq_datamodels m;
    if (t.dm_opt && (load_models(&t, o, &m) ||
                     find_scope(&t, &m, node ? node->text : NULL, node ? node->span : t.cmd->span)))
        return -1;
    if (span && !by_has_time(by))
        return cq_diag_set(d, span->span, "span= needs _time in the by clause");
    cq_ast *plain = NULL, *dm = NULL;
    if (split_where(&t, where, &plain, &dm) || use_aggs_and_by(&t, by))
        return -1;
    int n_aggs = 0;
    for (const cq_ast *k = t.cmd->kids; k; k = k->next)
        n_aggs += k->kind == CQ_AST_AGG;
    if (!n_aggs)
        return cq_diag_set(d, cq_cmd_name_span(t.cmd), "tstats needs a function, e.g. count");
    const cq_ast *after = t.cmd->next;
    if (prestats && (!after || (strcmp(after->name, "stats") && strcmp(after->name, "chart") &&
                                strcmp(after->name, "timechart")))) {
        cq_diag_set(d, cq_ast_option(t.cmd, "prestats")->span,
                    "not supported yet: prestats=true without stats, chart or timechart "
                    "right after it");
        cq_diag_hint(d, "prestats=true hands the rows to the next command to aggregate");
        return -1;
    }

    cq_ast *pipe = cq_ast_new(a, CQ_AST_PIPELINE, pipeline->span);
    cq_ast_add(pipe, cq_ast_add(command(&t, "search"), first_expr(&t, plain)));
    if (t.n_refs)
        cq_ast_add(pipe, eval_stage(&t));
    if (dm)
        cq_ast_add(pipe, cq_ast_add(command(&t, "search"), dm));
    if (fillnull && by) {
        cq_ast *fn = cq_ast_add(command(&t, "fillnull"), dup(a, fillnull));
        fn->kids->name = "value";
        for (const cq_ast *f = by->kids; f; f = f->next)
            if (strcmp(f->name, "_time"))
                cq_ast_add(fn, dup(a, f));
        cq_ast_add(pipe, fn);
    }
    if (span)
        cq_ast_add(pipe, bin_stage(&t, span));
    info->meta_stats = NULL;
    if (!prestats) {
        cq_ast *st = stats_stage(&t, by);
        cq_ast_add(pipe, st);
        if (!t.dm_opt && !t.n_refs && !dm && !fillnull && !span && meta_shape(&t, by))
            info->meta_stats = st;
    }
    for (const cq_ast *k = t.cmd->next; k; k = k->next)
        cq_ast_add(pipe, dup(a, k));
    *out = pipe;
    info->note = describe(&t, prestats);
    return 0;
}

/* ------------------------------------------- from datamodel, datamodel */

/*
 * `| from datamodel:M.D` and `| datamodel M D flat` give the dataset's
 * events with its fields under their own names; `| datamodel M D search`
 * names them as tstats does (D.field).  Planned as
 *   search <the constraints of D and its parents> | eval <each field>
 * (in flat mode, a field that is the stored field of the same name needs
 * no eval).  The events keep every other field, as in Splunk.
 */

/* The arguments of cmd from k on, a run of adjacent ones (no space between:
 * datamodel:"Authentication"."Failed_Authentication") joined into one word;
 * *next gets the first argument after the run. */
static const char *joined_arg(ts *t, const cq_ast *k, const cq_ast **next, cq_span *span)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    *span = k->span;
    const cq_ast *last = NULL;
    for (; k && k->kind == CQ_AST_FIELD && (!last || last->span.end == k->span.start);
         last = k, k = k->next)
        cq_strbuf_adds(&sb, k->name);
    span->end = last->span.end;
    *next = k;
    const char *w = cq_arena_strdup(t->a, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return w;
}

/* A datamodel= option node for "Model.Dataset" at span, for find_scope. */
static const cq_ast *spec_option(ts *t, const char *spec, cq_span span)
{
    cq_ast *opt = cq_ast_named(t->a, CQ_AST_OPTION, "datamodel", span);
    return cq_ast_add(opt, cq_ast_text(t->a, CQ_AST_VALUE, spec, 0, span));
}

/* `| from datamodel:M.D`, `| from datamodel M.D`, `| from datamodel=M.D`:
 * sets t->dm_opt; `| from inputlookup:T` (or lookup:T): *lookup gets T. */
static int from_spec(ts *t, const char **lookup, cq_span *lookup_span)
{
    const cq_ast *k = t->cmd->kids, *next;
    if (k && k->kind == CQ_AST_OPTION && !strcmp(k->name, "datamodel") && !k->next) {
        t->dm_opt = k;
        return 0;
    }
    if (!k || k->kind != CQ_AST_FIELD)
        return cq_diag_set(t->d, k ? k->span : t->cmd->span,
                           "from needs a dataset: from datamodel:<model>.<dataset>");
    cq_span at;
    const char *w = joined_arg(t, k, &next, &at);
    const char *colon = strchr(w, ':');
    size_t kind_len = colon ? (size_t)(colon - w) : strlen(w);
    const char *name = colon ? colon + 1 : NULL;
    if (!colon && next && next->kind == CQ_AST_FIELD) {
        cq_span at2;
        name = joined_arg(t, next, &next, &at2);
        at.end = at2.end;
    }
    if (next)
        return cq_diag_set(t->d, next->span, "from takes one dataset; this is one too many");
    if (!name || !*name)
        return cq_diag_set(t->d, at, "from needs a dataset name after \"%.*s:\"",
                           (int)kind_len, w);
    if (kind_len == 9 && !strncmp(w, "datamodel", 9)) {
        t->dm_opt = spec_option(t, name, at);
        return 0;
    }
    if ((kind_len == 11 && !strncmp(w, "inputlookup", 11)) ||
        (kind_len == 6 && !strncmp(w, "lookup", 6))) {
        *lookup = name;
        *lookup_span = at;
        return 0;
    }
    if ((kind_len == 11 && !strncmp(w, "savedsearch", 11)) ||
        (kind_len == 7 && !strncmp(w, "dataset", 7)))
        return cq_diag_set(t->d, at, "not supported yet: from %.*s: (cquery has no saved "
                           "searches; put the search in a .spl file and run it with hunt)",
                           (int)kind_len, w);
    return cq_diag_set(t->d, at, "from reads datamodel:<model>.<dataset> or "
                       "inputlookup:<table>, not \"%.*s\"", (int)kind_len, w);
}

/* `| datamodel M D search|flat|acceleration_search [options]`: sets t->dm_opt
 * and *flat. */
static int datamodel_spec(ts *t, int *flat)
{
    const cq_ast *words[4];
    size_t n = 0;
    for (const cq_ast *k = t->cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION) {
            if (cq_ast_truth(k->kids) < 0)
                return cq_diag_set(t->d, k->span, "%s= takes true or false", k->name);
            continue;
        }
        if (n == 3)
            return cq_diag_set(t->d, k->span, "datamodel takes a model, a dataset and a "
                               "mode; this is one too many");
        words[n++] = k;
    }
    const char *mode = n == 3 ? words[2]->name : NULL;
    if (!mode || (strcmp(mode, "search") && strcmp(mode, "flat") &&
                  strcmp(mode, "acceleration_search"))) {
        cq_diag_set(t->d, n == 3 ? words[2]->span : cq_cmd_name_span(t->cmd),
                    n == 3 ? "datamodel's mode is search, flat or acceleration_search"
                           : "not supported yet: datamodel without a dataset and a mode "
                             "(the JSON description of a data model)");
        cq_diag_hint(t->d, "| datamodel <model> <dataset> search|flat gives the events; "
                     "datamodels.conf describes the models");
        return -1;
    }
    *flat = !strcmp(mode, "flat");
    const char *spec = cq_arena_printf(t->a, "%s.%s", words[0]->name, words[1]->name);
    t->dm_opt = spec_option(t, spec, cq_span_make(words[0]->span.start, words[1]->span.end));
    return 0;
}

/* Every field of ds and its ancestors, under its own name (flat) or its
 * dataset path (Processes.process_name), as tstats' references. */
static void dataset_fields(ts *t, const cq_dm_dataset *ds, int flat)
{
    for (const cq_dm_dataset *o = ds; o; o = o->parent)
        for (const cq_dm_field *f = o->fields; f; f = f->next) {
            if (flat && !f->expr)
                continue;   /* the stored field already has the name */
            const char *full = flat ? f->name : cq_arena_printf(t->a, "%s.%s", o->path, f->name);
            int dup_name = 0;
            for (size_t i = 0; i < t->n_refs; i++)
                dup_name |= !strcmp(t->refs[i].full, full);
            if (dup_name)
                continue;   /* a child's field shadows its parent's */
            if (t->n_refs == t->cap_refs) {
                t->cap_refs = t->cap_refs ? 2 * t->cap_refs : 16;
                dm_ref *n = cq_arena_alloc(t->a, t->cap_refs * sizeof *n);
                if (t->n_refs)
                    memcpy(n, t->refs, t->n_refs * sizeof *n);
                t->refs = n;
            }
            t->refs[t->n_refs++] = (dm_ref){full, f->expr, f->name};
        }
}

/* `| inputlookup T` for `| from inputlookup:T`, then the rest. */
static cq_ast *lookup_pipeline(ts *t, const cq_ast *pipeline, const char *table, cq_span at)
{
    cq_ast *pipe = cq_ast_new(t->a, CQ_AST_PIPELINE, pipeline->span);
    cq_ast *il = cq_ast_named(t->a, CQ_AST_COMMAND, "inputlookup", t->cmd->span);
    cq_ast_add(pipe, cq_ast_add(il, cq_ast_text(t->a, CQ_AST_ARG, table, 0, at)));
    for (const cq_ast *k = t->cmd->next; k; k = k->next)
        cq_ast_add(pipe, dup(t->a, k));
    return pipe;
}

static int dataset_rewrite(ts *t, const cq_ast *pipeline, const cq_plan_opts *o,
                           const cq_ast **out, cq_tstats_info *info)
{
    int flat = 1;
    const char *table = NULL;
    cq_span table_at;
    if (!strcmp(t->cmd->name, "from") ? from_spec(t, &table, &table_at)
                                       : datamodel_spec(t, &flat))
        return -1;
    if (table) {
        *out = lookup_pipeline(t, pipeline, table, table_at);
        return 0;
    }
    cq_datamodels m;
    if (load_models(t, o, &m) || find_scope(t, &m, NULL, t->cmd->span))
        return -1;
    if (t->n_scope != 1) {
        cq_diag_set(t->d, t->dm_opt->span, "data model %s has %zu root datasets: name one",
                    t->model, t->n_scope);
        hint_datasets(t, &m, t->model);
        return -1;
    }
    dataset_fields(t, t->scope[0], flat);
    cq_ast *pipe = cq_ast_new(t->a, CQ_AST_PIPELINE, pipeline->span);
    cq_ast_add(pipe, cq_ast_add(command(t, "search"), first_expr(t, NULL)));
    if (t->n_refs)
        cq_ast_add(pipe, eval_stage(t));
    for (const cq_ast *k = t->cmd->next; k; k = k->next)
        cq_ast_add(pipe, dup(t->a, k));
    *out = pipe;
    const cq_dm_dataset *ds = t->scope[0];
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%s: the events of data model %s, dataset %s, with its fields%s",
                   t->cmd->name, t->model, ds->path,
                   flat ? " under their own names" : " named <dataset>.<field>");
    for (; ds; ds = ds->parent)
        cq_strbuf_addf(&sb, "\n    %s (%s:%d): constraint %s", ds->path, ds->file, ds->line,
                       ds->constraint_text ? ds->constraint_text : "(none)");
    info->note = cq_arena_strdup(t->a, cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return 0;
}

/* --------------------------------------------------- block metadata */

int cq_tstats_use_meta(cq_arena *a, cq_plan *p, const cq_plan_opts *o,
                       const cq_tstats_info *info, cq_diag *d)
{
    if (!info->meta_stats || !p->n_stages || p->stages[0].cmd != info->meta_stats)
        return 0;
    const cq_ast *old = info->meta_stats;
    cq_span at = old->span;
    /* stats sum(_tstats_rows) as <name> ... by <the same fields> */
    cq_ast *st = cq_ast_named(a, CQ_AST_COMMAND, "stats", at);
    cq_ast *fix = cq_ast_named(a, CQ_AST_COMMAND, "eval", at);
    const cq_ast *by = NULL;
    for (const cq_ast *k = old->kids; k; k = k->next) {
        if (k->kind == CQ_AST_BY) {
            by = k;
            continue;
        }
        const char *name = k->alias ? k->alias : k->name;
        cq_ast *sum = cq_ast_named(a, CQ_AST_AGG, "sum", k->span);
        cq_ast_add(sum, cq_ast_named(a, CQ_AST_FIELD, CQ_TSTATS_ROWS, k->span));
        cq_ast_add(st, cq_ast_alias(a, sum, name));
        /* no block at all: sum() is null where count is 0 */
        cq_ast *call = cq_ast_named(a, CQ_AST_CALL, "coalesce", k->span);
        cq_ast_add(call, cq_ast_named(a, CQ_AST_FIELD, name, k->span));
        cq_ast_add(call, cq_ast_number(a, "0", k->span));
        cq_ast_add(fix, cq_ast_add(cq_ast_named(a, CQ_AST_ASSIGN, name, k->span), call));
    }
    if (by)
        cq_ast_add(st, dup(a, by));
    cq_stage stats = {cq_command_find("stats"), st, NULL};
    cq_stage eval = {cq_command_find("eval"), fix, NULL};
    if (stats.def->prepare(a, st, o, &stats.cfg, d) ||
        (!by && eval.def->prepare(a, fix, o, &eval.cfg, d)))
        return -1;
    p->source = cq_arena_calloc(a, sizeof *p->source);
    *p->source = (cq_stage){cq_command_tstats_meta(), old, NULL};
    p->source_reads_blocks = 1;
    p->stages[0] = stats;
    if (!by) {
        memmove(p->stages + 2, p->stages + 1, (p->n_stages - 1) * sizeof *p->stages);
        p->stages[1] = eval;
        p->n_stages++;
    }
    p->note = cq_arena_printf(a, "%s\n  answered from block metadata: the row count of each "
                              "block the index selects (a block that straddles the time range "
                              "has its _time column read), added up by stats", p->note);
    return 1;
}

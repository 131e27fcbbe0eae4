/*
 * needs.c - which columns a plan reads, and whether it needs results in
 * time order.  Both only ever widen: reading a column the query does not
 * use costs time, missing one would change results, so anything unclear
 * falls back to "all columns" and "newest first".
 */
#include "engine/op.h"
#include "engine/agg/agg.h"
#include "engine/fn/fn.h"

#include <string.h>

/* A command that only looks at the fields it names, row by row, and keeps
 * the order of its input (grammar/commands.def: STREAMING, not ORDERED). */
static int row_local(unsigned flags)
{
    return (flags & (CQ_CMD_STREAMING | CQ_CMD_ORDERED)) == CQ_CMD_STREAMING;
}

static int order_free_agg(const cq_ast *n)
{
    if (n->kind == CQ_AST_AGG && n->name && cq_agg_ordered(n->name))
        return 0;
    for (const cq_ast *k = n->kids; k; k = k->next)
        if (!order_free_agg(k))
            return 0;
    return 1;
}

/* Newest-first order is needed unless a reducing command, reached through
 * row-local commands only, makes it irrelevant. */
static int needs_order(const cq_plan *p)
{
    for (size_t i = 0; i < p->n_stages; i++) {
        unsigned flags = p->stages[i].def->flags;
        if (flags & CQ_CMD_REDUCING)
            return !order_free_agg(p->stages[i].cmd);
        if (!row_local(flags))
            return 1;
    }
    return 1;   /* events come out: newest first */
}

/* The stages the scan threads run: row-local ones, then a command whose
 * partial states merge.  Only when order does not matter: a command that
 * is not order-free (first, last, list) makes the plan newest-first. */
static size_t par_stages(const cq_plan *p)
{
    if (p->source || p->newest_first)
        return 0;
    for (size_t i = 0; i < p->n_stages; i++) {
        unsigned flags = p->stages[i].def->flags;
        if (flags & CQ_CMD_MERGES)
            return i + 1;
        if (!row_local(flags))
            return 0;
    }
    return 0;
}

typedef struct need_set {
    cq_arena *a;
    const char **names;
    unsigned char *bytes;       /* per name: some use reads its bytes */
    size_t n, cap;
    int all;
} need_set;

/* Adds name; bytes: the use reads the values' bytes, not only their
 * lengths. */
static void need_as(need_set *ns, const char *name, int bytes)
{
    if (!name || ns->all)
        return;
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '\'' && name[len - 1] == '\'')   /* dedup 'a.b{}' */
        name = cq_arena_strndup(ns->a, name + 1, len - 2);
    if (strchr(name, '*')) {
        ns->all = 1;    /* a wildcard may name any field */
        return;
    }
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->names[i], name)) {
            ns->bytes[i] |= (unsigned char)bytes;
            return;
        }
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        const char **nn = cq_arena_alloc(ns->a, cap * sizeof *nn);
        unsigned char *nb = cq_arena_alloc(ns->a, cap);
        if (ns->n) {
            memcpy(nn, ns->names, ns->n * sizeof *nn);
            memcpy(nb, ns->bytes, ns->n);
        }
        ns->names = nn;
        ns->bytes = nb;
        ns->cap = cap;
    }
    ns->bytes[ns->n] = (unsigned char)bytes;
    ns->names[ns->n++] = name;
}

static void need(need_set *ns, const char *name)
{
    need_as(ns, name, 1);
}

/* Every name a node and its children mention.  Terms, phrases and
 * functions that search the whole event need _raw. */
static void walk(need_set *ns, const cq_ast *n)
{
    switch (n->kind) {
    case CQ_AST_FIELD: case CQ_AST_COMPARE: case CQ_AST_IN:
    case CQ_AST_SORTKEY: case CQ_AST_RENAME: case CQ_AST_ASSIGN:
        need(ns, n->name && n->name[0] == '$' ? n->name + 1 : n->name);   /* return $f */
        if (n->kind == CQ_AST_FIELD)
            need(ns, n->alias);     /* lookup t f AS event_field */
        break;
    case CQ_AST_SUBSEARCH:
        ns->all = 1;    /* its results may name any field */
        return;
    case CQ_AST_AGG:
        if (n->name && cq_agg_reads_time(n->name))
            need(ns, "_time");      /* earliest(x), latest(x) */
        break;
    case CQ_AST_TERM:
        /* a bare * matches every event without looking at it */
        if ((n->flags & CQ_AST_QUOTED) || strcmp(n->text, "*"))
            need(ns, "_raw");
        break;
    case CQ_AST_CALL: {
        const cq_fn *fn = cq_fn_find(n->name);
        if (fn && (fn->flags & CQ_FN_ROW))
            ns->all = 1;    /* searchmatch() */
        if (fn && (fn->flags & CQ_FN_SHAPE) && n->kids && n->kids->kind == CQ_AST_FIELD &&
            !n->kids->next) {
            need_as(ns, n->kids->name, 0);  /* len(f) */
            return;
        }
        break;
    }
    default:
        break;
    }
    for (const cq_ast *k = n->kids; k; k = k->next)
        walk(ns, k);
}

/* Commands that read fields they do not name (their READS_* flags): rex,
 * spath and regex read _raw unless told otherwise, fillnull without a list
 * and transaction, format and mvcombine (which groups by every other field)
 * touch every field. */
static void command_needs(need_set *ns, const cq_ast *cmd, unsigned flags)
{
    if (flags & CQ_CMD_READS_RAW) {
        /* rex field=, spath input= name the field read (default _raw) */
        const cq_ast *o = cq_ast_option(cmd, "input");
        if (!o)
            o = cq_ast_option(cmd, "field");
        const cq_ast *v = o ? o->kids : NULL;
        need(ns, v ? (v->kind == CQ_AST_FIELD ? v->name : v->text) : "_raw");
    }
    if (flags & CQ_CMD_READS_TIME)
        need(ns, "_time");
    if (flags & CQ_CMD_READS_ALL)
        ns->all = 1;
    if (flags & CQ_CMD_READS_ALL_UNNAMED) {
        int named = 0;
        for (const cq_ast *k = cmd->kids; k; k = k->next)
            named |= k->kind == CQ_AST_FIELD;
        if (!named)
            ns->all = 1;
    }
    walk(ns, cmd);
}

/* Per name of ns: 1 when no use reads its bytes and the first step (fs)
 * does not decode it. */
static const unsigned char *shape_only(need_set *ns, const need_set *fs)
{
    unsigned char *shape = cq_arena_alloc(ns->a, ns->n + 1);
    for (size_t i = 0; i < ns->n; i++) {
        shape[i] = !ns->bytes[i];
        for (size_t k = 0; k < fs->n && shape[i]; k++)
            shape[i] = strcmp(fs->names[k], ns->names[i]) != 0;
    }
    return shape;
}

void cq_plan_needs(cq_arena *a, cq_plan *p)
{
    p->newest_first = needs_order(p);
    p->par_stages = par_stages(p);
    /* _time is a column like any other (a page per block): read only for
     * the time range (scan), newest-first order (merge), or a use.  When
     * read for the first two, it is read first, so that events keep _time
     * as their first field. */
    int time_first = p->newest_first || p->earliest != INT64_MIN || p->latest != INT64_MAX;
    need_set fs = {a, NULL, NULL, 0, 0, 0};
    if (time_first)
        need(&fs, "_time");
    if (p->scan_expr)
        walk(&fs, p->scan_expr);
    p->filter_all = fs.all;     /* no first step: decode the block at once */
    p->filter_need = fs.names;
    p->n_filter_need = fs.n;
    need_set ns = {a, NULL, NULL, 0, 0, 0};
    /* Only a query whose output columns are fixed can leave columns out:
     * events print every field they have. */
    size_t last_fixing = p->n_stages;
    for (size_t i = 0; i < p->n_stages; i++)
        if (p->stages[i].def->flags & CQ_CMD_FIXES_COLUMNS)
            last_fixing = i;
    if (last_fixing == p->n_stages) {
        p->need_all = 1;
        return;
    }
    if (time_first)
        need(&ns, "_time");
    if (p->scan_expr)
        walk(&ns, p->scan_expr);
    for (size_t i = 0; i < p->n_stages && !ns.all; i++) {
        command_needs(&ns, p->stages[i].cmd, p->stages[i].def->flags);
        if (p->stages[i].cmd->kids && p->stages[i].cmd->kids->kind == CQ_AST_SUBSEARCH)
            ns.all = 1;     /* subsearch plans are their own */
    }
    p->need_all = ns.all;
    p->need = ns.names;
    p->n_need = ns.n;
    p->need_shape = shape_only(&ns, &fs);
}

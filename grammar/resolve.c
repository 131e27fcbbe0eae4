/*
 * resolve.c - semantic checks between parsing and planning (see resolve.h).
 *
 * The walk follows the AST shapes documented in grammar/parser.y: a search
 * expression (implicit first search, | search, where= of tstats and
 * inputlookup, subsearches) is checked for time modifiers; eval expressions
 * (where, eval, head, options written eval(...), count(eval(...))) for
 * functions and literal regexes; the other commands for their options and
 * their own arguments.  Nothing is evaluated and the tree is not changed:
 * what a check accepts the planner may still refuse ("not supported yet").
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grammar/resolve.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/timemod.h"
#include "grammar/parse.h"

static const cq_fn_def fn_table[] = {
#define FN(name, lo, hi, kind, impl, flags, help) {#name, lo, hi, CQ_FNKIND_##kind, help, #impl},
#include "grammar/functions.def"
#undef FN
};

static const cq_cmd_def cmd_table[] = {
#define CMD(name, grammar, mode, engine, flags, options, help) {#name, options, help, #grammar, #mode},
#include "grammar/commands.def"
#undef CMD
};

const cq_fn_def *cq_fn_def_table(size_t *n)
{
    *n = sizeof fn_table / sizeof fn_table[0];
    return fn_table;
}

const cq_cmd_def *cq_cmd_def_table(size_t *n)
{
    *n = sizeof cmd_table / sizeof cmd_table[0];
    return cmd_table;
}

int cq_fn_percentile(const char *name, double *pct)
{
    static const char *const prefixes[] = {"exactperc", "upperperc", "perc", "p"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n))
            continue;
        if (!isdigit((unsigned char)name[n]))
            return 0;
        char *end;
        double v = strtod(name + n, &end);
        if (*end || v < 0 || v > 100)
            return 0;
        if (pct)
            *pct = v;
        return 1;
    }
    return 0;
}

/* The table rows of the percentile family: perc<N> and p<N>. */
static int is_percentile_row(const char *name)
{
    return !strcmp(name, "perc") || !strcmp(name, "p");
}

/* "count, c, ..., perc<N>, p<N>": every stats function, from the table. */
static const char *stats_names(char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof fn_table / sizeof fn_table[0]; i++) {
        const cq_fn_def *f = &fn_table[i];
        if (f->kind != CQ_FNKIND_STATS || !strcmp(f->impl, "NOT_YET"))
            continue;
        int n = snprintf(buf + at, size - at, "%s%s%s", at ? ", " : "", f->name,
                         is_percentile_row(f->name) ? "<N>" : "");
        if (n < 0 || (size_t)n >= size - at)
            break;
        at += (size_t)n;
    }
    return buf;
}

static const cq_fn_def *fn_lookup(const char *name, cq_fnkind kind)
{
    for (size_t i = 0; i < sizeof fn_table / sizeof fn_table[0]; i++)
        if (fn_table[i].kind == kind && !strcmp(fn_table[i].name, name))
            return &fn_table[i];
    return NULL;
}

const cq_fn_def *cq_fn_def_find(const char *name, cq_fnkind kind)
{
    if (kind == CQ_FNKIND_STATS) {
        if (cq_fn_percentile(name, NULL))     /* exactperc95 is a perc */
            return fn_lookup(name[0] == 'p' && strncmp(name, "perc", 4) ? "p" : "perc", kind);
        if (is_percentile_row(name))
            return NULL;        /* the family needs its N */
    }
    return fn_lookup(name, kind);
}

const cq_cmd_def *cq_cmd_def_find(const char *name)
{
    for (size_t i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
        if (!strcmp(cmd_table[i].name, name))
            return &cmd_table[i];
    return NULL;
}

/* ------------------------------------------------------------ checks */

static int resolve_pipeline(const cq_ast *p, cq_diag *d);

/* "takes 2 or 3 arguments" for the arity of f. */
static void arity_text(char *buf, size_t size, const cq_fn_def *f)
{
    int lo = f->min_args, hi = f->max_args;
    const char *s = lo == 1 ? "" : "s";
    if (hi == 0)
        snprintf(buf, size, "takes no arguments");
    else if (hi < 0)
        snprintf(buf, size, "takes at least %d argument%s", lo, s);
    else if (lo == hi)
        snprintf(buf, size, "takes %d argument%s", lo, s);
    else if (hi == lo + 1)
        snprintf(buf, size, "takes %d or %d arguments", lo, hi);
    else
        snprintf(buf, size, "takes %d to %d arguments", lo, hi);
}

static int check_arity(const cq_fn_def *f, const char *name, size_t n, cq_span at,
                       cq_diag *d)
{
    if ((int)n >= f->min_args && (f->max_args < 0 || (int)n <= f->max_args))
        return 0;
    char takes[64];
    arity_text(takes, sizeof takes, f);
    return cq_diag_set(d, at, "function \"%s\" %s, not %zu", name, takes, n);
}

/* Compiles a regex literal; need_named: it must name a group (rex). */
static int check_regex(const char *pattern, cq_span at, int need_named, cq_diag *d)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        cq_diag_set(d, at, "bad regex: %s", (const char *)msg);
        cq_diag_hint(d, "at offset %zu of the pattern", (size_t)off);
        return -1;
    }
    uint32_t names = 0;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &names);
    pcre2_code_free(re);
    if (need_named && names == 0) {
        cq_diag_set(d, at, "the regex of rex extracts no field");
        cq_diag_hint(d, "name a group, e.g. (?<user>\\w+)");
        return -1;
    }
    return 0;
}

/* A function call in an eval expression.  allow_stats: inside
 * chart eval(...), where aggregations are allowed too. */
static int check_call(const cq_ast *c, int allow_stats, cq_diag *d)
{
    /* in chart eval(...), avg(x) is the aggregation, round() an eval function */
    const cq_fn_def *f = allow_stats ? cq_fn_def_find(c->name, CQ_FNKIND_STATS) : NULL;
    if (!f)
        f = cq_fn_def_find(c->name, CQ_FNKIND_EVAL);
    if (!f) {
        cq_diag_set(d, c->span, "unknown function \"%s\"", c->name);
        if (cq_fn_def_find(c->name, CQ_FNKIND_STATS))
            cq_diag_hint(d, "%s() is a stats function", c->name);
        return -1;
    }
    if (check_arity(f, c->name, c->n_kids, c->span, d))
        return -1;
    if (!strcmp(f->name, "case") && c->n_kids % 2)
        return cq_diag_set(d, c->span, "function \"case\" takes pairs of condition and value, "
                           "not %zu arguments", c->n_kids);
    if (!strcmp(f->name, "mvmap") && c->kids->kind != CQ_AST_FIELD)
        return cq_diag_set(d, c->kids->span, "mvmap() takes a field name first, e.g. "
                           "mvmap(ports, ports + 1)");
    const cq_ast *pat = cq_ast_kid(c, 1);
    if ((!strcmp(f->name, "match") || !strcmp(f->name, "replace")) && pat
        && pat->kind == CQ_AST_STRING)
        return check_regex(pat->text, pat->span, 0, d);
    return 0;
}

static int resolve_expr(const cq_ast *e, int allow_stats, cq_diag *d)
{
    if (e->kind == CQ_AST_CALL && check_call(e, allow_stats, d))
        return -1;
    for (const cq_ast *k = e->kids; k; k = k->next)
        if (resolve_expr(k, allow_stats, d))
            return -1;
    return 0;
}

static int is_time_mod(const cq_ast *n)
{
    return !strcmp(n->name, "earliest") || !strcmp(n->name, "latest")
        || !strcmp(n->name, "_index_earliest") || !strcmp(n->name, "_index_latest");
}

static int resolve_search(const cq_ast *e, cq_diag *d)
{
    switch (e->kind) {
    case CQ_AST_AND:
    case CQ_AST_OR:
    case CQ_AST_NOT:
        for (const cq_ast *k = e->kids; k; k = k->next)
            if (resolve_search(k, d))
                return -1;
        return 0;
    case CQ_AST_SUBSEARCH:
        return resolve_pipeline(e->kids, d);
    case CQ_AST_COMPARE: {
        int64_t t;
        /* Any fixed "now" will do: only whether it parses matters here. */
        if (is_time_mod(e) && e->op == CQ_OP_EQ && e->text
            && cq_time_modifier(e->text, INT64_C(1700000000000000), &t)) {
            cq_diag_set(d, e->span, "bad time modifier \"%s\"", e->text);
            cq_diag_hint(d, "use -24h, -7d@d, @w1, now, epoch seconds or %%m/%%d/%%Y:%%H:%%M:%%S");
            return -1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* One aggregation of the stats family. */
static int check_agg(const cq_ast *cmd, const cq_ast *a, cq_diag *d)
{
    if (!strcmp(a->name, "eval")) {     /* chart eval(avg(x) * 2) as y */
        if (strcmp(cmd->name, "chart") && strcmp(cmd->name, "timechart"))
            return cq_diag_set(d, a->span, "%s cannot compute eval(...) from its results; "
                               "use eval after it", cmd->name);
        return a->kids ? resolve_expr(a->kids, 1, d) : 0;
    }
    const cq_fn_def *f = cq_fn_def_find(a->name, CQ_FNKIND_STATS);
    if (!f) {
        cq_diag_set(d, a->span, "unknown function \"%s\"", a->name);
        if (cq_fn_def_find(a->name, CQ_FNKIND_EVAL))
            cq_diag_hint(d, "%s() is an eval function; wrap it: count(eval(...))", a->name);
        else {
            char names[1024];
            cq_diag_hint(d, "stats functions: %s", stats_names(names, sizeof names));
        }
        return -1;
    }
    if (check_arity(f, a->name, a->n_kids, a->span, d))
        return -1;
    return a->kids ? resolve_expr(a->kids, 0, d) : 0;
}

/* Whether `name` is a word of the space-separated list. */
static int in_list(const char *list, const char *name)
{
    if (!strcmp(list, "*"))
        return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (w == n && w && !strncasecmp(p, name, n))
            return 1;
        p += w;
    }
    return 0;
}

static int check_option(const cq_ast *cmd, const cq_ast *opt, cq_diag *d)
{
    const cq_cmd_def *def = cq_cmd_def_find(cmd->name);
    if (def && !in_list(def->options, opt->name)) {
        cq_diag_set(d, opt->span, "unknown option \"%s\" for \"%s\"", opt->name, cmd->name);
        char list[300] = "";
        for (const char *p = def->options; *p;) {
            size_t w = strcspn(p, " ");
            size_t len = strlen(list);
            if (w)
                snprintf(list + len, sizeof list - len, "%s%.*s=", len ? ", " : "", (int)w, p);
            p += w + (p[w] == ' ');
        }
        if (list[0])
            cq_diag_hint(d, "%s takes %s", cmd->name, list);
        else
            cq_diag_hint(d, "%s takes no options", cmd->name);
        return -1;
    }
    const cq_ast *v = opt->kids;
    if (!v)
        return 0;
    if (!strcmp(opt->name, "where"))        /* tstats, inputlookup */
        return resolve_search(v, d);
    if (v->kind == CQ_AST_VALUE || v->kind == CQ_AST_FIELD)
        return 0;
    return resolve_expr(v, 0, d);           /* startswith=eval(...) */
}

/* rex: its pattern must compile and name a group (unless mode=sed). */
static int check_rex(const cq_ast *cmd, cq_diag *d)
{
    const cq_ast *mode = cq_ast_option(cmd, "mode");
    int sed = mode && mode->kids && mode->kids->text && !strcmp(mode->kids->text, "sed");
    const cq_ast *pat = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_ARG) {
            if (pat)
                return cq_diag_set(d, k->span, "rex takes one regex");
            pat = k;
        }
    if (!pat)
        return cq_diag_set(d, cmd->span, "rex needs a regex, e.g. rex \"(?<user>\\w+)\"");
    return sed ? 0 : check_regex(pat->text, pat->span, 1, d);
}

/* One argument node of a command other than search. */
static int resolve_arg(const cq_ast *cmd, const cq_ast *k, cq_diag *d)
{
    switch (k->kind) {
    case CQ_AST_OPTION:
        return check_option(cmd, k, d);
    case CQ_AST_AGG:
        return check_agg(cmd, k, d);
    case CQ_AST_ASSIGN:
        return resolve_expr(k->kids, 0, d);
    case CQ_AST_SUBSEARCH:
        return resolve_pipeline(k->kids, d);
    case CQ_AST_SORTKEY:
        if (k->text && strcmp(k->text, "auto")) {
            cq_diag_set(d, k->span, "unknown sort function \"%s\"", k->text);
            cq_diag_hint(d, "sort keys take num(), str(), ip() or auto()");
            return -1;
        }
        return 0;
    case CQ_AST_COMPARE:        /* regex f="..." */
        return strcmp(cmd->name, "regex") ? 0 : check_regex(k->text, k->span, 0, d);
    case CQ_AST_ARG:
        return strcmp(cmd->name, "regex") ? 0 : check_regex(k->text, k->span, 0, d);
    case CQ_AST_CALL:
        if (!strcmp(cmd->name, "convert")) {
            const cq_fn_def *f = cq_fn_def_find(k->name, CQ_FNKIND_CONVERT);
            if (!f)
                return cq_diag_set(d, k->span, "unknown function \"%s\"", k->name);
            return check_arity(f, k->name, k->n_kids, k->span, d);
        }
        return resolve_expr(k, 0, d);
    case CQ_AST_STRING: case CQ_AST_NUMBER: case CQ_AST_BINARY: case CQ_AST_UNARY:
        return resolve_expr(k, 0, d);       /* where, head <expr> */
    default:
        return 0;
    }
}

static int resolve_command(const cq_ast *cmd, cq_diag *d)
{
    if (!strcmp(cmd->name, "search")) {
        for (const cq_ast *k = cmd->kids; k; k = k->next)
            if (resolve_search(k, d))
                return -1;
        return 0;
    }
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (resolve_arg(cmd, k, d))
            return -1;
    if (!strcmp(cmd->name, "rex"))
        return check_rex(cmd, d);
    return 0;
}

static int resolve_pipeline(const cq_ast *p, cq_diag *d)
{
    for (const cq_ast *cmd = p ? p->kids : NULL; cmd; cmd = cmd->next)
        if (cmd->kind == CQ_AST_COMMAND && resolve_command(cmd, d))
            return -1;
    return 0;
}

int cq_resolve(const cq_ast *pipeline, cq_diag *d)
{
    return resolve_pipeline(pipeline, d);
}

int cq_resolve_query(cq_arena *a, const cq_macros *m, const char *text, size_t len,
                     cq_expansion *x, cq_ast **out, cq_diag *d)
{
    *out = NULL;
    if (cq_macro_expand(m, a, text, len, x, d))
        return -1;
    cq_ast *ast;
    if (cq_parse(a, x->text, x->len, &ast, d)) {
        cq_expansion_map_diag(x, d);
        return -1;
    }
    /* From here on every span indexes the text the user wrote. */
    cq_expansion_map_ast(x, ast);
    if (cq_resolve(ast, d))
        return -1;
    *out = ast;
    return 0;
}

/*
 * resolve.h - semantic checks of a parsed query, before planning.
 *
 * The grammar accepts any name where a function or option may stand; this
 * pass checks them against the language's tables (grammar/functions.def,
 * grammar/commands.def) and checks the literals that must be valid
 * (regexes, time modifiers).  It reads the AST and changes nothing.  Each
 * error has its own message and the span of the node at fault:
 *
 *   unknown function "foo"
 *   function "substr" takes 2 or 3 arguments, not 1
 *   unknown option "foo" for "head"
 *   bad regex: missing closing parenthesis
 *   rex needs a named group, e.g. (?<user>\w+)
 *   bad time modifier "-3x"
 *   unknown sort function "foo"
 *
 * Unknown commands are reported by the lexer ("unknown command ...").
 */
#ifndef CQ_GRAMMAR_RESOLVE_H
#define CQ_GRAMMAR_RESOLVE_H

#include "common/arena.h"
#include "common/diag.h"
#include "grammar/ast.h"
#include "grammar/macro.h"

typedef enum cq_fnkind {
    CQ_FNKIND_EVAL,         /* eval and where expressions */
    CQ_FNKIND_STATS,        /* aggregations of the stats family */
    CQ_FNKIND_CONVERT,      /* functions of the convert command */
} cq_fnkind;

typedef struct cq_fn_def {
    const char *name;
    int min_args, max_args;     /* max_args -1: any number */
    cq_fnkind kind;
    const char *help;
    const char *impl;           /* its impl column: NOT_YET, not_yet for rows not run */
} cq_fn_def;

typedef struct cq_cmd_def {
    const char *name;
    const char *options;        /* space-separated option names */
    const char *help;
    const char *grammar;        /* its grammar column: STATS, EVAL, OPTFIELDS ... */
    const char *mode;           /* its lexer mode: SEARCH, EVAL or ARGS */
} cq_cmd_def;

/* The tables, for explain and --help; *n gets the number of entries. */
const cq_fn_def *cq_fn_def_table(size_t *n);
const cq_cmd_def *cq_cmd_def_table(size_t *n);

/* The function `name` of that kind, or NULL.  Stats' perc<N> and p<N>
 * (0 <= N <= 100, e.g. perc95, p99.9) return the perc / p entry. */
const cq_fn_def *cq_fn_def_find(const char *name, cq_fnkind kind);
/* perc95, p99.9, exactperc50, upperperc90: 1 with N (0 to 100) in *pct
 * (when pct is not NULL), else 0.  exact and upper are Splunk's variants;
 * the engine computes every percentile exactly. */
int cq_fn_percentile(const char *name, double *pct);
/* The command as the AST names it, or NULL. */
const cq_cmd_def *cq_cmd_def_find(const char *name);

/*
 * Checks a PIPELINE from cq_parse() (subsearches included).  Returns 0, or
 * -1 with the first error in d.
 */
int cq_resolve(const cq_ast *pipeline, cq_diag *d);

/*
 * The whole front end on a query as written: expands macros (m may be
 * NULL), parses the expansion, maps every span of the tree back to text,
 * and resolves.  Memory from a; *x gets the expansion, *out the PIPELINE.
 * Returns 0, or -1 with the first error in d, its span into text.
 */
int cq_resolve_query(cq_arena *a, const cq_macros *m, const char *text, size_t len,
                     cq_expansion *x, cq_ast **out, cq_diag *d);

#endif

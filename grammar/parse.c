/*
 * parse.c - cq_parse(): one call that creates a scanner over the text,
 * runs the bison parser and destroys the scanner, like jq's jq_parse().
 * The AST and all token text come from the caller's arena; the first error
 * (from the scanner or the parser) is left in the caller's diag.
 */
#include "grammar/parse.h"

#include <stdint.h>

#include "grammar/parser.h"
#include "lexer/lexer.h"

int cq_yyparse(cq_lex_state *ls, yyscan_t scanner);

/* Returns the first node found at depth CQ_PARSE_MAX_DEPTH, or NULL.  The
 * recursion is itself bounded by the limit. */
static const cq_ast *too_deep(const cq_ast *n, int depth)
{
    if (depth >= CQ_PARSE_MAX_DEPTH)
        return n;
    for (const cq_ast *k = n->kids; k; k = k->next) {
        const cq_ast *d = too_deep(k, depth + 1);
        if (d)
            return d;
    }
    return NULL;
}

/* Returns the command that makes the query's commands more than
 * CQ_PARSE_MAX_COMMANDS (counted in *n over every pipeline), or NULL.  Only
 * called on a tree too_deep() accepted, so the recursion is bounded. */
static const cq_ast *too_many_commands(const cq_ast *n, size_t *count)
{
    for (const cq_ast *k = n->kids; k; k = k->next) {
        if (n->kind == CQ_AST_PIPELINE && ++*count > CQ_PARSE_MAX_COMMANDS)
            return k;
        const cq_ast *far = too_many_commands(k, count);
        if (far)
            return far;
    }
    return NULL;
}

int cq_parse(cq_arena *a, const char *text, size_t len, cq_ast **out,
             cq_diag *diag)
{
    *out = NULL;
    /* Spans are 32-bit offsets and flex takes an int length. */
    if (len >= INT32_MAX)
        return cq_diag_set(diag, cq_span_make(0, 0), "query too long");
    cq_lex_state ls;
    yyscan_t scanner;
    if (cq_lex_open(&ls, a, diag, text, len, &scanner))
        cq_oom();
    int rc = cq_yyparse(&ls, scanner);
    cq_lex_close(scanner);
    if (rc != 0 || diag->set || !ls.result) {
        if (!diag->set)
            cq_diag_set(diag, cq_span_make((uint32_t)len, (uint32_t)len),
                        "syntax error");
        return -1;
    }
    /* Long chains (a.b.c..., NOT NOT ...) nest without brackets; a bound
     * on the tree's depth keeps every recursive walk of it safe. */
    const cq_ast *deep = too_deep(ls.result, 0);
    if (deep)
        return cq_diag_set(diag, deep->span, "query nested too deeply");
    size_t n_cmds = 0;
    const cq_ast *far = too_many_commands(ls.result, &n_cmds);
    if (far)
        return cq_diag_set(diag, far->span, "query has more than %d commands",
                           CQ_PARSE_MAX_COMMANDS);
    *out = ls.result;
    return 0;
}

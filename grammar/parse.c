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
    *out = ls.result;
    return 0;
}

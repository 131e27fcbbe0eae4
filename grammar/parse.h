/*
 * parse.h - text of a query -> AST.
 *
 * The scanner (lexer/lexer.l) and the parser (grammar/parser.y) are
 * reentrant: two queries can be parsed at once on different threads.
 */
#ifndef CQ_GRAMMAR_PARSE_H
#define CQ_GRAMMAR_PARSE_H

#include <stddef.h>

#include "common/arena.h"
#include "common/diag.h"
#include "grammar/ast.h"

/* No AST returned by cq_parse() is deeper than this (PIPELINE is depth 0),
 * so code that walks it recursively cannot exhaust the stack. */
#define CQ_PARSE_MAX_DEPTH 256
/* Commands in a whole query, subsearches included: every command is one
 * operator whose next() calls the one before it, so a chain of thousands
 * overflowed the stack (issue 14: 4,000 `| eval`).  Past it, an error at
 * the command that passed it. */
#define CQ_PARSE_MAX_COMMANDS 500

/*
 * Parses text[0..len) into a PIPELINE node allocated from `a`.
 * Returns 0 on success; on a syntax error returns -1 with the first error
 * (message, span into text, hint) in diag.  Never crashes on any input.
 */
int cq_parse(cq_arena *a, const char *text, size_t len, cq_ast **out,
             cq_diag *diag);

#endif

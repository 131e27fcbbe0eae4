/*
 * lexer.h - private interface between the scanner (lexer/lexer.l), the
 * parser (grammar/parser.y) and cq_parse() (grammar/parse.c).
 *
 * SPL is lexed differently per command: a search expression, an eval
 * expression and a command's arguments each have their own tokens.  The
 * scanner knows which command it is in (it recognizes the command name after
 * `|`), so the parser never has to steer it.  Everything the scanner keeps
 * lives in cq_lex_state (flex's "extra"); nothing is global.
 *
 * Include grammar/parser.h before this file (for cq_tok and the token kinds).
 */
#ifndef CQ_LEXER_LEXER_H
#define CQ_LEXER_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "grammar/ast.h"

/* Nesting of ( and [ beyond this is an error, so that no query can make
 * the parser or a recursive walk of the AST exhaust the stack. */
#define CQ_LEX_MAX_DEPTH 64

/* One open ( or [ on the nesting stack. */
typedef struct cq_lex_bracket {
    cq_span span;       /* where the bracket is, for "unbalanced" errors */
    char ch;            /* '(' or '[' */
    char restore;       /* 1: the matching ) returns to `mode` (eval( ... )) */
    int mode;           /* start condition to return to */
    int cmd;            /* command token to return to */
} cq_lex_bracket;

typedef struct cq_lex_state {
    cq_arena *arena;        /* token text and the AST */
    cq_diag *diag;          /* the first error */
    const char *text;       /* the query (spans index it) */
    size_t len;
    uint32_t off;           /* byte offset of the scanner in text */
    int mode;               /* start condition of the current command */
    int cmd;                /* token kind of the current command, 0 before one */
    int ret;                /* state to return to after a comment */
    cq_span comment;        /* where the open comment began */
    int depth;              /* entries used in open[] */
    cq_lex_bracket open[CQ_LEX_MAX_DEPTH];
    int prev_kind, cur_kind;    /* the last two tokens, for error messages */
    cq_span prev_span, cur_span;
    int n_tokens;           /* tokens returned so far */
    cq_ast *result;         /* set by the parser on success */
} cq_lex_state;

/* Sets up ls for text[0..len) and creates a scanner on a copy of the text.
 * Returns 0, or -1 if flex could not allocate. */
int cq_lex_open(cq_lex_state *ls, cq_arena *a, cq_diag *diag,
                const char *text, size_t len, yyscan_t *out);
void cq_lex_close(yyscan_t scanner);

/* The next token: kind (0 at the end), its value and span.  On a lexical
 * error the kind is TOK_LEXERR and ls->diag holds the message. */
int cq_lex_next(yyscan_t scanner, cq_tok *val, cq_span *span);

/* The bison name of a token kind (e.g. "=" or "value"), for tests. */
const char *cq_parse_token_name(int kind);

#endif

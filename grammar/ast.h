/*
 * ast.h - the syntax tree of an SPL query.
 *
 * The parser builds it only through the constructors below; the planner,
 * the resolver and `cquery explain` read it.  Every node lives in the
 * query's arena (no per-node free) and carries the byte span of the text it
 * came from, so any later error can point at it.
 *
 * Shape of a query:
 *
 *   PIPELINE                       kids: COMMAND, COMMAND, ...
 *     COMMAND name="search"        kids: one search expression (absent: "*")
 *     COMMAND name="where"         kids: one eval expression
 *     COMMAND name="eval"          kids: ASSIGN(name=field, kid=expr) ...
 *     COMMAND name="stats" ...     kids: AGG ..., BY (see below), OPTION ...
 *     COMMAND name=<other>         kids: OPTION / ARG / FIELD / AGG / BY /
 *                                        RENAME / SUBSEARCH / expr nodes,
 *                                        as documented per command in
 *                                        grammar/parser.y
 *
 * Search expressions (implicit first search, `| search`):
 *   AND, OR           kids: two or more operands (flattened)
 *   NOT               kid: operand
 *   TERM              text: the term ("*" wildcards kept); flags: QUOTED,
 *                     CASE (CASE(x)), TERMDIR (TERM(x))
 *   COMPARE           name: field; op: CQ_OP_EQ/NE/LT/LE/GT/GE; text: value
 *                     (unescaped, "*" kept); flags: QUOTED if it was quoted
 *   IN                name: field; kids: VALUE ... ; the value list
 *   VALUE             text, flags QUOTED
 *
 * Eval expressions (where, eval, ...):
 *   FIELD             name
 *   STRING            text (unescaped)
 *   NUMBER            num, text (as written)
 *   CALL              name: function (lower-case); kids: arguments
 *   BINARY            op: CQ_OP_*; kids: left, right
 *   UNARY             op: CQ_OP_NOT or CQ_OP_NEG; kid
 *
 * Common argument nodes:
 *   OPTION            name=value option (limit=5, span=1h): name; kid: value
 *                     node (VALUE, NUMBER or FIELD)
 *   ARG               a positional word: text, flags QUOTED
 *   ASSIGN            name: target field; kid: expression
 *   AGG               name: function (count, dc, perc95, ...); kids: argument
 *                     (FIELD or an expression; none for plain count);
 *                     alias: the `as` name or NULL
 *   BY                kids: FIELD ...
 *   RENAME            name: from; alias: to
 *   SORTKEY           name: field; flags: DESC, and NUM/STR/AUTO for
 *                     num()/str()/auto()
 *   SUBSEARCH         kid: PIPELINE
 */
#ifndef CQ_GRAMMAR_AST_H
#define CQ_GRAMMAR_AST_H

#include <stddef.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/diag.h"

typedef enum cq_ast_kind {
    CQ_AST_PIPELINE,
    CQ_AST_COMMAND,
    /* search expressions */
    CQ_AST_AND,
    CQ_AST_OR,
    CQ_AST_NOT,
    CQ_AST_TERM,
    CQ_AST_COMPARE,
    CQ_AST_IN,
    CQ_AST_VALUE,
    /* eval expressions */
    CQ_AST_FIELD,
    CQ_AST_STRING,
    CQ_AST_NUMBER,
    CQ_AST_CALL,
    CQ_AST_BINARY,
    CQ_AST_UNARY,
    /* command arguments */
    CQ_AST_OPTION,
    CQ_AST_ARG,
    CQ_AST_ASSIGN,
    CQ_AST_AGG,
    CQ_AST_BY,
    CQ_AST_RENAME,
    CQ_AST_SORTKEY,
    CQ_AST_SUBSEARCH,
    CQ_AST_N_KINDS
} cq_ast_kind;

typedef enum cq_op {
    CQ_OP_NONE,
    CQ_OP_EQ,       /* =  (== in eval is the same) */
    CQ_OP_NE,       /* != */
    CQ_OP_LT,
    CQ_OP_LE,
    CQ_OP_GT,
    CQ_OP_GE,
    CQ_OP_ADD,
    CQ_OP_SUB,
    CQ_OP_MUL,
    CQ_OP_DIV,
    CQ_OP_MOD,
    CQ_OP_CONCAT,   /* . */
    CQ_OP_AND,
    CQ_OP_OR,
    CQ_OP_XOR,
    CQ_OP_NOT,
    CQ_OP_NEG,      /* unary - */
    CQ_OP_LIKE,
    CQ_OP_N
} cq_op;

/* Node flags. */
enum {
    CQ_AST_QUOTED = 1u << 0,    /* TERM/COMPARE/VALUE/ARG text was quoted */
    CQ_AST_CASE = 1u << 1,      /* CASE(term): case-sensitive */
    CQ_AST_TERMDIR = 1u << 2,   /* TERM(term): match across minor breakers */
    CQ_AST_DESC = 1u << 3,      /* SORTKEY descending (- prefix) */
    CQ_AST_NUM = 1u << 4,       /* SORTKEY num() */
    CQ_AST_STR = 1u << 5,       /* SORTKEY str() */
    CQ_AST_IP = 1u << 6,        /* SORTKEY ip() */
    CQ_AST_PLUS = 1u << 7,      /* fields + */
    CQ_AST_MINUS = 1u << 8,     /* fields - */
};

typedef struct cq_ast cq_ast;
struct cq_ast {
    cq_ast_kind kind;
    cq_op op;
    unsigned flags;
    const char *name;       /* field, command, function or option name */
    const char *text;       /* literal text, unescaped; NUL-terminated */
    const char *alias;      /* `as` name of AGG, target of RENAME */
    double num;             /* NUMBER value */
    cq_span span;           /* text the node was parsed from */
    cq_ast *kids;           /* first child */
    cq_ast *last;           /* last child, for O(1) append */
    cq_ast *next;           /* next sibling */
    size_t n_kids;
};

/* Constructors: all memory from `a`; strings are copied. */
cq_ast *cq_ast_new(cq_arena *a, cq_ast_kind kind, cq_span span);
cq_ast *cq_ast_named(cq_arena *a, cq_ast_kind kind, const char *name,
                     cq_span span);
cq_ast *cq_ast_text(cq_arena *a, cq_ast_kind kind, const char *text,
                    unsigned flags, cq_span span);
/* Appends kid (may be NULL: ignored) and widens parent's span; returns parent. */
cq_ast *cq_ast_add(cq_ast *parent, cq_ast *kid);
/*
 * AND/OR builder that flattens: cq_ast_bool(a, CQ_AST_AND, x, y) where x is
 * itself an AND appends y to x instead of nesting.
 */
cq_ast *cq_ast_bool(cq_arena *a, cq_ast_kind kind, cq_ast *l, cq_ast *r);

/*
 * Helpers added with the grammar (all memory from `a`, strings copied):
 *   cq_ast_number   NUMBER from its text as written (num = strtod(text))
 *   cq_ast_op       BINARY (r != NULL) or UNARY (r == NULL) with op
 *   cq_ast_compare  COMPARE name=field op text=value flags
 *   cq_ast_alias    sets n->alias (copied); returns n
 *   cq_ast_flag     ORs flags into n->flags; returns n
 */
cq_ast *cq_ast_number(cq_arena *a, const char *text, cq_span span);
cq_ast *cq_ast_op(cq_arena *a, cq_op op, cq_ast *l, cq_ast *r, cq_span span);
cq_ast *cq_ast_compare(cq_arena *a, const char *field, cq_op op,
                       const char *value, unsigned flags, cq_span span);
cq_ast *cq_ast_alias(cq_arena *a, cq_ast *n, const char *alias);
cq_ast *cq_ast_flag(cq_ast *n, unsigned flags);

/* The i-th child, or NULL. */
cq_ast *cq_ast_kid(const cq_ast *n, size_t i);
const char *cq_ast_kind_name(cq_ast_kind kind);
const char *cq_op_name(cq_op op);
/* The OPTION child named `name` of a command, or NULL. */
const cq_ast *cq_ast_option(const cq_ast *cmd, const char *name);

/* Prints the tree, indented, one node per line (used by `explain`). */
void cq_ast_print(FILE *out, const cq_ast *n, int depth);

#endif

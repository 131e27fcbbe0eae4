/*
 * ast.c - constructors, accessors and the printer of the SPL syntax tree.
 *
 * The parser's actions call only these functions; nothing here knows the
 * grammar.  Every node and string comes from the query's arena, so there is
 * no per-node free and an aborted parse cannot leak.
 */
#include "grammar/ast.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(cq_arena *a, const char *s)
{
    return s ? cq_arena_strdup(a, s) : NULL;
}

cq_ast *cq_ast_new(cq_arena *a, cq_ast_kind kind, cq_span span)
{
    cq_ast *n = cq_arena_calloc(a, sizeof *n);
    n->kind = kind;
    n->span = span;
    return n;
}

cq_ast *cq_ast_named(cq_arena *a, cq_ast_kind kind, const char *name,
                     cq_span span)
{
    cq_ast *n = cq_ast_new(a, kind, span);
    n->name = dup_or_null(a, name);
    return n;
}

cq_ast *cq_ast_text(cq_arena *a, cq_ast_kind kind, const char *text,
                    unsigned flags, cq_span span)
{
    cq_ast *n = cq_ast_new(a, kind, span);
    n->text = dup_or_null(a, text);
    n->flags = flags;
    return n;
}

cq_ast *cq_ast_add(cq_ast *parent, cq_ast *kid)
{
    if (!kid)
        return parent;
    kid->next = NULL;
    if (parent->last)
        parent->last->next = kid;
    else
        parent->kids = kid;
    parent->last = kid;
    parent->n_kids++;
    parent->span = cq_span_join(parent->span, kid->span);
    return parent;
}

cq_ast *cq_ast_bool(cq_arena *a, cq_ast_kind kind, cq_ast *l, cq_ast *r)
{
    /* Flattening keeps `a b c d` one AND of four instead of a deep chain,
     * which the planner walks more easily and cannot overflow a stack. */
    if (l->kind == kind)
        return cq_ast_add(l, r);
    cq_ast *n = cq_ast_new(a, kind, l->span);
    cq_ast_add(n, l);
    if (r->kind == kind) {
        for (cq_ast *k = r->kids, *next; k; k = next) {
            next = k->next;
            cq_ast_add(n, k);
        }
        n->span = cq_span_join(n->span, r->span);
        return n;
    }
    return cq_ast_add(n, r);
}

cq_ast *cq_ast_number(cq_arena *a, const char *text, cq_span span)
{
    cq_ast *n = cq_ast_text(a, CQ_AST_NUMBER, text, 0, span);
    n->num = strtod(text, NULL);
    return n;
}

cq_ast *cq_ast_op(cq_arena *a, cq_op op, cq_ast *l, cq_ast *r, cq_span span)
{
    cq_ast *n = cq_ast_new(a, r ? CQ_AST_BINARY : CQ_AST_UNARY, span);
    n->op = op;
    cq_ast_add(n, l);
    cq_ast_add(n, r);
    return n;
}

cq_ast *cq_ast_compare(cq_arena *a, const char *field, cq_op op,
                       const char *value, unsigned flags, cq_span span)
{
    cq_ast *n = cq_ast_text(a, CQ_AST_COMPARE, value, flags, span);
    n->name = dup_or_null(a, field);
    n->op = op;
    return n;
}

cq_ast *cq_ast_alias(cq_arena *a, cq_ast *n, const char *alias)
{
    n->alias = dup_or_null(a, alias);
    return n;
}

cq_ast *cq_ast_flag(cq_ast *n, unsigned flags)
{
    n->flags |= flags;
    return n;
}

cq_ast *cq_ast_kid(const cq_ast *n, size_t i)
{
    cq_ast *k = n ? n->kids : NULL;
    while (k && i--)
        k = k->next;
    return k;
}

const char *cq_ast_kind_name(cq_ast_kind kind)
{
    static const char *const names[CQ_AST_N_KINDS] = {
        [CQ_AST_PIPELINE] = "PIPELINE", [CQ_AST_COMMAND] = "COMMAND",
        [CQ_AST_AND] = "AND",           [CQ_AST_OR] = "OR",
        [CQ_AST_NOT] = "NOT",           [CQ_AST_TERM] = "TERM",
        [CQ_AST_COMPARE] = "COMPARE",   [CQ_AST_IN] = "IN",
        [CQ_AST_VALUE] = "VALUE",       [CQ_AST_FIELD] = "FIELD",
        [CQ_AST_STRING] = "STRING",     [CQ_AST_NUMBER] = "NUMBER",
        [CQ_AST_CALL] = "CALL",         [CQ_AST_BINARY] = "BINARY",
        [CQ_AST_UNARY] = "UNARY",       [CQ_AST_OPTION] = "OPTION",
        [CQ_AST_ARG] = "ARG",           [CQ_AST_ASSIGN] = "ASSIGN",
        [CQ_AST_AGG] = "AGG",           [CQ_AST_BY] = "BY",
        [CQ_AST_RENAME] = "RENAME",     [CQ_AST_SORTKEY] = "SORTKEY",
        [CQ_AST_SUBSEARCH] = "SUBSEARCH",
    };
    if ((unsigned)kind >= CQ_AST_N_KINDS || !names[kind])
        return "?";
    return names[kind];
}

const char *cq_op_name(cq_op op)
{
    static const char *const names[CQ_OP_N] = {
        [CQ_OP_NONE] = "",    [CQ_OP_EQ] = "=",     [CQ_OP_NE] = "!=",
        [CQ_OP_LT] = "<",     [CQ_OP_LE] = "<=",    [CQ_OP_GT] = ">",
        [CQ_OP_GE] = ">=",    [CQ_OP_ADD] = "+",    [CQ_OP_SUB] = "-",
        [CQ_OP_MUL] = "*",    [CQ_OP_DIV] = "/",    [CQ_OP_MOD] = "%",
        [CQ_OP_CONCAT] = ".", [CQ_OP_AND] = "AND",  [CQ_OP_OR] = "OR",
        [CQ_OP_XOR] = "XOR",  [CQ_OP_NOT] = "NOT",  [CQ_OP_NEG] = "neg",
        [CQ_OP_LIKE] = "LIKE",
    };
    if ((unsigned)op >= CQ_OP_N)
        return "?";
    return names[op];
}

const cq_ast *cq_ast_option(const cq_ast *cmd, const char *name)
{
    for (const cq_ast *k = cmd ? cmd->kids : NULL; k; k = k->next)
        if (k->kind == CQ_AST_OPTION && k->name && !strcmp(k->name, name))
            return k;
    return NULL;
}

/* Prints s in double quotes with ", \ and controls escaped, so a printed
 * tree is one line per node whatever the query held. */
static void print_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void print_flags(FILE *out, unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {CQ_AST_QUOTED, "quoted"}, {CQ_AST_CASE, "case"},
        {CQ_AST_TERMDIR, "term"},  {CQ_AST_DESC, "desc"},
        {CQ_AST_NUM, "num"},       {CQ_AST_STR, "str"},
        {CQ_AST_IP, "ip"},         {CQ_AST_PLUS, "plus"},
        {CQ_AST_MINUS, "minus"},
    };
    const char *sep = " [";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (flags & names[i].bit) {
            fprintf(out, "%s%s", sep, names[i].name);
            sep = ",";
        }
    }
    if (*sep == ',')
        fputc(']', out);
}

/* The part of a node's line after its kind name. */
static void print_detail(FILE *out, const cq_ast *n)
{
    switch (n->kind) {
    case CQ_AST_COMPARE:
        fprintf(out, " %s %s ", n->name ? n->name : "", cq_op_name(n->op));
        print_quoted(out, n->text);
        break;
    case CQ_AST_BINARY:
    case CQ_AST_UNARY:
        fprintf(out, " %s", cq_op_name(n->op));
        break;
    case CQ_AST_NUMBER:
        fprintf(out, " %s", n->text ? n->text : "");
        break;
    default:
        if (n->name)
            fprintf(out, " %s", n->name);
        if (n->text) {
            fputc(' ', out);
            print_quoted(out, n->text);
        }
        break;
    }
    if (n->alias)
        fprintf(out, " as %s", n->alias);
    print_flags(out, n->flags);
}

void cq_ast_print(FILE *out, const cq_ast *n, int depth)
{
    /* Iterates over siblings and recurses only into kids: depth is bounded
     * by the parser's nesting limit, not by the length of a list. */
    if (!n)
        return;
    fprintf(out, "%*s%s", depth * 2, "", cq_ast_kind_name(n->kind));
    print_detail(out, n);
    fputc('\n', out);
    for (const cq_ast *k = n->kids; k; k = k->next)
        cq_ast_print(out, k, depth + 1);
}

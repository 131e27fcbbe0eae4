/*
 * op_rows.c - helpers shared by the row, field and text commands
 * (op_rows.h).
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"

#include <string.h>
#include <strings.h>

int64_t cq_ast_whole(const cq_ast *v)
{
    double n;
    if (!v)
        return -1;
    if (v->kind == CQ_AST_NUMBER)
        n = v->num;
    else if (!v->text || !cq_parse_num(v->text, strlen(v->text), &n))
        return -1;
    if (n < 0 || n > 1e15 || n != (double)(int64_t)n)
        return -1;
    return (int64_t)n;
}

const char *cq_ast_opt_text(const cq_ast *opt)
{
    const cq_ast *v = opt ? opt->kids : NULL;
    if (!v)
        return NULL;
    if (v->kind == CQ_AST_FIELD)
        return v->name;
    return v->text;
}

int cq_ast_truth(const cq_ast *v)
{
    const char *t = v ? (v->kind == CQ_AST_FIELD ? v->name : v->text) : NULL;
    if (!t)
        return -1;
    static const char *const yes[] = {"true", "t", "1", "yes", "y"};
    static const char *const no[] = {"false", "f", "0", "no", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(t, yes[i]))
            return 1;
        if (!strcasecmp(t, no[i]))
            return 0;
    }
    return -1;
}

const char *cq_field_unquote(cq_arena *a, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
        return cq_arena_strndup(a, name + 1, n - 2);
    return name;
}

/* explain.c - `cquery explain`: the AST, then the plan. */
#include "engine/query.h"

void cq_query_explain(const cq_query *q, FILE *out)
{
    fprintf(out, "query:\n  %s\n", q->text);
    if (q->ast) {
        fprintf(out, "ast:\n");
        cq_ast_print(out, q->ast, 1);
    }
    if (q->plan) {
        fprintf(out, "plan:\n");
        cq_plan_print(out, q->plan);
    }
}

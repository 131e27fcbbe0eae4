/*
 * table.c - the eval functions the engine runs: the EVAL rows of
 * grammar/functions.def.
 */
#include "engine/fn/fn.h"

#include <string.h>

static const cq_fn functions[] = {
#define FN(name, lo, hi, kind, impl, flags, help) \
    FN_##kind(#name, lo, hi, cq_fn_##impl, flags, help)
#define FN_EVAL(name, lo, hi, fn, flags, help) {name, lo, hi, fn, flags, help},
#define FN_STATS(name, lo, hi, fn, flags, help)
#define FN_CONVERT(name, lo, hi, fn, flags, help)
#include "grammar/functions.def"
#undef FN_CONVERT
#undef FN_STATS
#undef FN_EVAL
#undef FN
};

/* The functions of the table that do not run (CQ_FN_NOT_YET): a query
 * using one stops when compiled (cq_eval_check), so this is never reached. */
int cq_fn_not_yet(cq_fn_call *fc)
{
    return cq_diag_set(fc->c->diag, fc->node->span, "not supported yet: function \"%s\"",
                       fc->node->name);
}

const cq_fn *cq_fn_find(const char *name)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (!strcmp(functions[i].name, name))
            return &functions[i];
    return NULL;
}

/*
 * table.c - the eval functions the engine runs: the EVAL rows of
 * grammar/functions.def.
 */
#include "engine/fn/fn.h"

#include <string.h>

static const cq_fn functions[] = {
#define FN(name, lo, hi, kind, impl, flags, help) FN_##kind(#name, lo, hi, cq_fn_##impl, flags)
#define FN_EVAL(name, lo, hi, fn, flags) {name, lo, hi, fn, flags},
#define FN_STATS(name, lo, hi, fn, flags)
#define FN_CONVERT(name, lo, hi, fn, flags)
#include "grammar/functions.def"
#undef FN_CONVERT
#undef FN_STATS
#undef FN_EVAL
#undef FN
};

const cq_fn *cq_fn_find(const char *name)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (!strcmp(functions[i].name, name))
            return &functions[i];
    return NULL;
}

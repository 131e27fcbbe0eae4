/*
 * json.c - JSON: spath(), json_extract().  Null for null, for a path with
 * nothing there and for text that is not JSON.
 */
#include "engine/fn/fn.h"
#include "engine/expr/jsonpath.h"

#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* --------------------------------------------------------------- JSON */

static cq_val vals_val(const cq_json_vals *v)
{
    cq_val r = {0};
    if (v->n == 1)
        return cq_val_from_sv(v->v[0]);
    if (v->n > 1) {
        r.t = CQ_V_MV;
        r.mv = v->v;
        r.n_mv = v->n;
    }
    return r;
}

/* spath(json, path): the value(s) at path; {} gives a multivalue. */
int cq_fn_spath(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv p = cq_val_str(&A(1, i), ARENA);
        json_t *root = A(0, i).t == CQ_V_NULL || !p.p ? NULL
                                                      : cq_json_parse(cq_val_str(&A(0, i), ARENA));
        fc->out[i] = (cq_val){0};
        if (!root)
            continue;
        cq_json_vals v = {0};
        cq_json_path(root, cq_arena_strndup(ARENA, p.p, p.len), ARENA, &v);
        fc->out[i] = vals_val(&v);
        json_decref(root);
    }
    return 0;
}

static void collect_node(json_t *v, void *ctx)
{
    json_array_append(ctx, v);
}

/*
 * json_extract(json [, path ...]): without a path the whole value (as
 * compact JSON); with one path its value (text for a string, JSON for an
 * object or array; the matches of a {} path as a JSON array); with several,
 * a JSON array of their values (null where a path finds nothing).
 */
int cq_fn_json_extract(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *root = A(0, i).t == CQ_V_NULL ? NULL : cq_json_parse(cq_val_str(&A(0, i), ARENA));
        fc->out[i] = (cq_val){0};
        if (!root)
            continue;
        json_t *res = NULL;
        if (fc->n_args == 1) {
            res = json_incref(root);
        } else {
            json_t *all = json_array();
            for (uint32_t k = 1; k < fc->n_args; k++) {
                cq_sv p = cq_val_str(&A(k, i), ARENA);
                json_t *found = json_array();
                if (p.p)
                    cq_json_path_each(root, cq_arena_strndup(ARENA, p.p, p.len), collect_node,
                                      found);
                size_t nf = json_array_size(found);
                json_t *one = nf == 0 ? json_null()
                              : nf == 1 ? json_incref(json_array_get(found, 0)) : json_incref(found);
                json_decref(found);
                json_array_append_new(all, one);
            }
            res = fc->n_args == 2 ? json_incref(json_array_get(all, 0)) : json_incref(all);
            json_decref(all);
        }
        fc->out[i] = cq_val_from_sv(cq_json_text(res, ARENA));
        json_decref(res);
        json_decref(root);
    }
    return 0;
}

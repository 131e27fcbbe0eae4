/*
 * json.c - JSON: spath(), json_extract(), json_extract_exact(),
 * json_has_key_exact(), json_keys(), json_valid(), json_object(), json_array(),
 * json_array_to_mv(), mv_to_json_array().  Null for null, for a path with
 * nothing there and for text that is not JSON.
 */
#include "engine/fn/fn.h"
#include "engine/expr/jsonpath.h"

#include <math.h>
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

/* ------------------------------------------- more JSON (issue 13) */

/* The JSON text of value j (consumed), as an eval value. */
static cq_val json_out(json_t *j, cq_arena *a)
{
    if (!j)
        return (cq_val){0};
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(j);
    if (!s)
        return (cq_val){0};
    cq_val v = cq_val_from_sv(cq_fn_sv_dup(a, s, strlen(s)));
    free(s);
    return v;
}

/* The object or array text in v, parsed; NULL for anything else. */
static json_t *parse_arg(const cq_val *v, cq_arena *a)
{
    if (v->t == CQ_V_NULL || v->t == CQ_V_MV || v->t == CQ_V_BOOL)
        return NULL;
    return cq_json_parse(cq_val_str(v, a));
}

/* json_extract_exact(json, key, ...): json_extract with literal keys of the
 * top-level object (a key with dots or braces is one key). */
int cq_fn_json_extract_exact(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *root = parse_arg(&A(0, i), ARENA), *res = NULL;
        fc->out[i] = (cq_val){0};
        if (!root)
            continue;
        if (fc->n_args == 1) {
            res = json_incref(root);
        } else {
            json_t *all = json_array();
            for (uint32_t k = 1; k < fc->n_args; k++) {
                cq_sv key = cq_val_str(&A(k, i), ARENA);
                json_t *v = key.p && json_is_object(root)
                                ? json_object_getn(root, key.p, key.len) : NULL;
                json_array_append_new(all, v ? json_incref(v) : json_null());
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

int cq_fn_json_has_key_exact(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *root = parse_arg(&A(0, i), ARENA);
        cq_sv key = cq_val_str(&A(1, i), ARENA);
        fc->out[i] = cq_val_bool(root && key.p && json_is_object(root) &&
                                 json_object_getn(root, key.p, key.len) != NULL);
        json_decref(root);
    }
    return 0;
}

int cq_fn_json_keys(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *root = parse_arg(&A(0, i), ARENA), *keys = NULL, *v;
        const char *k;
        if (json_is_object(root)) {
            keys = json_array();
            json_object_foreach(root, k, v)
                json_array_append_new(keys, json_string(k));
        }
        fc->out[i] = json_out(keys, ARENA);
        json_decref(root);
    }
    return 0;
}

int cq_fn_json_valid(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        const cq_val *v = &A(0, i);
        json_t *root = v->t == CQ_V_NULL || v->t == CQ_V_MV ? NULL
                                                           : cq_json_parse(cq_val_str(v, ARENA));
        fc->out[i] = cq_val_bool(root != NULL);
        json_decref(root);
    }
    return 0;
}

/* An eval value as JSON: numbers, booleans and null as such, a multivalue
 * as an array of strings, text holding a JSON object or array (what
 * json_object() and json_array() return) as that, other text a string. */
static json_t *to_json(const cq_val *v, cq_arena *a)
{
    switch (v->t) {
    case CQ_V_NULL:
        return json_null();
    case CQ_V_NUM:
        return v->num == (double)(json_int_t)v->num && fabs(v->num) < 9e15
                   ? json_integer((json_int_t)v->num) : json_real(v->num);
    case CQ_V_BOOL:
        return json_boolean(v->b);
    case CQ_V_MV: {
        json_t *arr = json_array();
        for (uint32_t k = 0; k < v->n_mv; k++)
            json_array_append_new(arr, json_stringn(v->mv[k].p ? v->mv[k].p : "", v->mv[k].len));
        return arr;
    }
    default: {
        cq_sv s = cq_val_str(v, a);
        if (s.len && (s.p[0] == '{' || s.p[0] == '[')) {
            json_t *j = cq_json_parse(s);
            if (j)
                return j;
        }
        json_t *j = json_stringn(s.p ? s.p : "", s.len);
        return j ? j : json_null();     /* not UTF-8 */
    }
    }
}

/* json_object(key, value, ...): null with an odd number of arguments or a
 * null key. */
int cq_fn_json_object(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *o = fc->n_args % 2 ? NULL : json_object();
        for (uint32_t k = 0; o && k + 1 < fc->n_args; k += 2) {
            cq_sv key = cq_val_str(&A(k, i), ARENA);
            if (!key.p || json_object_setn_new(o, key.p, key.len, to_json(&A(k + 1, i), ARENA))) {
                json_decref(o);
                o = NULL;
            }
        }
        fc->out[i] = json_out(o, ARENA);
    }
    return 0;
}

int cq_fn_json_array(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *arr = json_array();
        for (uint32_t k = 0; k < fc->n_args; k++)
            json_array_append_new(arr, to_json(&A(k, i), ARENA));
        fc->out[i] = json_out(arr, ARENA);
    }
    return 0;
}

/* json_array_to_mv(array [, keep_quotes]): strings without their quotes
 * (with them when keep_quotes is true), other elements as JSON text. */
int cq_fn_json_array_to_mv(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        json_t *arr = parse_arg(&A(0, i), ARENA);
        int quotes = fc->n_args > 1 && cq_val_truthy(&A(1, i));
        fc->out[i] = (cq_val){0};
        if (!json_is_array(arr)) {
            json_decref(arr);
            continue;
        }
        size_t n = json_array_size(arr), k;
        json_t *e;
        cq_json_vals vals = {cq_arena_alloc(ARENA, (n + 1) * sizeof *vals.v), 0, (uint32_t)n};
        json_array_foreach(arr, k, e) {
            cq_sv t;
            if (json_is_string(e) && quotes) {
                char *s = json_dumps(e, JSON_ENCODE_ANY);
                t = cq_fn_sv_dup(ARENA, s ? s : "", s ? strlen(s) : 0);
                free(s);
            } else {
                t = cq_json_text(e, ARENA);
            }
            if (t.p)
                vals.v[vals.n++] = t;
        }
        fc->out[i] = vals_val(&vals);
        json_decref(arr);
    }
    return 0;
}

/* mv_to_json_array(mv [, infer_types]): the values as JSON strings, or with
 * infer_types true, numbers, true, false and null as such. */
int cq_fn_mv_to_json_array(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        const cq_val *v = &A(0, i);
        int infer = fc->n_args > 1 && cq_val_truthy(&A(1, i));
        if (v->t == CQ_V_NULL) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        cq_sv one = cq_val_str(v, ARENA);
        const cq_sv *vals = v->t == CQ_V_MV ? v->mv : &one;
        uint32_t n = v->t == CQ_V_MV ? v->n_mv : 1;
        json_t *arr = json_array();
        for (uint32_t k = 0; k < n; k++) {
            cq_sv s = vals[k];
            json_t *e = NULL;
            if (infer) {
                cq_val sv = cq_val_from_sv(s);
                double d;
                if (s.len == 4 && !memcmp(s.p, "true", 4))
                    e = json_true();
                else if (s.len == 5 && !memcmp(s.p, "false", 5))
                    e = json_false();
                else if (s.len == 4 && !memcmp(s.p, "null", 4))
                    e = json_null();
                else if (cq_val_num(&sv, &d))
                    e = to_json(&(cq_val){.t = CQ_V_NUM, .num = d}, ARENA);
            }
            if (!e)
                e = json_stringn(s.p ? s.p : "", s.len);
            json_array_append_new(arr, e ? e : json_null());
        }
        fc->out[i] = json_out(arr, ARENA);
    }
    return 0;
}

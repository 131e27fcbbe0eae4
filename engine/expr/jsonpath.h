/*
 * jsonpath.h - private to engine/: Splunk's JSON location paths, shared by
 * the spath command and the spath()/json_extract() eval functions.
 *
 * A path is steps separated by ".": a key, then any number of `{N}` (array
 * element N, 0-based; negative from the end) or `{}` (every element, which
 * makes the result multivalue).  `{0}.name` starts at an array.  A key that
 * itself holds dots (`annotations.authorization.k8s.io/decision`) is found
 * when no shorter key matches.  Values come back as text: strings as they
 * are, numbers and booleans as JSON writes them, objects and arrays as
 * compact JSON; JSON null is no value.
 */
#ifndef CQ_ENGINE_JSONPATH_H
#define CQ_ENGINE_JSONPATH_H

#include <jansson.h>

#include "common/arena.h"
#include "index/colenc.h"

typedef struct cq_json_vals {
    cq_sv *v;               /* from the arena */
    uint32_t n, cap;
} cq_json_vals;

/* Parses text as JSON; NULL when it is not JSON (caller json_decref()s). */
json_t *cq_json_parse(cq_sv text);

/* Appends the values at path under root to out (memory from a). */
void cq_json_path(json_t *root, const char *path, cq_arena *a, cq_json_vals *out);

/* Calls fn with each JSON value at path under root (borrowed references). */
void cq_json_path_each(json_t *root, const char *path, void (*fn)(json_t *v, void *ctx),
                       void *ctx);

/* The text of one JSON value ({NULL,0} for JSON null), memory from a. */
cq_sv cq_json_text(json_t *v, cq_arena *a);

/*
 * Every leaf under root, flattened as Splunk's automatic extraction names
 * them (`a.b`, `list{}`, `list{}.k`): fn(name, value, ctx) per value, in
 * document order; arrays give one call per element under the same name.
 */
void cq_jsonpath_flatten(json_t *root, cq_arena *a,
                     void (*fn)(const char *name, cq_sv value, void *ctx), void *ctx);

#endif

/*
 * jsonpath.c - Splunk location paths over JSON values (jsonpath.h).
 */
#include "engine/expr/jsonpath.h"
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *cq_json_parse(cq_sv text)
{
    if (!text.p)
        return NULL;
    json_error_t err;
    return json_loadb(text.p, text.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
}

static void push(cq_json_vals *out, cq_sv s, cq_arena *a)
{
    if (out->n == out->cap) {
        uint32_t cap = out->cap ? out->cap * 2 : 8;
        cq_sv *v = cq_arena_alloc(a, cap * sizeof *v);
        if (out->n)
            memcpy(v, out->v, out->n * sizeof *v);
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = s;
}

cq_sv cq_json_text(json_t *v, cq_arena *a)
{
    char buf[64];
    int n;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return (cq_sv){cq_arena_strndup(a, json_string_value(v), json_string_length(v)),
                       (uint32_t)json_string_length(v)};
    case JSON_INTEGER:
        n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return (cq_sv){cq_arena_strndup(a, buf, (size_t)n), (uint32_t)n};
    case JSON_REAL:
        n = snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        /* shortest form that reads back the same */
        for (int prec = 1; prec < 17; prec++) {
            char t[64];
            int m = snprintf(t, sizeof t, "%.*g", prec, json_real_value(v));
            if (strtod(t, NULL) == json_real_value(v)) {
                memcpy(buf, t, (size_t)m + 1);
                n = m;
                break;
            }
        }
        return (cq_sv){cq_arena_strndup(a, buf, (size_t)n), (uint32_t)n};
    case JSON_TRUE:
        return (cq_sv){"true", 4};
    case JSON_FALSE:
        return (cq_sv){"false", 5};
    case JSON_NULL:
        return (cq_sv){NULL, 0};
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        cq_sv r = {cq_arena_strdup(a, s ? s : ""), s ? (uint32_t)strlen(s) : 0};
        free(s);
        return r;
    }
    }
}

/* One step of a path: key (may be empty) and its brace suffixes. */
typedef struct step {
    const char *key;
    size_t key_len;
    const char *braces;     /* "{0}{}" ... */
    size_t braces_len;
} step;

static size_t split_steps(const char *path, step *steps, size_t max)
{
    size_t n = 0;
    const char *p = path;
    while (*p && n < max) {
        const char *end = p;
        while (*end && *end != '.' && *end != '{')
            end++;
        step *s = &steps[n++];
        s->key = p;
        s->key_len = (size_t)(end - p);
        s->braces = end;
        while (*end == '{') {
            const char *close = strchr(end, '}');
            end = close ? close + 1 : end + strlen(end);
        }
        s->braces_len = (size_t)(end - s->braces);
        p = *end == '.' ? end + 1 : end;
        if (*end && *end != '.')
            break;      /* junk after braces: stop here */
    }
    return n;
}

typedef struct sink {
    void (*leaf)(json_t *v, void *ctx);
    void *ctx;
} sink;

static void walk(json_t *node, const step *steps, size_t i, size_t n, const sink *out);

/* Applies the braces of a step to node, then continues with step i+1. */
static void braces(json_t *node, const char *b, size_t blen, const step *steps, size_t i,
                   size_t n, const sink *out)
{
    if (!blen) {
        walk(node, steps, i + 1, n, out);
        return;
    }
    const char *close = memchr(b, '}', blen);
    size_t used = close ? (size_t)(close - b) + 1 : blen;
    if (!json_is_array(node))
        return;
    if (used == 2) {                /* {} */
        size_t k;
        json_t *e;
        json_array_foreach(node, k, e)
            braces(e, b + used, blen - used, steps, i, n, out);
        return;
    }
    char num[32];
    size_t nl = used - 2 < sizeof num - 1 ? used - 2 : sizeof num - 1;
    memcpy(num, b + 1, nl);
    num[nl] = '\0';
    char *end;
    long idx = strtol(num, &end, 10);
    if (*end || end == num)
        return;
    if (idx < 0)
        idx += (long)json_array_size(node);
    json_t *e = idx >= 0 ? json_array_get(node, (size_t)idx) : NULL;
    if (e)
        braces(e, b + used, blen - used, steps, i, n, out);
}

static void walk(json_t *node, const step *steps, size_t i, size_t n, const sink *out)
{
    if (i == n) {
        out->leaf(node, out->ctx);
        return;
    }
    const step *s = &steps[i];
    if (!s->key_len) {
        braces(node, s->braces, s->braces_len, steps, i, n, out);
        return;
    }
    if (!json_is_object(node))
        return;
    /* the key as written, else keys that contain dots (a.b as one key) */
    for (size_t j = i; j < n; j++) {
        const char *from = s->key;
        size_t len = (size_t)(steps[j].key + steps[j].key_len - from);
        json_t *v = json_object_getn(node, from, len);
        if (v) {
            step last = steps[j];
            braces(v, last.braces, last.braces_len, steps, j, n, out);
            return;
        }
        if (steps[j].braces_len)
            return;
    }
}

typedef struct text_ctx {
    cq_arena *a;
    cq_json_vals *out;
} text_ctx;

static void leaf_text(json_t *v, void *ctx)
{
    text_ctx *t = ctx;
    cq_sv s = cq_json_text(v, t->a);
    if (s.p)
        push(t->out, s, t->a);
}

void cq_json_path(json_t *root, const char *path, cq_arena *a, cq_json_vals *out)
{
    text_ctx t = {a, out};
    cq_json_path_each(root, path, leaf_text, &t);
}

void cq_json_path_each(json_t *root, const char *path, void (*fn)(json_t *v, void *ctx),
                       void *ctx)
{
    step steps[64];
    if (!root || !path)
        return;
    size_t n = split_steps(path, steps, sizeof steps / sizeof steps[0]);
    sink out = {fn, ctx};
    walk(root, steps, 0, n, &out);
}

static void flatten(json_t *v, cq_strbuf *name, cq_arena *a,
                    void (*fn)(const char *, cq_sv, void *), void *ctx)
{
    size_t mark = name->len;
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            if (mark)
                cq_strbuf_addc(name, '.');
            cq_strbuf_adds(name, k);
            flatten(e, name, a, fn, ctx);
            name->len = mark;
        }
    } else if (json_is_array(v)) {
        size_t k;
        json_t *e;
        json_array_foreach(v, k, e) {
            cq_strbuf_adds(name, "{}");
            flatten(e, name, a, fn, ctx);
            name->len = mark;
        }
    } else {
        cq_sv s = cq_json_text(v, a);
        if (s.p && mark)
            fn(cq_strbuf_str(name), s, ctx);
    }
    name->len = mark;
    if (name->buf)
        name->buf[mark] = '\0';
}

void cq_jsonpath_flatten(json_t *root, cq_arena *a,
                     void (*fn)(const char *name, cq_sv value, void *ctx), void *ctx)
{
    cq_strbuf name = CQ_STRBUF_INIT;
    if (root)
        flatten(root, &name, a, fn, ctx);
    cq_strbuf_free(&name);
}

/* record.c - building one normalized event. */
#include "index/record.h"

#include <stdlib.h>
#include <string.h>

void cq_record_init(cq_record *r)
{
    memset(r, 0, sizeof *r);
    r->time_us = CQ_TIME_NONE;
    cq_arena_init(&r->arena);
}

void cq_record_reset(cq_record *r)
{
    r->time_us = CQ_TIME_NONE;
    r->raw = NULL;
    r->raw_len = 0;
    r->sourcetype = r->source = r->host = NULL;
    r->n_kv = 0;
    cq_arena_reset(&r->arena);
}

void cq_record_free(cq_record *r)
{
    free(r->kv);
    cq_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

void cq_record_set_raw(cq_record *r, const char *raw, size_t len)
{
    r->raw = cq_arena_strndup(&r->arena, raw, len);
    r->raw_len = len;
}

void cq_record_add_ref(cq_record *r, const char *name, size_t name_len,
                       const char *val, size_t val_len)
{
    if (r->n_kv == r->cap_kv) {
        r->cap_kv = r->cap_kv ? r->cap_kv * 2 : 32;
        r->kv = cq_xrealloc(r->kv, r->cap_kv * sizeof *r->kv);
    }
    cq_kv *kv = &r->kv[r->n_kv++];
    kv->name = cq_arena_strndup(&r->arena, name, name_len);
    kv->name_len = (uint32_t)name_len;
    kv->val = val;
    kv->val_len = (uint32_t)val_len;
}

void cq_record_add(cq_record *r, const char *name, size_t name_len,
                   const char *val, size_t val_len)
{
    cq_record_add_ref(r, name, name_len, cq_arena_strndup(&r->arena, val, val_len), val_len);
}

void cq_record_adds(cq_record *r, const char *name, const char *val)
{
    cq_record_add(r, name, strlen(name), val, strlen(val));
}

static int name_is(const cq_kv *kv, const char *name, size_t len)
{
    return kv->name_len == len && memcmp(kv->name, name, len) == 0;
}

void cq_record_set(cq_record *r, const char *name, const char *val, size_t val_len)
{
    size_t len = strlen(name), j = 0;
    for (size_t i = 0; i < r->n_kv; i++)
        if (!name_is(&r->kv[i], name, len))
            r->kv[j++] = r->kv[i];
    r->n_kv = j;
    cq_record_add(r, name, len, val, val_len);
}

const cq_kv *cq_record_get(const cq_record *r, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < r->n_kv; i++)
        if (name_is(&r->kv[i], name, len))
            return &r->kv[i];
    return NULL;
}

size_t cq_record_count(const cq_record *r, const char *name)
{
    size_t len = strlen(name), n = 0;
    for (size_t i = 0; i < r->n_kv; i++)
        n += name_is(&r->kv[i], name, len);
    return n;
}

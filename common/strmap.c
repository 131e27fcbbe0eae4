/* strmap.c - linear probing, load factor kept under 1/2. */
#include "common/strmap.h"
#include "common/arena.h"
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

void cq_strmap_init(cq_strmap *m)
{
    m->slots = NULL;
    m->cap = m->n = 0;
}

void cq_strmap_free(cq_strmap *m)
{
    free(m->slots);
    cq_strmap_init(m);
}

void cq_strmap_clear(cq_strmap *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->n = 0;
}

static cq_strmap_slot *find(const cq_strmap *m, const char *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (;;) {
        cq_strmap_slot *s = &m->slots[i];
        if (!s->key)
            return s;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
        i = (i + 1) & mask;
    }
}

static void grow(cq_strmap *m)
{
    size_t old_cap = m->cap;
    cq_strmap_slot *old = m->slots;
    m->cap = old_cap ? old_cap * 2 : 64;
    m->slots = cq_xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *find(m, old[i].key, old[i].len, old[i].hash) = old[i];
    free(old);
}

int cq_strmap_upsert(cq_strmap *m, const char *key, size_t len, uint32_t *val)
{
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    uint64_t h = cq_hash_bytes(key, len);
    cq_strmap_slot *s = find(m, key, len, h);
    if (s->key) {
        *val = s->val;
        return 1;
    }
    /* An empty key still needs a non-NULL pointer to mark the slot used. */
    s->key = key ? key : "";
    s->len = (uint32_t)len;
    s->val = *val;
    s->hash = h;
    m->n++;
    return 0;
}

int cq_strmap_get(const cq_strmap *m, const char *key, size_t len, uint32_t *val)
{
    if (!m->cap)
        return 0;
    cq_strmap_slot *s = find(m, key, len, cq_hash_bytes(key, len));
    if (!s->key)
        return 0;
    *val = s->val;
    return 1;
}

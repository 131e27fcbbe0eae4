/*
 * strmap.h - open-addressing hash map from byte strings to uint32_t.
 *
 * The map does not copy keys: the caller keeps them alive (usually in an
 * arena) for as long as the map is used.  Used for block dictionaries in the
 * index writer and group keys in the engine.
 */
#ifndef CQ_COMMON_STRMAP_H
#define CQ_COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cq_strmap_slot {
    const char *key;        /* NULL: empty slot */
    uint32_t len;
    uint32_t val;
    uint64_t hash;
} cq_strmap_slot;

typedef struct cq_strmap {
    cq_strmap_slot *slots;
    size_t cap;             /* power of two, or 0 */
    size_t n;
} cq_strmap;

void cq_strmap_init(cq_strmap *m);
void cq_strmap_free(cq_strmap *m);
void cq_strmap_clear(cq_strmap *m);     /* keeps capacity */
/*
 * Finds key; when absent inserts it with value *val and returns 0; when
 * present stores its value in *val and returns 1.
 */
int cq_strmap_upsert(cq_strmap *m, const char *key, size_t len, uint32_t *val);
/* Returns 1 and sets *val when present, else 0. */
int cq_strmap_get(const cq_strmap *m, const char *key, size_t len, uint32_t *val);

#endif

/*
 * hash.h - a fast, streaming, non-cryptographic 64-bit hash.
 *
 * Used for file fingerprints (is this content already in the index?) and
 * for hash tables.  Streaming: feeding the same bytes in any split gives the
 * same result, so a file can be hashed while it is read in chunks.
 */
#ifndef CQ_COMMON_HASH_H
#define CQ_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cq_hash {
    uint64_t h;
    uint64_t total;         /* bytes fed so far */
    unsigned char tail[8];  /* bytes not yet forming a whole word */
    unsigned n_tail;
} cq_hash;

void cq_hash_init(cq_hash *s);
void cq_hash_update(cq_hash *s, const void *p, size_t n);
/* The hash of everything fed so far; s may be fed further afterwards. */
uint64_t cq_hash_final(const cq_hash *s);
/* One-shot. */
uint64_t cq_hash_bytes(const void *p, size_t n);

/*
 * For in-memory hash tables of short keys on hot paths (field names,
 * dictionary values): inline and lighter than cq_hash_bytes, whose values it
 * does not give; never stored.
 */
static inline uint64_t cq_hash_key(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    size_t n = len;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    if (n && len >= 8) {
        /* The word ending at the key's end, shifted down to its tail: one
         * load instead of a short copy (most keys are longer than 8). */
        memcpy(&w, s + n - 8, 8);
        w >>= 8 * (8 - n);
    } else {
        memcpy(&w, s, n);
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

#endif

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

#endif

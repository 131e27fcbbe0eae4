/*
 * terms.h - the term filter: which blocks may hold a search term.
 *
 * Every block gets a blocked Bloom filter of CQ_BLOOM_BITS bits over the
 * tokens of its _raw: _raw lower-cased (ASCII) and split at every major and
 * minor breaker of the engine (engine/expr/match.c cq_is_breaker), so a bare term
 * of a search, split the same way, has each of its pieces as a whole token of
 * any event it matches.  A token's 64-bit hash picks one 512-bit slice of the
 * filter and CQ_BLOOM_K bits inside it.
 *
 * Stored bit-sliced: blocks written one after the other (consecutive ids) are
 * grouped CQ_TERM_GROUP at a time, and table terms holds one row per (slice,
 * group) with that slice of every block of the group side by side.  A token
 * costs one range read of `terms` (one row per group, 64 bytes per block),
 * not one row per block.  README "Index layout" has the measurements.
 *
 * Everything here is pure computation except cq_terms_candidates, which
 * reads the terms table.
 */
#ifndef CQ_INDEX_TERMS_H
#define CQ_INDEX_TERMS_H

#include <stddef.h>
#include <stdint.h>

#define CQ_BLOOM_BITS (1u << 18)            /* per block: 32 KiB */
#define CQ_BLOOM_BYTES (CQ_BLOOM_BITS / 8)
#define CQ_SLICE_BYTES 64                   /* one cache line */
#define CQ_N_SLICES (CQ_BLOOM_BYTES / CQ_SLICE_BYTES)
#define CQ_BLOOM_K 6
#define CQ_TERM_GROUP 32                    /* blocks per terms row */

/* Is c a breaker (major or minor)?  Same set as the engine's cq_is_breaker. */
extern const unsigned char cq_breaker_tab[256];

/* Hash of one token (bytes already lower-case or not: folded here). */
uint64_t cq_token_hash(const char *s, size_t len);

/*
 * Sets the bits of every token of text[0..len) in bloom (CQ_BLOOM_BYTES).
 * seen (may be NULL): 1 << CQ_BLOOM_SEEN_BITS hashes already set in this
 * bloom, zeroed with it; most tokens of a block repeat (JSON keys, verbs,
 * namespaces), and a hit skips setting their bits again.
 */
#define CQ_BLOOM_SEEN_BITS 11
void cq_bloom_add_text(uint8_t *bloom, uint64_t *seen, const char *text, size_t len);

/* The slice and the 8 words a token hash sets inside it. */
typedef struct cq_token_probe {
    uint32_t slice;
    uint64_t words[CQ_SLICE_BYTES / 8];
} cq_token_probe;
void cq_token_probe_of(uint64_t h, cq_token_probe *p);

/*
 * Appends to *probes (realloc'd, count in *n) one probe per token of term.
 * Returns 0, or -1 when the term cannot be used for filtering (it has a
 * wildcard '*' or an escape), in which case nothing is added.
 */
int cq_term_probes(const char *term, size_t len, cq_token_probe **probes, size_t *n);

#endif

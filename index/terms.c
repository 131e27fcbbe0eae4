/*
 * terms.c - tokenizing _raw into the per-block Bloom filter, and turning
 * search terms into probes of it.  See terms.h.
 */
#include "index/terms.h"
#include "common/arena.h"

#include <string.h>

/* Major: space \t \r \n [ ] < > ( ) { } | ! ; , ' " & ? +
 * Minor: / : = @ . - $ # % \ _      (engine/match.c, Splunk's defaults) */
#define B(c) [(unsigned char)(c)] = 1
const unsigned char cq_breaker_tab[256] = {
    B(' '), B('\t'), B('\r'), B('\n'), B('['), B(']'), B('<'), B('>'), B('('), B(')'),
    B('{'), B('}'), B('|'), B('!'), B(';'), B(','), B('\''), B('"'), B('&'), B('?'),
    B('+'), B('/'), B(':'), B('='), B('@'), B('.'), B('-'), B('$'), B('#'), B('%'),
    B('\\'), B('_'),
};
#undef B

#define ONES 0x0101010101010101ull

static inline uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* ASCII upper case to lower case in eight bytes at once (others unchanged). */
static inline uint64_t lower8(uint64_t w)
{
    uint64_t hept = w & (0x7F * ONES);
    uint64_t gt_z = hept + (0x7F - 'Z') * ONES;     /* high bit: > 'Z' */
    uint64_t ge_a = hept + (0x80 - 'A') * ONES;     /* high bit: >= 'A' */
    uint64_t upper = ~w & (ge_a ^ gt_z) & (0x80 * ONES);
    return w | (upper >> 2);
}

/* Hash of a token, a word at a time; case-folded. */
static inline uint64_t token_hash(const unsigned char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ lower8(w)) * 0xff51afd7ed558ccdull;
        h ^= h >> 31;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h = (h ^ lower8(w)) * 0xc4ceb9fe1a85ec53ull;
    }
    return fmix(h);
}

uint64_t cq_token_hash(const char *s, size_t len)
{
    return token_hash((const unsigned char *)s, len);
}

/* Slice from the low bits; K bit positions inside it by double hashing. */
static inline void probe_bits(uint64_t h, uint32_t *slice, uint32_t bit[CQ_BLOOM_K])
{
    *slice = (uint32_t)(h & (CQ_N_SLICES - 1));
    uint32_t a = (uint32_t)(h >> 20) & 511, b = ((uint32_t)(h >> 40) & 511) | 1;
    for (int i = 0; i < CQ_BLOOM_K; i++)
        bit[i] = (a + (uint32_t)i * b) & 511;
}

static inline void bloom_set(uint8_t *bloom, uint64_t h)
{
    uint32_t slice, bit[CQ_BLOOM_K];
    probe_bits(h, &slice, bit);
    uint8_t *s = bloom + (size_t)slice * CQ_SLICE_BYTES;
    for (int i = 0; i < CQ_BLOOM_K; i++)
        s[bit[i] >> 3] |= (uint8_t)(1u << (bit[i] & 7));
}

void cq_bloom_add_text(uint8_t *bloom, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    while (p < end) {
        while (p < end && cq_breaker_tab[*p])
            p++;
        if (p == end)
            break;
        const unsigned char *t = p;
        while (p < end && !cq_breaker_tab[*p])
            p++;
        bloom_set(bloom, token_hash(t, (size_t)(p - t)));
    }
}

void cq_token_probe_of(uint64_t h, cq_token_probe *p)
{
    uint32_t bit[CQ_BLOOM_K];
    probe_bits(h, &p->slice, bit);
    memset(p->words, 0, sizeof p->words);
    for (int i = 0; i < CQ_BLOOM_K; i++)     /* byte b bit k is word b/8 bit (b%8)*8+k (LE) */
        p->words[bit[i] >> 6] |= 1ull << (bit[i] & 63);
}

int cq_term_probes(const char *term, size_t len, cq_token_probe **probes, size_t *n)
{
    for (size_t i = 0; i < len; i++)
        if (term[i] == '*' || term[i] == '\\')
            return -1;
    const unsigned char *p = (const unsigned char *)term, *end = p + len;
    while (p < end) {
        while (p < end && cq_breaker_tab[*p])
            p++;
        if (p == end)
            break;
        const unsigned char *t = p;
        while (p < end && !cq_breaker_tab[*p])
            p++;
        *probes = cq_xrealloc(*probes, (*n + 1) * sizeof **probes);
        cq_token_probe_of(cq_token_hash((const char *)t, (size_t)(p - t)), &(*probes)[(*n)++]);
    }
    return 0;
}

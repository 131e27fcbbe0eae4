/*
 * terms.c - tokenizing _raw into the per-block Bloom filter, and turning
 * search terms into probes of it.  See terms.h.
 */
#include "index/terms.h"
#include "common/arena.h"

#include <string.h>

/* Major: space \t \r \n [ ] < > ( ) { } | ! ; , ' " & ? +
 * Minor: / : = @ . - $ # % \ _      (engine/expr/match.c, Splunk's defaults) */
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

/* The low n bytes of w (n in 1..8), the others zero. */
static inline uint64_t low_bytes(uint64_t w, size_t n)
{
    return n >= 8 ? w : w & ((1ull << (8 * n)) - 1);
}

/* Hash of a token, a word at a time; case-folded.  `avail` bytes can be
 * read from s (avail >= len): a final partial word is loaded whole and
 * masked when 8 bytes are readable, which spares a copy per token. */
static inline uint64_t token_hash_in(const unsigned char *s, size_t len, size_t avail)
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
        if (avail - i >= 8) {
            memcpy(&w, s + i, 8);
            w = low_bytes(w, len - i);
        } else {
            for (size_t k = i; k < len; k++)
                w |= (uint64_t)s[k] << (8 * (k - i));
        }
        h = (h ^ lower8(w)) * 0xc4ceb9fe1a85ec53ull;
    }
    return fmix(h);
}

uint64_t cq_token_hash(const char *s, size_t len)
{
    return token_hash_in((const unsigned char *)s, len, len);
}

/* Slice from the low bits; K bit positions inside it by double hashing. */
static inline void probe_bits(uint64_t h, uint32_t *slice, uint32_t bit[CQ_BLOOM_K])
{
    *slice = (uint32_t)(h & (CQ_N_SLICES - 1));
    uint32_t a = (uint32_t)(h >> 20) & 511, b = ((uint32_t)(h >> 40) & 511) | 1;
    for (int i = 0; i < CQ_BLOOM_K; i++)
        bit[i] = (a + (uint32_t)i * b) & 511;
}

/* Sets the bits of hash h (the positions probe_bits gives, unrolled). */
static inline void bloom_set(uint8_t *bloom, uint64_t h)
{
    uint8_t *s = bloom + (size_t)(h & (CQ_N_SLICES - 1)) * CQ_SLICE_BYTES;
    uint32_t a = (uint32_t)(h >> 20) & 511, b = ((uint32_t)(h >> 40) & 511) | 1;
#define SET1(i)                                                                 \
    do {                                                                        \
        uint32_t bit = (a + (uint32_t)(i) * b) & 511;                           \
        s[bit >> 3] |= (uint8_t)(1u << (bit & 7));                              \
    } while (0)
    _Static_assert(CQ_BLOOM_K == 6, "bloom_set unrolls CQ_BLOOM_K");
    SET1(0); SET1(1); SET1(2); SET1(3); SET1(4); SET1(5);
#undef SET1
}

/* One token: skipped when the seen table says this block already has it. */
static inline void add_token(uint8_t *bloom, uint64_t *seen, const unsigned char *t, size_t len,
                             size_t avail)
{
    uint64_t h = token_hash_in(t, len, avail);
    if (seen && h) {            /* 0 marks an empty entry */
        uint64_t *e = &seen[h >> (64 - CQ_BLOOM_SEEN_BITS)];
        if (*e == h)
            return;
        *e = h;
    }
    bloom_set(bloom, h);
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Bit i set when p[i] is a breaker, for 16 bytes (the set of cq_breaker_tab:
 * \t \n \r, 0x20-0x2f but '*', 0x3a-0x40, [ \ ] _, { | }). */
static inline uint32_t breakers16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
#define IN(lo, hi) _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - (lo)))), \
                                  _mm_set1_epi8((char)((hi) - (lo) - 127)))
#define EQ(c) _mm_cmpeq_epi8(x, _mm_set1_epi8((char)(c)))
    __m128i m = _mm_andnot_si128(EQ('*'), IN(0x20, 0x2f));
    m = _mm_or_si128(m, IN(0x3a, 0x40));
    m = _mm_or_si128(m, _mm_or_si128(IN(0x5b, 0x5d), EQ('_')));
    m = _mm_or_si128(m, IN(0x7b, 0x7d));
    m = _mm_or_si128(m, _mm_or_si128(IN(0x09, 0x0a), EQ('\r')));
#undef IN
#undef EQ
    return (uint32_t)_mm_movemask_epi8(m);
}

static inline uint64_t breakers64(const unsigned char *p)
{
    return (uint64_t)breakers16(p) | (uint64_t)breakers16(p + 16) << 16 |
           (uint64_t)breakers16(p + 32) << 32 | (uint64_t)breakers16(p + 48) << 48;
}
#else
static inline uint64_t breakers64(const unsigned char *p)
{
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)cq_breaker_tab[p[i]] << i;
    return m;
}
#endif

/*
 * Tokens are the runs of non-breakers.  64 bytes at a time: a mask of the
 * breakers among them, then each run from bit scans; a run may continue into
 * the next 64 bytes.  The last partial 64 bytes are copied into a buffer
 * padded with breakers to classify them (hashing reads the text itself).
 */
void cq_bloom_add_text(uint8_t *bloom, uint64_t *seen, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t tok = 0;                 /* start of the open token */
    int in_tok = 0;
    for (size_t base = 0; base < len; base += 64) {
        uint64_t brk;
        if (len - base >= 64) {
            brk = breakers64(p + base);
        } else {
            unsigned char pad[64];
            memset(pad, ' ', sizeof pad);
            memcpy(pad, p + base, len - base);
            brk = breakers64(pad);
        }
        unsigned pos = 0;
        for (;;) {
            if (!in_tok) {
                uint64_t nb = ~brk & (~0ull << pos);
                if (!nb)
                    break;
                pos = (unsigned)__builtin_ctzll(nb);
                tok = base + pos;
                in_tok = 1;
            }
            uint64_t b = brk & (~0ull << pos);
            if (!b)
                break;              /* the token goes on past these 64 bytes */
            pos = (unsigned)__builtin_ctzll(b);
            size_t e = base + pos;
            add_token(bloom, seen, p + tok, e - tok, len - tok);
            in_tok = 0;
        }
    }
    if (in_tok)
        add_token(bloom, seen, p + tok, len - tok, len - tok);
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

/*
 * hash.c - word-at-a-time multiply/rotate hash.  Not cryptographic: an
 * attacker who controls logs can make two files collide, which at worst makes
 * cquery treat a file as already ingested; the full-content check on
 * (length, hash) keeps accidental collisions out of reach.
 */
#include "common/hash.h"

#include <string.h>

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
    w *= K2;
    w = rotl(w, 31);
    w *= K1;
    h ^= w;
    return rotl(h, 27) * 5 + 0x52DCE729;
}

static inline uint64_t finish(uint64_t h, const unsigned char *tail, unsigned n_tail,
                              uint64_t total)
{
    if (n_tail) {
        uint64_t w = 0;
        memcpy(&w, tail, n_tail);
        h = mix_word(h, w ^ ((uint64_t)n_tail << 56));
    }
    h ^= total;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

void cq_hash_init(cq_hash *s)
{
    memset(s, 0, sizeof *s);
    s->h = 0x27D4EB2F165667C5ull;
}

void cq_hash_update(cq_hash *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    s->total += n;
    while (s->n_tail && n) {
        s->tail[s->n_tail++] = *b++;
        n--;
        if (s->n_tail == 8) {
            uint64_t w;
            memcpy(&w, s->tail, 8);
            s->h = mix_word(s->h, w);
            s->n_tail = 0;
        }
    }
    uint64_t h = s->h;
    for (; n >= 8; n -= 8, b += 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = mix_word(h, w);
    }
    s->h = h;
    memcpy(s->tail + s->n_tail, b, n);
    s->n_tail += (unsigned)n;
}

uint64_t cq_hash_final(const cq_hash *s)
{
    return finish(s->h, s->tail, s->n_tail, s->total);
}

/* One-shot: the same value as init + update + final, without the streaming
 * state (hash tables call this for every key). */
uint64_t cq_hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0x27D4EB2F165667C5ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = mix_word(h, w);
    }
    return finish(h, b + i, (unsigned)(n - i), n);
}

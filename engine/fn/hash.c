/*
 * hash.c - digests: md5(), sha1(), sha256(), as lower-case hex.  The digest
 * of null is null; a multivalue's first value is digested.
 */
#include "engine/fn/fn.h"

#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* ------------------------------------------------------------ digests */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

/* Pads msg as MD5/SHA do: 0x80, zeros, the bit length (little- or
 * big-endian); returns the padded buffer (from a) and its length. */
static unsigned char *pad(cq_sv msg, int big_endian, size_t *len_out, cq_arena *a)
{
    size_t n = msg.len, len = ((n + 8) / 64 + 1) * 64;
    unsigned char *p = cq_arena_calloc(a, len);
    memcpy(p, msg.p, n);
    p[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++)
        p[len - 8 + k] = (unsigned char)(big_endian ? bits >> (56 - 8 * k) : bits >> (8 * k));
    *len_out = len;
    return p;
}

static void md5(cq_sv msg, unsigned char out[16], cq_arena *a)
{
    static const int s[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    size_t len;
    unsigned char *p = pad(msg, 0, &len, a);
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    for (size_t off = 0; off < len; off += 64) {
        uint32_t w[16];
        for (int k = 0; k < 16; k++)
            w[k] = (uint32_t)p[off + 4 * k] | (uint32_t)p[off + 4 * k + 1] << 8 |
                   (uint32_t)p[off + 4 * k + 2] << 16 | (uint32_t)p[off + 4 * k + 3] << 24;
        uint32_t A_ = h[0], B = h[1], C = h[2], D = h[3];
        for (int k = 0; k < 64; k++) {
            uint32_t F;
            int g;
            if (k < 16) {
                F = (B & C) | (~B & D);
                g = k;
            } else if (k < 32) {
                F = (D & B) | (~D & C);
                g = (5 * k + 1) % 16;
            } else if (k < 48) {
                F = B ^ C ^ D;
                g = (3 * k + 5) % 16;
            } else {
                F = C ^ (B | ~D);
                g = (7 * k) % 16;
            }
            F += A_ + K[k] + w[g];
            A_ = D;
            D = C;
            C = B;
            B += rol(F, s[k]);
        }
        h[0] += A_;
        h[1] += B;
        h[2] += C;
        h[3] += D;
    }
    for (int k = 0; k < 16; k++)
        out[k] = (unsigned char)(h[k / 4] >> (8 * (k % 4)));
}

static void sha1(cq_sv msg, unsigned char out[20], cq_arena *a)
{
    size_t len;
    unsigned char *p = pad(msg, 1, &len, a);
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    for (size_t off = 0; off < len; off += 64) {
        uint32_t w[80];
        for (int k = 0; k < 16; k++)
            w[k] = (uint32_t)p[off + 4 * k] << 24 | (uint32_t)p[off + 4 * k + 1] << 16 |
                   (uint32_t)p[off + 4 * k + 2] << 8 | (uint32_t)p[off + 4 * k + 3];
        for (int k = 16; k < 80; k++)
            w[k] = rol(w[k - 3] ^ w[k - 8] ^ w[k - 14] ^ w[k - 16], 1);
        uint32_t A_ = h[0], B = h[1], C = h[2], D = h[3], E = h[4];
        for (int k = 0; k < 80; k++) {
            uint32_t f, kk;
            if (k < 20) {
                f = (B & C) | (~B & D);
                kk = 0x5A827999;
            } else if (k < 40) {
                f = B ^ C ^ D;
                kk = 0x6ED9EBA1;
            } else if (k < 60) {
                f = (B & C) | (B & D) | (C & D);
                kk = 0x8F1BBCDC;
            } else {
                f = B ^ C ^ D;
                kk = 0xCA62C1D6;
            }
            uint32_t t = rol(A_, 5) + f + E + kk + w[k];
            E = D;
            D = C;
            C = rol(B, 30);
            B = A_;
            A_ = t;
        }
        h[0] += A_;
        h[1] += B;
        h[2] += C;
        h[3] += D;
        h[4] += E;
    }
    for (int k = 0; k < 20; k++)
        out[k] = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
}

static void sha256(cq_sv msg, unsigned char out[32], cq_arena *a)
{
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    size_t len;
    unsigned char *p = pad(msg, 1, &len, a);
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (size_t off = 0; off < len; off += 64) {
        uint32_t w[64];
        for (int k = 0; k < 16; k++)
            w[k] = (uint32_t)p[off + 4 * k] << 24 | (uint32_t)p[off + 4 * k + 1] << 16 |
                   (uint32_t)p[off + 4 * k + 2] << 8 | (uint32_t)p[off + 4 * k + 3];
        for (int k = 16; k < 64; k++) {
            uint32_t s0 = ror(w[k - 15], 7) ^ ror(w[k - 15], 18) ^ (w[k - 15] >> 3);
            uint32_t s1 = ror(w[k - 2], 17) ^ ror(w[k - 2], 19) ^ (w[k - 2] >> 10);
            w[k] = w[k - 16] + s0 + w[k - 7] + s1;
        }
        uint32_t v[8];
        memcpy(v, h, sizeof v);
        for (int k = 0; k < 64; k++) {
            uint32_t S1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
            uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
            uint32_t t1 = v[7] + S1 + ch + K[k] + w[k];
            uint32_t S0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
            uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            uint32_t t2 = S0 + maj;
            memmove(v + 1, v, 7 * sizeof *v);
            v[4] += t1;
            v[0] = t1 + t2;
        }
        for (int k = 0; k < 8; k++)
            h[k] += v[k];
    }
    for (int k = 0; k < 32; k++)
        out[k] = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
}

static int digest(cq_fn_call *fc, int which)
{
    static const char hex[] = "0123456789abcdef";
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        unsigned char d[32];
        size_t n = which == 0 ? 16 : which == 1 ? 20 : 32;
        if (which == 0)
            md5(s, d, ARENA);
        else if (which == 1)
            sha1(s, d, ARENA);
        else
            sha256(s, d, ARENA);
        char *r = cq_arena_alloc(ARENA, 2 * n + 1);
        for (size_t k = 0; k < n; k++) {
            r[2 * k] = hex[d[k] >> 4];
            r[2 * k + 1] = hex[d[k] & 15];
        }
        r[2 * n] = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, (uint32_t)(2 * n)});
    }
    return 0;
}

int cq_fn_md5(cq_fn_call *fc)
{
    return digest(fc, 0);
}

int cq_fn_sha1(cq_fn_call *fc)
{
    return digest(fc, 1);
}

int cq_fn_sha256(cq_fn_call *fc)
{
    return digest(fc, 2);
}

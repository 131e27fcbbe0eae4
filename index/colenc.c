/*
 * colenc.c - column encoding.  Decoding checks every length against the blob
 * so a damaged index gives an error, not a crash.
 */
#include "index/colenc.h"

#include <stdlib.h>
#include <string.h>

static void put_u8(cq_strbuf *o, uint8_t v)
{
    cq_strbuf_add(o, &v, 1);
}

static void put_u32(cq_strbuf *o, uint32_t v)
{
    cq_strbuf_add(o, &v, 4);
}

void cq_col_encode_time(cq_strbuf *out, const int64_t *t, uint32_t n_rows)
{
    put_u8(out, CQ_COL_TIME);
    put_u32(out, n_rows);
    cq_strbuf_add(out, t, (size_t)n_rows * 8);
}

void cq_col_encode_plain(cq_strbuf *out, const cq_sv *v, uint32_t n_rows)
{
    put_u8(out, CQ_COL_PLAIN);
    put_u32(out, n_rows);
    uint32_t off = 0;
    put_u32(out, 0);
    for (uint32_t i = 0; i < n_rows; i++) {
        off += v[i].len;
        put_u32(out, off);
    }
    for (uint32_t i = 0; i < n_rows; i++)
        cq_strbuf_add(out, v[i].p, v[i].len);
}

void cq_col_encode_dict(cq_strbuf *out, const cq_sv *dict, uint32_t n_dict,
                        const uint32_t *codes, const uint32_t *row_off,
                        uint32_t n_rows)
{
    uint32_t n_vals = row_off ? row_off[n_rows] : n_rows;
    uint8_t width = n_dict < 0xFF ? 1 : n_dict < 0xFFFF ? 2 : 4;
    put_u8(out, CQ_COL_DICT);
    put_u32(out, n_rows);
    put_u32(out, n_vals);
    put_u32(out, n_dict);
    put_u8(out, row_off != NULL);
    put_u8(out, width);
    uint32_t off = 0;
    put_u32(out, 0);
    for (uint32_t i = 0; i < n_dict; i++) {
        off += dict[i].len;
        put_u32(out, off);
    }
    for (uint32_t i = 0; i < n_dict; i++)
        cq_strbuf_add(out, dict[i].p, dict[i].len);
    if (row_off)
        cq_strbuf_add(out, row_off, (size_t)(n_rows + 1) * 4);
    cq_strbuf_grow(out, (size_t)n_vals * width);
    unsigned char *o = (unsigned char *)out->buf + out->len;
    /* little-endian: low bytes first; one loop per width */
    if (width == 1) {
        for (uint32_t i = 0; i < n_vals; i++)
            o[i] = (unsigned char)codes[i];
    } else if (width == 2) {
        for (uint32_t i = 0; i < n_vals; i++) {
            o[2 * i] = (unsigned char)codes[i];
            o[2 * i + 1] = (unsigned char)(codes[i] >> 8);
        }
    } else {
        for (uint32_t i = 0; i < n_vals; i++)
            for (int b = 0; b < 4; b++)
                o[4 * i + b] = (unsigned char)(codes[i] >> (8 * b));
    }
    out->len += (size_t)n_vals * width;
    out->buf[out->len] = '\0';
}

/* --- LZ packing (the stream format is in colenc.h) --- */

#define LZ_HASH_BITS 14
#define LZ_MIN_MATCH 4
#define LZ_MAX_OFF 65535u
#define LZ_TAIL 8           /* bytes at the end never start a match (8-byte reads) */

static inline uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t lz_hash(uint32_t v)
{
    return (v * 2654435761u) >> (32 - LZ_HASH_BITS);
}

static unsigned char *put_varint(unsigned char *o, size_t v)
{
    while (v >= 0x80) {
        *o++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *o++ = (unsigned char)v;
    return o;
}

/* Writes one sequence: lit literals from l, then (when off) a match. */
static unsigned char *lz_seq(unsigned char *o, const unsigned char *l, size_t lit, uint32_t off,
                             size_t mlen)
{
    size_t m = off ? mlen - LZ_MIN_MATCH : 0;
    *o++ = (unsigned char)((lit < 15 ? lit : 15) << 4 | (m < 15 ? m : 15));
    if (lit >= 15)
        o = put_varint(o, lit - 15);
    memcpy(o, l, lit);
    o += lit;
    if (off) {
        *o++ = (unsigned char)off;
        *o++ = (unsigned char)(off >> 8);
        if (m >= 15)
            o = put_varint(o, m - 15);
    }
    return o;
}

/* Greedy LZ77 over src[0..n) into o (room for n + n/64 + 32); returns the end. */
static unsigned char *lz_compress(const unsigned char *src, size_t n, unsigned char *o,
                                  uint32_t *tab)
{
    size_t ip = 0, anchor = 0;
    memset(tab, 0, sizeof *tab << LZ_HASH_BITS);
    if (n > LZ_TAIL + LZ_MIN_MATCH) {
        size_t limit = n - LZ_TAIL;
        while (ip < limit) {
            uint32_t seq = rd32(src + ip), h = lz_hash(seq);
            size_t cand = tab[h];
            tab[h] = (uint32_t)ip;
            if (cand >= ip || ip - cand > LZ_MAX_OFF || rd32(src + cand) != seq) {
                ip += 1 + ((ip - anchor) >> 6);     /* speed up over incompressible runs */
                continue;
            }
            while (ip > anchor && cand > 0 && src[ip - 1] == src[cand - 1])
                ip--, cand--;
            size_t m = LZ_MIN_MATCH;
            while (ip + m + 8 <= n) {
                uint64_t x = rd64(src + ip + m) ^ rd64(src + cand + m);
                if (x) {
                    m += (size_t)__builtin_ctzll(x) >> 3;
                    goto matched;
                }
                m += 8;
            }
            while (ip + m < n && src[ip + m] == src[cand + m])
                m++;
        matched:
            o = lz_seq(o, src + anchor, ip - anchor, (uint32_t)(ip - cand), m);
            ip += m;
            anchor = ip;
            if (ip - 2 < limit)                     /* a position inside the match */
                tab[lz_hash(rd32(src + ip - 2))] = (uint32_t)(ip - 2);
        }
    }
    return lz_seq(o, src + anchor, n - anchor, 0, 0);
}

static int get_varint(const unsigned char **p, const unsigned char *end, size_t *v)
{
    size_t r = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        r |= (size_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Expands src[0..n) into exactly dn bytes at dst; -1 on any malformation. */
static int lz_decompress(const unsigned char *src, size_t n, unsigned char *dst, size_t dn)
{
    const unsigned char *ip = src, *end = src + n;
    size_t op = 0;
    for (;;) {
        if (ip >= end)
            return -1;
        unsigned tok = *ip++;
        size_t lit = tok >> 4, m = tok & 15, x;
        if (lit == 15) {
            if (get_varint(&ip, end, &x) || x > dn)
                return -1;
            lit += x;
        }
        if (lit > (size_t)(end - ip) || lit > dn - op)
            return -1;
        memcpy(dst + op, ip, lit);
        ip += lit;
        op += lit;
        if (ip == end)
            return op == dn && m == 0 ? 0 : -1;
        if (end - ip < 2)
            return -1;
        size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        if (m == 15) {
            if (get_varint(&ip, end, &x) || x > dn)
                return -1;
            m += x;
        }
        m += LZ_MIN_MATCH;
        if (off == 0 || off > op || m > dn - op)
            return -1;
        unsigned char *d = dst + op;
        const unsigned char *s = d - off;
        if (off >= m) {
            memcpy(d, s, m);
        } else {
            for (size_t i = 0; i < m; i++)
                d[i] = s[i];
        }
        op += m;
    }
}

size_t cq_col_pack(cq_strbuf *out, const void *blob, size_t len, cq_col_lz *z)
{
    if (!z->tab)
        z->tab = cq_xmalloc(sizeof *z->tab << LZ_HASH_BITS);
    cq_strbuf_reset(&z->buf);
    cq_strbuf_grow(&z->buf, 5 + len + len / 64 + 32);
    unsigned char *o = (unsigned char *)z->buf.buf;
    o[0] = CQ_COL_LZ;
    uint32_t n32 = (uint32_t)len;
    memcpy(o + 1, &n32, 4);
    unsigned char *e = lz_compress(blob, len, o + 5, z->tab);
    size_t packed = (size_t)(e - o);
    if (len > UINT32_MAX || packed > len - len / 8) {
        cq_strbuf_add(out, blob, len);
        return len;
    }
    cq_strbuf_add(out, o, packed);
    return packed;
}

void cq_col_lz_free(cq_col_lz *z)
{
    free(z->tab);
    cq_strbuf_free(&z->buf);
    z->tab = NULL;
}

/* --- decoding --- */

typedef struct reader {
    const unsigned char *p, *end;
    int bad;
    int owned;              /* the blob is in the arena already (expanded LZ) */
} reader;

static const unsigned char *take(reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p;
    r->p += n;
    return q;
}

static uint32_t get_u32(reader *r)
{
    const unsigned char *q = take(r, 4);
    uint32_t v = 0;
    if (q)
        memcpy(&v, q, 4);
    return v;
}

static uint8_t get_u8(reader *r)
{
    const unsigned char *q = take(r, 1);
    return q ? *q : 0;
}

/* Copies n u32s into fresh aligned memory. */
static uint32_t *get_u32s(reader *r, size_t n, cq_arena *a)
{
    const unsigned char *q = take(r, n * 4);
    if (!q)
        return NULL;
    uint32_t *v = cq_arena_alloc(a, n * 4 + 4);
    memcpy(v, q, n * 4);
    return v;
}

/* Turns offsets + bytes into string views (checking offsets are monotone). */
static cq_sv *get_strings(reader *r, uint32_t n, cq_arena *a)
{
    uint32_t *off = get_u32s(r, (size_t)n + 1, a);
    if (!off)
        return NULL;
    if (off[0] != 0)
        r->bad = 1;
    for (uint32_t i = 0; i < n && !r->bad; i++)
        if (off[i + 1] < off[i])
            r->bad = 1;
    const unsigned char *bytes = take(r, off[n]);
    if (!bytes)
        return NULL;
    const char *copy = r->owned ? (const char *)bytes
                                : cq_arena_strndup(a, (const char *)bytes, off[n]);
    cq_sv *v = cq_arena_alloc(a, (size_t)n * sizeof *v + 1);
    for (uint32_t i = 0; i < n; i++)
        v[i] = (cq_sv){copy + off[i], off[i + 1] - off[i]};
    return v;
}

static int decode_dict(reader *r, cq_arena *a, cq_col *c)
{
    uint32_t n_vals = get_u32(r), n_dict = get_u32(r);
    uint8_t mv = get_u8(r), width = get_u8(r);
    if (r->bad || (width != 1 && width != 2 && width != 4) ||
        (!mv && n_vals != c->n_rows) || n_dict > (1u << 28))
        return -1;
    c->kind = CQ_COL_DICT;
    c->n_dict = n_dict;
    c->dict = get_strings(r, n_dict, a);
    uint32_t *row_off = NULL;
    if (mv) {
        row_off = get_u32s(r, (size_t)c->n_rows + 1, a);
        if (!row_off || row_off[0] != 0 || row_off[c->n_rows] != n_vals)
            return -1;
        for (uint32_t i = 0; i < c->n_rows; i++)
            if (row_off[i + 1] < row_off[i])
                return -1;
    }
    c->row_off = row_off;
    const unsigned char *q = take(r, (size_t)n_vals * width);
    if (!q || r->bad)
        return -1;
    uint32_t *codes = cq_arena_alloc(a, (size_t)n_vals * 4 + 4);
    uint32_t max = 0;
    /* One loop per width: the compiler vectorizes each (little-endian). */
    if (width == 1) {
        for (uint32_t i = 0; i < n_vals; i++)
            codes[i] = q[i];
    } else if (width == 2) {
        for (uint32_t i = 0; i < n_vals; i++)
            codes[i] = (uint32_t)q[2 * i] | (uint32_t)q[2 * i + 1] << 8;
    } else {
        memcpy(codes, q, (size_t)n_vals * 4);
    }
    for (uint32_t i = 0; i < n_vals; i++)
        max = codes[i] > max ? codes[i] : max;
    if (max > n_dict)
        return -1;
    c->codes = codes;
    return 0;
}

static int decode(const void *blob, size_t len, cq_arena *a, cq_col *col, int owned);

/* CQ_COL_LZ: expands the inner blob into the arena and decodes it there. */
static int decode_lz(const unsigned char *b, size_t len, cq_arena *a, cq_col *col)
{
    uint32_t inner;
    if (len < 5)
        return -1;
    memcpy(&inner, b + 1, 4);
    if (inner < 5 || inner > (1u << 30))
        return -1;
    unsigned char *dst = cq_arena_alloc(a, (size_t)inner + 1);
    if (lz_decompress(b + 5, len - 5, dst, inner) || dst[0] == CQ_COL_LZ)
        return -1;
    dst[inner] = 0;
    return decode(dst, inner, a, col, 1);
}

int cq_col_decode(const void *blob, size_t len, cq_arena *a, cq_col *col)
{
    memset(col, 0, sizeof *col);
    if (len && *(const unsigned char *)blob == CQ_COL_LZ)
        return decode_lz(blob, len, a, col);
    return decode(blob, len, a, col, 0);
}

static int decode(const void *blob, size_t len, cq_arena *a, cq_col *col, int owned)
{
    reader r = {blob, (const unsigned char *)blob + len, 0, owned};
    memset(col, 0, sizeof *col);
    uint8_t kind = get_u8(&r);
    col->n_rows = get_u32(&r);
    if (r.bad || col->n_rows > (1u << 24))
        return -1;
    switch (kind) {
    case CQ_COL_DICT:
        if (decode_dict(&r, a, col))
            return -1;
        break;
    case CQ_COL_TIME: {
        const unsigned char *q = take(&r, (size_t)col->n_rows * 8);
        if (!q)
            return -1;
        int64_t *t = cq_arena_alloc(a, (size_t)col->n_rows * 8 + 8);
        memcpy(t, q, (size_t)col->n_rows * 8);
        col->kind = CQ_COL_TIME;
        col->times = t;
        break;
    }
    case CQ_COL_PLAIN:
        col->kind = CQ_COL_STR;
        col->strs = get_strings(&r, col->n_rows, a);
        break;
    default:
        return -1;
    }
    return r.bad || r.p != r.end ? -1 : 0;
}

uint32_t cq_col_nvals(const cq_col *c, uint32_t r)
{
    switch (c->kind) {
    case CQ_COL_DICT:
        if (c->row_off)
            return c->row_off[r + 1] - c->row_off[r];
        return c->codes[r] != 0;
    case CQ_COL_STR:
        if (c->row_off)
            return c->row_off[r + 1] - c->row_off[r];
        return c->strs[r].p != NULL;
    case CQ_COL_TIME:
        return 1;
    case CQ_COL_NUM:
        return c->nums[r] == c->nums[r];
    default:
        return 0;
    }
}

cq_sv cq_col_val(const cq_col *c, uint32_t r, uint32_t i)
{
    uint32_t k = c->row_off ? c->row_off[r] + i : r;
    switch (c->kind) {
    case CQ_COL_DICT:
        return c->codes[k] ? c->dict[c->codes[k] - 1] : (cq_sv){NULL, 0};
    case CQ_COL_STR:
        return c->strs[k];
    default:
        return (cq_sv){NULL, 0};
    }
}

/*
 * gen_util.c - PRNG, formatting and time-ordered emission for cquery-gen.
 *
 * Nothing here depends on the clock, the locale or hash-table order, which is
 * what makes a (mode, seed, count) triple name one exact byte stream.
 */
#include "data/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (the usual
 * era-based arithmetic, valid for any year we care about). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *yy, int *mm, int *dd)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *yy = (int)((int64_t)yoe + era * 400 + (m <= 2));
    *mm = (int)m;
    *dd = (int)d;
}

int64_t gen_base_time(void)
{
    return (days_from_civil(2026, 3, 2) * 86400 + 8 * 3600) * GEN_NS_PER_SEC;
}

/* ---- PRNG */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rand(gen_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t gen_below(gen_rng *r, uint32_t n)
{
    /* Multiply-shift: the bias is below 2^-32, irrelevant for log data. */
    return (uint32_t)(((gen_rand(r) >> 32) * (uint64_t)n) >> 32);
}

double gen_unit(gen_rng *r)
{
    return (double)(gen_rand(r) >> 11) * 0x1.0p-53;
}

int gen_chance(gen_rng *r, double p)
{
    return gen_unit(r) < p;
}

int64_t gen_exp_ns(gen_rng *r, int64_t mean_ns)
{
    double u = gen_unit(r);
    int64_t v = (int64_t)(-log(1.0 - u) * (double)mean_ns);
    return v < 1000 ? 1000 : v;
}

size_t gen_pick(gen_rng *r, const double *w, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    double x = gen_unit(r) * sum;
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

uint64_t gen_hash(const char *s, uint64_t salt)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ salt;   /* FNV-1a, then mixed */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return splitmix64(&h);
}

/* ---- formatting */

void gen_put(cq_strbuf *b, const char *s)
{
    cq_strbuf_add(b, s, strlen(s));
}

void gen_putn(cq_strbuf *b, const char *s, size_t n)
{
    cq_strbuf_add(b, s, n);
}

void gen_putc(cq_strbuf *b, char c)
{
    cq_strbuf_addc(b, c);
}

void gen_put_u64(cq_strbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cq_strbuf_add(b, tmp + i, sizeof tmp - i);
}

static const char hexdig[] = "0123456789abcdef";

static void put_hex_bits(cq_strbuf *b, uint64_t *st, size_t n)
{
    char tmp[128];
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0)
            v = splitmix64(st);
        tmp[i % sizeof tmp] = hexdig[v & 15];
        v >>= 4;
        if (i % sizeof tmp == sizeof tmp - 1 || i == n - 1)
            cq_strbuf_add(b, tmp, i % sizeof tmp + 1);
    }
}

void gen_put_hex(cq_strbuf *b, gen_rng *r, size_t n)
{
    uint64_t st = gen_rand(r);
    put_hex_bits(b, &st, n);
}

void gen_put_hex_of(cq_strbuf *b, uint64_t seed, size_t n)
{
    put_hex_bits(b, &seed, n);
}

void gen_put_uuid_of(cq_strbuf *b, uint64_t seed)
{
    /* A version-4 layout: 8-4-4-4-12 with the version and variant nibbles. */
    uint64_t hi = splitmix64(&seed), lo = splitmix64(&seed);
    char u[36];
    int k = 0;
    for (int i = 0; i < 32; i++) {
        uint64_t w = i < 16 ? hi : lo;
        unsigned nib = (unsigned)(w >> (4 * (i % 16))) & 15;
        if (i == 12)
            nib = 4;
        if (i == 16)
            nib = 8 | (nib & 3);
        if (i == 8 || i == 12 || i == 16 || i == 20)
            u[k++] = '-';
        u[k++] = hexdig[nib];
    }
    cq_strbuf_add(b, u, sizeof u);
}

void gen_put_uuid(cq_strbuf *b, gen_rng *r)
{
    gen_put_uuid_of(b, gen_rand(r));
}

void gen_put_k8s_suffix_of(cq_strbuf *b, uint64_t seed, size_t n)
{
    static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
    char tmp[32];
    if (n > sizeof tmp)
        n = sizeof tmp;
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0)
            splitmix64(&seed);
        tmp[i] = alnum[(seed >> (8 * (i % 8))) % (sizeof alnum - 1)];
    }
    cq_strbuf_add(b, tmp, n);
}

void gen_put_jstr(cq_strbuf *b, const char *s)
{
    cq_strbuf_addc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        cq_strbuf_add(b, run, (size_t)(s - run));
        run = s + 1;
        if (ch == '"' || ch == '\\') {
            cq_strbuf_addc(b, '\\');
            cq_strbuf_addc(b, (char)ch);
        } else if (ch == '\n') {
            cq_strbuf_add(b, "\\n", 2);
        } else if (ch == '\t') {
            cq_strbuf_add(b, "\\t", 2);
        } else {
            char u[6] = {'\\', 'u', '0', '0', hexdig[ch >> 4], hexdig[ch & 15]};
            cq_strbuf_add(b, u, 6);
        }
    }
    cq_strbuf_add(b, run, (size_t)(s - run));
    cq_strbuf_addc(b, '"');
}

void gen_put_lrq(cq_strbuf *b, const char *s)
{
    /* Our messages are printable ASCII, where %q only escapes " and \. */
    cq_strbuf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            cq_strbuf_addc(b, '\\');
        cq_strbuf_addc(b, *s);
    }
    cq_strbuf_addc(b, '"');
}

void gen_put_qescape(cq_strbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
            ch == '~') {
            cq_strbuf_addc(b, (char)ch);
        } else if (ch == ' ') {
            cq_strbuf_addc(b, '+');
        } else {
            char e[3] = {'%', "0123456789ABCDEF"[ch >> 4],
                         "0123456789ABCDEF"[ch & 15]};
            cq_strbuf_add(b, e, 3);
        }
    }
}

static void put_dec(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void gen_put_time(cq_strbuf *b, int64_t ns, int frac)
{
    int64_t secs = ns / GEN_NS_PER_SEC;
    int64_t sub = ns % GEN_NS_PER_SEC;
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    char t[32];
    put_dec(t, (unsigned)y, 4);
    t[4] = '-';
    put_dec(t + 5, (unsigned)m, 2);
    t[7] = '-';
    put_dec(t + 8, (unsigned)d, 2);
    t[10] = 'T';
    put_dec(t + 11, (unsigned)(sod / 3600), 2);
    t[13] = ':';
    put_dec(t + 14, (unsigned)(sod / 60 % 60), 2);
    t[16] = ':';
    put_dec(t + 17, (unsigned)(sod % 60), 2);
    size_t n = 19;
    if (frac > 0) {
        t[n++] = '.';
        unsigned v = (unsigned)(frac == 6 ? sub / 1000 : sub);
        put_dec(t + n, v, frac);
        n += (size_t)frac;
    }
    t[n++] = 'Z';
    cq_strbuf_add(b, t, n);
}

/* ---- time-ordered emission */

static int item_before(const gen_item *a, const gen_item *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void gen_ctx_init(gen_ctx *c, uint64_t seed, FILE *fp)
{
    memset(c, 0, sizeof *c);
    gen_rng_seed(&c->rng, seed);
    c->now = gen_base_time();
    c->fp = fp;
}

void gen_ctx_free(gen_ctx *c)
{
    for (size_t i = 0; i < c->n_heap; i++) {
        free(c->heap[i].line);
        free(c->heap[i].truth);
    }
    free(c->heap);
    cq_strbuf_free(&c->out);
    cq_strbuf_free(&c->truth);
    cq_strbuf_free(&c->line);
    cq_strbuf_free(&c->tline);
}

static char *dup_buf(const cq_strbuf *b)
{
    char *p = malloc(b->len + 1);
    if (!p) {
        fputs("cquery-gen: out of memory\n", stderr);
        exit(3);
    }
    memcpy(p, b->buf, b->len);
    p[b->len] = '\0';
    return p;
}

void gen_push(gen_ctx *c, int64_t t)
{
    if (c->n_heap == c->heap_cap) {
        c->heap_cap = c->heap_cap ? c->heap_cap * 2 : 256;
        c->heap = realloc(c->heap, c->heap_cap * sizeof *c->heap);
        if (!c->heap) {
            fputs("cquery-gen: out of memory\n", stderr);
            exit(3);
        }
    }
    c->pushed++;
    gen_item it = {t, c->seq++, dup_buf(&c->line), c->line.len,
                   c->tline.len ? dup_buf(&c->tline) : NULL};
    size_t i = c->n_heap++;
    while (i > 0 && item_before(&it, &c->heap[(i - 1) / 2])) {
        c->heap[i] = c->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->heap[i] = it;
    cq_strbuf_reset(&c->line);
    cq_strbuf_reset(&c->tline);
}

void gen_truth(gen_ctx *c, const char *id, int64_t t, const char *st,
               const char *what)
{
    if (!c->want_truth)
        return;
    gen_put(&c->tline, id);
    gen_putc(&c->tline, '\t');
    gen_put_time(&c->tline, t, 6);
    gen_putc(&c->tline, '\t');
    gen_put(&c->tline, st);
    gen_putc(&c->tline, '\t');
    gen_put(&c->tline, what);
    gen_putc(&c->tline, '\n');
}

static gen_item heap_pop(gen_ctx *c)
{
    gen_item top = c->heap[0];
    gen_item last = c->heap[--c->n_heap];
    size_t i = 0, n = c->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const gen_item *best = &last;
        if (l < n && item_before(&c->heap[l], best)) {
            m = l;
            best = &c->heap[l];
        }
        if (l + 1 < n && item_before(&c->heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (n)
        c->heap[i] = last;
    return top;
}

static void out_flush(gen_ctx *c)
{
    if (c->fp && c->out.len) {
        if (fwrite(c->out.buf, 1, c->out.len, c->fp) != c->out.len)
            c->failed = 1;
        cq_strbuf_reset(&c->out);
    }
}

int gen_done(const gen_ctx *c)
{
    return c->failed || (c->limit && c->emitted >= c->limit);
}

void gen_flush_until(gen_ctx *c, int64_t t)
{
    while (c->n_heap && c->heap[0].t <= t && !gen_done(c)) {
        gen_item it = heap_pop(c);
        if (!c->until || it.t < c->until) {
            cq_strbuf_add(&c->out, it.line, it.len);
            if (it.truth)
                gen_put(&c->truth, it.truth);
            c->emitted++;
        }
        free(it.line);
        free(it.truth);
        if (c->fp && c->out.len >= (1u << 20))
            out_flush(c);
    }
}

void gen_finish(gen_ctx *c)
{
    gen_flush_until(c, INT64_MAX);
    out_flush(c);
    if (c->fp && fflush(c->fp) != 0)
        c->failed = 1;
}

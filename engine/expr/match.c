/*
 * match.c - wildcard, term and phrase matching.
 *
 * The wildcard matcher is the usual greedy-with-backtrack-to-last-star
 * algorithm: linear for patterns with one star, O(n*m) at worst, never
 * exponential, so a crafted value cannot stall a search.
 */
#include "engine/expr/match.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int cq_has_wild(const char *pat, size_t plen)
{
    for (size_t i = 0; i < plen; i++) {
        if (pat[i] == '\\' && i + 1 < plen) {
            i++;
            continue;
        }
        if (pat[i] == '*')
            return 1;
    }
    return 0;
}

static int wild(const char *p, size_t pl, const char *s, size_t sl, int fold)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sl) {
        if (pi < pl && p[pi] == '*') {
            star = ++pi;
            mark = si;
            continue;
        }
        if (pi < pl) {
            unsigned char pc = (unsigned char)p[pi];
            size_t step = 1;
            if (pc == '\\' && pi + 1 < pl) {
                pc = (unsigned char)p[pi + 1];
                step = 2;
            }
            unsigned char sc = (unsigned char)s[si];
            if (fold ? lc(pc) == lc(sc) : pc == sc) {
                pi += step;
                si++;
                continue;
            }
        }
        if (star == (size_t)-1)
            return 0;
        pi = star;
        si = ++mark;
    }
    while (pi < pl && p[pi] == '*')
        pi++;
    return pi == pl;
}

int cq_wild_match(const char *pat, size_t plen, const char *s, size_t slen)
{
    return wild(pat, plen, s, slen, 1);
}

int cq_wild_match_cs(const char *pat, size_t plen, const char *s, size_t slen)
{
    return wild(pat, plen, s, slen, 0);
}

int cq_is_breaker(unsigned char c)
{
    /* Major breakers, then minor breakers (Splunk's segmenters.conf defaults). */
    static const char brk[] = " \t\r\n[]<>(){}|!;,'\"&?+" "/:=@.-$#%\\_";
    return c && memchr(brk, c, sizeof brk - 1) != NULL;
}

static int is_major(unsigned char c)
{
    static const char brk[] = " \t\r\n[]<>(){}|!;,'\"&?+";
    return c && memchr(brk, c, sizeof brk - 1) != NULL;
}

static int eq_at(const char *raw, const char *t, size_t n, int cs)
{
    if (cs)
        return memcmp(raw, t, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lc((unsigned char)raw[i]) != lc((unsigned char)t[i]))
            return 0;
    return 1;
}

int cq_phrase_match(const char *phrase, size_t plen, const char *raw, size_t rlen, int cs)
{
    if (plen == 0)
        return 1;
    if (plen > rlen)
        return 0;
    /* Splunk finds a phrase through its tokens, so its ends must be token
     * ends: "rror her" is not in "error here".  A phrase that starts or ends
     * with a breaker needs no boundary on that side. */
    unsigned char first = (unsigned char)phrase[0], last = (unsigned char)phrase[plen - 1];
    int open_start = cq_is_breaker(first), open_end = cq_is_breaker(last);
    for (size_t i = 0; i + plen <= rlen; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (!(cs ? c == first : lc(c) == lc(first)))
            continue;
        if (!open_start && i > 0 && !cq_is_breaker((unsigned char)raw[i - 1]))
            continue;
        if (!open_end && i + plen < rlen && !cq_is_breaker((unsigned char)raw[i + plen]))
            continue;
        if (eq_at(raw + i, phrase, plen, cs))
            return 1;
    }
    return 0;
}

/* A term without wildcards: occurrences bounded by breakers or the ends. */
static int term_plain(const char *t, size_t tl, const char *raw, size_t rl, int cs)
{
    if (tl == 0 || tl > rl)
        return 0;
    unsigned char first = (unsigned char)t[0];
    for (size_t i = 0; i + tl <= rl; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (!(cs ? c == first : lc(c) == lc(first)))
            continue;
        if (i > 0 && !cq_is_breaker((unsigned char)raw[i - 1]) && !cq_is_breaker(first))
            continue;
        if (!eq_at(raw + i, t, tl, cs))
            continue;
        if (i + tl == rl || cq_is_breaker((unsigned char)raw[i + tl]) ||
            cq_is_breaker((unsigned char)t[tl - 1]))
            return 1;
    }
    return 0;
}

int cq_term_match(const char *term, size_t tlen, const char *raw, size_t rlen, int cs)
{
    if (!cq_has_wild(term, tlen))
        return term_plain(term, tlen, raw, rlen, cs);
    if (tlen == 1 && term[0] == '*')
        return 1;
    /* With wildcards: try the pattern on every segment that starts at a
     * token boundary and ends at one, where "*" does not cross a major breaker. */
    for (size_t i = 0; i < rlen; i++) {
        if (i > 0 && !cq_is_breaker((unsigned char)raw[i - 1]))
            continue;
        size_t end = i;
        while (end < rlen && !is_major((unsigned char)raw[end]))
            end++;
        for (size_t j = end; j > i; j--) {
            if (j < rlen && !cq_is_breaker((unsigned char)raw[j]))
                continue;
            if (wild(term, tlen, raw + i, j - i, !cs))
                return 1;
        }
    }
    return 0;
}

int cq_value_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    double x, y;
    if (cq_parse_num(a, alen, &x) && cq_parse_num(b, blen, &y))
        return (x > y) - (x < y);
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

int cq_term_match_major(const char *t, size_t tl, const char *raw, size_t rl)
{
    if (tl == 0 || tl > rl)
        return 0;
    for (size_t i = 0; i + tl <= rl; i++) {
        if (i > 0 && !is_major((unsigned char)raw[i - 1]))
            continue;
        if (!eq_at(raw + i, t, tl, 0))
            continue;
        if (i + tl == rl || is_major((unsigned char)raw[i + tl]))
            return 1;
    }
    return 0;
}

int cq_cidr_parse(cq_sv s, int *fam, unsigned char *net, int *bits)
{
    char buf[80];
    if (!s.p || s.len >= sizeof buf)
        return 0;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, net) == 1)
        *fam = 4;
    else if (inet_pton(AF_INET6, buf, net) == 1)
        *fam = 6;
    else
        return 0;
    int max = *fam == 4 ? 32 : 128;
    *bits = max;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || b < 0 || b > max)
            return 0;
        *bits = (int)b;
    }
    return 1;
}

int cq_cidr_contains(int fam, const unsigned char *net, int bits, cq_sv ip)
{
    unsigned char addr[16];
    int f, b;
    if (!cq_cidr_parse(ip, &f, addr, &b) || f != fam || b != (fam == 4 ? 32 : 128))
        return 0;
    int full = bits / 8, rest = bits % 8;
    if (memcmp(addr, net, (size_t)full))
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (addr[full] & mask) == (net[full] & mask);
}

/*
 * text.c - strings and regexes: lower(), upper(), len(), substr(), trim(),
 * ltrim(), rtrim(), urldecode(), match(), replace(), printf().
 *
 * Null rules (Splunk): a null argument gives null (len(null) is null).
 * Lengths and offsets count UTF-8 characters.
 */
#include "engine/fn/fn.h"
#include "engine/expr/regex.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* ----------------------------------------------------------- strings */

static int fn_lower_upper(cq_fn_call *fc, int upper)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        char *r = cq_arena_alloc(ARENA, s.len + 1);
        for (uint32_t k = 0; k < s.len; k++)
            r[k] = (char)(upper ? toupper((unsigned char)s.p[k]) : tolower((unsigned char)s.p[k]));
        r[s.len] = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, s.len});
    }
    return 0;
}

int cq_fn_lower(cq_fn_call *fc)
{
    return fn_lower_upper(fc, 0);
}

int cq_fn_upper(cq_fn_call *fc)
{
    return fn_lower_upper(fc, 1);
}

/* Characters of s: its bytes less its continuation bytes (10xxxxxx),
 * counted eight at a time (len() over a long field is a hot loop): bit 7 of
 * each byte of w & ~(w << 1) is set exactly for those bytes; per-byte
 * counters take at most 255 words before they are added up. */
static uint32_t utf8_len(cq_sv s)
{
    const uint64_t high = 0x8080808080808080ull, lanes = 0x00FF00FF00FF00FFull;
    uint32_t k = 0, cont = 0;
    while (s.len - k >= 8) {
        uint64_t acc = 0;
        for (int w_left = 255; w_left && s.len - k >= 8; w_left--, k += 8) {
            uint64_t w;
            memcpy(&w, s.p + k, 8);
            acc += (w & ~(w << 1) & high) >> 7;
        }
        acc = (acc & lanes) + ((acc >> 8) & lanes);     /* four 16-bit sums */
        cont += (uint32_t)((acc * 0x0001000100010001ull) >> 48);
    }
    for (; k < s.len; k++)
        cont += ((unsigned char)s.p[k] & 0xC0) == 0x80;
    return s.len - cont;
}

/* Byte offset of character index ci (clamped to the end). */
static uint32_t utf8_off(cq_sv s, uint32_t ci)
{
    uint32_t k = 0;
    while (k < s.len && ci) {
        k++;
        while (k < s.len && ((unsigned char)s.p[k] & 0xC0) == 0x80)
            k++;
        ci--;
    }
    return k;
}

/* Called without arguments (CQ_FN_SHAPE): the argument is a field of
 * single ASCII values, whose lengths in bytes are lengths in characters
 * and whose bytes may not be there at all (CQ_DECODE_SHAPE). */
static int len_of_ascii(cq_fn_call *fc)
{
    const cq_col *c = cq_batch_get(fc->b, fc->node->kids->name);
    for (uint32_t i = 0; i < fc->n; i++) {
        uint32_t r = fc->rows[i];
        cq_sv s = c->kind == CQ_COL_DICT ? (c->codes[r] ? c->dict[c->codes[r] - 1]
                                                          : (cq_sv){NULL, 0})
                                           : c->strs[r];
        fc->out[i] = s.p ? cq_val_number(s.len) : (cq_val){0};
    }
    return 0;
}

int cq_fn_len(cq_fn_call *fc)
{
    if (!fc->args)
        return len_of_ascii(fc);
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = A(0, i).t == CQ_V_NULL ? (cq_val){0}
                                            : cq_val_number(utf8_len(cq_val_str(&A(0, i), ARENA)));
    return 0;
}

/* substr(s, start, len): 1-based; a negative start counts from the end. */
int cq_fn_substr(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double st, ln = -1;
        if (A(0, i).t == CQ_V_NULL || !cq_val_num(&A(1, i), &st) ||
            (fc->n_args > 2 && !cq_val_num(&A(2, i), &ln))) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        int64_t chars = utf8_len(s), from = (int64_t)st;
        from = from < 0 ? chars + from : from - 1;
        if (from < 0)
            from = 0;
        int64_t to = fc->n_args > 2 ? from + (int64_t)ln : chars;
        if (to > chars)
            to = chars;
        if (to < from)
            to = from;
        uint32_t b0 = utf8_off(s, (uint32_t)from), b1 = utf8_off(s, (uint32_t)to);
        fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, s.p + b0, b1 - b0));
    }
    return 0;
}

static int fn_trim_side(cq_fn_call *fc, int left, int right)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        cq_sv chars = fc->n_args > 1 ? cq_val_str(&A(1, i), ARENA) : (cq_sv){" \t", 2};
        uint32_t a = 0, b = s.len;
        while (left && a < b && chars.p && memchr(chars.p, s.p[a], chars.len))
            a++;
        while (right && b > a && chars.p && memchr(chars.p, s.p[b - 1], chars.len))
            b--;
        fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, s.p + a, b - a));
    }
    return 0;
}

int cq_fn_trim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 1, 1);
}

int cq_fn_ltrim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 1, 0);
}

int cq_fn_rtrim(cq_fn_call *fc)
{
    return fn_trim_side(fc, 0, 1);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

int cq_fn_urldecode(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        if (A(0, i).t == CQ_V_NULL) {
            fc->out[i] = A(0, i);
            continue;
        }
        cq_sv s = cq_val_str(&A(0, i), ARENA);
        char *r = cq_arena_alloc(ARENA, s.len + 1);
        uint32_t n = 0;
        for (uint32_t k = 0; k < s.len; k++) {
            int h, l;
            if (s.p[k] == '%' && k + 2 < s.len && (h = hexval((unsigned char)s.p[k + 1])) >= 0 &&
                (l = hexval((unsigned char)s.p[k + 2])) >= 0) {
                r[n++] = (char)(h * 16 + l);
                k += 2;
            } else {
                r[n++] = s.p[k] == '+' ? ' ' : s.p[k];
            }
        }
        r[n] = '\0';
        fc->out[i] = cq_val_from_sv((cq_sv){r, n});
    }
    return 0;
}

/* ------------------------------------------------------------ regexes */

int cq_fn_match(cq_fn_call *fc)
{
    cq_regex_cache *rc = fc->c->regex;
    const cq_ast *pat_node = cq_ast_kid(fc->node, 1);
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), p = cq_val_str(&A(1, i), ARENA);
        if (!s.p || !p.p) {
            fc->out[i] = cq_val_bool(0);
            continue;
        }
        pcre2_code *re = cq_regex_get(rc, p, pat_node, fc->c->diag);
        if (!re)
            return -1;
        int m = cq_regex_match(rc, re, s, 0, cq_regex_mdata(rc, re), pat_node, fc->c->diag);
        if (m < 0)
            return -1;
        fc->out[i] = cq_val_bool(m);
    }
    return 0;
}

/* replace(s, regex, replacement): every match; \1..\9 refer to groups. */
int cq_fn_replace(cq_fn_call *fc)
{
    cq_regex_cache *rc = fc->c->regex;
    const cq_ast *pat_node = cq_ast_kid(fc->node, 1);
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), p = cq_val_str(&A(1, i), ARENA);
        cq_sv rep = cq_val_str(&A(2, i), ARENA);
        if (!s.p || !p.p || !rep.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        pcre2_code *re = cq_regex_get(rc, p, pat_node, fc->c->diag);
        if (!re)
            return -1;
        pcre2_match_data *md = cq_regex_mdata(rc, re);
        cq_strbuf out = CQ_STRBUF_INIT;
        size_t pos = 0;
        for (;;) {
            int m = cq_regex_match(rc, re, s, pos, md, pat_node, fc->c->diag);
            if (m < 0) {
                cq_strbuf_free(&out);
                return -1;
            }
            if (!m)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            uint32_t groups = pcre2_get_ovector_count(md);
            cq_strbuf_add(&out, s.p + pos, ov[0] - pos);
            for (uint32_t k = 0; k < rep.len; k++) {
                if (rep.p[k] == '\\' && k + 1 < rep.len && isdigit((unsigned char)rep.p[k + 1])) {
                    uint32_t g = (uint32_t)(rep.p[++k] - '0');
                    if (g < groups && ov[2 * g] != PCRE2_UNSET)
                        cq_strbuf_add(&out, s.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
                } else {
                    cq_strbuf_addc(&out, rep.p[k]);
                }
            }
            if (ov[1] == ov[0]) {       /* empty match: step over one byte */
                if (ov[1] >= s.len)
                    { pos = s.len; break; }
                cq_strbuf_addc(&out, s.p[ov[1]]);
                pos = ov[1] + 1;
            } else {
                pos = ov[1];
            }
        }
        if (pos < s.len)
            cq_strbuf_add(&out, s.p + pos, s.len - pos);
        fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, cq_strbuf_str(&out), out.len));
        cq_strbuf_free(&out);
    }
    return 0;
}

/* ------------------------------------------------------------- printf */

/* One conversion of printf(): spec is "%[flags][width][.prec]C" (C the
 * conversion), v its argument.  Appends to b; returns 0, or -1 when v does
 * not fit the conversion (a number wanted). */
static int print_one(cq_strbuf *b, const char *spec, char conv, const cq_val *v, cq_arena *a)
{
    char fmt[48], buf[512];
    double d = 0;
    int n;
    if (conv == 's') {
        cq_sv s = cq_val_str(v, a);
        if (v->t == CQ_V_MV && v->n_mv)
            s = v->mv[0];
        snprintf(fmt, sizeof fmt, "%s", spec);
        n = snprintf(buf, sizeof buf, fmt, cq_arena_strndup(a, s.p ? s.p : "", s.len));
        if (n >= (int)sizeof buf) {     /* long text: no width to apply */
            cq_strbuf_add(b, s.p ? s.p : "", s.len);
            return 0;
        }
    } else {
        if (v->t == CQ_V_MV || !cq_val_num(v, &d))
            return -1;
        size_t sl = strlen(spec);
        if (conv == 'd' || conv == 'i' || conv == 'u' || conv == 'x' || conv == 'X' ||
            conv == 'o' || conv == 'c') {
            /* spec without its conversion, then ll and the conversion */
            snprintf(fmt, sizeof fmt, "%.*sll%c", (int)(sl - 1), spec,
                     conv == 'i' ? 'd' : conv == 'c' ? 'd' : conv);
            long long x = (long long)d;
            if (conv == 'c') {
                cq_strbuf_addc(b, (char)x);
                return 0;
            }
            n = conv == 'd' || conv == 'i' ? snprintf(buf, sizeof buf, fmt, x)
                                           : snprintf(buf, sizeof buf, fmt, (unsigned long long)x);
        } else {
            n = snprintf(buf, sizeof buf, spec, d);
        }
    }
    if (n > 0)
        cq_strbuf_add(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return 0;
}

/*
 * printf(format, x, ...): C's conversions %d %i %u %f %F %e %E %g %G %x %X
 * %o %c %s and %%, with the flags - + space # 0, a width and a precision
 * (at most 3 digits each; * takes them from the arguments).  Null when the
 * format is null or an argument does not fit its conversion; a missing
 * argument prints nothing.
 */
int cq_fn_printf(cq_fn_call *fc)
{
    cq_strbuf b = CQ_STRBUF_INIT;
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv f = cq_val_str(&A(0, i), ARENA);
        fc->out[i] = (cq_val){0};
        if (!f.p)
            continue;
        cq_strbuf_reset(&b);
        uint32_t arg = 1;
        int bad = 0;
        for (uint32_t p = 0; p < f.len && !bad;) {
            if (f.p[p] != '%') {
                cq_strbuf_addc(&b, f.p[p++]);
                continue;
            }
            if (p + 1 < f.len && f.p[p + 1] == '%') {
                cq_strbuf_addc(&b, '%');
                p += 2;
                continue;
            }
            char spec[40];
            size_t o = 0;
            spec[o++] = f.p[p++];
            while (p < f.len && strchr("-+ #0", f.p[p]) && o < 8)
                spec[o++] = f.p[p++];
            for (int part = 0; part < 2; part++) {
                if (part) {
                    if (p >= f.len || f.p[p] != '.')
                        break;
                    spec[o++] = f.p[p++];
                }
                if (p < f.len && f.p[p] == '*') {
                    double w = 0;
                    if (arg < fc->n_args)
                        cq_val_num(&A(arg, i), &w);
                    arg++;
                    o += (size_t)snprintf(spec + o, sizeof spec - o, "%d",
                                          (int)(w < 0 ? 0 : w > 999 ? 999 : w));
                    p++;
                    continue;
                }
                for (int k = 0; p < f.len && f.p[p] >= '0' && f.p[p] <= '9'; k++, p++)
                    if (k < 3)
                        spec[o++] = f.p[p];
            }
            if (p >= f.len || !strchr("diufFeEgGxXocs", f.p[p])) {
                bad = 1;
                break;
            }
            char conv = f.p[p++];
            spec[o++] = conv;
            spec[o] = '\0';
            if (arg < fc->n_args)
                bad = print_one(&b, spec, conv, &A(arg, i), ARENA) < 0;
            arg++;
        }
        if (!bad)
            fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, b.buf ? b.buf : "", b.len));
    }
    cq_strbuf_free(&b);
    return 0;
}

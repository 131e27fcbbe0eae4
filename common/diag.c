/*
 * diag.c - recording and printing user-facing errors with carets.
 * Columns count UTF-8 characters, not bytes; tabs print as one space so the
 * caret lines up; lines longer than the terminal are clipped around the spot.
 */
#include "common/diag.h"

#include <stdarg.h>
#include <string.h>

#define CLIP_WIDTH 100      /* characters of context shown around the spot */

cq_span cq_span_join(cq_span a, cq_span b)
{
    if (a.start == UINT32_MAX)
        return b;
    if (b.start == UINT32_MAX)
        return a;
    return cq_span_make(a.start < b.start ? a.start : b.start,
                        a.end > b.end ? a.end : b.end);
}

void cq_diag_init(cq_diag *d)
{
    memset(d, 0, sizeof *d);
    d->span = CQ_SPAN_NONE;
}

int cq_diag_set(cq_diag *d, cq_span span, const char *fmt, ...)
{
    if (d->set)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    d->span = span;
    d->set = 1;
    d->hint[0] = '\0';
    return -1;
}

void cq_diag_hint(cq_diag *d, const char *fmt, ...)
{
    if (d->hint[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->hint, sizeof d->hint, fmt, ap);
    va_end(ap);
}

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

void cq_diag_locate(const char *text, size_t len, uint32_t off,
                    unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    if (off > len)
        off = (uint32_t)len;
    for (uint32_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (!is_cont((unsigned char)text[i])) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Bytes of the terminal-driving character at s[i] (a C1 control U+0080..
 * U+009F, or a bidirectional override U+202A..U+202E / isolate U+2066..
 * U+2069, UTF-8 encoded), or 0. */
static size_t c1_or_bidi(const unsigned char *s, size_t i, size_t to)
{
    if (s[i] == 0xC2 && i + 1 < to && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
        return 2;
    if (s[i] == 0xE2 && i + 2 < to &&
        ((s[i + 1] == 0x80 && s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) ||
         (s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9)))
        return 3;
    return 0;
}

/* Prints text[from..to) with controls (C0, DEL, C1, bidi overrides) flattened
 * to one space each and stray continuation bytes dropped, so that echoing a
 * query never drives the terminal and the caret stays under the same
 * character. */
static void put_flat(FILE *out, const char *s, size_t from, size_t to)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned cont = 0;      /* continuation bytes the last lead byte announced */
    for (size_t i = from; i < to; i++) {
        size_t n = c1_or_bidi(u, i, to);
        if (n) {
            fputc(' ', out);
            i += n - 1;
            cont = 0;
            continue;
        }
        if (is_cont(u[i])) {
            if (cont)
                cont--, fputc(u[i], out);
            /* else a stray byte (0x9B is CSI to an 8-bit terminal): dropped,
               as it has no width for the caret either */
            continue;
        }
        cont = u[i] >= 0xF0 ? 3 : u[i] >= 0xE0 ? 2 : u[i] >= 0xC0 ? 1 : 0;
        fputc(u[i] < 0x20 || u[i] == 0x7f ? ' ' : u[i], out);
    }
}

static size_t count_chars(const char *s, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += !is_cont((unsigned char)s[i]);
    return n;
}

/* Moves back from `i` by up to n characters, not before `floor`. */
static size_t back_chars(const char *s, size_t i, size_t floor, size_t n)
{
    while (i > floor && n > 0) {
        i--;
        while (i > floor && is_cont((unsigned char)s[i]))
            i--;
        n--;
    }
    return i;
}

static size_t fwd_chars(const char *s, size_t i, size_t ceil, size_t n)
{
    while (i < ceil && n > 0) {
        i++;
        while (i < ceil && is_cont((unsigned char)s[i]))
            i++;
        n--;
    }
    return i;
}

void cq_diag_print(FILE *out, const cq_diag *d, const char *source,
                   const char *text, size_t len, unsigned line_base)
{
    if (!d->set)
        return;
    if (d->span.start == UINT32_MAX || !text) {
        fprintf(out, "%s: error: ", source);
        put_flat(out, d->msg, 0, strlen(d->msg));
        fputc('\n', out);
        if (d->hint[0])
            fprintf(out, "    hint: %s\n", d->hint);
        return;
    }
    size_t start = d->span.start > len ? len : d->span.start;
    size_t end = d->span.end > len ? len : d->span.end;
    if (end < start)
        end = start;
    unsigned line, col;
    cq_diag_locate(text, len, (uint32_t)start, &line, &col);
    fprintf(out, "%s:%u:%u: error: ", source, line + line_base, col);
    put_flat(out, d->msg, 0, strlen(d->msg));     /* messages quote the query */
    fputc('\n', out);

    size_t ls = start, le = start;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    while (le < len && text[le] != '\n')
        le++;
    if (end > le)
        end = le;
    /* Clip around the spot so it stays visible on a long line. */
    size_t from = back_chars(text, start, ls, CLIP_WIDTH / 2);
    size_t to = fwd_chars(text, end, le, CLIP_WIDTH / 2);
    fputs("    ", out);
    if (from > ls)
        fputs("...", out);
    put_flat(out, text, from, to);
    if (to < le)
        fputs("...", out);
    fputs("\n    ", out);
    size_t pad = count_chars(text, from, start) + (from > ls ? 3 : 0);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', out);
    size_t width = count_chars(text, start, end);
    for (size_t i = 0; i < (width ? width : 1); i++)
        fputc('^', out);
    fputc('\n', out);
    if (d->hint[0]) {
        fputs("    hint: ", out);
        put_flat(out, d->hint, 0, strlen(d->hint));
        fputc('\n', out);
    }
}

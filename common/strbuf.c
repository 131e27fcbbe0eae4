/* strbuf.c - growable byte buffer. */
#include "common/strbuf.h"
#include "common/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cq_strbuf_grow(cq_strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->buf = cq_xrealloc(sb->buf, cap);
    sb->cap = cap;
}

void cq_strbuf_add(cq_strbuf *sb, const void *p, size_t n)
{
    cq_strbuf_grow(sb, n);
    if (n)
        memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void cq_strbuf_adds(cq_strbuf *sb, const char *s)
{
    cq_strbuf_add(sb, s, strlen(s));
}

void cq_strbuf_addc(cq_strbuf *sb, char c)
{
    cq_strbuf_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void cq_strbuf_addf(cq_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    cq_strbuf_grow(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void cq_strbuf_reset(cq_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

void cq_strbuf_free(cq_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

const char *cq_strbuf_str(const cq_strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

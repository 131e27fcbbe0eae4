/*
 * strbuf.h - a growable byte buffer, always NUL-terminated.
 * The caller owns the buffer; cq_strbuf_free() releases it.
 */
#ifndef CQ_COMMON_STRBUF_H
#define CQ_COMMON_STRBUF_H

#include <stddef.h>

typedef struct cq_strbuf {
    char *buf;      /* NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
} cq_strbuf;

#define CQ_STRBUF_INIT {NULL, 0, 0}

void cq_strbuf_grow(cq_strbuf *sb, size_t extra);
void cq_strbuf_add(cq_strbuf *sb, const void *p, size_t n);
void cq_strbuf_adds(cq_strbuf *sb, const char *s);
void cq_strbuf_addc(cq_strbuf *sb, char c);
void cq_strbuf_addf(cq_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cq_strbuf_reset(cq_strbuf *sb);     /* len = 0, memory kept */
void cq_strbuf_free(cq_strbuf *sb);
/* Returns the buffer ("" when empty); the caller must not free it. */
const char *cq_strbuf_str(const cq_strbuf *sb);

#endif

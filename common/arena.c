/*
 * arena.c - bump allocator.  Chunks grow geometrically; a request larger
 * than half a chunk gets a chunk of its own so big strings do not waste
 * the tail of a shared one.
 */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 8192
#define ALIGN 16

struct cq_arena_chunk {
    cq_arena_chunk *next;
    size_t size;                        /* usable bytes in data */
    _Alignas(16) unsigned char data[];
};

struct cq_arena_cleanup {
    cq_arena_cleanup *next;             /* older */
    void (*fn)(void *);
    void *p;
};

void cq_oom(void)
{
    fputs("cquery: out of memory\n", stderr);
    abort();
}

void *cq_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        cq_oom();
    return p;
}

void *cq_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        cq_oom();
    return p;
}

void *cq_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        cq_oom();
    return p;
}

char *cq_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cq_xmalloc(n), s, n);
}

void cq_arena_init(cq_arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->total = 0;
    a->cleanups = NULL;
}

static cq_arena_chunk *chunk_new(size_t size, cq_arena_chunk *next)
{
    cq_arena_chunk *c = cq_xmalloc(sizeof *c + size);
    c->next = next;
    c->size = size;
    return c;
}

void *cq_arena_alloc(cq_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    a->total += n;
    if (a->head && a->used + n <= a->head->size) {
        void *p = a->head->data + a->used;
        a->used += n;
        return p;
    }
    size_t want = a->head ? a->head->size * 2 : CHUNK_MIN;
    if (want > (1u << 20))
        want = 1u << 20;
    if (n > want / 2) {
        /* Big request: own chunk, slotted behind the head so the head's
         * free tail stays usable. */
        cq_arena_chunk *c = chunk_new(n, NULL);
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            a->head = c;
            a->used = n;
        }
        return c->data;
    }
    a->head = chunk_new(want, a->head);
    a->used = n;
    return a->head->data;
}

void *cq_arena_calloc(cq_arena *a, size_t n)
{
    return memset(cq_arena_alloc(a, n), 0, n);
}

char *cq_arena_strndup(cq_arena *a, const char *s, size_t len)
{
    char *p = cq_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *cq_arena_strdup(cq_arena *a, const char *s)
{
    return cq_arena_strndup(a, s, strlen(s));
}

char *cq_arena_printf(cq_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return cq_arena_strdup(a, "");
    char *p = cq_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void cq_arena_defer(cq_arena *a, void (*fn)(void *), void *p)
{
    cq_arena_cleanup *c = cq_arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}

/* Runs and forgets the cleanups (their nodes are the arena's memory). */
static void run_cleanups(cq_arena *a)
{
    while (a->cleanups) {
        cq_arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->p);
    }
}

void cq_arena_reset(cq_arena *a)
{
    run_cleanups(a);
    if (!a->head)
        return;
    /* Keep the largest-so-far head chunk; free the rest. */
    cq_arena_chunk *keep = a->head, *c = keep->next;
    while (c) {
        cq_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    a->used = 0;
    a->total = 0;
}

void cq_arena_free(cq_arena *a)
{
    run_cleanups(a);
    cq_arena_chunk *c = a->head;
    while (c) {
        cq_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    cq_arena_init(a);
}

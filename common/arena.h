/*
 * arena.h - a bump allocator that frees everything at once.
 *
 * A query owns one arena for its tokens, AST, plan and constants; the engine
 * owns scratch arenas that are reset between batches.  Nothing allocated from
 * an arena is freed on its own: cq_arena_reset() or cq_arena_free() releases
 * it all.  Allocation failure aborts with a message (out of memory is not an
 * input error and cannot be recovered from mid-query in a useful way).
 */
#ifndef CQ_COMMON_ARENA_H
#define CQ_COMMON_ARENA_H

#include <stddef.h>

typedef struct cq_arena_chunk cq_arena_chunk;
typedef struct cq_arena_cleanup cq_arena_cleanup;

typedef struct cq_arena {
    cq_arena_chunk *head;   /* newest chunk; older ones chained behind it */
    size_t used;            /* bytes used in head */
    size_t total;           /* bytes handed out since the last reset, for limits */
    cq_arena_cleanup *cleanups; /* cq_arena_defer()'s, newest first */
} cq_arena;

void cq_arena_init(cq_arena *a);
/* Returns n bytes aligned for any type; valid until reset/free. */
void *cq_arena_alloc(cq_arena *a, size_t n);
/* Returns zeroed memory. */
void *cq_arena_calloc(cq_arena *a, size_t n);
/* Copies s[0..len) and adds a NUL. */
char *cq_arena_strndup(cq_arena *a, const char *s, size_t len);
char *cq_arena_strdup(cq_arena *a, const char *s);
char *cq_arena_printf(cq_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Calls fn(p) when the arena is next reset or freed, before its memory goes
 * (cleanups run newest first).  For what the arena's memory refers to but
 * does not hold, such as a file a query's plan keeps open (iplocation's
 * database), so that it lives exactly as long as the plan (SQLite's
 * sqlite3ParserAddCleanup).
 */
void cq_arena_defer(cq_arena *a, void (*fn)(void *), void *p);
/* Runs the cleanups, then frees all but the first chunk, which is kept for
 * reuse. */
void cq_arena_reset(cq_arena *a);
void cq_arena_free(cq_arena *a);

/* Dies with a message; used by every allocation wrapper of the project. */
void cq_oom(void) __attribute__((noreturn));
void *cq_xmalloc(size_t n);
void *cq_xcalloc(size_t n, size_t size);
void *cq_xrealloc(void *p, size_t n);
char *cq_xstrdup(const char *s);

#endif

/*
 * diag.h - one user-facing error with the place it points at.
 *
 * A span is a pair of byte offsets into the text the user wrote (a query,
 * an .spl file, a log line).  Line and column are computed only when the
 * error is printed:
 *
 *   query:1:43: error: expected a value after "="
 *       sourcetype=docker:daemon | search command=
 *                                                 ^
 *       hint: quote values that contain spaces
 *
 * cq_diag_set() keeps the first error and ignores later ones, so code deep in
 * a call chain can report and return without checking whether someone above
 * already did.
 */
#ifndef CQ_COMMON_DIAG_H
#define CQ_COMMON_DIAG_H

#include <stdint.h>
#include <stdio.h>

typedef struct cq_span {
    uint32_t start;     /* byte offset of the first byte */
    uint32_t end;       /* byte offset one past the last byte; end == start: a point */
} cq_span;

#define CQ_SPAN_NONE ((cq_span){UINT32_MAX, UINT32_MAX})

static inline cq_span cq_span_make(uint32_t start, uint32_t end)
{
    return (cq_span){start, end};
}
/* The smallest span covering both (either may be CQ_SPAN_NONE). */
cq_span cq_span_join(cq_span a, cq_span b);

typedef struct cq_diag {
    int set;            /* nonzero once an error is recorded */
    cq_span span;       /* where; CQ_SPAN_NONE when it points nowhere */
    char msg[512];
    char hint[256];
} cq_diag;

void cq_diag_init(cq_diag *d);
/* Records the error unless one is already set.  Returns -1 for `return`. */
int cq_diag_set(cq_diag *d, cq_span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a hint to the recorded error (first hint wins). */
void cq_diag_hint(cq_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Prints the error as SOURCE:LINE:COL: error: MSG, the line of text with
 * a caret under the span, and the hint.  `text` is what the span indexes
 * (len bytes); source names it ("query", a file path).  line_base is added to
 * the printed line number (an .spl file whose query starts at line 7 passes
 * 6 and the query text alone).
 */
void cq_diag_print(FILE *out, const cq_diag *d, const char *source,
                   const char *text, size_t len, unsigned line_base);

/* Line and 1-based character column of byte offset `off` in text. */
void cq_diag_locate(const char *text, size_t len, uint32_t off,
                    unsigned *line, unsigned *col);

#endif

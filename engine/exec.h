/*
 * exec.h - running a plan over the index: operators and the result sink.
 *
 * Operators pull batches from their child (open/next/close); the driver
 * pulls from the last one and hands each batch to the sink.  `head` stops
 * pulling early, so a search that needs ten rows reads only as many blocks
 * as it takes to find them.
 */
#ifndef CQ_ENGINE_EXEC_H
#define CQ_ENGINE_EXEC_H

#include <signal.h>

#include "common/diag.h"
#include "engine/batch.h"
#include "engine/plan.h"
#include "index/index.h"

typedef struct cq_sink cq_sink;
struct cq_sink {
    /* One batch of results (only its selected rows count).  Return 0, or -1
     * to stop (with diag set by the sink). */
    int (*batch)(cq_sink *s, const cq_batch *b);
    void *ctx;
};

typedef struct cq_exec_stats {
    uint64_t blocks_total;      /* blocks the index selected */
    uint64_t blocks_read;       /* blocks actually decoded */
    uint64_t rows_scanned;
    uint64_t rows_out;
} cq_exec_stats;

/*
 * Resource bounds of one run (`cquery search --timeout --max-memory`); 0
 * means none.  The scan checks them once per block (cq_exec_check_bounds),
 * so a run stops within one block of crossing them, with a clear error and
 * no span.  Memory is the process's peak resident set (getrusage), which
 * counts every operator's tables without each allocator keeping a tally.
 * `stop`, when set, is a flag a signal handler raises (Ctrl-C in `cquery
 * shell`): the run stops at the same check, and the shell goes on.
 */
typedef struct cq_bounds {
    double timeout_s;           /* wall-clock seconds from the start of the run */
    uint64_t max_memory;        /* bytes of peak resident memory */
    const volatile sig_atomic_t *stop; /* nonzero: stop now (NULL: never) */
} cq_bounds;

/* cq_exec_run within bounds b (NULL: none). */
int cq_exec_run_bounded(const cq_plan *p, cq_index *idx, cq_sink *sink, cq_diag *diag,
                        cq_exec_stats *stats, const cq_bounds *b);

/*
 * Runs plan p on idx, feeding results to sink.  Returns 0, or -1 with the
 * error in diag (index errors carry no span).
 */
int cq_exec_run(const cq_plan *p, cq_index *idx, cq_sink *sink, cq_diag *diag,
                cq_exec_stats *stats);

/* Prints "cquery: note: ..." on stderr: a limit cut results (Splunk would
 * have cut them silently).  Every note of the engine goes through it. */
typedef struct cq_exec_ctx cq_exec_ctx;
void cq_exec_note(const cq_exec_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

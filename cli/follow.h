/*
 * follow.h - `search --follow` and `hunt --follow`: tail growing log files
 * (rotation-aware, as `tail -F`), ingest each batch of new complete lines
 * through the normal ingest path (one transaction per file and batch), and
 * hand the caller the new events (the blocks committed since its last run)
 * until SIGINT or SIGTERM.
 */
#ifndef CQ_CLI_FOLLOW_H
#define CQ_CLI_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"

#define CQ_FOLLOW_MAX_FILES 64

typedef struct cq_follow_opts {
    const char *index;                  /* index path (made when missing) */
    const char *files[CQ_FOLLOW_MAX_FILES];
    size_t n_files;
    unsigned interval_ms;               /* poll period (--follow-interval) */
} cq_follow_opts;

/*
 * Runs one batch: idx (read-only) shows only the events committed since the
 * last batch (cq_index_set_scan_after).  Returns 0 to go on, or an exit
 * status (nonzero) to stop with.
 */
typedef int (*cq_follow_batch)(void *ctx, cq_index *idx);

/* Follows until a signal (returns 128 + its number) or a batch stops it
 * (its status); 3 when the index cannot be opened or written. */
int cq_follow_run(const cq_follow_opts *fo, cq_follow_batch fn, void *ctx);

/* Parses --follow-interval MS (1 to 60000).  Returns 0, or -1 said. */
int cq_follow_interval(const char *val, unsigned *ms);

#endif

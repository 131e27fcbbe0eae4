/*
 * parallel.h - private to ingest/: pass 2 over one input on parser threads
 * (parallel.c).
 */
#ifndef CQ_INGEST_PARALLEL_H
#define CQ_INGEST_PARALLEL_H

#include "common/hash.h"
#include "ingest/ingest_int.h"

typedef struct cq_par_result {
    cq_hash hash;               /* content hash through the last line kept */
    uint64_t consumed;          /* its length */
    unsigned long long n_records, n_malformed;
    unsigned long long n_fixed_events, n_fixed;  /* events kept with U+FFFD, replacements */
    unsigned long long n_no_time, no_time_first; /* events without a time; first line */
    unsigned long long *per_st; /* caller's array of conf->n_sts + 1 counters */
    unsigned long n_sequential; /* jobs re-run sequentially (start state mattered) */
    int failed;
} cq_par_result;

/*
 * Reads `in` from its current position to the end: lines ending at or
 * before resume_at are hashed but not parsed; the rest go through the
 * pipeline and into idx (inside the caller's file transaction).  Returns 0,
 * or -1 after reporting a read or index error on g->o.err.
 */
int cq_par_scan(cq_ingest *g, cq_index *idx, cq_input *in, const char *path,
                uint64_t resume_at, cq_par_result *res);

#endif

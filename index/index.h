/*
 * index.h - the SQLite index that ingest writes and the engine reads.
 *
 * Layout (see README "Index layout"): events are grouped into blocks of up
 * to CQ_BLOCK_ROWS rows that share sourcetype, source and host; each field
 * of a block is stored as one compact column value (dictionary-encoded
 * strings, packed times) in its own row; blocks carry their time range so a
 * search reads only the blocks and columns it needs.
 *
 * Writing is per file: cq_index_file_begin() takes the writer lock and opens
 * a transaction, cq_index_add() buffers records, cq_index_file_commit()
 * writes the file's bookkeeping row and commits.  Blocks are committed in
 * chunks on the way (so the WAL can be checkpointed while parsing goes on),
 * but under a pending files row that readers skip and the next writer
 * removes if the process died: ingest is atomic per file.
 *
 * Errors: functions return 0 or -1; cq_index_errmsg() says why.
 */
#ifndef CQ_INDEX_INDEX_H
#define CQ_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "index/record.h"

#define CQ_BLOCK_ROWS 1024

typedef struct cq_index cq_index;

/* SQL for the files whose ingest has not finished (the committed chunks of a
 * running or killed ingest): their blocks are not part of the index. */
#define CQ_SQL_PENDING_FILES "SELECT id FROM files WHERE ingested_at IS NULL"
/* ... and the blocks of finished files, as a WHERE condition on blocks. */
#define CQ_SQL_BLOCK_DONE "file_id NOT IN (" CQ_SQL_PENDING_FILES ")"

enum {
    CQ_INDEX_READ = 0,      /* open an existing index read-only */
    CQ_INDEX_WRITE = 1,     /* open or create, for ingest */
};

/*
 * Opens the index at path.  On failure returns -1 and writes a message
 * naming the file into err (errlen bytes); *out is NULL.
 */
int cq_index_open(const char *path, int mode, cq_index **out, char *err,
                  size_t errlen);
void cq_index_close(cq_index *idx);
const char *cq_index_errmsg(const cq_index *idx);
const char *cq_index_path(const cq_index *idx);

/* --- what the index holds, for `cquery sources` (finished files only) --- */

typedef struct cq_sourcetype_summary {
    const char *sourcetype;     /* valid during the callback */
    int64_t events, t_min, t_max;
} cq_sourcetype_summary;

typedef struct cq_file_summary {
    const char *path, *sourcetype;  /* valid during the callback; "-": none */
    int64_t bytes, records, malformed;
} cq_file_summary;

/* Call fn for every sourcetype, in name order / every finished file, in
 * path order.  Return 0, or -1 (cq_index_errmsg). */
int cq_index_sourcetypes(cq_index *idx,
                         void (*fn)(void *ctx, const cq_sourcetype_summary *), void *ctx);
int cq_index_files(cq_index *idx, void (*fn)(void *ctx, const cq_file_summary *), void *ctx);
/* Call fn with the name of every field the index stores, in name order. */
int cq_index_fields(cq_index *idx, void (*fn)(void *ctx, const char *name), void *ctx);

/* --- files: what has been ingested, for idempotent and resumed ingest --- */

#define CQ_HEAD_BYTES 4096  /* a file's head hash covers this many bytes at most */

typedef struct cq_file_state {
    int64_t id;             /* row id in the files table */
    uint64_t head_len;      /* bytes the head hash covers: min(content, CQ_HEAD_BYTES) */
    uint64_t head_hash;     /* cq_hash of the first head_len content bytes */
    uint64_t bytes;         /* content bytes ingested (ends at a line end) */
    uint64_t full_hash;     /* cq_hash of those `bytes` bytes */
    char *path;             /* where it was read from last */
} cq_file_state;

/*
 * Lists the files already ingested that may be a prefix of a file whose first
 * min(size, CQ_HEAD_BYTES) content bytes hash to head_hash: rows with that
 * head hash, and every row whose head is shorter than CQ_HEAD_BYTES (the
 * caller re-checks those against its own first head_len bytes).  The caller
 * frees the array with cq_index_file_states_free().
 */
int cq_index_find_files(cq_index *idx, uint64_t head_hash, cq_file_state **out,
                        size_t *n);
void cq_index_file_states_free(cq_file_state *s, size_t n);

/* --- writing --- */

/* Starts the transaction for one input file (waits for other writers: the
 * caller checks what is already indexed after this, inside the transaction,
 * so that two ingests of one file never both add it). */
int cq_index_file_begin(cq_index *idx);
/* Buffers one record; full blocks are written as they fill. */
int cq_index_add(cq_index *idx, const cq_record *rec);

typedef struct cq_file_commit {
    int64_t resume_id;      /* files row being extended (resumed ingest), or 0 */
    const char *path;       /* file path, "-" for stdin */
    uint64_t head_len, head_hash, bytes, full_hash;
    uint64_t n_records;     /* added by this run */
    uint64_t n_malformed;   /* lines rejected by this run */
    const char *sourcetype; /* main sourcetype of the file, for `cquery sources` */
    const int64_t *replace; /* files rows this one replaces (ingest --force): forgotten */
    size_t n_replace;       /* in the commit's transaction, so old or new, never neither */
} cq_file_commit;

/*
 * Block sets: building blocks away from the index, on any thread.  A set
 * buffers records per (sourcetype, source, host) and encodes each full block
 * (columns and term filter); cq_index_put_blocks() then writes the encoded
 * blocks inside the current file's transaction, on the index's thread.  A
 * set is used by one thread at a time.
 */
typedef struct cq_blockset cq_blockset;
cq_blockset *cq_blockset_new(void);
void cq_blockset_free(cq_blockset *bs);
/* Adds a record (copied); a builder that fills up is encoded. */
void cq_blockset_add(cq_blockset *bs, const cq_record *rec);
/* Encodes every partly filled builder too. */
void cq_blockset_finish(cq_blockset *bs);
/* Drops everything buffered and encoded. */
void cq_blockset_discard(cq_blockset *bs);
/* Encoded blocks waiting to be written. */
size_t cq_blockset_pending(const cq_blockset *bs);
/* Writes (and drops) the set's encoded blocks.  Between file_begin and commit. */
int cq_index_put_blocks(cq_index *idx, cq_blockset *bs);

/* Commits a file's blocks every n bytes (default CQ_CHUNK_BYTES; 0 restores
 * it).  Tests set small chunks to cover the chunked path. */
void cq_index_set_chunk_bytes(cq_index *idx, uint64_t n);

/* Flushes buffered records, records the file and commits. */
int cq_index_file_commit(cq_index *idx, const cq_file_commit *c);
/* Drops everything since cq_index_file_begin(). */
void cq_index_file_rollback(cq_index *idx);

/* --- following growing files (`search --follow`) --- */

/* From now on, scans of idx see only the blocks with an id above `after`
 * and at most `upto` (0, 0: all): the events committed between two looks
 * at cq_index_last_block().  Block ids only grow (forget.c). */
void cq_index_set_scan_range(cq_index *idx, int64_t after, int64_t upto);
/* The highest block id of a finished file, 0 when none.  Returns 0 or -1. */
int cq_index_last_block(cq_index *idx, int64_t *id);

/* --- forgetting files (`cquery forget`, `ingest --force`) --- */

typedef struct cq_indexed_file {
    int64_t id;             /* files row */
    char *path;             /* as stored: the path ingest was given or walked to */
    char *sourcetype;       /* main sourcetype, or NULL */
    int64_t events, blocks; /* what it holds */
} cq_indexed_file;

/* Every finished file with its event and block counts, in path order.  The
 * caller frees the array with cq_indexed_files_free(). */
int cq_index_list_files(cq_index *idx, cq_indexed_file **out, size_t *n);
void cq_indexed_files_free(cq_indexed_file *f, size_t n);

typedef struct cq_forget_counts {
    int64_t files, blocks, events;  /* removed */
    int64_t fields;                 /* field names no block has any more, removed */
} cq_forget_counts;

/*
 * Removes files rows ids[0..n) and everything stored from them (blocks,
 * columns, term filters, field names left without a column) in one
 * transaction, under the writer lock as an ingest.  *done says what went
 * (an id that is no longer there counts nothing).  Returns 0 or -1.
 */
int cq_index_forget(cq_index *idx, const int64_t *ids, size_t n, cq_forget_counts *done);

#endif

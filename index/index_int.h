/*
 * index_int.h - private to index/: the open index and the block builder.
 */
#ifndef CQ_INDEX_INDEX_INT_H
#define CQ_INDEX_INDEX_INT_H

#include <sqlite3.h>

#include "common/arena.h"
#include "common/strmap.h"
#include "index/ckpt.h"
#include "index/index.h"
#include "common/strbuf.h"

#define BUSY_MS 30000          /* how long a writer waits for another */
#define CQ_CHUNK_BYTES (16u << 20) /* commit a file's blocks every this many bytes */
#define CQ_RESTART_CHUNKS 4     /* let the checkpoint catch up every this many chunks */
#define CQ_SCHEMA_VERSION "6"   /* 2: the terms table; 3: packed columns; 4: zstd packing;
                                 * 5: dictionary bytes packed apart; 6: checksums */

/*
 * Checksums (format 6): every column blob and term-filter row ends with
 * CQ_SUM_BYTES of XXH3-64 over the bytes before it; blocks and fields rows
 * carry theirs in a `sum` column.  The seed is the row's key (block and
 * field, slice and first block, ...), so a row whose key was damaged into
 * another's fails too.  A mismatch is reported as damage naming the row,
 * never decoded.
 */
#define CQ_SUM_BYTES 8
uint64_t cq_index_sum(const void *p, size_t n, uint64_t seed);
/* Seed of column (block, field): the two ids mixed. */
static inline uint64_t cq_col_seed(int64_t block, int64_t field)
{
    return (uint64_t)block * 0x9E3779B97F4A7C15ull ^ (uint64_t)field;
}
/* Sum of a blocks row (everything the reader takes from it). */
uint64_t cq_block_sum(int64_t id, const char *sourcetype, const char *source,
                      const char *host, int64_t t_min, int64_t t_max, int64_t n_rows);

typedef struct cq_builder cq_builder;   /* writer.c: rows of one pending block */

struct cq_index {
    sqlite3 *db;
    char *path;
    int mode;
    char err[512];
    /* prepared statements, made on first use */
    sqlite3_stmt *st_field_get;
    sqlite3_stmt *st_field_put;
    sqlite3_stmt *st_block_put;
    sqlite3_stmt *st_col_put;
    sqlite3_stmt *st_file_find;
    sqlite3_stmt *st_term_put;
    /* writer state, live between file_begin and commit/rollback */
    int in_file;
    int64_t file_id;            /* files row the blocks point at */
    cq_blockset *bs;            /* records given to cq_index_add, being blocked */
    uint8_t *grp_bits;          /* term filters of the pending group, CQ_TERM_GROUP x bloom */
    int64_t grp_first;          /* block id of its first block */
    uint32_t grp_n;             /* blocks in it */
    uint64_t n_added;
    cq_strmap field_ids;        /* name -> fields.id, valid inside the transaction */
    cq_arena field_names;       /* keys of field_ids */
    /* Columns of the blocks written since the last flush, held back so
     * that they go to the cols table field by field: a scan reading one
     * field of consecutive blocks then reads consecutive pages (writer.c). */
    struct cq_pend_col *pend;
    size_t n_pend, cap_pend;
    cq_strbuf pend_data;        /* their blobs */
    int db_fd1;                 /* the database file, + 1 (0: not open), for the writer
                                 * lock; closed only after sqlite3_close (closing a second
                                 * descriptor of a file drops the process's POSIX locks) */
    /* A file's records are committed in chunks (README "Ingest"): the
     * files row stays pending (ingested_at NULL), its blocks unseen by
     * readers, until the file's last commit; the writer lock (flock on
     * db_fd1) keeps other writers out meanwhile. */
    int locked;
    unsigned chunked;           /* chunks of the current file committed */
    uint64_t chunk_bytes;       /* bytes written since the last commit */
    uint64_t chunk_limit;       /* commit a chunk past this many bytes */
    cq_ckpt *ckpt;              /* background checkpoints, or NULL */
    int64_t block_floor;        /* the next block's id must exceed this (forget.c), or 0 */
    int64_t scan_after;         /* readers skip blocks with ids up to this (--follow) */
    int64_t scan_upto;          /* ... and above this, unless 0 */
};

/* Records an error message (printf-style) and returns -1. */
int cq_index_fail(cq_index *idx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, appending sqlite3_errmsg(). */
int cq_index_fail_db(cq_index *idx, const char *what);
int cq_index_prepare(cq_index *idx, sqlite3_stmt **st, const char *sql);
/* Field id of name, created when missing (writer only). */
int cq_index_field_id(cq_index *idx, const char *name, size_t len, int64_t *id);

/* The file's row in files (a placeholder until commit), made once. */
int cq_index_file_row(cq_index *idx);
/* Commits the current chunk of a file and starts the next transaction. */
int cq_index_chunk_commit(cq_index *idx);

/* forget.c: removes files rows and all they hold; inside a write transaction. */
int cq_index_forget_rows(cq_index *idx, const int64_t *ids, size_t n, cq_forget_counts *done);
/* The id a block must exceed (meta key block_floor, when above every id
 * in use), or 0: read at the start of each file. */
int cq_index_read_block_floor(cq_index *idx);

/* writer.c */
void cq_writer_discard(cq_index *idx);
int cq_writer_flush_all(cq_index *idx);

#endif

/*
 * colenc.h - the stored form of one column of one block, and its decoded
 * form (cq_col), which is also what the engine's batches hold.
 *
 * Stored form (little-endian, one SQLite BLOB):
 *   u8 kind
 *   DICT:  u32 n_rows, u32 n_vals, u32 n_dict, u8 mv, u8 width, u8 flags,
 *          u32 dict_off[n_dict+1],
 *          [mv: u32 row_off[n_rows+1]],
 *          codes[mv ? n_vals : n_rows] of `width` bytes (1, 2 or 4),
 *          dict bytes: dict_off[n_dict] bytes, or with CQ_DICT_PACKED one
 *          zstd frame (level 1) holding them, to the end of the blob
 *          code 0 = null, code k = dict[k-1]
 *          flags: CQ_DICT_ASCII every dict byte is below 0x80;
 *                 CQ_DICT_PACKED the bytes are zstd-packed
 *   TIME:  u32 n_rows, i64 t[n_rows]          (microseconds since the epoch)
 *   PLAIN: u32 n_rows, u32 off[n_rows+1], bytes   (no nulls; for _raw)
 *   SAME:  u32 n_rows, the name of another column of the same block whose
 *          values are the same row for row (a normalized copy such as user
 *          of user.username); that column is never SAME itself
 *   ZSTD:  u32 inner_len, one zstd frame (level 1) holding one blob of
 *          another kind (whole, kind byte included), inner_len bytes once
 *          expanded.  The writer packs _raw this way when it saves an
 *          eighth or more (cq_col_pack).
 *
 * A dictionary's bytes come last and are packed on their own, so codes,
 * offsets and lengths read without expanding them: len() of an ASCII
 * column is its offsets (CQ_DECODE_SHAPE).
 *
 * Dictionary encoding lets a filter test each distinct value once per block
 * and then only look codes up, and keeps low-cardinality fields (verb,
 * sourcetype-like fields, user names) to a byte or two per row.
 */
#ifndef CQ_INDEX_COLENC_H
#define CQ_INDEX_COLENC_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/strbuf.h"

typedef struct cq_sv {          /* a string view; p == NULL is null */
    const char *p;
    uint32_t len;
} cq_sv;

typedef enum cq_col_kind {
    CQ_COL_NULL = 0,    /* every row null (field absent from the block) */
    CQ_COL_DICT = 1,
    CQ_COL_TIME = 2,
    CQ_COL_PLAIN = 3,   /* stored only; decodes to CQ_COL_STR */
    CQ_COL_STR = 4,     /* per-value string views (engine-made columns) */
    CQ_COL_NUM = 5,     /* per-row doubles (engine-made columns), nan = null */
    CQ_COL_ZSTD = 6,    /* stored only: another blob, zstd-compressed */
    CQ_COL_SAME = 7,    /* stored only: the values of another column */
} cq_col_kind;

enum {
    CQ_DICT_ASCII = 1,
    CQ_DICT_PACKED = 2,
};

typedef struct cq_col {
    cq_col_kind kind;
    uint32_t n_rows;
    /* DICT and STR: every value is ASCII, so its length in characters is
     * its length in bytes (0: unknown) */
    uint8_t ascii;
    /* DICT */
    const cq_sv *dict;          /* dict[0..n_dict) */
    uint32_t n_dict;
    const uint32_t *codes;      /* per value: 0 null, k -> dict[k-1] */
    /* DICT and STR: NULL = one value per row (value i is row i); else row r
     * has values [row_off[r], row_off[r+1]); a row with none is null. */
    const uint32_t *row_off;
    /* STR */
    const cq_sv *strs;          /* per value */
    /* TIME */
    const int64_t *times;
    /* NUM */
    const double *nums;
} cq_col;

/* Decodes blob[0..len) into col, copying what it needs into `a`.
 * Returns 0, or -1 when the blob is malformed (a corrupt index).
 * CQ_DECODE_SHAPE: the caller reads only which values are null and their
 * lengths, so an ASCII dictionary's bytes stay packed; its values then
 * read as NUL bytes of the right length. */
enum { CQ_DECODE_FULL = 0, CQ_DECODE_SHAPE = 1 };
int cq_col_decode(const void *blob, size_t len, cq_arena *a, cq_col *col, unsigned how);

/* Encoders append to out. */
void cq_col_encode_time(cq_strbuf *out, const int64_t *t, uint32_t n_rows);
void cq_col_encode_plain(cq_strbuf *out, const cq_sv *v, uint32_t n_rows);
/* A column whose values are those of column `name` of the same block. */
void cq_col_encode_same(cq_strbuf *out, uint32_t n_rows, const char *name, uint32_t len);
/* 1 and *name (pointing into blob) for a SAME blob, 0 for any other, -1 for
 * a malformed one. */
int cq_col_same_target(const void *blob, size_t len, cq_sv *name);

/* Scratch for packing: reuse it from blob to blob (one per thread). */
typedef struct cq_col_packer {
    struct ZSTD_CCtx_s *cctx;   /* made on first use */
    cq_strbuf buf;
} cq_col_packer;
void cq_col_packer_free(cq_col_packer *z);

/*
 * dict: n_dict distinct strings; codes: per value (0 null); row_off: NULL or
 * n_rows+1 offsets (multivalue).  With z, the dictionary bytes are packed
 * when that makes them an eighth smaller or more; NULL: kept as they are.
 */
void cq_col_encode_dict(cq_strbuf *out, const cq_sv *dict, uint32_t n_dict,
                        const uint32_t *codes, const uint32_t *row_off,
                        uint32_t n_rows, cq_col_packer *z);

/*
 * Appends blob[0..len) (an encoded column) to out, zstd-packed (CQ_COL_ZSTD) when
 * that makes it at least an eighth smaller, else as it is.  Returns the
 * number of bytes appended.
 */
size_t cq_col_pack(cq_strbuf *out, const void *blob, size_t len, cq_col_packer *z);

/* Number of values of row r, and the i-th (for any kind but NUM). */
uint32_t cq_col_nvals(const cq_col *c, uint32_t r);
cq_sv cq_col_val(const cq_col *c, uint32_t r, uint32_t i);

/* Frees the calling thread's decompression context (made by the first
 * decode on each thread): a thread that decoded calls it before it ends. */
void cq_col_thread_done(void);

#endif

/*
 * op_tstats.c - the block-metadata source of a tstats count (engine/tstats.h):
 * one row per block the index selects, with the block's sourcetype, source,
 * host and index and how many of its rows are in the time range, for a
 * `stats sum()` after it to add up.  The rows of a block are not decoded
 * unless the block straddles the time range (then only its _time column
 * is).  The planner uses it only when the pushdown is the whole filter, so
 * the counts are exact.
 */
#include "engine/op.h"
#include "engine/tstats.h"
#include "index/reader.h"

#include <string.h>

typedef struct meta_op {
    cq_oper base;
    cq_scan *scan;
    size_t next_block, n_blocks;
    cq_arena scratch;               /* a straddling block's _time column */
    cq_arena arena;                 /* the output batch's */
    cq_batch out;
} meta_op;

static void meta_free(cq_oper *op)
{
    meta_op *m = (meta_op *)op;
    cq_scan_close(m->scan);
    cq_arena_free(&m->scratch);
}

/* Rows of block i inside [earliest, latest); -1 on a read error. */
static int64_t rows_in_range(meta_op *m, size_t i)
{
    const cq_plan *p = m->base.ctx->plan;
    const cq_block_info *bi = cq_scan_block(m->scan, i);
    if (bi->t_min >= p->earliest && bi->t_max < p->latest)
        return bi->n_rows;
    cq_arena_reset(&m->scratch);
    cq_col t;
    if (cq_scan_column(m->scan, i, "_time", &m->scratch, &t, CQ_DECODE_FULL))
        return -1;
    m->base.ctx->stats->blocks_read++;
    int64_t n = 0;
    for (uint32_t r = 0; r < t.n_rows; r++) {
        int64_t tv = t.kind == CQ_COL_TIME ? t.times[r] : 0;
        n += tv >= p->earliest && tv < p->latest;
    }
    return n;
}

static int meta_next(cq_oper *op, cq_batch **out)
{
    meta_op *m = (meta_op *)op;
    if (m->next_block >= m->n_blocks)
        return 0;
    cq_arena_reset(op->out_arena);
    cq_batch_clear(op->out);
    uint32_t n = 0;
    size_t left = m->n_blocks - m->next_block;
    uint32_t cap = left < CQ_BATCH_ROWS ? (uint32_t)left : CQ_BATCH_ROWS;
    cq_sv *vals = cq_arena_alloc(op->out_arena, 4 * cap * sizeof *vals);
    uint32_t *offs = cq_arena_alloc(op->out_arena, 4 * (cap + 1) * sizeof *offs);
    double *rows = cq_arena_alloc(op->out_arena, cap * sizeof *rows);
    uint32_t k[4] = {0, 0, 0, 0};
    for (; n < cap && m->next_block < m->n_blocks; m->next_block++) {
        if (cq_exec_check_bounds(op->ctx))
            return -1;
        size_t i = m->next_block;
        int64_t in = rows_in_range(m, i);
        if (in < 0)
            return cq_diag_set(op->ctx->diag, CQ_SPAN_NONE, "%s",
                               cq_index_errmsg(op->ctx->idx));
        if (in == 0)
            continue;
        const cq_block_info *bi = cq_scan_block(m->scan, i);
        const char *v[4] = {bi->sourcetype, bi->source, bi->host, "main"};
        for (int f = 0; f < 4; f++) {
            offs[f * (cap + 1) + n] = k[f];
            if (v[f])
                vals[f * cap + k[f]++] = (cq_sv){v[f], strlen(v[f])};
        }
        rows[n++] = (double)in;
        op->ctx->stats->rows_scanned += (uint64_t)in;
    }
    static const char *const names[4] = {"sourcetype", "source", "host", "index"};
    for (int f = 0; f < 4; f++) {
        offs[f * (cap + 1) + n] = k[f];
        cq_col c;
        cq_col_strs(&c, n, vals + f * cap, offs + f * (cap + 1));
        cq_batch_put(op->out, names[f], &c);
    }
    cq_col c = {.kind = CQ_COL_NUM, .n_rows = n, .nums = rows};
    cq_batch_put(op->out, CQ_TSTATS_ROWS, &c);
    op->out->n_rows = op->out->n_sel = n;
    *out = op->out;
    return 1;
}

cq_oper *cq_open_tstats_meta(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    (void)cfg;
    meta_op *m = cq_oper_new(sizeof *m, meta_next, meta_free, child, ctx);
    cq_arena_init(&m->scratch);
    cq_oper_out(&m->base, &m->arena, &m->out);
    if (cq_scan_open(ctx->idx, &ctx->plan->pd, &m->scan)) {
        cq_diag_set(ctx->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(ctx->idx));
        m->scan = NULL;
        cq_oper_free(&m->base);
        return NULL;
    }
    m->n_blocks = cq_scan_n_blocks(m->scan);
    ctx->stats->blocks_total = m->n_blocks;
    return &m->base;
}

/*
 * op_scan.c - the source of every query: blocks from the index.
 *
 *   scan    reads the blocks the pushdown selected and applies the time
 *           range and the first search's residual (a block is one batch:
 *           CQ_BLOCK_ROWS == CQ_BATCH_ROWS)
 *   merge   restores newest-first order across blocks whose time ranges
 *           overlap (several files of the same hours), holding only the
 *           blocks that overlap the current position
 */
#include "engine/op.h"
#include "engine/expr/match.h"
#include "index/reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One decoded block with its own memory, handed to the consumer. */
typedef struct blockbuf {
    cq_arena arena;
    cq_batch batch;
    int64_t t_max;
    uint32_t pos;           /* merge: selected rows not yet emitted (from the end) */
} blockbuf;

/* What decoding and filtering a block takes: one per thread. */
typedef struct reader {
    const cq_plan *plan;
    cq_scan *scan;
    cq_index *idx;
    cq_arena scratch;
    cq_diag *diag;
} reader;

typedef struct prefetch prefetch;

typedef struct scan_op {
    cq_oper base;
    reader rd;
    size_t next_block;      /* the next block handed on */
    blockbuf *cur;          /* returned by the last next(); freed on the next call */
    prefetch *pf;           /* threads reading blocks ahead, or NULL */
} scan_op;

static void blockbuf_free(blockbuf *bb)
{
    if (!bb)
        return;
    cq_batch_free(&bb->batch);
    cq_arena_free(&bb->arena);
    free(bb);
}

static int put_col_cb(void *ctx, const char *name, const cq_col *col)
{
    blockbuf *bb = ctx;
    cq_batch_put(&bb->batch, cq_arena_strdup(&bb->arena, name), col);
    return 0;
}

/* Fields every event of a block shares: kept in the blocks table, not as
 * columns; load_block makes constant columns of them. */
static const char *const block_fields[] = {"sourcetype", "source", "host", "index"};

static int is_block_field(const char *name)
{
    for (size_t k = 0; k < sizeof block_fields / sizeof *block_fields; k++)
        if (!strcmp(name, block_fields[k]))
            return 1;
    return 0;
}

/* Decodes the named columns of block i into bb, skipping block-level
 * fields (load_block adds them) and columns already there. */
static int load_named(reader *s, size_t i, blockbuf *bb, const char **names,
                      const unsigned char *shape, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *name = names[k];
        if (is_block_field(name) || cq_batch_get(&bb->batch, name))
            continue;
        cq_col c;
        unsigned how = shape && shape[k] ? CQ_DECODE_SHAPE : CQ_DECODE_FULL;
        if (cq_scan_column(s->scan, i, name, &bb->arena, &c, how))
            return -1;
        if (c.kind != CQ_COL_NULL)
            cq_batch_put(&bb->batch, name, &c);
    }
    return 0;
}

/* Does the plan read this block-level field? (Building a constant column
 * costs a write per row, so only when something looks at it.) */
static int plan_reads(const cq_plan *p, const char *name)
{
    if (p->need_all || p->filter_all)
        return 1;
    for (size_t i = 0; i < p->n_need; i++)
        if (!strcmp(p->need[i], name))
            return 1;
    for (size_t i = 0; i < p->n_filter_need; i++)
        if (!strcmp(p->filter_need[i], name))
            return 1;
    return 0;
}

/* Step two: the columns the rest of the query reads (every column for
 * event output), once some row of the block matched. */
static int load_rest(reader *s, size_t i, blockbuf *bb)
{
    const cq_plan *p = s->plan;
    int rc = p->need_all ? cq_scan_all_columns(s->scan, i, &bb->arena, put_col_cb, bb)
                         : load_named(s, i, bb, p->need, p->need_shape, p->n_need);
    if (rc)
        cq_diag_set(s->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(s->idx));
    return rc;
}

/* Step one: a fresh blockbuf with the block-level fields and the columns
 * the first search's filter reads (all of them when it may read any). */
static blockbuf *load_block(reader *s, size_t i)
{
    const cq_block_info *bi = cq_scan_block(s->scan, i);
    blockbuf *bb = cq_xcalloc(1, sizeof *bb);
    cq_arena_init(&bb->arena);
    cq_batch_init(&bb->batch, &bb->arena);
    bb->t_max = bi->t_max;
    bb->batch.n_rows = bb->batch.n_sel = bi->n_rows;
    int rc = s->plan->filter_all
                 ? cq_scan_all_columns(s->scan, i, &bb->arena, put_col_cb, bb)
                 : load_named(s, i, bb, s->plan->filter_need, NULL, s->plan->n_filter_need);
    if (rc) {
        cq_diag_set(s->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(s->idx));
        blockbuf_free(bb);
        return NULL;
    }
    cq_col c;
    const char *vals[] = {bi->sourcetype, bi->source, bi->host, "main"};   /* block_fields */
    for (size_t k = 0; k < sizeof block_fields / sizeof *block_fields; k++) {
        if (!plan_reads(s->plan, block_fields[k]))
            continue;
        cq_col_const(&c, &bb->arena, vals[k] ? cq_arena_strdup(&bb->arena, vals[k]) : NULL,
                     bi->n_rows);
        cq_batch_put(&bb->batch, block_fields[k], &c);
    }
    return bb;
}

/* Applies the time bounds and residual; leaves the selection in bb. */
static void filter_block(reader *s, blockbuf *bb)
{
    cq_batch *b = &bb->batch;
    const cq_plan *p = s->plan;
    uint16_t *sel = cq_arena_alloc(&bb->arena, (b->n_rows + 1) * sizeof *sel);
    uint32_t n = 0;
    const cq_col *t = cq_batch_get(b, "_time");
    int whole = p->earliest == INT64_MIN && p->latest == INT64_MAX;
    if (!whole && t && t->kind == CQ_COL_TIME && t->times[0] >= p->earliest &&
        t->times[b->n_rows - 1] < p->latest)
        whole = 1;      /* rows are time-sorted: the block is inside the range */
    if (whole) {
        for (uint32_t r = 0; r < b->n_rows; r++)
            sel[r] = (uint16_t)r;
        n = b->n_rows;
    } else {
        for (uint32_t r = 0; r < b->n_rows; r++) {
            int64_t tv = t && t->kind == CQ_COL_TIME ? t->times[r] : 0;
            if (tv >= p->earliest && tv < p->latest)
                sel[n++] = (uint16_t)r;
        }
    }
    if (p->scan_expr && n) {
        cq_arena_reset(&s->scratch);
        n = cq_filter_search(p->scan_expr, b, sel, n, sel, &s->scratch);
    }
    b->sel = sel;
    b->n_sel = n;
}

/* Block i, decoded and filtered: NULL when no row is selected (or on
 * error: -1 in *rc, diag set).  Its row count in *n_rows. */
static blockbuf *read_block(reader *r, size_t i, uint32_t *n_rows, int *rc)
{
    *rc = 0;
    *n_rows = cq_scan_block(r->scan, i)->n_rows;
    blockbuf *bb = load_block(r, i);
    if (!bb) {
        *rc = -1;
        return NULL;
    }
    filter_block(r, bb);
    if (bb->batch.n_sel && (r->plan->filter_all || !load_rest(r, i, bb)))
        return bb;
    *rc = bb->batch.n_sel ? -1 : 0;
    blockbuf_free(bb);
    return NULL;
}

static int prefetch_get(scan_op *s, size_t i, blockbuf **bb, uint32_t *n_rows);

/* Next block with at least one selected row, owned by the caller; NULL at
 * the end or on error (diag set). */
static blockbuf *scan_take(scan_op *s)
{
    while (s->next_block < cq_scan_n_blocks(s->rd.scan)) {
        if (cq_exec_check_bounds(s->base.ctx))
            return NULL;        /* --timeout / --max-memory */
        size_t i = s->next_block++;
        blockbuf *bb;
        uint32_t n_rows;
        int rc;
        if (s->pf)
            rc = prefetch_get(s, i, &bb, &n_rows);
        else
            bb = read_block(&s->rd, i, &n_rows, &rc);
        if (rc)
            return NULL;
        s->base.ctx->stats->blocks_read++;
        s->base.ctx->stats->rows_scanned += n_rows;
        if (bb)
            return bb;
    }
    return NULL;
}

/* Newest time any block not yet taken can hold (INT64_MIN: none left). */
static int64_t scan_watermark(const scan_op *s)
{
    const cq_block_info *bi = cq_scan_block(s->rd.scan, s->next_block);
    return bi ? bi->t_max : INT64_MIN;
}

static int scan_next(cq_oper *op, cq_batch **out)
{
    scan_op *s = (scan_op *)op;
    blockbuf_free(s->cur);
    s->cur = scan_take(s);
    if (!s->cur)
        return op->ctx->diag->set ? -1 : 0;
    *out = &s->cur->batch;
    return 1;
}

static void prefetch_stop(scan_op *s);

static void scan_free(cq_oper *op)
{
    scan_op *s = (scan_op *)op;
    prefetch_stop(s);
    blockbuf_free(s->cur);
    cq_scan_close(s->rd.scan);
    cq_arena_free(&s->rd.scratch);
}

/* The scan operator over scan, or (scan NULL) over the blocks the plan's
 * pushdown selects. */
static scan_op *scan_new(cq_exec_ctx *ctx, cq_scan *scan)
{
    scan_op *s = cq_oper_new(sizeof *s, scan_next, scan_free, NULL, ctx);
    s->rd = (reader){ctx->plan, scan, ctx->idx, {0}, ctx->diag};
    cq_arena_init(&s->rd.scratch);
    if (!scan && cq_scan_open(ctx->idx, &ctx->plan->pd, &s->rd.scan)) {
        cq_diag_set(ctx->diag, CQ_SPAN_NONE, "%s", cq_index_errmsg(ctx->idx));
        cq_arena_free(&s->rd.scratch);
        free(s);
        return NULL;
    }
    ctx->stats->blocks_total = cq_scan_n_blocks(s->rd.scan);
    return s;
}

/* -------------------------------------------------------------- prefetch */

/*
 * Threads that read blocks ahead of the consumer, for plans whose stages
 * cannot run on the scan threads (events out, sort, ...): each thread
 * claims the next PREFETCH_CHUNK unread blocks, decodes and filters them
 * through its own index connection and puts each in its slot; the scan
 * hands blocks on in their order, so results are those of one thread.
 * The consumer is one of the readers: reaching a block no thread has
 * claimed, it claims a chunk for itself, so it waits only for blocks in a
 * thread's hands, and nobody is woken who does not wait.  (A block that
 * holds no match takes microseconds: claimed one by one, the consumer
 * waited, and was woken, once per block: 950 context switches, slower
 * than one thread.)  At most two chunks per reader are read ahead of the
 * consumer: memory stays bounded, and a `head` that stops early wastes
 * little.
 */
#define PREFETCH_CHUNK 8

enum { SLOT_EMPTY, SLOT_READ, SLOT_FAILED };

typedef struct slot {
    blockbuf *bb;           /* NULL: no selected row */
    uint32_t n_rows;
    int state;              /* SLOT_* */
    cq_diag diag;           /* when failed */
} slot;

typedef struct fetcher {
    prefetch *pf;
    reader rd;
    cq_index *idx;          /* its own connection */
    cq_diag diag;
    pthread_t th;
    int started;
} fetcher;

struct prefetch {
    pthread_mutex_t mu;
    pthread_cond_t ready;   /* a slot was filled */
    pthread_cond_t room;    /* the consumer took a block */
    size_t n_blocks, next_claim, next_take, window;
    slot *slots;            /* block i in slots[i % window] */
    int stop;               /* the consumer is gone */
    size_t fail_at;         /* the first block that failed, else SIZE_MAX */
    int consumer_waits;     /* for `ready` */
    unsigned room_waits;    /* fetchers waiting for `room` */
    fetcher *f;
    unsigned n_f;
    cq_diag cdiag;          /* the consumer's reads into slots (scan->rd.diag) */
};

/* The end of a chunk claimed at first: PREFETCH_CHUNK blocks, fewer at
 * the end of the blocks or of the window. */
static size_t claim_end(const prefetch *pf, size_t first)
{
    size_t end = first + PREFETCH_CHUNK;
    if (end > pf->n_blocks)
        end = pf->n_blocks;
    if (end > pf->next_take + pf->window)
        end = pf->next_take + pf->window;
    return end;
}

/* Reads claimed blocks [first, end) into their slots (all but those after
 * a failed block).  Called, and returns, with pf->mu held. */
static void read_chunk(prefetch *pf, reader *rd, size_t first, size_t end)
{
    for (size_t i = first; i < end && !pf->stop && i < pf->fail_at; i++) {
        pthread_mutex_unlock(&pf->mu);
        uint32_t n_rows;
        int rc;
        cq_diag_init(rd->diag);
        blockbuf *bb = read_block(rd, i, &n_rows, &rc);
        pthread_mutex_lock(&pf->mu);
        slot *sl = &pf->slots[i % pf->window];
        sl->bb = bb;
        sl->n_rows = n_rows;
        sl->state = rc ? SLOT_FAILED : SLOT_READ;
        if (rc) {
            sl->diag = *rd->diag;
            if (i < pf->fail_at)
                pf->fail_at = i;    /* blocks before i still arrive */
        }
        if (pf->consumer_waits)
            pthread_cond_signal(&pf->ready);
    }
}

/* Claims the next chunk when the window has room for one (any room when
 * `must`) and reads it.  Returns 0 when there was nothing to claim. */
static int claim_and_read(prefetch *pf, reader *rd, int must)
{
    size_t first = pf->next_claim, end = claim_end(pf, first);
    if (pf->stop || first >= pf->fail_at || end == first ||
        (!must && end - first < PREFETCH_CHUNK && end < pf->n_blocks))
        return 0;
    pf->next_claim = end;
    read_chunk(pf, rd, first, end);
    return 1;
}

static void *fetch_main(void *arg)
{
    fetcher *f = arg;
    prefetch *pf = f->pf;
    pthread_mutex_lock(&pf->mu);
    while (!pf->stop && pf->next_claim < pf->n_blocks && pf->next_claim < pf->fail_at) {
        if (claim_and_read(pf, &f->rd, 0))
            continue;
        pf->room_waits++;
        pthread_cond_wait(&pf->room, &pf->mu);
        pf->room_waits--;
    }
    pthread_mutex_unlock(&pf->mu);
    cq_col_thread_done();
    return NULL;
}

/* Block i (the next in order).  Not read yet, the consumer reads too
 * rather than wait: the chunk that holds i when no thread has claimed it,
 * else the next chunk the window has room for; it sleeps only when
 * neither is left. */
static int prefetch_get(scan_op *s, size_t i, blockbuf **bb, uint32_t *n_rows)
{
    prefetch *pf = s->pf;
    pthread_mutex_lock(&pf->mu);
    slot *sl = &pf->slots[i % pf->window];
    while (sl->state == SLOT_EMPTY) {
        if (claim_and_read(pf, &s->rd, pf->next_claim <= i))
            continue;
        pf->consumer_waits = 1;
        pthread_cond_wait(&pf->ready, &pf->mu);
        pf->consumer_waits = 0;
    }
    *bb = sl->bb;
    *n_rows = sl->n_rows;
    int rc = sl->state == SLOT_FAILED ? -1 : 0;
    if (rc && !s->base.ctx->diag->set)
        *s->base.ctx->diag = sl->diag;
    memset(sl, 0, sizeof *sl);
    pf->next_take = i + 1;
    /* Wake a waiting fetcher once a whole chunk fits, not per block. */
    if (pf->room_waits && claim_end(pf, pf->next_claim) - pf->next_claim >= PREFETCH_CHUNK)
        pthread_cond_broadcast(&pf->room);
    pthread_mutex_unlock(&pf->mu);
    return rc;
}

static void prefetch_stop(scan_op *s)
{
    prefetch *pf = s->pf;
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->room);
    pthread_mutex_unlock(&pf->mu);
    for (unsigned k = 0; k < pf->n_f; k++) {
        fetcher *f = &pf->f[k];
        if (f->started)
            pthread_join(f->th, NULL);
        cq_scan_close(f->rd.scan);
        cq_arena_free(&f->rd.scratch);
        if (f->idx)
            cq_index_close(f->idx);
    }
    for (size_t i = 0; i < pf->window; i++)
        blockbuf_free(pf->slots[i].bb);
    pthread_cond_destroy(&pf->ready);
    pthread_cond_destroy(&pf->room);
    pthread_mutex_destroy(&pf->mu);
    free(pf->slots);
    free(pf->f);
    free(pf);
    s->pf = NULL;
    s->rd.diag = s->base.ctx->diag;
}

/* Starts up to threads - 1 fetchers (the consumer is the last reader);
 * with none (no connection or thread to be had) the scan reads its
 * blocks itself. */
static void prefetch_start(scan_op *s, unsigned threads)
{
    size_t nb = cq_scan_n_blocks(s->rd.scan);
    prefetch *pf = cq_xcalloc(1, sizeof *pf);
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->ready, NULL);
    pthread_cond_init(&pf->room, NULL);
    pf->n_blocks = nb;
    pf->fail_at = SIZE_MAX;
    s->rd.diag = &pf->cdiag;
    pf->n_f = threads - 1 < nb ? threads - 1 : (unsigned)nb;
    pf->window = (size_t)threads * 2 * PREFETCH_CHUNK;
    pf->slots = cq_xcalloc(pf->window, sizeof *pf->slots);
    pf->f = cq_xcalloc(pf->n_f, sizeof *pf->f);
    s->pf = pf;
    unsigned running = 0;
    for (unsigned k = 0; k < pf->n_f; k++) {
        fetcher *f = &pf->f[k];
        char err[600];
        f->pf = pf;
        if (cq_index_open(cq_index_path(s->rd.idx), CQ_INDEX_READ, &f->idx, err, sizeof err))
            break;
        f->rd = (reader){s->rd.plan, NULL, f->idx, {0}, &f->diag};
        cq_arena_init(&f->rd.scratch);
        if (cq_scan_fork(s->rd.scan, f->idx, 0, nb, &f->rd.scan))
            break;
        f->started = !pthread_create(&f->th, NULL, fetch_main, f);
        running += f->started;
        if (!f->started)
            break;
    }
    if (!running)
        prefetch_stop(s);
}

/* ----------------------------------------------------------------- merge */

#define MAX_DONE_BLOCKS 8   /* exhausted blocks one output batch may pin */

typedef struct merge_op {
    cq_oper base;
    scan_op *scan;
    blockbuf **open;        /* blocks with rows left to emit */
    size_t n_open;
    blockbuf **done;        /* emitted out; freed on the next call */
    size_t n_done;
    cq_arena arena;         /* the output batch */
    cq_batch out;
} merge_op;

static int64_t head_time(const blockbuf *bb)
{
    const cq_col *t = cq_batch_get(&bb->batch, "_time");
    return t->times[bb->batch.sel[bb->pos - 1]];
}

/* Index of the open block whose next row is newest (first opened wins ties). */
static size_t newest_open(const merge_op *m)
{
    size_t best = 0;
    for (size_t i = 1; i < m->n_open; i++)
        if (head_time(m->open[i]) > head_time(m->open[best]))
            best = i;
    return best;
}

/* Opens blocks until no unopened block can hold a row newer than what the
 * open ones offer next. */
static int merge_fill(merge_op *m)
{
    for (;;) {
        int64_t wm = scan_watermark(m->scan);
        if (wm == INT64_MIN)
            return 0;
        if (m->n_open && head_time(m->open[newest_open(m)]) > wm)
            return 0;
        blockbuf *bb = scan_take(m->scan);
        if (!bb)
            return m->base.ctx->diag->set ? -1 : 0;
        bb->pos = bb->batch.n_sel;
        m->open = cq_xrealloc(m->open, (m->n_open + 1) * sizeof *m->open);
        m->open[m->n_open++] = bb;
    }
}

typedef struct pick {
    blockbuf *bb;
    uint32_t row;
} pick;

/* Builds output column `name` from the picked rows (string views into the
 * source blocks, which stay alive until the next call). */
static void gather_col(merge_op *m, const char *name, const pick *pk, uint32_t n)
{
    cq_col c = {0};
    c.n_rows = n;
    if (!strcmp(name, "_time")) {
        int64_t *t = cq_arena_alloc(&m->arena, (n + 1) * sizeof *t);
        for (uint32_t i = 0; i < n; i++)
            t[i] = cq_batch_get(&pk[i].bb->batch, "_time")->times[pk[i].row];
        c.kind = CQ_COL_TIME;
        c.times = t;
        cq_batch_put(&m->out, name, &c);
        return;
    }
    uint32_t *off = cq_arena_alloc(&m->arena, (n + 1) * sizeof *off), k = 0, cap = n + 16;
    cq_sv *v = cq_arena_alloc(&m->arena, cap * sizeof *v);
    const blockbuf *last = NULL;
    const cq_col *src = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (pk[i].bb != last) {
            last = pk[i].bb;
            src = cq_batch_get(&last->batch, name);
        }
        off[i] = k;
        uint32_t nv = src ? cq_col_nvals(src, pk[i].row) : 0;
        if (k + nv > cap) {
            cq_sv *nvv = cq_arena_alloc(&m->arena, (cap * 2 + nv) * sizeof *v);
            memcpy(nvv, v, k * sizeof *v);
            v = nvv;
            cap = cap * 2 + nv;
        }
        for (uint32_t j = 0; j < nv; j++)
            v[k++] = cq_col_val(src, pk[i].row, j);
    }
    off[n] = k;
    c.kind = CQ_COL_STR;
    c.strs = v;
    c.row_off = off;
    cq_batch_put(&m->out, name, &c);
}

static void gather(merge_op *m, const pick *pk, uint32_t n)
{
    cq_batch_clear(&m->out);
    m->out.n_rows = m->out.n_sel = n;
    /* Union of the columns of the blocks involved, first seen first. */
    const blockbuf *seen[64];
    size_t n_seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < n_seen && !dup; j++)
            dup = seen[j] == pk[i].bb;
        if (dup)
            continue;
        if (n_seen < 64)
            seen[n_seen++] = pk[i].bb;
        const cq_batch *b = &pk[i].bb->batch;
        for (uint32_t c = 0; c < b->n_cols; c++)
            if (!cq_batch_get(&m->out, b->cols[c].name))
                gather_col(m, b->cols[c].name, pk, n);
    }
}

/*
 * The common case costs nothing: one open block whose remaining rows are
 * all newer than anything unread (files that do not overlap in time) goes
 * out as it is, with its selection reversed; no row is copied.
 */
static int pass_through(merge_op *m, cq_batch **out)
{
    if (m->n_open != 1)
        return 0;
    blockbuf *bb = m->open[0];
    int64_t wm = scan_watermark(m->scan);
    const cq_col *t = cq_batch_get(&bb->batch, "_time");
    if (wm != INT64_MIN && t->times[bb->batch.sel[0]] <= wm)
        return 0;
    uint16_t *rev = cq_arena_alloc(&bb->arena, (bb->pos + 1) * sizeof *rev);
    for (uint32_t i = 0; i < bb->pos; i++)
        rev[i] = bb->batch.sel[bb->pos - 1 - i];
    bb->batch.sel = rev;
    bb->batch.n_sel = bb->pos;
    bb->pos = 0;
    m->done = cq_xrealloc(m->done, (m->n_done + 1) * sizeof *m->done);
    m->done[m->n_done++] = bb;
    m->n_open = 0;
    *out = &bb->batch;
    return 1;
}

static int merge_next(cq_oper *op, cq_batch **out)
{
    merge_op *m = (merge_op *)op;
    for (size_t i = 0; i < m->n_done; i++)
        blockbuf_free(m->done[i]);
    m->n_done = 0;
    cq_arena_reset(&m->arena);
    if (merge_fill(m))
        return -1;
    if (pass_through(m, out))
        return 1;
    pick *pk = cq_arena_alloc(&m->arena, CQ_BATCH_ROWS * sizeof *pk);
    uint32_t n = 0;
    /* The output points into the blocks it took rows from, so they live
     * until the next call: after a selective filter each block gives a row
     * or two, and a full batch would pin hundreds of them.  Stop early. */
    while (n < CQ_BATCH_ROWS && m->n_done < MAX_DONE_BLOCKS) {
        if (merge_fill(m))
            return -1;
        if (!m->n_open)
            break;
        size_t b = newest_open(m);
        blockbuf *bb = m->open[b];
        pk[n++] = (pick){bb, bb->batch.sel[--bb->pos]};
        if (bb->pos == 0) {
            m->done = cq_xrealloc(m->done, (m->n_done + 1) * sizeof *m->done);
            m->done[m->n_done++] = bb;
            /* Keep opening order: it breaks ties between equal times. */
            memmove(&m->open[b], &m->open[b + 1], (m->n_open - b - 1) * sizeof *m->open);
            m->n_open--;
        }
    }
    if (!n)
        return 0;
    gather(m, pk, n);
    *out = &m->out;
    return 1;
}

static void merge_free(cq_oper *op)
{
    merge_op *m = (merge_op *)op;
    for (size_t i = 0; i < m->n_open; i++)
        blockbuf_free(m->open[i]);
    for (size_t i = 0; i < m->n_done; i++)
        blockbuf_free(m->done[i]);
    free(m->open);
    free(m->done);
    cq_oper_free(&m->scan->base);
}

static cq_oper *merge_new(scan_op *s)
{
    /* The scan stays out of the chain (child NULL): the merge pulls whole
     * blocks through scan_take() and frees the scan itself. */
    merge_op *m = cq_oper_new(sizeof *m, merge_next, merge_free, NULL, s->base.ctx);
    m->scan = s;
    cq_oper_out(&m->base, &m->arena, &m->out);
    return &m->base;
}

cq_oper *cq_op_scan_of(cq_exec_ctx *ctx, cq_scan *scan)
{
    return &scan_new(ctx, scan)->base;
}

static void prefetch_start(scan_op *s, unsigned threads);

cq_oper *cq_op_source(cq_exec_ctx *ctx)
{
    scan_op *s = scan_new(ctx, NULL);
    if (!s)
        return NULL;
    if (ctx->plan->scan_threads > 1 && cq_scan_n_blocks(s->rd.scan) > 1)
        prefetch_start(s, ctx->plan->scan_threads);
    return ctx->plan->newest_first ? merge_new(s) : &s->base;
}

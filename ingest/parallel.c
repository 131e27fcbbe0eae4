#define _GNU_SOURCE /* memrchr */
/*
 * parallel.c - one input read, parsed and blocked on several threads.
 *
 *   reader thread   reads the content in jobs of about JOB_BYTES that end at
 *                   a line end, hashes it (the fingerprint), skips lines that
 *                   are already indexed (resumed files);
 *   parser threads  (N_PARSERS) run a pipeline over a job's lines from a
 *                   fresh state and build its blocks (cq_blockset): columns,
 *                   term filters, everything but SQLite;
 *   calling thread  takes the jobs in order and writes their blocks (the one
 *                   SQLite writer).
 *
 * A job parsed from a fresh state gives exactly what a sequential run gives
 * unless the lines before it mattered: a multi-line JSON document still
 * open, a `previous` rule that would have written to the event before the
 * job's first one, the previous event's format that would have been tried
 * first and taken the first event, or an `after` rule whose earlier event
 * lies before the job (after.c: the job keeps its events that found none).  The pipe records what its start decided
 * (cq_pipe probe fields); when the previous job's end state says it would
 * have been decided otherwise, the calling thread throws the job's blocks
 * away and runs its lines sequentially, continuing the previous job's pipe.
 * The last event of each job is held back (a `previous` rule on the next
 * line may complete it) and written by the calling thread.
 *
 * Job boundaries depend only on the content, so the blocks are the same on
 * every run; each job's partly filled blocks are written at its end.
 */
#include "ingest/ingest_int.h"
#include "ingest/parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

#define JOB_BYTES (4u << 20)
/* Jobs in flight.  Every fourth chunk the writer waits 120-250 ms for the
 * WAL checkpoint to catch up (index/index.c); meanwhile the parsers run on
 * into free jobs.  On 1 GB: 6 jobs 10.15-10.38 s, 10 jobs 9.69-10.01 s
 * (129 -> 158 MB resident). */
#define N_JOBS 10
#define N_PARSERS 2

enum { J_FREE, J_READY, J_BUSY, J_DONE };

typedef struct job {
    int state;
    uint64_t seq;
    char *text;                 /* text[start..len): complete lines */
    size_t start, len, cap;
    uint64_t pre_lines;         /* lines before text already indexed (resume) */
    unsigned n_long;            /* overlong lines (skipped, reported) before text */
    int last;                   /* no job follows */
    cq_strbuf tail;             /* last: final line without a newline (not hashed) */
    cq_hash hash;               /* last: content hash through the last newline */
    uint64_t consumed;          /* last: its length */
    uint64_t raw_pos;           /* input position after this job (progress) */
    int read_error;
    char err[256];
    cq_pipe pipe;               /* parsed: the pipe's end state */
    cq_blockset *bs;            /* parsed: the job's blocks */
} job;

typedef struct par {
    cq_ingest *g;
    cq_input *in;
    const char *path;
    uint64_t resume_at;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job jobs[N_JOBS];
    uint64_t next_parse;        /* seq of the next job for a parser */
    int parse_done;             /* the last job was taken by a parser */
    int stop;                   /* the writer gave up: everyone ends */
} par;

/* ---- reader ---- */

static job *acquire(par *P, uint64_t seq)
{
    job *j = &P->jobs[seq % N_JOBS];
    pthread_mutex_lock(&P->mu);
    while (j->state != J_FREE && !P->stop)
        pthread_cond_wait(&P->cv, &P->mu);
    int stop = P->stop;
    pthread_mutex_unlock(&P->mu);
    if (stop)
        return NULL;
    j->seq = seq;
    j->start = j->len = 0;
    j->pre_lines = 0;
    j->n_long = 0;
    j->last = 0;
    j->read_error = 0;
    cq_strbuf_reset(&j->tail);
    return j;
}

static void submit(par *P, job *j)
{
    pthread_mutex_lock(&P->mu);
    j->state = J_READY;
    pthread_cond_broadcast(&P->cv);
    pthread_mutex_unlock(&P->mu);
}

static void reserve(job *j, size_t need)
{
    if (j->cap >= need)
        return;
    j->cap = need + JOB_BYTES;
    j->text = cq_xrealloc(j->text, j->cap);
}

typedef struct rdr {
    par *P;
    cq_hash hash;
    uint64_t offset;            /* content offset of text[0] of the job being filled */
    int eof;
    int in_long;                /* skipping the rest of an overlong line */
    unsigned n_long;            /* overlong lines met since the last job was submitted */
    uint64_t long_bytes;        /* fill() returned 1: bytes of the overlong line so far */
    uint64_t pre_lines;
    cq_strbuf carry;            /* a partial line for the next job */
} rdr;

/* Skips lines of j that end at or before resume_at (already indexed). */
static void skip_indexed(rdr *R, job *j)
{
    while (j->start < j->len && R->offset + j->start < R->P->resume_at) {
        char *nl = memchr(j->text + j->start, '\n', j->len - j->start);
        size_t end = (size_t)(nl - j->text) + 1;
        if (R->offset + end > R->P->resume_at)
            break;
        j->start = end;
        R->pre_lines++;
    }
}

/* Fills one job; returns 0, or -1 on a read error (in j->err). */
static int fill(rdr *R, job *j)
{
    par *P = R->P;
    size_t max_line = P->g->conf->max_line;
    reserve(j, R->carry.len + JOB_BYTES);
    if (R->carry.len)   /* carry.buf is NULL until the first carried line */
        memcpy(j->text, R->carry.buf, R->carry.len);
    j->len = R->carry.len;
    cq_strbuf_reset(&R->carry);
    size_t want = JOB_BYTES;
    for (;;) {
        while (!R->eof && j->len < want) {
            reserve(j, j->len + (1u << 20));
            long n = cq_input_read(P->in, j->text + j->len, j->cap - j->len, j->err,
                                   sizeof j->err);
            if (n < 0)
                return -1;
            if (n == 0)
                R->eof = 1;
            j->len += (size_t)n;
        }
        if (R->in_long) {               /* the rest of an overlong line */
            char *nl = memchr(j->text, '\n', j->len);
            size_t n = nl ? (size_t)(nl - j->text) + 1 : j->len;
            cq_hash_update(&R->hash, j->text, n);
            R->offset += n;
            memmove(j->text, j->text + n, j->len - n);
            j->len -= n;
            if (!nl) {
                if (R->eof)
                    return 0;
                continue;
            }
            R->in_long = 0;
        }
        char *nl = j->len ? memrchr(j->text, '\n', j->len) : NULL;
        size_t lines = nl ? (size_t)(nl - j->text) + 1 : 0;
        size_t rest = j->len - lines;
        if (rest > max_line) {          /* an overlong line: report, skip to its end */
            cq_hash_update(&R->hash, j->text, j->len);
            if (R->offset + j->len > P->resume_at)
                R->n_long++;
            j->len = lines;
            R->long_bytes = rest;
            R->in_long = 1;
            /* The lines before it go in this job, hashed above; the overlong
             * line is reported before the next job's. */
            return 1;
        }
        if (!lines && !R->eof) {
            want = j->len + JOB_BYTES;  /* a line longer than the job so far */
            continue;
        }
        cq_strbuf_add(&R->carry, j->text + lines, rest);
        j->len = lines;
        cq_hash_update(&R->hash, j->text, lines);
        return 0;
    }
}

static void *reader_main(void *arg)
{
    rdr *R = arg;
    par *P = R->P;
    cq_hash_init(&R->hash);
    for (uint64_t seq = 0;; seq++) {
        job *j = acquire(P, seq);
        if (!j)
            break;
        j->n_long = R->n_long;
        R->n_long = 0;
        int rc = fill(R, j);
        if (rc < 0) {
            j->read_error = 1;
            j->last = 1;
            submit(P, j);
            break;
        }
        skip_indexed(R, j);
        R->offset += j->len + (rc == 1 ? R->long_bytes : 0);
        j->pre_lines = R->pre_lines;
        R->pre_lines = 0;
        j->raw_pos = cq_input_raw_pos(P->in);
        if (R->eof && !R->in_long && rc == 0) {
            j->last = 1;
            cq_strbuf_add(&j->tail, R->carry.buf, R->carry.len);
            j->hash = R->hash;
            j->consumed = R->offset;
            submit(P, j);
            break;
        }
        if (R->eof && R->in_long) {
            /* The file ends inside an overlong line: drain it. */
            submit(P, j);
            job *k = acquire(P, ++seq);
            if (!k)
                break;
            k->n_long = R->n_long;
            R->n_long = 0;
            k->last = 1;
            k->hash = R->hash;
            k->consumed = R->offset;
            k->raw_pos = cq_input_raw_pos(P->in);
            submit(P, k);
            break;
        }
        submit(P, j);
    }
    cq_strbuf_free(&R->carry);
    return NULL;
}

/* ---- parsers ---- */

static int bs_sink(void *ctx, const cq_record *r)
{
    cq_blockset_add(ctx, r);
    return 0;
}

/* Runs the lines of text[from..to) through p. */
static void run_lines(cq_pipe *p, const char *text, size_t from, size_t to)
{
    size_t max_line = p->g->conf->max_line;
    const char *s = text + from, *end = text + to;
    while (s < end && !p->failed) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        if ((size_t)(e - s) > max_line) {
            p->line_no++;
            cq_pipe_malformed(p, p->line_no, "line longer than %zu bytes", max_line);
        } else {
            cq_pipe_line(p, s, (size_t)(e - s));
        }
        s = e + 1;
    }
}

static void *parser_main(void *arg)
{
    par *P = arg;
    for (;;) {
        pthread_mutex_lock(&P->mu);
        job *j;
        while (!P->stop && !P->parse_done && (j = &P->jobs[P->next_parse % N_JOBS],
                                              j->state != J_READY || j->seq != P->next_parse))
            pthread_cond_wait(&P->cv, &P->mu);
        if (P->stop || P->parse_done) {
            pthread_mutex_unlock(&P->mu);
            break;
        }
        j->state = J_BUSY;
        P->next_parse++;
        int last = j->last;
        if (last)
            P->parse_done = 1;
        pthread_mutex_unlock(&P->mu);
        if (!j->bs)
            j->bs = cq_blockset_new();
        cq_pipe_init(&j->pipe, P->g, P->path, bs_sink, j->bs);
        j->pipe.defer = 1;
        j->pipe.after.record_pend = 1;  /* the lines before may pair with its events */
        if (!j->read_error)
            run_lines(&j->pipe, j->text, j->start, j->len);
        cq_blockset_finish(j->bs);
        pthread_mutex_lock(&P->mu);
        j->state = J_DONE;
        pthread_cond_broadcast(&P->cv);
        pthread_mutex_unlock(&P->mu);
        if (last)
            break;
    }
    cq_md_release();
    return NULL;
}

/* ---- the writer (calling thread) ---- */

typedef struct wr {
    par *P;
    cq_index *idx;
    cq_pipe cur;                /* the pipe holding the state after the jobs so far */
    int have_cur;
    unsigned long long line;    /* lines before the next job's text */
    cq_par_result *res;
    int failed;
    int64_t last_progress_us;
} wr;

static int index_sink(void *ctx, const cq_record *r)
{
    return cq_index_add(ctx, r);
}

/* Would the job's first decisions have been the same after cur's lines? */
static int consistent(const wr *W, const job *j)
{
    const cq_pipe *c = &W->cur;
    const cq_conf *conf = W->P->g->conf;
    if (c->in_doc)
        return 0;
    if (c->have_prev && j->pipe.first_prev_hit)
        return 0;
    if (cq_after_rerun(&c->after, &j->pipe.after, conf))
        return 0;
    if (c->fmt >= 0 && j->pipe.probe_done && conf->fmts[c->fmt].type == j->pipe.first_type &&
        c->fmt != j->pipe.first_fmt)
        return c->fmt < 64 && !(j->pipe.first_mask >> c->fmt & 1);
    return 1;
}

/* Adds a finished pipe's counts and reports. */
static void retire(wr *W, cq_pipe *p)
{
    cq_pipe_flush_msgs(p);
    W->res->n_records += p->n_records;
    W->res->n_malformed += p->n_malformed;
    W->res->n_fixed_events += p->n_fixed_events;
    W->res->n_fixed += p->n_fixed;
    if (p->n_no_time && (!W->res->n_no_time || p->no_time_first < W->res->no_time_first))
        W->res->no_time_first = p->no_time_first;
    W->res->n_no_time += p->n_no_time;
    for (size_t i = 0; i <= W->P->g->conf->n_sts; i++)
        W->res->per_st[i] += p->per_st[i];
}

/* The progress line's path: printable ASCII as it is and any other byte
 * as '?' (the line goes to the terminal straight, around the escaping
 * report stream), only its last `room` characters, "..." first when cut. */
static void progress_path(cq_strbuf *sb, const char *path, size_t room)
{
    size_t n = strlen(path), from = 0;
    if (n > room) {
        if (room < 4)
            return;
        cq_strbuf_adds(sb, "...");
        from = n - (room - 3);
    }
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        cq_strbuf_addc(sb, c >= 0x20 && c < 0x7F ? (char)c : '?');
    }
}

/* One line on stderr, redrawn in place: the file, percent of its bytes,
 * MB, records, rate and ETA, never wider than the terminal (a wrapped line
 * would leave a half-line behind at every redraw). */
static void progress(wr *W, const job *j, int done)
{
    cq_ingest *g = W->P->g;
    size_t cols = (size_t)g->o.progress;
    if (!cols)
        return;
    int64_t now = cq_time_now_us();
    if (!done && now - W->last_progress_us < 250000)
        return;
    W->last_progress_us = now;
    double secs = (double)(now - g->t_start_us) / 1e6;
    uint64_t size = cq_input_raw_size(W->P->in);
    double mb = (double)j->raw_pos / 1e6, all_mb = (double)(g->st.n_bytes + j->raw_pos) / 1e6;
    double rate = secs > 0 ? all_mb / secs : 0;
    char stats[160];
    int k = 0;
    if (size && j->raw_pos <= size)
        k = snprintf(stats, sizeof stats, "  %3.0f%% of %.1f MB", 100.0 * (double)j->raw_pos /
                     (double)size, (double)size / 1e6);
    else
        k = snprintf(stats, sizeof stats, "  %.1f MB", mb);
    k += snprintf(stats + k, sizeof stats - (size_t)k, ", %llu records, %.1f MB/s",
                  (unsigned long long)(g->st.n_records + W->res->n_records), rate);
    if (size && j->raw_pos < size && rate > 0)
        snprintf(stats + k, sizeof stats - (size_t)k, ", ETA %.0f s",
                 (double)(size - j->raw_pos) / 1e6 / rate);
    size_t width = cols - 1, n_stats = strlen(stats);  /* the last column would wrap */
    cq_strbuf line = CQ_STRBUF_INIT;
    progress_path(&line, W->P->path, width > n_stats + 12 ? width - n_stats : 12);
    cq_strbuf_adds(&line, stats);
    fprintf(stderr, "\r\033[K%.*s", (int)(line.len < width ? line.len : width),
            cq_strbuf_str(&line));
    cq_strbuf_free(&line);
    if (done)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* Reports the overlong lines before a job's text, on the current pipe. */
static void report_long(wr *W, unsigned n)
{
    size_t max_line = W->P->g->conf->max_line;
    for (unsigned i = 0; i < n; i++) {
        W->line++;
        if (W->have_cur)
            cq_pipe_malformed(&W->cur, W->line - W->cur.base, "line longer than %zu bytes",
                              max_line);
    }
}

/* Takes one parsed job in order.  Returns 0, or -1 to stop. */
static int take(wr *W, job *j)
{
    cq_ingest *g = W->P->g;
    if (j->read_error) {
        fprintf(g->o.err, "%s: %s\n", W->P->path, j->err);
        cq_blockset_discard(j->bs);
        cq_pipe_free(&j->pipe);
        return -1;
    }
    report_long(W, j->n_long);
    W->line += j->pre_lines;
    if (!W->have_cur || consistent(W, j)) {
        if (W->have_cur) {
            cq_pipe_emit_prev(&W->cur);
            retire(W, &W->cur);
            int fmt = W->cur.fmt;
            int failed = W->cur.failed;
            cq_after_merge(&j->pipe.after, &W->cur.after, W->P->g->conf);
            cq_pipe_free(&W->cur);
            W->cur = j->pipe;
            if (W->cur.fmt < 0)
                W->cur.fmt = fmt;
            if (failed)
                return -1;
        } else {
            cq_after_merge(&j->pipe.after, NULL, W->P->g->conf);
            W->cur = j->pipe;
        }
        W->have_cur = 1;
        W->cur.base = W->line;
        W->cur.sink = index_sink;
        W->cur.sink_ctx = W->idx;
        if (cq_index_put_blocks(W->idx, j->bs))
            return -1;
        W->line += W->cur.line_no;
    } else {
        /* The start state mattered: run the lines after the previous job's. */
        cq_blockset_discard(j->bs);
        cq_pipe_free(&j->pipe);
        W->res->n_sequential++;
        W->cur.line_no = W->line - W->cur.base;
        run_lines(&W->cur, j->text, j->start, j->len);
        W->line = W->cur.base + W->cur.line_no;
    }
    memset(&j->pipe, 0, sizeof j->pipe);
    return W->cur.failed ? -1 : 0;
}

/* The final line without newline, and the end of the input. */
static void finish(wr *W, job *j)
{
    cq_par_result *res = W->res;
    res->hash = j->hash;
    res->consumed = j->consumed;
    if (!W->have_cur)
        return;
    cq_pipe *p = &W->cur;
    size_t max_line = W->P->g->conf->max_line;
    /* Damaged gzip: the bytes after the last newline are half a line. */
    if (j->tail.len && !cq_input_damage(W->P->in)) {
        p->line_no = W->line - p->base;
        int keep = 1;
        if (j->tail.len > max_line) {
            p->line_no++;
            cq_pipe_malformed(p, p->line_no, "line longer than %zu bytes", max_line);
        } else {
            int bad = cq_pipe_line(p, j->tail.buf, j->tail.len);
            /* A last line without newline that fails may be half-written: leave it. */
            keep = !(bad || p->in_doc);
        }
        if (keep) {
            cq_hash_update(&res->hash, j->tail.buf, j->tail.len);
            res->consumed += j->tail.len;
        }
    }
    cq_pipe_finish(p);
    retire(W, p);
}

int cq_par_scan(cq_ingest *g, cq_index *idx, cq_input *in, const char *path,
                uint64_t resume_at, cq_par_result *res)
{
    par *P = cq_xcalloc(1, sizeof *P);
    P->g = g;
    P->in = in;
    P->path = path;
    P->resume_at = resume_at;
    pthread_mutex_init(&P->mu, NULL);
    pthread_cond_init(&P->cv, NULL);
    rdr R = {.P = P};
    wr W = {.P = P, .idx = idx, .res = res};
    pthread_t rt, pt[N_PARSERS];
    pthread_create(&rt, NULL, reader_main, &R);
    for (int i = 0; i < N_PARSERS; i++)
        pthread_create(&pt[i], NULL, parser_main, P);
    int rc = 0;
    for (uint64_t seq = 0;; seq++) {
        job *j = &P->jobs[seq % N_JOBS];
        pthread_mutex_lock(&P->mu);
        while (!(j->state == J_DONE && j->seq == seq))
            pthread_cond_wait(&P->cv, &P->mu);
        pthread_mutex_unlock(&P->mu);
        int last = j->last;
        if (take(&W, j)) {
            rc = -1;
        } else {
            progress(&W, j, 0);
            if (last)
                finish(&W, j);
        }
        pthread_mutex_lock(&P->mu);
        j->state = J_FREE;
        if (rc)
            P->stop = 1;
        pthread_cond_broadcast(&P->cv);
        pthread_mutex_unlock(&P->mu);
        if (rc || last)
            break;
    }
    if (rc) {
        /* Parsers may be busy with jobs nobody will take: let them finish. */
        pthread_mutex_lock(&P->mu);
        P->stop = 1;
        pthread_cond_broadcast(&P->cv);
        pthread_mutex_unlock(&P->mu);
    }
    pthread_join(rt, NULL);
    for (int i = 0; i < N_PARSERS; i++)
        pthread_join(pt[i], NULL);
    if (W.have_cur) {
        if (rc)
            cq_pipe_flush_msgs(&W.cur);
        cq_pipe_free(&W.cur);
    }
    res->failed = rc != 0;
    for (int i = 0; i < N_JOBS; i++) {
        job *j = &P->jobs[i];
        if (j->state == J_DONE)
            cq_pipe_free(&j->pipe);
        free(j->text);
        cq_strbuf_free(&j->tail);
        cq_blockset_free(j->bs);
    }
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->cv);
    free(P);
    if (g->o.progress)
        fputs("\r\033[K", stderr);
    return rc;
}

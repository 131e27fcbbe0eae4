/*
 * follow.c - following growing log files for `search --follow` and
 * `hunt --follow` (README "Following live logs").
 *
 * Every interval each file is checked: the complete lines it gained go
 * through the normal ingest path (cq_ingest_fd: fingerprint, resume where
 * the index ended, one transaction), which also makes a truncated file
 * (copytruncate) new content.  A file is followed by name, as `tail -F`
 * does: while its name is gone the open descriptor is still read; when the
 * name holds another file (rotation: mv, then a new file), the old one is
 * finished first, its last line too, and the new one read from its start.
 * After a poll that ingested something, the caller's batch runs over the
 * blocks committed since the last one (ids only grow), so each event is
 * handed over once.
 *
 * SIGINT and SIGTERM only set a flag: an ingest under way commits (or, on
 * an error, rolls back) as always, and the loop stops before the next
 * batch, so the index is as consistent as after any ingest.
 */
#include "cli/follow.h"
#include "cli/cli.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

typedef struct tail {
    const char *path;
    int fd;                 /* the file followed, or -1 (not there yet) */
    dev_t dev;
    ino_t ino;
    uint64_t done;          /* content handed to ingest: through its last complete line */
    int said_missing;
} tail;

typedef struct follower {
    cq_ingest *g;
    cq_index *w;
} follower;

/* End of the last complete line of fd's [from, size), or from when none. */
static uint64_t last_line_end(int fd, uint64_t from, uint64_t size)
{
    char buf[65536];
    uint64_t end = size;
    while (end > from) {
        size_t n = end - from < sizeof buf ? (size_t)(end - from) : sizeof buf;
        ssize_t got = pread(fd, buf, n, (off_t)(end - n));
        if (got != (ssize_t)n)
            return from;
        for (size_t i = n; i-- > 0;)
            if (buf[i] == '\n')
                return end - n + i + 1;
        end -= n;
    }
    return from;
}

/* Ingests what t's file gained; final: the file is done (rotated), its
 * last line goes in even without a newline.  Returns 1 when it ingested. */
static int ingest_tail(follower *f, tail *t, int final)
{
    struct stat st;
    if (fstat(t->fd, &st) != 0)
        return 0;
    uint64_t size = (uint64_t)st.st_size;
    if (size < t->done)
        t->done = 0;            /* truncated: what it holds now is new */
    uint64_t upto = final ? size : last_line_end(t->fd, t->done, size);
    if (upto <= t->done)
        return 0;
    cq_ingest_fd(f->g, f->w, t->fd, final ? 0 : upto, t->path);  /* errors: said */
    t->done = upto;
    return 1;
}

static int open_tail(tail *t)
{
    t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (t->fd < 0 || fstat(t->fd, &st) != 0) {
        if (t->fd >= 0)
            close(t->fd);
        t->fd = -1;
        if (!t->said_missing)
            cq_cli_error("%s: %s (followed: read once it is there)", t->path, strerror(errno));
        t->said_missing = 1;
        return -1;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->done = 0;
    t->said_missing = 0;
    return 0;
}

/* One look at t.  Returns 1 when something was ingested. */
static int poll_tail(follower *f, tail *t)
{
    if (t->fd < 0 && open_tail(t))
        return 0;
    int any = ingest_tail(f, t, 0);
    struct stat now;
    if (stat(t->path, &now) != 0 || (now.st_dev == t->dev && now.st_ino == t->ino))
        return any;             /* the same file, or its name gone for now */
    any |= ingest_tail(f, t, 1);     /* rotated: finish the old one */
    close(t->fd);
    t->fd = -1;
    if (open_tail(t) == 0)
        any |= ingest_tail(f, t, 0);
    return any;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);       /* a signal cuts it short: the loop then stops */
}

/* Hands the blocks committed since *after to fn.  Returns fn's status. */
static int batch(cq_index *r, int64_t *after, cq_follow_batch fn, void *ctx)
{
    int64_t last;
    if (cq_index_last_block(r, &last)) {
        cq_cli_error("%s", cq_index_errmsg(r));
        return CQ_EXIT_INPUT;
    }
    if (last <= *after)
        return 0;
    cq_index_set_scan_range(r, *after, last);
    *after = last;
    return fn(ctx, r);
}

static int follow_loop(follower *f, cq_index *r, const cq_follow_opts *fo, cq_follow_batch fn,
                       void *ctx)
{
    tail tails[CQ_FOLLOW_MAX_FILES];
    for (size_t i = 0; i < fo->n_files; i++)
        tails[i] = (tail){fo->files[i], -1, 0, 0, 0, 0};
    int64_t after;
    int rc = cq_index_last_block(r, &after) ? CQ_EXIT_INPUT : 0;
    while (!rc && !stop_signal) {
        int any = 0;
        for (size_t i = 0; i < fo->n_files && !stop_signal; i++)
            any |= poll_tail(f, &tails[i]);
        if (any && !stop_signal)
            rc = batch(r, &after, fn, ctx);
        if (!rc && !stop_signal)
            sleep_ms(fo->interval_ms);
    }
    for (size_t i = 0; i < fo->n_files; i++)
        if (tails[i].fd >= 0)
            close(tails[i].fd);
    if (!rc && stop_signal)
        rc = 128 + stop_signal;
    return rc;
}

int cq_follow_run(const cq_follow_opts *fo, cq_follow_batch fn, void *ctx)
{
    cq_ingest_opts io = {0};
    io.err = cq_safe_stream(stderr);    /* reports quote log lines */
    char err[600];
    follower f = {NULL, NULL};
    cq_index *r = NULL;
    int rc = 0;
    const char *path = cq_cli_index_path(fo->index);
    if (cq_ingest_new(&io, &f.g, err, sizeof err)) {
        cq_cli_error("%s", err);
        rc = CQ_EXIT_USAGE;
    } else if (cq_index_open(path, CQ_INDEX_WRITE, &f.w, err, sizeof err) ||
               cq_index_open(path, CQ_INDEX_READ, &r, err, sizeof err)) {
        cq_cli_error("%s", err);
        rc = CQ_EXIT_INPUT;
    }
    if (!rc) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;      /* no SA_RESTART: the sleep ends at once */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);       /* a reader gone: the write fails, the loop stops */
        rc = follow_loop(&f, r, fo, fn, ctx);
    }
    cq_index_close(r);
    cq_index_close(f.w);
    cq_ingest_free(f.g);
    if (io.err != stderr)
        fclose(io.err);
    return rc;
}

int cq_follow_interval(const char *val, unsigned *ms)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (!*val || *end || errno || v < 1 || v > 60000) {
        cq_cli_error("--follow-interval takes milliseconds from 1 to 60000, not \"%s\"", val);
        return -1;
    }
    *ms = (unsigned)v;
    return 0;
}

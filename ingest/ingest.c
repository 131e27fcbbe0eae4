/*
 * ingest.c - the driver: inputs, fingerprints, one index transaction per
 * file, progress and the summary.
 *
 * For each file: read its head (CQ_HEAD_BYTES content bytes), ask the index
 * which ingested files may be a prefix of it, and check them by hashing the
 * same prefix here (pass 1, only when there is a candidate).  A file whose
 * whole content is already in the index is skipped; a file that grew is
 * parsed from where the stored prefix ended; the rest is new.  Pass 2 reads
 * from the start again, hashing every line (the new fingerprint covers the
 * whole file), and gives the lines after the resume point to the pipeline.
 * A final line without a newline that does not parse is left out of the
 * fingerprint, so a file caught mid-write is finished on the next run.
 */
#include "ingest/ingest_int.h"
#include "ingest/parallel.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hash.h"
#include "common/paths.h"
#include "common/timeutil.h"

#define CHUNK (1u << 20)

int cq_ingest_new(const cq_ingest_opts *o, cq_ingest **out, char *err, size_t errlen)
{
    *out = NULL;
    char *found = o->conf_path ? NULL : cq_find_data("sourcetypes.conf");
    const char *path = o->conf_path ? o->conf_path : found;
    if (!path) {
        snprintf(err, errlen, "sourcetypes.conf not found (set CQUERY_DATADIR to the "
                              "directory that holds it)");
        return -1;
    }
    cq_conf *conf;
    int rc = cq_conf_load(path, &conf, err, errlen);
    free(found);
    if (rc)
        return -1;
    cq_ingest *g = cq_xcalloc(1, sizeof *g);
    g->o = *o;
    g->conf = conf;
    g->forced_st = -1;
    if (o->sourcetype) {
        g->forced_st = cq_conf_find_st(conf, o->sourcetype);
        if (g->forced_st < 0) {
            snprintf(err, errlen, "unknown sourcetype \"%s\" (not in sourcetypes.conf)",
                     o->sourcetype);
            cq_ingest_free(g);
            return -1;
        }
        g->forced_name = conf->sts[g->forced_st].name;
    }
    g->per_st = cq_xcalloc(conf->n_sts + 1, sizeof *g->per_st);
    g->t_start_us = cq_time_now_us();
    *out = g;
    return 0;
}

void cq_ingest_free(cq_ingest *g)
{
    if (!g)
        return;
    cq_conf_free(g->conf);
    free(g->per_st);
    cq_md_release();
    free(g->chunk);
    free(g);
}

const char *cq_ingest_sourcetype_name(const cq_ingest *g, const char *name)
{
    int i = cq_conf_find_st(g->conf, name);
    return i < 0 ? NULL : g->conf->sts[i].name;
}

void cq_ingest_get_stats(const cq_ingest *g, cq_ingest_stats *s)
{
    *s = g->st;
}

/* Adds a finished input's per-sourcetype counts to the totals. */
static void add_counts(cq_ingest *g, const cq_pipe *p)
{
    for (size_t i = 0; i <= g->conf->n_sts; i++)
        g->per_st[i] += p->per_st[i];
    g->st.n_records += p->n_records;
    g->st.n_fixed_events += p->n_fixed_events;
    g->st.n_fixed += p->n_fixed;
    g->st.n_no_time += p->n_no_time;
}

/* A wrong --sourcetype, or a format without timestamps, stamps every event
 * with the ingest time, which no later ingest can undo: said per file. */
static void report_no_time(cq_ingest *g, const char *source, unsigned long long n,
                           unsigned long long first, unsigned long long n_records)
{
    if (n && g->o.err)
        fprintf(g->o.err, "%s: warning: %llu of %llu event%s had no time the format reads "
                "(the first at line %llu): they got the time of this ingest; is the "
                "sourcetype right?\n", source, n, n_records, n_records == 1 ? "" : "s", first);
}

/* The sourcetype most of an input's records have, or NULL. */
static const char *main_sourcetype(const cq_ingest *g, const unsigned long long *per_st)
{
    size_t best = 0;
    for (size_t i = 1; i < g->conf->n_sts; i++)
        if (per_st[i] > per_st[best])
            best = i;
    return g->conf->n_sts && per_st[best] ? g->conf->sts[best].name : NULL;
}

long cq_ingest_buffer(cq_ingest *g, const char *source, const char *text, size_t len,
                      cq_ingest_sink sink, void *ctx)
{
    cq_pipe p;
    cq_pipe_init(&p, g, source, sink, ctx);
    const char *s = text, *end = text + len;
    while (s < end && !p.failed) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        if ((size_t)(e - s) > g->conf->max_line) {
            p.line_no++;
            cq_pipe_malformed(&p, p.line_no, "line longer than %zu bytes", g->conf->max_line);
        } else {
            cq_pipe_line(&p, s, (size_t)(e - s));
        }
        s = e + 1;
    }
    cq_pipe_finish(&p);
    add_counts(g, &p);
    report_no_time(g, source, p.n_no_time, p.no_time_first, p.n_records);
    long rc = p.failed ? -1 : (long)p.n_malformed;
    cq_pipe_free(&p);
    return rc;
}

/* ---- fingerprints: is this file, or a prefix of it, already indexed? ---- */

typedef struct head {
    char buf[CQ_HEAD_BYTES];
    size_t len;
    uint64_t hash;
} head;

static long read_full(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < n) {
        long r = cq_input_read(in, buf + got, n - got, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

static int cmp_bytes(const void *a, const void *b)
{
    const cq_file_state *x = a, *y = b;
    return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

/*
 * Pass 1: hashes the content from the start and checks each candidate at its
 * length.  Sets *best to the longest match (or -1) and *at_end when the
 * content ends exactly there.  Returns 0 or -1 (read error, in err).
 */
static int match_prefix(char **chunk, cq_input *in, const head *h, cq_file_state *c, size_t n,
                        long *best, int *at_end, char *err, size_t errlen)
{
    cq_hash hs;
    cq_hash_init(&hs);
    cq_hash_update(&hs, h->buf, h->len);
    uint64_t pos = h->len;
    *best = -1;
    *at_end = 0;
    qsort(c, n, sizeof *c, cmp_bytes);
    if (!*chunk)
        *chunk = cq_xmalloc(CHUNK);
    for (size_t i = 0; i < n; i++) {
        if (c[i].bytes <= h->len) {     /* within the head: no reading needed */
            if (cq_hash_bytes(h->buf, c[i].bytes) == c[i].full_hash)
                *best = (long)i;
            continue;
        }
        while (pos < c[i].bytes) {
            uint64_t want = c[i].bytes - pos;
            long r = cq_input_read(in, *chunk, want < CHUNK ? (size_t)want : CHUNK, err, errlen);
            if (r < 0)
                return -1;
            if (r == 0)
                return 0;           /* shorter than this candidate, and the longer ones */
            cq_hash_update(&hs, *chunk, (size_t)r);
            pos += (uint64_t)r;
        }
        if (pos == c[i].bytes && cq_hash_final(&hs) == c[i].full_hash)
            *best = (long)i;
    }
    if (*best >= 0 && pos == c[*best].bytes) {
        char one;
        long r = cq_input_read(in, &one, 1, err, errlen);
        if (r < 0)
            return -1;
        *at_end = r == 0;
    }
    return 0;
}

/* Keeps the candidates whose head matches ours (the index also lists short heads). */
static size_t filter_heads(const head *h, cq_file_state *c, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].head_len > h->len || cq_hash_bytes(h->buf, c[i].head_len) != c[i].head_hash) {
            free(c[i].path);
            continue;
        }
        c[k++] = c[i];
    }
    return k;
}

/* ---- one input, one transaction ---- */

typedef struct resume {
    int64_t id;             /* files row to extend, or 0 */
    uint64_t bytes;         /* already indexed content */
} resume;

/* Reads the head and decides: 1 skip (already indexed), 0 go on (with *rs;
 * the input rewound).  *chunk: a read buffer, made on first need. */
static int fingerprint(char **chunk, cq_index *idx, cq_input *in, head *h, resume *rs,
                       char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    long n = read_full(in, h->buf, CQ_HEAD_BYTES, err, errlen);
    if (n < 0)
        return -1;
    h->len = (size_t)n;
    h->hash = cq_hash_bytes(h->buf, h->len);
    cq_file_state *c = NULL;
    size_t nc = 0;
    if (cq_index_find_files(idx, h->hash, &c, &nc)) {
        snprintf(err, errlen, "index: %s", cq_index_errmsg(idx));
        return -1;
    }
    nc = filter_heads(h, c, nc);
    int rc = 0;
    if (nc) {
        long best;
        int at_end;
        rc = match_prefix(chunk, in, h, c, nc, &best, &at_end, err, errlen);
        if (!rc && best >= 0) {
            rs->id = c[best].id;
            rs->bytes = c[best].bytes;
            rc = at_end;
        }
    }
    cq_index_file_states_free(c, nc);
    if (rc == 0 && cq_input_rewind(in, err, errlen))
        return -1;
    return rc;
}

/* A damaged gzip file is ingested up to the damage: say where it broke. */
static void report_damage(cq_ingest *g, const cq_input *in, const char *path)
{
    const char *note = cq_input_note(in), *damage = cq_input_damage(in);
    if (note)
        fprintf(g->o.err, "%s: note: %s\n", path, note);
    if (damage) {
        fprintf(g->o.err, "%s: %s: the complete lines before it are ingested, the rest "
                "of the file is lost\n", path, damage);
        g->st.n_files_partial++;
    }
}

/* Pass 2 inside one transaction.  Returns 0, or -1 (reported, rolled back). */
static int ingest_input(cq_ingest *g, cq_index *idx, cq_input *in, const char *path,
                        const head *h, const resume *rs, int64_t replace)
{
    cq_par_result res = {.per_st = cq_xcalloc(g->conf->n_sts + 1, sizeof *res.per_st)};
    int rc = -1;
    if (cq_par_scan(g, idx, in, path, rs->bytes, &res)) {
        if (cq_index_errmsg(idx)[0])
            fprintf(g->o.err, "%s: index: %s\n", path, cq_index_errmsg(idx));
        cq_index_file_rollback(idx);
        goto done;
    }
    report_damage(g, in, path);
    if (rs->id && res.consumed == rs->bytes && !res.n_records) {
        cq_index_file_rollback(idx);    /* nothing new (a half-written last line at most) */
        g->st.n_files_skipped++;
        rc = 0;
        goto done;
    }
    cq_file_commit fc = {
        .resume_id = rs->id, .path = path, .head_len = h->len, .head_hash = h->hash,
        .bytes = res.consumed, .full_hash = cq_hash_final(&res.hash),
        .n_records = res.n_records, .n_malformed = res.n_malformed,
        .sourcetype = g->forced_name ? g->forced_name : main_sourcetype(g, res.per_st),
        .replace = &replace, .n_replace = replace != 0,
    };
    if (cq_index_file_commit(idx, &fc)) {
        fprintf(g->o.err, "%s: index: %s\n", path, cq_index_errmsg(idx));
        cq_index_file_rollback(idx);
        goto done;
    }
    for (size_t i = 0; i <= g->conf->n_sts; i++)
        g->per_st[i] += res.per_st[i];
    g->st.n_records += res.n_records;
    g->st.n_fixed_events += res.n_fixed_events;
    g->st.n_fixed += res.n_fixed;
    g->st.n_no_time += res.n_no_time;
    report_no_time(g, path, res.n_no_time, res.no_time_first, res.n_records);
    if (replace)
        g->st.n_files_replaced++;
    else if (rs->id)
        g->st.n_files_resumed++;
    else
        g->st.n_files_new++;
    rc = 0;
done:
    free(res.per_st);
    return rc;
}

static int ingest_opened(cq_ingest *g, cq_index *idx, cq_input *in, const char *path);

static int ingest_file(cq_ingest *g, cq_index *idx, const char *path)
{
    cq_input *in;
    if (cq_input_open(path, &in)) {
        fprintf(g->o.err, "%s: %s\n", path, strerror(errno));
        g->st.n_files_failed++;
        return -1;
    }
    return ingest_opened(g, idx, in, path);
}

int cq_ingest_fd(cq_ingest *g, cq_index *idx, int fd, uint64_t limit, const char *path)
{
    cq_input *in;
    if (cq_input_open_fd(fd, limit, &in)) {
        fprintf(g->o.err, "%s: %s\n", path, strerror(errno));
        g->st.n_files_failed++;
        return -1;
    }
    return ingest_opened(g, idx, in, path);
}

/* One opened input, one transaction (closes in). */
static int ingest_opened(cq_ingest *g, cq_index *idx, cq_input *in, const char *path)
{
    char err[256];
    head *h = cq_xmalloc(sizeof *h);
    resume rs;
    /* The check runs inside the file's transaction: a concurrent ingest of
     * the same file waits here, then finds it indexed. */
    int rc = cq_index_file_begin(idx);
    if (rc) {
        fprintf(g->o.err, "%s: index: %s\n", path, cq_index_errmsg(idx));
    } else if ((rc = fingerprint(&g->chunk, idx, in, h, &rs, err, sizeof err)) < 0) {
        fprintf(g->o.err, "%s: %s\n", path, err);
        cq_index_file_rollback(idx);
    } else if (rc == 1 && !g->o.force) {
        cq_index_file_rollback(idx);
        g->st.n_files_skipped++;
        rc = 0;
    } else if (g->o.force && rs.id) {
        /* --force: what the index holds of this file is read again from
         * the start and replaces the old rows in the commit, so an
         * interrupted or failed run leaves the old ones */
        int64_t old = rs.id;
        memset(&rs, 0, sizeof rs);
        if (rc == 1 && cq_input_rewind(in, err, sizeof err)) {
            fprintf(g->o.err, "%s: %s\n", path, err);
            cq_index_file_rollback(idx);
            rc = -1;
        } else {
            rc = ingest_input(g, idx, in, path, h, &rs, old);
        }
    } else {
        rc = ingest_input(g, idx, in, path, h, &rs, 0);
    }
    if (rc)
        g->st.n_files_failed++;
    g->st.n_bytes += cq_input_raw_pos(in);
    free(h);
    cq_input_close(in);
    return rc;
}

int cq_ingest_identify(cq_index *idx, const char *path, int64_t *id, char *err, size_t errlen)
{
    *id = 0;
    cq_input *in;
    if (cq_input_open(path, &in)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    head *h = cq_xmalloc(sizeof *h);
    char *chunk = NULL;
    resume rs;
    int rc = fingerprint(&chunk, idx, in, h, &rs, err, errlen);
    if (rc >= 0) {
        *id = rs.id;
        rc = rs.id != 0;
    }
    free(chunk);
    free(h);
    cq_input_close(in);
    return rc;
}

/* ---- directories ---- */

typedef struct skip_set {
    dev_t dev[4];
    ino_t ino[4];
    int n;
} skip_set;

/* The index's own files must not be ingested when a walk passes them. */
static void index_files(cq_index *idx, skip_set *sk)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    const char *ip = cq_index_path(idx);
    sk->n = 0;
    for (int i = 0; ip && i < 4; i++) {
        char buf[4096];
        struct stat st;
        snprintf(buf, sizeof buf, "%s%s", ip, suffix[i]);
        if (stat(buf, &st) == 0) {
            sk->dev[sk->n] = st.st_dev;
            sk->ino[sk->n++] = st.st_ino;
        }
    }
}

static int is_skipped(const skip_set *sk, const struct stat *st)
{
    for (int i = 0; i < sk->n; i++)
        if (sk->dev[i] == st->st_dev && sk->ino[i] == st->st_ino)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(cq_ingest *g, cq_index *idx, const char *dir, const skip_set *sk);

/* One directory entry: files (symlinks followed), directories (not via symlinks). */
static int walk_entry(cq_ingest *g, cq_index *idx, const char *path, const skip_set *sk)
{
    struct stat lst, st;
    if (lstat(path, &lst) || stat(path, &st)) {
        fprintf(g->o.err, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return S_ISLNK(lst.st_mode) ? 0 : walk(g, idx, path, sk);
    if (!S_ISREG(st.st_mode) || is_skipped(sk, &st))
        return 0;
    return ingest_file(g, idx, path);
}

static int walk(cq_ingest *g, cq_index *idx, const char *dir, const skip_set *sk)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(g->o.err, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap)
            names = cq_xrealloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
        names[n++] = cq_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    cq_strbuf path = CQ_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        cq_strbuf_reset(&path);
        size_t dl = strlen(dir);
        cq_strbuf_add(&path, dir, dl);
        if (dl && dir[dl - 1] != '/')
            cq_strbuf_addc(&path, '/');
        cq_strbuf_adds(&path, names[i]);
        if (walk_entry(g, idx, path.buf, sk))
            rc = -1;                    /* reported; the other files still go in */
        free(names[i]);
    }
    free(names);
    cq_strbuf_free(&path);
    return rc;
}

int cq_ingest_path(cq_ingest *g, cq_index *idx, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        skip_set sk;
        index_files(idx, &sk);
        return walk(g, idx, path, &sk);
    }
    return ingest_file(g, idx, path);
}

void cq_ingest_summary(const cq_ingest *g, FILE *out)
{
    const cq_ingest_stats *s = &g->st;
    double secs = (double)(cq_time_now_us() - g->t_start_us) / 1e6;
    unsigned long files = s->n_files_new + s->n_files_skipped + s->n_files_resumed +
                          s->n_files_replaced + s->n_files_failed;
    fprintf(out, "%lu file%s: %lu new, %lu skipped (already ingested), %lu resumed",
            files, files == 1 ? "" : "s", s->n_files_new, s->n_files_skipped,
            s->n_files_resumed);
    if (s->n_files_replaced)
        fprintf(out, ", %lu re-ingested (--force)", s->n_files_replaced);
    if (s->n_files_partial)
        fprintf(out, ", %lu partial (damaged)", s->n_files_partial);
    if (s->n_files_failed)
        fprintf(out, ", %lu failed", s->n_files_failed);
    fprintf(out, "\n%llu records", s->n_records);
    for (size_t i = 0, k = 0; i <= g->conf->n_sts; i++)
        if (g->per_st[i])
            fprintf(out, "%s%s %llu", k++ ? ", " : ": ",
                    i < g->conf->n_sts ? g->conf->sts[i].name : "(none)", g->per_st[i]);
    fprintf(out, "\n%llu malformed line%s", s->n_malformed, s->n_malformed == 1 ? "" : "s");
    if (s->n_malformed > g->n_shown)
        fprintf(out, " (%llu not shown; --verbose shows all)", s->n_malformed - g->n_shown);
    if (s->n_fixed_events)
        fprintf(out, "\n%llu event%s kept with invalid UTF-8 or lone surrogates: %llu "
                "replaced by U+FFFD", s->n_fixed_events, s->n_fixed_events == 1 ? "" : "s",
                s->n_fixed);
    if (s->n_no_time)
        fprintf(out, "\n%llu event%s without a time of their own: given the ingest time",
                s->n_no_time, s->n_no_time == 1 ? "" : "s");
    fprintf(out, "\n%.2f s, %.1f MB/s\n", secs,
            secs > 0 ? (double)s->n_bytes / 1e6 / secs : 0.0);
}

/*
 * cmd_forget.c - `cquery forget`: remove ingested files from the index.
 *
 * Which files rows a FILE names (README "Mistakes that can be undone"):
 * paths are stored as ingest was given them or walked to them (`logs/a.log`
 * from `ingest logs`), never made absolute, so a FILE matches a stored path
 *   - that is the same string, or the same after removing `./` parts,
 *     repeated and trailing slashes (no `..` resolved: that needs the disk),
 *   - or that names the same file on disk now (device and inode),
 *   - and, when FILE can be read, the row holding its content wherever it
 *     was read from: the row ingest would skip the file for (or resume).
 * A directory names the stored paths under it.  --source PATTERN matches
 * stored paths with `*` for any run of characters, `/` included.
 *
 * The matching reads the index; the removal is one transaction of its own
 * (cq_index_forget), and the report counts what it removed.
 */
#include "cli/cli.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char forget_usage[] =
    "usage: cquery forget [OPTIONS] FILE|DIR...\n"
    "       cquery forget [OPTIONS] --source PATTERN\n"
    "\n"
    "Removes from the index everything ingested from the files, in one\n"
    "transaction: their events, and the field names no other file has.  A FILE\n"
    "names the files ingested from that path (as ingest was given it or walked\n"
    "to it; `cquery sources` lists them) or the same file on disk, and the file\n"
    "whose content it holds wherever that was read from; a DIR, the files under\n"
    "it.  To read a file again, with another --sourcetype for instance, use\n"
    "`cquery ingest --force`.\n"
    "\n"
    "  -i, --index PATH       index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "      --source PATTERN   the files whose stored path matches PATTERN, where *\n"
    "                         matches any characters, / included (repeatable)\n"
    "  -n, --dry-run          list what would go, with its events; change nothing\n"
    "  -q, --quiet            no report\n"
    "  -h, --help             this text\n";

/* Does text match pattern, where '*' matches any run of characters? */
static int star_match(const char *pat, const char *text)
{
    const char *star = NULL, *resume = NULL;
    while (*text) {
        if (*pat == '*') {
            star = pat++;
            resume = text;
        } else if (*pat == *text) {
            pat++;
            text++;
        } else if (star) {
            pat = star + 1;
            text = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return !*pat;
}

/* path without "./" parts, repeated and trailing slashes (malloc'd). */
static char *normalize(const char *path)
{
    size_t n = strlen(path);
    char *out = cq_xmalloc(n + 2), *o = out;
    const char *p = path;
    if (*p == '/')
        *o++ = *p++;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        if (e - p == 1 && *p == '.') {
            p = e;
            continue;
        }
        if (e > p) {
            if (o > out && o[-1] != '/')
                *o++ = '/';
            memcpy(o, p, (size_t)(e - p));
            o += e - p;
        }
        p = e;
    }
    if (o == out)
        *o++ = '.';
    *o = '\0';
    return out;
}

/* What one FILE argument names. */
typedef struct target {
    const char *arg;
    char *norm;             /* normalize(arg) */
    int exists, is_dir;
    struct stat st;
    char *real;             /* realpath of a directory, or NULL */
    int64_t content_id;     /* the row holding its content, or 0 */
} target;

static int under(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (!strcmp(dir, "."))
        return path[0] != '/';
    return !strncmp(path, dir, n) && (path[n] == '/' || dir[n - 1] == '/');
}

/* Does stored path p (normalized: np) belong to target t? */
static int names(const target *t, const cq_indexed_file *f, const char *np)
{
    if (f->id == t->content_id || !strcmp(f->path, t->arg) || !strcmp(np, t->norm))
        return 1;
    if (!t->exists)
        return 0;
    if (t->is_dir) {
        if (under(t->norm, np))
            return 1;
        char *real = t->real ? realpath(f->path, NULL) : NULL;
        int in = real && under(t->real, real);
        free(real);
        return in;
    }
    struct stat st;
    return stat(f->path, &st) == 0 && st.st_dev == t->st.st_dev && st.st_ino == t->st.st_ino;
}

static void target_init(target *t, const char *arg, cq_index *idx)
{
    memset(t, 0, sizeof *t);
    t->arg = arg;
    t->norm = normalize(arg);
    t->exists = stat(arg, &t->st) == 0;
    t->is_dir = t->exists && S_ISDIR(t->st.st_mode);
    if (t->is_dir)
        t->real = realpath(arg, NULL);
    char err[300];
    /* an unreadable file can still be named by its path: no error here */
    if (t->exists && S_ISREG(t->st.st_mode))
        cq_ingest_identify(idx, arg, &t->content_id, err, sizeof err);
}

/* "12,345" */
static const char *count_str(int64_t v, char buf[32])
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? 0 : v)), k = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return buf;
}

typedef struct forget_opts {
    const char *index;
    const char **patterns;
    size_t n_patterns;
    int dry_run, quiet;
} forget_opts;

/* Marks in pick[] the files the arguments name; -1 (said) when one names none. */
static int pick_files(cq_index *idx, const forget_opts *fo, char **args, int n_args,
                      const cq_indexed_file *f, size_t n, char *pick)
{
    char **norm = cq_xcalloc(n ? n : 1, sizeof *norm);
    for (size_t i = 0; i < n; i++)
        norm[i] = normalize(f[i].path);
    int rc = 0;
    for (int a = 0; a < n_args; a++) {
        target t;
        target_init(&t, args[a], idx);
        int any = 0;
        for (size_t i = 0; i < n; i++)
            if (names(&t, &f[i], norm[i]))
                any = pick[i] = 1;
        if (!any) {
            cq_cli_error("forget: no file in index %s was ingested from \"%s\" (`cquery "
                         "sources` lists the files)", cq_index_path(idx), args[a]);
            rc = -1;
        }
        free(t.norm);
        free(t.real);
    }
    for (size_t p = 0; p < fo->n_patterns; p++) {
        int any = 0;
        for (size_t i = 0; i < n; i++)
            if (star_match(fo->patterns[p], f[i].path) || star_match(fo->patterns[p], norm[i]))
                any = pick[i] = 1;
        if (!any) {
            cq_cli_error("forget: no file in index %s matches --source \"%s\"",
                         cq_index_path(idx), fo->patterns[p]);
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(norm[i]);
    free(norm);
    return rc;
}

static void list_picked(const cq_indexed_file *f, size_t n, const char *pick)
{
    char buf[32];
    int64_t files = 0, events = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pick[i])
            continue;
        printf("%12s  %-24s  ", count_str(f[i].events, buf), f[i].sourcetype ? f[i].sourcetype
                                                                             : "-");
        cq_put_safe(stdout, f[i].path, strlen(f[i].path));
        fputc('\n', stdout);
        files++;
        events += f[i].events;
    }
    printf("would forget %lld file%s, ", (long long)files, files == 1 ? "" : "s");
    printf("%s event%s (dry run: nothing changed)\n", count_str(events, buf),
           events == 1 ? "" : "s");
}

static int run_forget(const forget_opts *fo, char **args, int n_args)
{
    const char *path = cq_cli_index_path(fo->index);
    struct stat st;
    if (lstat(path, &st) != 0) {    /* forget never makes an index */
        cq_cli_error("index %s does not exist", path);
        return CQ_EXIT_INPUT;
    }
    char err[600];
    cq_index *idx;
    if (cq_index_open(path, fo->dry_run ? CQ_INDEX_READ : CQ_INDEX_WRITE, &idx, err,
                      sizeof err)) {
        cq_cli_error("%s", err);
        return CQ_EXIT_INPUT;
    }
    cq_indexed_file *f = NULL;
    size_t n = 0;
    int rc = CQ_EXIT_OK;
    if (cq_index_list_files(idx, &f, &n)) {
        cq_cli_error("%s", cq_index_errmsg(idx));
        cq_index_close(idx);
        return CQ_EXIT_INPUT;
    }
    char *pick = cq_xcalloc(n ? n : 1, 1);
    if (pick_files(idx, fo, args, n_args, f, n, pick)) {
        rc = CQ_EXIT_INPUT;             /* nothing changed */
    } else if (fo->dry_run) {
        list_picked(f, n, pick);
    } else {
        int64_t *ids = cq_xmalloc((n ? n : 1) * sizeof *ids);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (pick[i])
                ids[k++] = f[i].id;
        cq_forget_counts done;
        if (cq_index_forget(idx, ids, k, &done)) {
            cq_cli_error("forget: %s (nothing changed)", cq_index_errmsg(idx));
            rc = CQ_EXIT_INPUT;
        } else if (!fo->quiet) {
            char buf[32];
            fprintf(stderr, "forgot %lld file%s, ", (long long)done.files,
                    done.files == 1 ? "" : "s");
            fprintf(stderr, "%s event%s\n", count_str(done.events, buf),
                    done.events == 1 ? "" : "s");
        }
        free(ids);
    }
    free(pick);
    cq_indexed_files_free(f, n);
    cq_index_close(idx);
    return rc;
}

int cq_cmd_forget(int argc, char **argv)
{
    static const struct option opts[] = {
        {"index", required_argument, NULL, 'i'}, {"source", required_argument, NULL, 'S'},
        {"dry-run", no_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    forget_opts fo = {0};
    fo.patterns = cq_xcalloc((size_t)argc, sizeof *fo.patterns);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:nqh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': fo.index = optarg; break;
        case 'S': fo.patterns[fo.n_patterns++] = optarg; break;
        case 'n': fo.dry_run = 1; break;
        case 'q': fo.quiet = 1; break;
        case 'h': fputs(forget_usage, stdout); free(fo.patterns); return CQ_EXIT_OK;
        default: fputs(forget_usage, stderr); free(fo.patterns); return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc && !fo.n_patterns) {
        cq_cli_error("forget: missing FILE or --source PATTERN");
        fputs(forget_usage, stderr);
        rc = CQ_EXIT_USAGE;
    } else {
        rc = run_forget(&fo, argv + optind, argc - optind);
    }
    free(fo.patterns);
    return rc;
}

/*
 * cmd_hunt.c - `cquery hunt`: runs saved analytics and reports what they found.
 *
 * Table format: a summary (analytic, technique, hits, first and last time),
 * then each analytic's hits.  JSON format: one summary object per analytic,
 * then its hits, each tagged with "analytic_id".
 */
#include "cli/cli.h"
#include "cli/spl_file.h"
#include "common/paths.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "engine/query.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char hunt_usage[] =
    "usage: cquery hunt [OPTIONS] [FILE.spl|DIR]...\n"
    "\n"
    "Runs saved analytics (default: the bundled library) over the index and\n"
    "prints a summary, then the hits of each analytic.\n"
    "\n"
    "  -i, --index PATH     index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -f, --format FMT     table (default) or json (JSON Lines)\n"
    "      --earliest T     only events at or after T\n"
    "      --latest T       only events before T\n"
    "      --tz ZONE        zone for printed times (default UTC)\n"
    "      --fail-on-hit    exit 1 when any analytic found something (cron, CI)\n"
    "  -l, --list           list the analytics with their metadata, run nothing\n"
    "  -h, --help           this text\n";

typedef struct analytic {
    cq_spl_file *spl;
    char *report;           /* its hits, formatted */
    size_t report_len;
    uint64_t hits;
    int64_t first, last;
    int failed;
} analytic;

typedef struct hunt {
    analytic *a;
    size_t n, cap;
} hunt;

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int load_one(hunt *h, const char *path)
{
    char err[600];
    cq_spl_file *f;
    if (cq_spl_load(path, &f, err, sizeof err)) {
        cq_cli_error("%s", err);
        return -1;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->a = cq_xrealloc(h->a, h->cap * sizeof *h->a);
    }
    memset(&h->a[h->n], 0, sizeof h->a[h->n]);
    h->a[h->n++].spl = f;
    return 0;
}

/* Loads path: an .spl file, or a directory walked for *.spl in name order. */
static int load_path(hunt *h, const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        cq_cli_error("%s: no such file or directory", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return load_one(h, path);
    DIR *d = opendir(path);
    if (!d) {
        cq_cli_error("%s: cannot open directory", path);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = cq_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = cq_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        cq_strbuf p = CQ_STRBUF_INIT;
        cq_strbuf_addf(&p, "%s/%s", path, names[i]);
        size_t len = strlen(names[i]);
        struct stat sub;
        if (!rc && stat(p.buf, &sub) == 0 &&
            (S_ISDIR(sub.st_mode) || (len > 4 && !strcmp(names[i] + len - 4, ".spl"))))
            rc = load_path(h, p.buf);
        cq_strbuf_free(&p);
        free(names[i]);
    }
    free(names);
    return rc;
}

static const char *hdr(const analytic *a, const char *key)
{
    const char *v = cq_spl_get(a->spl, key);
    return v ? v : "-";
}

static void print_list(const hunt *h)
{
    for (size_t i = 0; i < h->n; i++) {
        const cq_spl_file *f = h->a[i].spl;
        printf("%s  %s\n", hdr(&h->a[i], "id"), hdr(&h->a[i], "title"));
        for (size_t k = 0; k < f->n_headers; k++)
            if (strcmp(f->headers[k].key, "id") && strcmp(f->headers[k].key, "title"))
                printf("    %-16s %s\n", f->headers[k].key, f->headers[k].value);
        printf("    %-16s %s\n    %-16s %s\n\n", "file", f->path, "query", f->query);
    }
}

/* Runs one analytic, formatting its hits into a->report.  Returns 0, or
 * CQ_EXIT_USAGE / CQ_EXIT_INPUT after printing the error. */
static int run_one(analytic *a, cq_index *idx, const cq_run_opts *o)
{
    cq_query *q = cq_query_new(a->spl->query, a->spl->query_len, a->spl->path, a->spl->line_base);
    cq_query_opts qo = {o->earliest, o->latest, 0, NULL, o->lookups, NULL};
    int rc = 0;
    FILE *mem = open_memstream(&a->report, &a->report_len);
    if (!mem)
        cq_oom();
    if (cq_query_compile(q, &qo)) {
        cq_query_print_error(q, stderr);
        rc = CQ_EXIT_USAGE;
    } else {
        cq_output *out = cq_output_new(o->format, mem, o->tz, q->plan->fixed_columns);
        cq_output_tag(out, "analytic_id", hdr(a, "id"));
        if (cq_query_run(q, idx, cq_output_sink(out), NULL)) {
            cq_query_print_error(q, stderr);
            rc = q->diag.span.start == UINT32_MAX ? CQ_EXIT_INPUT : CQ_EXIT_USAGE;
        } else {
            cq_output_finish(out);
        }
        a->hits = cq_output_rows(out);
        cq_output_time_range(out, &a->last, &a->first);   /* newest first */
        cq_output_free(out);
    }
    fclose(mem);
    a->failed = rc != 0;
    cq_query_free(q);
    return rc;
}

static const char *fmt_time(int64_t us, int tz, char *buf)
{
    if (us == INT64_MIN)
        return "-";
    cq_time_format(us, tz, buf);
    return buf;
}

static void print_table_report(const hunt *h, const cq_run_opts *o, const char *index)
{
    char b1[CQ_TIME_BUFLEN], b2[CQ_TIME_BUFLEN], hits[24];
    printf("cquery hunt: %zu analytic%s over %s\n\n", h->n, h->n == 1 ? "" : "s", index);
    printf("%-12s %-10s %6s  %-29s  %-29s  %s\n", "id", "technique", "hits", "first", "last",
           "title");
    for (size_t i = 0; i < h->n; i++) {
        const analytic *a = &h->a[i];
        const char *tech = hdr(a, "technique");
        if (a->failed)
            snprintf(hits, sizeof hits, "error");
        else
            snprintf(hits, sizeof hits, "%llu", (unsigned long long)a->hits);
        printf("%-12s %-10.*s %6s  %-29s  %-29s  %s\n", hdr(a, "id"), (int)strcspn(tech, " "),
               tech, hits, fmt_time(a->first, o->tz, b1), fmt_time(a->last, o->tz, b2),
               hdr(a, "title"));
    }
    for (size_t i = 0; i < h->n; i++) {
        const analytic *a = &h->a[i];
        if (a->failed)
            continue;
        printf("\n== %s: %s (%llu hit%s)\n", hdr(a, "id"), hdr(a, "title"),
               (unsigned long long)a->hits, a->hits == 1 ? "" : "s");
        if (a->hits)
            fwrite(a->report, 1, a->report_len, stdout);
    }
}

static void print_json_report(const hunt *h, const cq_run_opts *o)
{
    char b1[CQ_TIME_BUFLEN], b2[CQ_TIME_BUFLEN];
    for (size_t i = 0; i < h->n; i++) {
        const analytic *a = &h->a[i];
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "summary", "analytic_id",
                              hdr(a, "id"), "title", hdr(a, "title"), "technique",
                              hdr(a, "technique"), "file", a->spl->path);
        if (a->failed) {
            json_object_set_new(s, "error", json_true());
        } else {
            json_object_set_new(s, "hits", json_integer((json_int_t)a->hits));
            json_object_set_new(s, "first", json_string(fmt_time(a->first, o->tz, b1)));
            json_object_set_new(s, "last", json_string(fmt_time(a->last, o->tz, b2)));
        }
        char *txt = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (txt)
            puts(txt);
        free(txt);
        json_decref(s);
        if (!a->failed)
            fwrite(a->report, 1, a->report_len, stdout);
    }
}

static int parse_hunt_opts(int argc, char **argv, cq_run_opts *o, int *fail_on_hit, int *list)
{
    static const struct option opts[] = {
        {"index", required_argument, NULL, 'i'},   {"format", required_argument, NULL, 'f'},
        {"earliest", required_argument, NULL, 'E'}, {"latest", required_argument, NULL, 'L'},
        {"tz", required_argument, NULL, 'z'},       {"fail-on-hit", no_argument, NULL, 'F'},
        {"list", no_argument, NULL, 'l'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->earliest = INT64_MIN;
    o->latest = INT64_MAX;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:lh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': o->index = optarg; break;
        case 'f': if (cq_cli_format(optarg, &o->format)) return -1; break;
        case 'E': if (cq_cli_time("--earliest", optarg, &o->earliest)) return -1; break;
        case 'L': if (cq_cli_time("--latest", optarg, &o->latest)) return -1; break;
        case 'z': if (cq_cli_tz(optarg, &o->tz)) return -1; break;
        case 'F': *fail_on_hit = 1; break;
        case 'l': *list = 1; break;
        case 'h': fputs(hunt_usage, stdout); return 0;
        default: fputs(hunt_usage, stderr); return -1;
        }
    }
    if (o->format == CQ_FMT_CSV) {
        cq_cli_error("not supported yet: hunt --format csv (use table or json)");
        return -1;
    }
    return optind;
}

static void hunt_free(hunt *h)
{
    for (size_t i = 0; i < h->n; i++) {
        cq_spl_free(h->a[i].spl);
        free(h->a[i].report);
    }
    free(h->a);
}

static int load_all(hunt *h, int argc, char **argv, int first)
{
    if (first < argc) {
        for (int i = first; i < argc; i++)
            if (load_path(h, argv[i]))
                return -1;
        return 0;
    }
    char *dir = cq_find_data("queries");
    if (!dir) {
        cq_cli_error("no analytics given and the bundled library (queries/) was not found; "
                     "set CQUERY_DATADIR");
        return -1;
    }
    int rc = load_path(h, dir);
    free(dir);
    return rc;
}

int cq_cmd_hunt(int argc, char **argv)
{
    cq_run_opts o;
    int fail_on_hit = 0, list = 0;
    int first = parse_hunt_opts(argc, argv, &o, &fail_on_hit, &list);
    if (first <= 0)
        return first ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    hunt h = {0};
    if (load_all(&h, argc, argv, first)) {
        hunt_free(&h);
        return CQ_EXIT_USAGE;
    }
    if (list) {
        print_list(&h);
        hunt_free(&h);
        return CQ_EXIT_OK;
    }
    char err[600];
    cq_index *idx;
    const char *path = cq_cli_index_path(o.index);
    if (cq_index_open(path, CQ_INDEX_READ, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        hunt_free(&h);
        return CQ_EXIT_INPUT;
    }
    int rc = CQ_EXIT_OK;
    uint64_t total = 0;
    for (size_t i = 0; i < h.n; i++) {
        int r = run_one(&h.a[i], idx, &o);
        if (r > rc)
            rc = r;
        total += h.a[i].hits;
    }
    if (o.format == CQ_FMT_JSON)
        print_json_report(&h, &o);
    else
        print_table_report(&h, &o, path);
    cq_index_close(idx);
    hunt_free(&h);
    if (rc == CQ_EXIT_OK && fail_on_hit && total)
        rc = CQ_EXIT_HITS;
    return rc;
}

/*
 * cmd_hunt.c - `cquery hunt`: runs saved analytics and reports what they found.
 *
 * Table format: a summary (analytic, technique, hits, first and last time),
 * then each analytic's hits.  JSON format: one summary object per analytic,
 * then its hits, each tagged with "analytic_id".  CSV: every hit of every
 * analytic under one header (print_csv_report says which columns).  HTML:
 * report_html.c, from the hits captured as JSON rows.  --summary: the alert
 * budget, report_budget.c; attack-navigator: an ATT&CK Navigator layer,
 * report_navigator.c (both from the counts, the hits are not kept).
 */
#include "cli/cli.h"
#include "cli/report_budget.h"
#include "cli/report_html.h"
#include "cli/report_navigator.h"
#include "cli/term.h"
#include "cli/spl_file.h"
#include "common/hash.h"
#include "common/paths.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "engine/query.h"
#include "ingest/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char hunt_usage[] =
    "usage: cquery hunt [OPTIONS] [ANALYTIC|FILE.spl|DIR]...\n"
    "\n"
    "Runs saved analytics (default: the bundled library) over an index or an\n"
    "archive of logs and prints a summary, then the hits of each analytic.\n"
    "An ANALYTIC that is not a path selects a bundled analytic by id (T1609-001).\n"
    "\n"
    "  -i, --index PATH       index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -a, --archive PATH     hunt through these logs (files or directories, gzip\n"
    "                         or not; repeatable): they are ingested into a cached\n"
    "                         index ($CQUERY_CACHE, else ~/.cache/cquery) that later\n"
    "                         hunts over the same paths reuse and bring up to date\n"
    "      --no-cache         with --archive: a temporary index, removed afterwards\n"
    "  -t, --technique T      only analytics of this ATT&CK technique (repeatable)\n"
    "  -f, --format FMT       table (default), json, csv, html or attack-navigator\n"
    "                         (json: JSON Lines; csv: every hit under one header;\n"
    "                         html: a self-contained report; attack-navigator: an\n"
    "                         ATT&CK Navigator layer of the techniques hunted,\n"
    "                         score = hits, 0 = hunted and nothing found)\n"
    "      --summary          print only the alert budget: the analytics ranked by\n"
    "                         hits a day over the hunted range (--since/--until,\n"
    "                         else the index's first to last event; under a day\n"
    "                         counts as one), the noisy ones flagged, with the\n"
    "                         false positives each expects (table, csv or json;\n"
    "                         a stats analytic's hits are its result rows)\n"
    "      --budget N         with --summary: flag an analytic noisy above N hits\n"
    "                         a day (default 5; 0: any hit)\n"
    "  -o, --output FILE      write the report to FILE instead of stdout\n"
    "      --no-pager         on a terminal, print a long table report without the\n"
    "                         pager (tables there are cut to the width, as search's)\n"
    "      --report-rows N    html: hits shown per analytic (default 100; 0: all);\n"
    "                         the report says how many of how many\n"
    "      --since T          only events at or after T (also --earliest)\n"
    "      --until T          only events before T (also --latest)\n"
    "      --tz ZONE          zone for printed times, as search's (default $TZ, else UTC)\n"
    "      --lookups DIR      lookup tables for lookup/inputlookup\n"
    "      --threads N        scan with at most N threads (default: one per CPU; 1-64)\n"
    "      --geoip-db PATH    iplocation's MaxMind DB file (repeatable; default\n"
    "                         $CQUERY_GEOIP_DB, else /var/lib/GeoIP/GeoLite2-City.mmdb\n"
    "                         or /usr/share/GeoIP/GeoLite2-City.mmdb)\n"
    "      --fail-on-hit      exit 1 when any analytic found something (cron, CI;\n"
    "                         the same with --summary and attack-navigator)\n"
    "      --timeout S        stop an analytic after S seconds (the next one runs; exit 3)\n"
    "      --max-memory SIZE  stop an analytic past SIZE of peak memory (512M, 2G; exit 3)\n"
    "      --follow FILE      follow FILE as it grows (repeatable; rotation-aware):\n"
    "                         ingest its new lines into the index and run the\n"
    "                         analytics over each batch of them, printing new hits,\n"
    "                         until Ctrl-C (an aggregating analytic counts within\n"
    "                         each batch)\n"
    "      --follow-interval MS  look at the files every MS milliseconds (default 1000)\n"
    "  -l, --list             list the analytics with their metadata, run nothing\n"
    "  -h, --help             this text\n";

typedef struct hunt_opts {
    cq_run_opts run;
    int fail_on_hit, list, html, csv, no_cache;
    int navigator;          /* --format attack-navigator */
    int summary;            /* --summary: the alert budget only */
    cq_out_format summary_fmt;  /* ... in this format */
    double budget;          /* --budget: hits a day before an analytic is noisy */
    int budget_set;
    uint64_t report_rows;   /* html: hit rows kept per analytic, 0: all */
    int no_pager;           /* --no-pager */
    unsigned term_cols;     /* table to a terminal: its width (0: not a terminal) */
    unsigned term_rows;     /* ... and its height, when the report may be paged */
    const char *output;
    const char **techniques;
    size_t n_techniques;
    const char **archive;
    size_t n_archive;
} hunt_opts;

typedef struct analytic {
    cq_spl_file *spl;
    char *report;           /* its hits, formatted */
    size_t report_len;
    uint64_t hits;
    int64_t first, last;
    int64_t *times;         /* html: each hit's time, for the timeline */
    size_t n_times;
    char *time_cols;        /* the columns the times came from ("" if none) */
    int failed;
    int fixed;              /* the query chose its output columns */
    int named;              /* loaded from a path on the command line: ids do not filter it */
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
static int run_one(analytic *a, cq_index *idx, const hunt_opts *ho)
{
    const cq_run_opts *o = &ho->run;
    cq_query *q = cq_query_new(a->spl->query, a->spl->query_len, a->spl->path, a->spl->line_base);
    cq_query_opts qo = {o->earliest, o->latest, 0, NULL, o->lookups,
                        &o->limits, o->threads, o->geoip_db, o->n_geoip_db, o->tz};
    int rc = 0;
    FILE *mem = open_memstream(&a->report, &a->report_len);
    if (!mem)
        cq_oom();
    if (cq_query_compile(q, &qo)) {
        cq_query_print_error(q, stderr);
        rc = CQ_EXIT_USAGE;
    } else {
        a->fixed = q->plan->fixed_columns;
        cq_output *out = cq_output_new(o->format, mem, o->tz, q->plan->fixed_columns);
        cq_output_tag(out, "analytic_id", hdr(a, "id"));
        if (ho->term_cols && !ho->summary)
            cq_output_terminal(out, ho->term_cols, 0);  /* the whole report pages */
        if (ho->summary || ho->navigator)
            cq_output_keep(out, 1);     /* they need the counts, not the hits */
        if (ho->html) {
            cq_output_keep(out, ho->report_rows);
            cq_output_collect_times(out);
        }
        q->bounds = o->bounds;      /* per analytic: its clock starts with its run */
        if (cq_query_run(q, idx, cq_output_sink(out), NULL)) {
            cq_query_print_error(q, stderr);
            rc = q->diag.span.start == UINT32_MAX ? CQ_EXIT_INPUT : CQ_EXIT_USAGE;
        } else {
            cq_output_finish(out);
        }
        a->hits = cq_output_rows(out);
        cq_output_time_range(out, &a->first, &a->last);
        a->time_cols = cq_xstrdup(cq_output_time_columns(out));
        a->times = cq_output_take_times(out, &a->n_times);
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

#define SUMMARY_COLS 6
#define SUMMARY_RIGHT (1u << 2) /* hits are right-aligned */

static void summary_cells(const analytic *a, const cq_run_opts *o, char bufs[4][CQ_TIME_BUFLEN],
                          const char **cell)
{
    const char *tech = hdr(a, "technique");
    snprintf(bufs[0], CQ_TIME_BUFLEN, "%.*s", (int)strcspn(tech, " "), tech);
    if (a->failed)
        snprintf(bufs[1], CQ_TIME_BUFLEN, "error");
    else
        snprintf(bufs[1], CQ_TIME_BUFLEN, "%llu", (unsigned long long)a->hits);
    cell[0] = hdr(a, "id");
    cell[1] = bufs[0];
    cell[2] = bufs[1];
    cell[3] = fmt_time(a->first, o->tz, bufs[2]);
    cell[4] = fmt_time(a->last, o->tz, bufs[3]);
    cell[5] = hdr(a, "title");
}

/* The summary: one line per analytic, columns as wide as their widest
 * cell, cut to the terminal's width when there is one. */
static void print_summary(const hunt *h, const hunt_opts *ho, FILE *out)
{
    static const char *const head[SUMMARY_COLS] = {"id", "technique", "hits", "first", "last",
                                                   "title"};
    size_t w[SUMMARY_COLS];
    for (uint32_t j = 0; j < SUMMARY_COLS; j++)
        w[j] = strlen(head[j]);
    char bufs[4][CQ_TIME_BUFLEN];
    const char *cell[SUMMARY_COLS];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            if (ho->term_cols)
                cq_fit_widths(w, SUMMARY_COLS, ho->term_cols);
            cq_put_row(out, head, w, SUMMARY_COLS, SUMMARY_RIGHT);
        }
        for (size_t i = 0; i < h->n; i++) {
            summary_cells(&h->a[i], &ho->run, bufs, cell);
            for (uint32_t j = 0; j < SUMMARY_COLS && !pass; j++) {
                size_t cw = cq_safe_width(cell[j], strlen(cell[j]));
                w[j] = cw > w[j] ? cw : w[j];
            }
            if (pass)
                cq_put_row(out, cell, w, SUMMARY_COLS, SUMMARY_RIGHT);
        }
    }
}

static void print_table_report(const hunt *h, const hunt_opts *ho, const char *index, FILE *out)
{
    fprintf(out, "cquery hunt: %zu analytic%s over %s\n\n", h->n, h->n == 1 ? "" : "s", index);
    print_summary(h, ho, out);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (size_t i = 0; i < h->n; i++) {
        const analytic *a = &h->a[i];
        if (a->failed)
            continue;
        cq_strbuf_reset(&sb);
        cq_strbuf_addf(&sb, "== %s: %s (%llu hit%s)", hdr(a, "id"), hdr(a, "title"),
                       (unsigned long long)a->hits, a->hits == 1 ? "" : "s");
        fputc('\n', out);
        cq_put_cut(out, cq_strbuf_str(&sb), sb.len, ho->term_cols ? ho->term_cols : SIZE_MAX);
        fputc('\n', out);
        if (a->hits)
            fwrite(a->report, 1, a->report_len, out);
    }
    cq_strbuf_free(&sb);
}

/* A table report, through the pager when it is longer than the screen. */
static void page_text(const hunt_opts *ho, char *text, size_t len, FILE *out)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    FILE *pager = lines + 1 > ho->term_rows ? cq_pager_open() : NULL;
    if (pager) {
        fwrite(text, 1, len, pager);
        cq_pager_close(pager);     /* quitting the pager early is no error */
    } else {
        fwrite(text, 1, len, out);
    }
}

static void page_table_report(const hunt *h, const hunt_opts *ho, const char *index, FILE *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        cq_oom();
    print_table_report(h, ho, index, mem);
    fclose(mem);
    page_text(ho, text, len, out);
    free(text);
}

static void print_json_report(const hunt *h, const cq_run_opts *o, FILE *out)
{
    char b1[CQ_TIME_BUFLEN], b2[CQ_TIME_BUFLEN];
    for (size_t i = 0; i < h->n; i++) {
        const analytic *a = &h->a[i];
        json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "type", "summary", "analytic_id",
                              hdr(a, "id"), "title", hdr(a, "title"), "technique",
                              hdr(a, "technique"));
        if (a->failed) {
            json_object_set_new(s, "error", json_true());
        } else {
            json_object_set_new(s, "hits", json_integer((json_int_t)a->hits));
            json_object_set_new(s, "first", json_string(fmt_time(a->first, o->tz, b1)));
            json_object_set_new(s, "last", json_string(fmt_time(a->last, o->tz, b2)));
        }
        char *txt = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (txt)
            fprintf(out, "%s\n", txt);
        free(txt);
        json_decref(s);
        if (!a->failed)
            fwrite(a->report, 1, a->report_len, out);
    }
}

static void push(const char ***list, size_t *n, const char *v)
{
    *list = cq_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = v;
}

/* --report-rows N: a whole number, 0 for every hit. */
static int report_rows(const char *val, uint64_t *n)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 10);
    if (!*val || *val == '-' || *end || errno) {
        cq_cli_error("--report-rows takes a whole number (0: every hit), not \"%s\"", val);
        return -1;
    }
    *n = v;
    return 0;
}

/* What --summary, --budget and attack-navigator go with. */
static int check_report_opts(const hunt_opts *h)
{
    if (h->budget_set && !h->summary) {
        cq_cli_error("--budget goes with --summary");
        return -1;
    }
    if (h->summary && (h->html || h->navigator)) {
        cq_cli_error("--summary prints a table, csv or json, not %s",
                     h->html ? "an html report" : "an attack-navigator layer");
        return -1;
    }
    if (h->run.follow.n_files && (h->summary || h->navigator)) {
        cq_cli_error("--follow prints each batch's hits, not %s",
                     h->summary ? "a --summary" : "an attack-navigator layer");
        return -1;
    }
    return 0;
}

static int parse_hunt_opts(int argc, char **argv, hunt_opts *h)
{
    static const struct option opts[] = {
        {"index", required_argument, NULL, 'i'},   {"format", required_argument, NULL, 'f'},
        {"earliest", required_argument, NULL, 'E'}, {"latest", required_argument, NULL, 'L'},
        {"since", required_argument, NULL, 'E'},    {"until", required_argument, NULL, 'L'},
        {"tz", required_argument, NULL, 'z'},       {"fail-on-hit", no_argument, NULL, 'F'},
        {"list", no_argument, NULL, 'l'},           {"help", no_argument, NULL, 'h'},
        {"archive", required_argument, NULL, 'a'},  {"no-cache", no_argument, NULL, 'N'},
        {"technique", required_argument, NULL, 't'}, {"output", required_argument, NULL, 'o'},
        {"lookups", required_argument, NULL, 'K'},  {"threads", required_argument, NULL, 'P'},
        {"geoip-db", required_argument, NULL, 'G'},
        {"timeout", required_argument, NULL, 'O'},  {"max-memory", required_argument, NULL, 'M'},
        {"report-rows", required_argument, NULL, 'R'},
        {"no-pager", no_argument, NULL, 'Q'},
        {"follow", required_argument, NULL, 'W'},   {"follow-interval", required_argument, NULL, 'I'},
        {"summary", no_argument, NULL, 'S'},        {"budget", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0},
    };
    cq_run_opts *o = &h->run;
    o->earliest = INT64_MIN;
    o->latest = INT64_MAX;
    o->tz = cq_cli_default_tz();
    o->limits = CQ_LIMITS_SPLUNK;
    h->report_rows = CQ_REPORT_ROWS;
    h->budget = CQ_BUDGET_DEFAULT;
    o->follow.interval_ms = 1000;
    int c;
    const char *since = NULL, *until = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:a:t:o:lh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': o->index = optarg; break;
        case 'f':       /* the last --format counts */
            h->html = !strcmp(optarg, "html");
            h->navigator = !strcmp(optarg, "attack-navigator");
            if (!h->html && !h->navigator && cq_cli_format(optarg, &o->format))
                return -1;
            break;
        case 'S': h->summary = 1; break;
        case 'B':
            if (cq_budget_parse(optarg, &h->budget))
                return -1;
            h->budget_set = 1;
            break;
        case 'E': since = optarg; break;
        case 'L': until = optarg; break;
        case 'z': if (cq_cli_tz(optarg, &o->tz)) return -1; break;
        case 'F': h->fail_on_hit = 1; break;
        case 'l': h->list = 1; break;
        case 'Q': h->no_pager = 1; break;
        case 'a': push(&h->archive, &h->n_archive, optarg); break;
        case 'N': h->no_cache = 1; break;
        case 't': push(&h->techniques, &h->n_techniques, optarg); break;
        case 'o': h->output = optarg; break;
        case 'K': o->lookups = optarg; break;
        case 'P': if (cq_cli_threads(optarg, &o->threads)) return -1; break;
        case 'G': if (cq_cli_geoip_db(o, optarg)) return -1; break;
        case 'O': if (cq_cli_seconds(optarg, &o->bounds.timeout_s)) return -1; break;
        case 'M': if (cq_cli_size(optarg, &o->bounds.max_memory)) return -1; break;
        case 'R': if (report_rows(optarg, &h->report_rows)) return -1; break;
        case 'W': if (cq_cli_follow_file(o, optarg)) return -1; break;
        case 'I': if (cq_follow_interval(optarg, &o->follow.interval_ms)) return -1; break;
        case 'h': fputs(hunt_usage, stdout); return 0;
        default: fputs(hunt_usage, stderr); return -1;
        }
    }
    /* after the loop: a time without a zone is read in --tz's, wherever it is */
    if ((since && cq_cli_time("--since", since, o->tz, &o->earliest)) ||
        (until && cq_cli_time("--until", until, o->tz, &o->latest)))
        return -1;
    if (check_report_opts(h))
        return -1;
    h->summary_fmt = o->format;
    h->csv = o->format == CQ_FMT_CSV && !h->html && !h->navigator && !h->summary;
    if (h->html || h->csv || h->navigator || h->summary)
        o->format = CQ_FMT_JSON;   /* hits are captured as JSON rows, then rendered */
    if (h->n_archive && o->index) {
        cq_cli_error("--index and --archive exclude each other");
        return -1;
    }
    if (o->follow.n_files && (h->n_archive || h->html)) {
        cq_cli_error("--follow goes with an --index, and a table, json or csv, not %s",
                     h->n_archive ? "--archive" : "an html report");
        return -1;
    }
    return optind;
}

static void hunt_free(hunt *h)
{
    for (size_t i = 0; i < h->n; i++) {
        cq_spl_free(h->a[i].spl);
        free(h->a[i].report);
        free(h->a[i].times);
        free(h->a[i].time_cols);
    }
    free(h->a);
}

static int path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Does the technique header (one or more ids, "T1609 Container ..." or
 * "T1552 T1552.007") name technique t?  T1552 also selects T1552.007. */
static int names_technique(const char *header, const char *t)
{
    size_t n = strlen(t);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, " ,");
        if (len >= n && !strncasecmp(p, t, n) && (len == n || p[n] == '.'))
            return 1;
        p += len;
    }
    return 0;
}

static int technique_wanted(const hunt_opts *ho, const analytic *a)
{
    if (!ho->n_techniques)
        return 1;
    for (size_t i = 0; i < ho->n_techniques; i++)
        if (names_technique(hdr(a, "technique"), ho->techniques[i]))
            return 1;
    return 0;
}

/* Keeps the analytics that were asked for: by id (ids[]) and technique. */
static int select_analytics(hunt *h, const hunt_opts *ho, char **ids, size_t n_ids)
{
    size_t j = 0;
    for (size_t i = 0; i < h->n; i++) {
        int keep = technique_wanted(ho, &h->a[i]);
        if (keep && n_ids && !h->a[i].named) {
            keep = 0;
            for (size_t k = 0; k < n_ids && !keep; k++)
                keep = !strcasecmp(ids[k], hdr(&h->a[i], "id"));
        }
        if (keep)
            h->a[j++] = h->a[i];
        else
            cq_spl_free(h->a[i].spl);
    }
    h->n = j;
    for (size_t k = 0; k < n_ids; k++) {
        int found = 0;
        for (size_t i = 0; i < h->n && !found; i++)
            found = !strcasecmp(ids[k], hdr(&h->a[i], "id"));
        if (!found) {
            cq_cli_error("%s: no such analytic (not a file, and no bundled analytic has this id; "
                         "see cquery hunt --list)", ids[k]);
            return -1;
        }
    }
    if (!h->n) {
        cq_cli_error("no analytic left to run (check --technique)");
        return -1;
    }
    return 0;
}

/* Paths load as they are; other arguments select bundled analytics by id.
 * Both kinds may be mixed: the files run along with the selected ids. */
static int load_all(hunt *h, const hunt_opts *ho, int argc, char **argv, int first)
{
    char **ids = NULL;
    size_t n_ids = 0;
    int rc = 0;
    for (int i = first; i < argc && !rc; i++) {
        if (path_exists(argv[i])) {
            size_t before = h->n;
            rc = load_path(h, argv[i]);
            for (size_t k = before; k < h->n; k++)
                h->a[k].named = 1;
        } else {
            ids = cq_xrealloc(ids, (n_ids + 1) * sizeof *ids);
            ids[n_ids++] = argv[i];
        }
    }
    if (!rc && (first >= argc || n_ids)) {
        char *dir = cq_find_data("queries");
        if (!dir) {
            cq_cli_error("the bundled analytics (queries/) were not found; set CQUERY_DATADIR");
            rc = -1;
        } else {
            rc = load_path(h, dir);
            free(dir);
        }
    }
    if (!rc)
        rc = select_analytics(h, ho, ids, n_ids);
    free(ids);
    return rc;
}

/* ------------------------------------------------------------ archives */

/* Creates dir and its parents (mode 0700: the cache holds security logs). */
static void mkdir_p(const char *dir)
{
    char *p = cq_xstrdup(dir);
    for (char *q = p + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(p, 0700);
            *q = '/';
        }
    mkdir(p, 0700);
    free(p);
}

/* Where the cached index of an archive lives: one file per set of paths. */
static char *archive_index_path(const hunt_opts *ho)
{
    cq_strbuf key = CQ_STRBUF_INIT, path = CQ_STRBUF_INIT;
    for (size_t i = 0; i < ho->n_archive; i++) {
        char *real = realpath(ho->archive[i], NULL);
        cq_strbuf_adds(&key, real ? real : ho->archive[i]);
        cq_strbuf_addc(&key, '\n');
        free(real);
    }
    const char *dir = getenv("CQUERY_CACHE"), *home = getenv("HOME");
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (dir && *dir)
        cq_strbuf_adds(&path, dir);
    else if (xdg && *xdg)
        cq_strbuf_addf(&path, "%s/cquery", xdg);
    else
        cq_strbuf_addf(&path, "%s/.cache/cquery", home && *home ? home : "/tmp");
    mkdir_p(path.buf);
    cq_strbuf_addf(&path, "/archive-%016llx.db",
                   (unsigned long long)cq_hash_bytes(key.buf, key.len));
    cq_strbuf_free(&key);
    return path.buf;
}

/* Ingests the archive into idx_path (new files only: ingest is idempotent
 * and resumes grown files, so a cached index is brought up to date). */
static int ingest_archive(const hunt_opts *ho, const char *idx_path)
{
    char err[600];
    cq_ingest_opts io = {0};
    io.err = stderr;
    unsigned cols, rows;
    io.progress = cq_term_size(stderr, &cols, &rows) ? (int)cols : 0;
    signal(SIGPIPE, SIG_IGN);  /* a closed stderr must not lose the archive's ingest */
    cq_ingest *g;
    if (cq_ingest_new(&io, &g, err, sizeof err)) {
        cq_cli_error("%s", err);
        return CQ_EXIT_USAGE;
    }
    cq_index *idx;
    if (cq_index_open(idx_path, CQ_INDEX_WRITE, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        cq_ingest_free(g);
        return CQ_EXIT_INPUT;
    }
    int rc = CQ_EXIT_OK;
    for (size_t i = 0; i < ho->n_archive; i++)
        if (cq_ingest_path(g, idx, ho->archive[i]))
            rc = CQ_EXIT_INPUT;
    cq_ingest_stats st;
    cq_ingest_get_stats(g, &st);
    if (rc == CQ_EXIT_OK && st.n_files_partial)
        rc = CQ_EXIT_PARTIAL;       /* hunt through what could be read */
    cq_ingest_summary(g, stderr);
    cq_index_close(idx);
    cq_ingest_free(g);
    return rc;
}

/* A private directory (0700, mkdtemp) for a --no-cache index: nobody else
 * can plant a file or a symlink where the index and its -wal/-shm go. */
static char *temp_index_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    cq_strbuf t = CQ_STRBUF_INIT;
    cq_strbuf_addf(&t, "%s/cquery-hunt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(t.buf)) {
        cq_cli_error("cannot make a temporary directory %s: %s", t.buf, strerror(errno));
        cq_strbuf_free(&t);
        return NULL;
    }
    return t.buf;
}

/* Removes the temporary index, its side files and its directory. */
static void remove_temp_index(const char *dir)
{
    static const char *const name[] = {"index.db", "index.db-wal", "index.db-shm",
                                       "index.db-journal"};
    for (size_t i = 0; i < sizeof name / sizeof name[0]; i++) {
        cq_strbuf p = CQ_STRBUF_INIT;
        cq_strbuf_addf(&p, "%s/%s", dir, name[i]);
        unlink(p.buf);
        cq_strbuf_free(&p);
    }
    if (rmdir(dir))
        cq_cli_error("cannot remove the temporary index directory %s: %s", dir, strerror(errno));
}

/* ------------------------------------------------------------- reports */

/* An analytic's captured JSON lines as objects (NUL bytes kept: a value
 * may hold them).  *n receives the count. */
static json_t **captured_rows(const analytic *a, size_t *n)
{
    json_t **rows = NULL;
    *n = 0;
    const char *p = a->report, *end = a->report ? a->report + a->report_len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *row = json_loadb(p, len, JSON_ALLOW_NUL, NULL);
        if (row) {
            rows = cq_xrealloc(rows, (*n + 1) * sizeof *rows);
            rows[(*n)++] = row;
        }
        p += len + 1;
    }
    return rows;
}

static void free_rows(json_t **rows, size_t n)
{
    for (size_t k = 0; k < n; k++)
        json_decref(rows[k]);
    free(rows);
}

/* What the HTML report shows of an analytic (the budget and the layer:
 * all but its rows). */
static void to_result(const analytic *a, cq_hunt_result *r, int with_rows)
{
    memset(r, 0, sizeof *r);
    r->id = hdr(a, "id");
    r->title = hdr(a, "title");
    r->technique = hdr(a, "technique");
    r->severity = hdr(a, "severity");
    r->description = hdr(a, "description");
    r->false_positives = hdr(a, "false_positives");
    r->query = a->spl->query;
    r->failed = a->failed;
    r->fixed_columns = a->fixed;
    r->hits = a->hits;
    r->first = a->first;
    r->last = a->last;
    r->time_cols = a->time_cols ? a->time_cols : "";
    r->times = a->times;
    r->n_times = a->n_times;
    if (with_rows)
        r->rows = captured_rows(a, &r->n_rows);
}

/* When the report was made: $SOURCE_DATE_EPOCH (seconds) when it is set,
 * as reproducible builds do, so that a report can be made again byte for
 * byte (the regression cases rely on it); else now. */
static int64_t report_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*end && !errno && v >= 0 && v < 253402300800LL)
            return (int64_t)v * 1000000;
        cq_cli_error("SOURCE_DATE_EPOCH: not a number of seconds (\"%s\"); the report says now",
                     s);
    }
    return cq_time_now_us();
}

static void add_sourcetype(void *ctx, const cq_sourcetype_summary *st)
{
    cq_report_info *in = ctx;
    in->events += (uint64_t)st->events;
    if (!st->events)
        return;
    if (in->data_first == INT64_MIN || st->t_min < in->data_first)
        in->data_first = st->t_min;
    if (in->data_last == INT64_MIN || st->t_max > in->data_last)
        in->data_last = st->t_max;
}

/* The reports made from cq_hunt_result: html, the budget (--summary) and
 * the Navigator layer. */
static void print_result_report(const hunt *h, const hunt_opts *ho, const cq_report_info *info,
                                FILE *out)
{
    cq_hunt_result *r = cq_xcalloc(h->n + 1, sizeof *r);
    for (size_t i = 0; i < h->n; i++)
        to_result(&h->a[i], &r[i], ho->html);
    if (ho->html) {
        cq_report_html(out, r, h->n, info);
    } else if (ho->navigator) {
        cq_report_navigator(out, r, h->n, info);
    } else if (ho->term_rows) {
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (!mem)
            cq_oom();
        cq_report_budget(mem, r, h->n, info, ho->budget, ho->summary_fmt, ho->term_cols);
        fclose(mem);
        page_text(ho, text, len, out);
        free(text);
    } else {
        cq_report_budget(out, r, h->n, info, ho->budget, ho->summary_fmt, ho->term_cols);
    }
    for (size_t i = 0; i < h->n; i++)
        free_rows(r[i].rows, r[i].n_rows);
    free(r);
}

/* ------------------------------------------------------------- CSV */

typedef struct csv_cols {
    const char **name;      /* borrowed from the rows' keys */
    size_t n, cap;
} csv_cols;

static int has_col(const csv_cols *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->name[i], name))
            return 1;
    return 0;
}

static void add_col(csv_cols *c, const char *name)
{
    if (has_col(c, name))
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->name = cq_xrealloc(c->name, c->cap * sizeof *c->name);
    }
    c->name[c->n++] = name;
}

static const char *const csv_leading[] = {"analytic_id", "analytic_technique", "analytic_severity"};
static const char *const csv_event_view[] = {
    "_time", "sourcetype", "host", "user", "src_ip", "action", "command", "namespace",
    "pod", "container", "container_id", "image", "exec_command",
};

static int by_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The fields of one analytic's rows not yet in cols: in the query's order
 * when it chose its columns, else (events) by name, as search's CSV. */
static void add_analytic_cols(csv_cols *cols, json_t **rows, size_t n, int fixed)
{
    csv_cols mine = {0};
    for (size_t k = 0; k < n; k++) {
        const char *key;
        json_t *v;
        json_object_foreach(rows[k], key, v)
            if (strcmp(key, "analytic_id") && strcmp(key, "_raw") && !has_col(cols, key))
                add_col(&mine, key);
    }
    if (!fixed && mine.n)
        qsort(mine.name, mine.n, sizeof *mine.name, by_str);
    for (size_t i = 0; i < mine.n; i++)
        add_col(cols, mine.name[i]);
    free(mine.name);
}

static void csv_value(FILE *out, json_t *v, cq_strbuf *sb, int tty)
{
    cq_strbuf_reset(sb);
    if (json_is_string(v)) {
        cq_strbuf_add(sb, json_string_value(v), json_string_length(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (i)
                cq_strbuf_addc(sb, '\n');      /* Splunk's multivalue cells */
            if (json_is_string(e))
                cq_strbuf_add(sb, json_string_value(e), json_string_length(e));
        }
    }
    cq_csv_cell(out, cq_strbuf_str(sb), sb->len, 0, tty);
}

/* Every hit of every analytic (in the order they ran) under one header:
 * analytic_id, analytic_technique, analytic_severity (prefixed, so no
 * field of a hit can take their place), _time and the event view's
 * normalized fields that any hit has, then every other field in the order
 * the analytics bring them (an analytic's chosen columns in its order, an
 * event analytic's fields by name), _raw last.  A cell is empty where a
 * hit has no such field; no hits at all print nothing, as search. */
static void print_csv_report(const hunt *h, FILE *out)
{
    json_t ***rows = cq_xcalloc(h->n + 1, sizeof *rows);
    size_t *n_rows = cq_xcalloc(h->n + 1, sizeof *n_rows), total = 0;
    csv_cols cols = {0};
    for (size_t c = 0; c < sizeof csv_leading / sizeof *csv_leading; c++)
        add_col(&cols, csv_leading[c]);
    for (size_t i = 0; i < h->n; i++) {
        rows[i] = captured_rows(&h->a[i], &n_rows[i]);
        total += n_rows[i];
    }
    for (size_t c = 0; c < sizeof csv_event_view / sizeof *csv_event_view; c++)
        for (size_t i = 0; i < h->n && !has_col(&cols, csv_event_view[c]); i++)
            for (size_t k = 0; k < n_rows[i]; k++)
                if (json_object_get(rows[i][k], csv_event_view[c])) {
                    add_col(&cols, csv_event_view[c]);
                    break;
                }
    for (size_t i = 0; i < h->n; i++)
        add_analytic_cols(&cols, rows[i], n_rows[i], h->a[i].fixed);
    for (size_t i = 0; i < h->n && !has_col(&cols, "_raw"); i++)
        for (size_t k = 0; k < n_rows[i]; k++)
            if (json_object_get(rows[i][k], "_raw")) {
                add_col(&cols, "_raw");
                break;
            }
    int tty = isatty(fileno(out));
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (size_t c = 0; total && c < cols.n; c++) {
        if (c)
            fputc(',', out);
        cq_csv_cell(out, cols.name[c], strlen(cols.name[c]), 0, tty);
    }
    if (total)
        fputc('\n', out);
    for (size_t i = 0; i < h->n; i++) {
        const char *lead[] = {hdr(&h->a[i], "id"), hdr(&h->a[i], "technique"),
                              hdr(&h->a[i], "severity")};
        for (size_t k = 0; k < n_rows[i]; k++) {
            for (size_t c = 0; c < cols.n; c++) {
                if (c)
                    fputc(',', out);
                if (c < 3)
                    cq_csv_cell(out, lead[c], strlen(lead[c]), 0, tty);
                else
                    csv_value(out, json_object_get(rows[i][k], cols.name[c]), &sb, tty);
            }
            fputc('\n', out);
        }
    }
    cq_strbuf_free(&sb);
    free(cols.name);
    for (size_t i = 0; i < h->n; i++)
        free_rows(rows[i], n_rows[i]);
    free(rows);
    free(n_rows);
}

static int run_all(hunt *h, const hunt_opts *ho, const char *path, FILE *out)
{
    char err[600];
    cq_index *idx;
    if (cq_index_open(path, CQ_INDEX_READ, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        return CQ_EXIT_INPUT;
    }
    int rc = CQ_EXIT_OK;
    uint64_t total = 0;
    for (size_t i = 0; i < h->n; i++) {
        int r = run_one(&h->a[i], idx, ho);
        if (r > rc)
            rc = r;
        total += h->a[i].hits;
    }
    cq_report_info info = {ho->n_archive ? "archive" : "index", path, ho->run.tz, 0, 0,
                           INT64_MIN, INT64_MIN, ho->run.earliest, ho->run.latest,
                           ho->report_rows};
    cq_strbuf archives = CQ_STRBUF_INIT;
    int by_result = ho->html || ho->summary || ho->navigator;
    if (by_result) {
        if (!ho->summary)
            info.generated = report_time();     /* the budget says no time of its own */
        if (cq_index_sourcetypes(idx, add_sourcetype, &info))
            cq_cli_error("%s: %s (the report's data range is left out)", path,
                         cq_index_errmsg(idx));
        for (size_t i = 0; i < ho->n_archive; i++)
            cq_strbuf_addf(&archives, "%s%s", i ? ", " : "", ho->archive[i]);
        if (ho->n_archive)
            info.source = cq_strbuf_str(&archives);
    }
    cq_index_close(idx);
    const char *source = ho->n_archive ? ho->archive[0] : path;
    if (by_result)
        print_result_report(h, ho, &info, out);
    else if (ho->csv)
        print_csv_report(h, out);
    else if (ho->run.format == CQ_FMT_JSON)
        print_json_report(h, &ho->run, out);
    else if (ho->term_rows)
        page_table_report(h, ho, source, out);
    else
        print_table_report(h, ho, source, out);
    cq_strbuf_free(&archives);
    if (fflush(out) || ferror(out)) {
        cq_cli_error("cannot write the report%s%s", ho->output ? " to " : "",
                     ho->output ? ho->output : "");
        return CQ_EXIT_INPUT;
    }
    if (rc == CQ_EXIT_OK && ho->fail_on_hit && total)
        rc = CQ_EXIT_HITS;
    return rc;
}

/* hunt --follow: the analytics over each batch of new events. */
typedef struct hunt_follow {
    hunt *h;
    const hunt_opts *ho;
    FILE *out;
} hunt_follow;

/* Prints the analytics that found something in this batch, as the report
 * does (json: their summary lines and hits; csv: the batch's hits under one
 * header), and nothing for the others. */
static int hunt_batch(void *ctx, cq_index *idx)
{
    hunt_follow *hf = ctx;
    uint64_t total = 0;
    for (size_t i = 0; i < hf->h->n; i++) {
        analytic *a = &hf->h->a[i];
        free(a->report);
        free(a->times);
        free(a->time_cols);
        a->report = NULL;
        a->times = NULL;
        a->time_cols = NULL;
        run_one(a, idx, hf->ho);            /* an error is said; the others run */
        total += a->failed ? 0 : a->hits;
    }
    if (hf->ho->csv && total)
        print_csv_report(hf->h, hf->out);
    for (size_t i = 0; i < hf->h->n && !hf->ho->csv; i++) {
        const analytic *a = &hf->h->a[i];
        if (a->failed || !a->hits)
            continue;
        if (hf->ho->run.format == CQ_FMT_JSON) {
            hunt one = {(analytic *)a, 1, 1};
            print_json_report(&one, &hf->ho->run, hf->out);
        } else {
            fprintf(hf->out, "== %s: %s (%llu new hit%s)\n", hdr(a, "id"), hdr(a, "title"),
                    (unsigned long long)a->hits, a->hits == 1 ? "" : "s");
            fwrite(a->report, 1, a->report_len, hf->out);
        }
    }
    if (fflush(hf->out) || ferror(hf->out)) {
        cq_cli_error("cannot write the hits");
        return CQ_EXIT_INPUT;
    }
    return 0;
}

static int hunt_follow_run(hunt *h, const hunt_opts *ho, FILE *out)
{
    hunt_follow hf = {h, ho, out};
    cq_follow_opts fo = ho->run.follow;
    fo.index = ho->run.index;
    return cq_follow_run(&fo, hunt_batch, &hf);
}

static void hunt_opts_free(hunt_opts *ho)
{
    free(ho->techniques);
    free(ho->archive);
}

int cq_cmd_hunt(int argc, char **argv)
{
    hunt_opts ho = {0};
    int first = parse_hunt_opts(argc, argv, &ho);
    hunt h = {0};
    int rc = first < 0 ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    if (first <= 0)
        goto done;
    if (load_all(&h, &ho, argc, argv, first)) {
        rc = CQ_EXIT_USAGE;
        goto done;
    }
    if (ho.list) {
        print_list(&h);
        goto done;
    }
    char *archive_idx = NULL, *temp_dir = NULL;
    const char *path = cq_cli_index_path(ho.run.index);
    if (ho.n_archive) {
        if (ho.no_cache) {
            temp_dir = temp_index_dir();
            if (!temp_dir) {
                rc = CQ_EXIT_INPUT;
                goto done;
            }
            cq_strbuf t = CQ_STRBUF_INIT;
            cq_strbuf_addf(&t, "%s/index.db", temp_dir);
            archive_idx = t.buf;
        } else {
            archive_idx = archive_index_path(&ho);
        }
        path = archive_idx;
        rc = ingest_archive(&ho, path);
    }
    int partial = rc == CQ_EXIT_PARTIAL;
    if (partial)
        rc = CQ_EXIT_OK;
    if (rc == CQ_EXIT_OK) {
        FILE *out = ho.output ? cq_cli_create(ho.output) : stdout;
        unsigned cols, rows;
        int table = ho.summary ? ho.summary_fmt == CQ_FMT_TABLE
                               : !ho.html && !ho.csv && !ho.navigator && ho.run.format == CQ_FMT_TABLE;
        if (out && table && cq_term_size(out, &cols, &rows)) {
            ho.term_cols = cols;
            ho.term_rows = ho.no_pager ? 0 : rows;
        }
        if (!out) {
            rc = CQ_EXIT_INPUT;
        } else {
            rc = ho.run.follow.n_files ? hunt_follow_run(&h, &ho, out) : run_all(&h, &ho, path, out);
            if (out != stdout && fclose(out) && rc == CQ_EXIT_OK)
                rc = CQ_EXIT_INPUT;
        }
    }
    if (partial && rc == CQ_EXIT_OK)
        rc = CQ_EXIT_PARTIAL;       /* --fail-on-hit's 1 and errors say more */
    if (temp_dir)
        remove_temp_index(temp_dir);
    free(temp_dir);
    free(archive_idx);
done:
    hunt_free(&h);
    hunt_opts_free(&ho);
    return rc;
}

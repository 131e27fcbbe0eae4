/*
 * cmd_search.c - `cquery search`, `cquery explain` and `cquery sources`.
 */
#include "cli/cli.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "engine/query.h"
#include "cli/spl_file.h"
#include "cli/term.h"

#include <errno.h>
#include <unistd.h>
#include <jansson.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char search_usage[] =
    "usage: cquery search [OPTIONS] QUERY\n"
    "       cquery search [OPTIONS] -q FILE\n"
    "\n"
    "Runs an SPL query over the index and prints the results.\n"
    "\n"
    "  -q, --query-file FILE  read the query from FILE (- or a lone - as QUERY:\n"
    "                       stdin; at most 4 MiB; # lines before it are comments,\n"
    "                       so an analytic's .spl file runs as it is)\n"
    "  -i, --index PATH     index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -f, --format FMT     table (aligned, default), csv (header row) or json (JSON Lines)\n"
    "      --earliest T     only events at or after T (ISO 8601, epoch, -24h, -7d@d)\n"
    "      --latest T       only events before T; earliest=/latest= in the query win\n"
    "      --tz ZONE        zone for printed times: UTC, +02:00, -0530, local, or a\n"
    "                       tz database name such as Europe/Berlin (default $TZ,\n"
    "                       else UTC)\n"
    "      --timeout S      stop with an error after S seconds (fractions allowed)\n"
    "      --max-memory SIZE  stop with an error once cquery needs more than SIZE\n"
    "                       of memory (bytes, or with K, M, G: 512M, 2G)\n"
    "      --fail-on-empty  exit 1 when there are no results (as grep does)\n"
    "      --no-pager       on a terminal, print a long table without the pager\n"
    "                       ($PAGER, else less -S); tables on a terminal show\n"
    "                       _time, sourcetype, host and _raw for events and are\n"
    "                       cut to its width: pipes and files get every column\n"
    "      --follow FILE    follow FILE as it grows (repeatable; rotation-aware, as\n"
    "                       tail -F): ingest its new lines into the index and print\n"
    "                       the query's results over them, batch by batch, until\n"
    "                       Ctrl-C; row-by-row queries only (no stats, sort, head)\n"
    "      --follow-interval MS  look at the files every MS milliseconds (default 1000)\n"
    "  -o, --output FILE    write the results to FILE (created 0644 or truncated,\n"
    "                       never through a symbolic link) instead of stdout\n"
    "      --csv-raw        CSV: print cells starting with = + - @ as they are (by\n"
    "                       default they get a leading ' so spreadsheets show text)\n"
    "      --lookups DIR    lookup tables for lookup/inputlookup (default\n"
    "                       $CQUERY_LOOKUPS, else the data directory's lookups/)\n"
    "      --subsearch-maxout N    rows a [subsearch] passes on (Splunk: 10000; 0: all)\n"
    "      --subsearch-maxtime S   seconds a subsearch may run (Splunk: 60; 0: no limit)\n"
    "      --join-maxout N  rows of a join/append subsearch (Splunk: 50000; 0: all)\n"
    "      --threads N      scan with at most N threads (default: one per CPU; 1-64)\n"
    "      --geoip-db PATH  iplocation's MaxMind DB file (repeatable: e.g. separate\n"
    "                       IPv4 and IPv6 files; default $CQUERY_GEOIP_DB, a\n"
    "                       ':'-separated list, else /var/lib/GeoIP/GeoLite2-City.mmdb\n"
    "                       or /usr/share/GeoIP/GeoLite2-City.mmdb)\n"
    "  -h, --help           this text\n";

static const struct option run_opts[] = {
    {"index", required_argument, NULL, 'i'},
    {"format", required_argument, NULL, 'f'},
    {"earliest", required_argument, NULL, 'E'},
    {"latest", required_argument, NULL, 'L'},
    {"tz", required_argument, NULL, 'z'},
    {"csv-raw", no_argument, NULL, 'R'},
    {"timeout", required_argument, NULL, 'O'},
    {"max-memory", required_argument, NULL, 'M'},
    {"lookups", required_argument, NULL, 'K'},
    {"subsearch-maxout", required_argument, NULL, 'S'},
    {"subsearch-maxtime", required_argument, NULL, 'T'},
    {"join-maxout", required_argument, NULL, 'J'},
    {"threads", required_argument, NULL, 'P'},
    {"geoip-db", required_argument, NULL, 'G'},
    {"query-file", required_argument, NULL, 'q'},
    {"fail-on-empty", no_argument, NULL, 'e'},
    {"output", required_argument, NULL, 'o'},
    {"no-pager", no_argument, NULL, 'N'},
    {"follow", required_argument, NULL, 'W'},
    {"follow-interval", required_argument, NULL, 'I'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A limit's value: a whole number (0: no limit). */
static int limit_arg(const char *opt, const char *val, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(val, &end, 10);
    if (!*val || *end || errno || val[0] == '-') {
        cq_cli_error("%s takes a whole number (0: no limit), not \"%s\"", opt, val);
        return -1;
    }
    *out = n;
    return 0;
}

int cq_cli_run_opts_parse(int argc, char **argv, cq_run_opts *o, const char *usage,
                          int takes_query)
{
    memset(o, 0, sizeof *o);
    o->earliest = INT64_MIN;
    o->latest = INT64_MAX;
    o->tz = cq_cli_default_tz();
    o->limits = CQ_LIMITS_SPLUNK;
    o->follow.interval_ms = 1000;
    int c;
    const char *earliest = NULL, *latest = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:q:o:h", run_opts, NULL)) != -1) {
        switch (c) {
        case 'q': o->query_file = optarg; break;
        case 'e': o->fail_on_empty = 1; break;
        case 'N': o->no_pager = 1; break;
        case 'o': o->output = optarg; break;
        case 'i': o->index = optarg; break;
        case 'f': if (cq_cli_format(optarg, &o->format)) return -1; break;
        case 'E': earliest = optarg; break;
        case 'L': latest = optarg; break;
        case 'z': if (cq_cli_tz(optarg, &o->tz)) return -1; break;
        case 'R': o->csv_raw = 1; break;
        case 'O': if (cq_cli_seconds(optarg, &o->bounds.timeout_s)) return -1; break;
        case 'M': if (cq_cli_size(optarg, &o->bounds.max_memory)) return -1; break;
        case 'K': o->lookups = optarg; break;
        case 'S': if (limit_arg("--subsearch-maxout", optarg, &o->limits.subsearch_maxout)) return -1; break;
        case 'J': if (limit_arg("--join-maxout", optarg, &o->limits.join_maxout)) return -1; break;
        case 'P': if (cq_cli_threads(optarg, &o->threads)) return -1; break;
        case 'G': if (cq_cli_geoip_db(o, optarg)) return -1; break;
        case 'W': if (cq_cli_follow_file(o, optarg)) return -1; break;
        case 'I': if (cq_follow_interval(optarg, &o->follow.interval_ms)) return -1; break;
        case 'T': {
            uint64_t secs;
            if (limit_arg("--subsearch-maxtime", optarg, &secs)) return -1;
            o->limits.subsearch_maxtime = (double)secs;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return -1;
        }
    }
    if (!takes_query) {
        if (optind == argc && !o->query_file)
            return argc;
        cq_cli_error("unexpected argument \"%s\"", optind < argc ? argv[optind] : "-q");
        fputs(usage, stderr);
        return -1;
    }
    /* after the loop: a time without a zone is read in --tz's, wherever it is */
    if ((earliest && cq_cli_time("--earliest", earliest, o->tz, &o->earliest)) ||
        (latest && cq_cli_time("--latest", latest, o->tz, &o->latest)))
        return -1;
    if (o->query_file && optind < argc) {
        cq_cli_error("give the query either with -q FILE or as arguments, not both");
        return -1;
    }
    if (!o->query_file && optind == argc - 1 && !strcmp(argv[optind], "-"))
        o->query_file = "-";
    if (!o->query_file && optind >= argc) {
        cq_cli_error("missing QUERY");
        fputs(usage, stderr);
        return -1;
    }
    return o->query_file ? argc : optind;
}

/* The query: from -q FILE, else the remaining arguments joined by spaces.
 * NULL (said on stderr) when the file cannot be read. */
static cq_query *query_from_args(int argc, char **argv, int first, const cq_run_opts *o)
{
    if (o->query_file) {
        cq_spl_file *f;
        char err[600];
        if (cq_spl_load_query(o->query_file, &f, err, sizeof err)) {
            cq_cli_error("%s", err);
            return NULL;
        }
        cq_query *q = cq_query_new(f->query, f->query_len, f->path, f->line_base);
        cq_spl_free(f);
        return q;
    }
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (int i = first; i < argc; i++) {
        if (i > first)
            cq_strbuf_addc(&sb, ' ');
        cq_strbuf_adds(&sb, argv[i]);
    }
    cq_query *q = cq_query_new(cq_strbuf_str(&sb), sb.len, "query", 0);
    cq_strbuf_free(&sb);
    return q;
}

int cq_cli_compile(cq_query *q, const cq_run_opts *o)
{
    cq_query_opts qo = {o->earliest, o->latest, 0, NULL, o->lookups,
                        &o->limits, o->threads, o->geoip_db, o->n_geoip_db, o->tz};
    if (cq_query_compile(q, &qo)) {
        cq_query_print_error(q, stderr);
        return -1;
    }
    return 0;
}

/* search --follow: each batch of new events through the query. */
typedef struct follow_ctx {
    cq_query *q;
    const cq_run_opts *o;
    FILE *dest;
} follow_ctx;

static int follow_batch(void *ctx, cq_index *idx)
{
    follow_ctx *fc = ctx;
    cq_output *out = cq_output_new(fc->o->format, fc->dest, fc->o->tz, fc->q->plan->fixed_columns);
    cq_output_csv_raw(out, fc->o->csv_raw);
    int rc = 0;
    if (cq_query_run(fc->q, idx, cq_output_sink(out), NULL)) {
        cq_query_print_error(fc->q, stderr);
        rc = CQ_EXIT_INPUT;
    } else if (cq_output_finish(out) || fflush(fc->dest)) {
        cq_cli_error("cannot write the results");
        rc = CQ_EXIT_INPUT;
    }
    cq_output_free(out);
    return rc;
}

/* Follows o->follow's files with q (compiled).  A query that needs all
 * the events (stats, sort, head, ...) is refused rather than run again
 * over everything per batch: its answer is not "the new results", and
 * printing a fresh table each second would repeat every row before. */
static int search_follow(cq_query *q, const cq_run_opts *o, FILE *dest)
{
    const cq_ast *bad = cq_query_not_streaming(q);
    if (bad) {
        cq_diag_set(&q->diag, bad->span, "not supported with --follow: %s needs all the events,"
                    " not each batch of new ones", bad->name ? bad->name : "this command");
        cq_diag_hint(&q->diag, "--follow runs row-by-row commands (search, where, eval, fields,"
                     " rex, table, ...); run the rest without it over the index it fills");
        cq_query_print_error(q, stderr);
        return CQ_EXIT_USAGE;
    }
    cq_follow_opts fo = o->follow;
    fo.index = o->index;
    follow_ctx fc = {q, o, dest};
    q->bounds = o->bounds;
    return cq_follow_run(&fo, follow_batch, &fc);
}

int cq_cmd_search(int argc, char **argv)
{
    cq_run_opts o;
    int first = cq_cli_run_opts_parse(argc, argv, &o, search_usage, 1);
    if (first <= 0)
        return first ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    cq_query *q = query_from_args(argc, argv, first, &o);
    if (!q)
        return CQ_EXIT_USAGE;
    if (cq_cli_compile(q, &o)) {
        cq_query_free(q);
        return CQ_EXIT_USAGE;
    }
    int rc;
    if (o.follow.n_files) {
        FILE *dest = o.output ? cq_cli_create(o.output) : stdout;
        rc = dest ? search_follow(q, &o, dest) : CQ_EXIT_INPUT;
        if (dest && dest != stdout)
            fclose(dest);
    } else {
        rc = cq_cli_search_run(q, &o);
    }
    cq_query_free(q);
    return rc;
}

int cq_cli_search_run(cq_query *q, const cq_run_opts *o)
{
    char err[600];
    cq_index *idx;
    if (cq_index_open(cq_cli_index_path(o->index), CQ_INDEX_READ, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        return CQ_EXIT_INPUT;
    }
    FILE *dest = o->output ? cq_cli_create(o->output) : stdout;
    if (!dest) {
        cq_index_close(idx);
        return CQ_EXIT_INPUT;
    }
    cq_output *out = cq_output_new(o->format, dest, o->tz, q->plan->fixed_columns);
    cq_output_csv_raw(out, o->csv_raw);
    unsigned cols, rows;
    if (o->format == CQ_FMT_TABLE && cq_term_size(dest, &cols, &rows))
        cq_output_terminal(out, cols, o->no_pager ? 0 : rows);
    q->bounds = o->bounds;
    int rc = CQ_EXIT_OK;
    if (cq_query_run(q, idx, cq_output_sink(out), NULL)) {
        cq_query_print_error(q, stderr);
        rc = q->diag.span.start == UINT32_MAX ? CQ_EXIT_INPUT : CQ_EXIT_USAGE;
    } else if (cq_output_finish(out)) {
        cq_cli_error("cannot write the results");
        rc = CQ_EXIT_INPUT;
    } else if (!cq_output_rows(out)) {
        if (o->format == CQ_FMT_TABLE)
            fputs("(no results)\n", stderr);
        if (o->fail_on_empty)
            rc = CQ_EXIT_HITS;
    }
    cq_output_free(out);
    if (dest != stdout && fclose(dest) && rc != CQ_EXIT_INPUT) {
        cq_cli_error("%s: %s", o->output, strerror(errno));
        rc = CQ_EXIT_INPUT;
    }
    cq_index_close(idx);
    return rc;
}

static const char explain_usage[] =
    "usage: cquery explain [--earliest T] [--latest T] [--threads N] [--geoip-db PATH]\n"
    "                      QUERY | -q FILE\n"
    "\n"
    "Prints the query's syntax tree and its plan: the SQL sent to the index with\n"
    "its bound parameters, what the engine re-checks on every row, and what\n"
    "runs on the scan threads.\n"
    "\n"
    "  -q, --query-file FILE  read the query from FILE (- for stdin), as search does\n";

int cq_cmd_explain(int argc, char **argv)
{
    cq_run_opts o;
    int first = cq_cli_run_opts_parse(argc, argv, &o, explain_usage, 1);
    if (first <= 0)
        return first ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    cq_query *q = query_from_args(argc, argv, first, &o);
    if (!q)
        return CQ_EXIT_USAGE;
    int rc = cq_cli_compile(q, &o) ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    if (!rc && o.follow.n_files) {
        cq_cli_error("--follow is an option of search and hunt, not explain");
        rc = CQ_EXIT_USAGE;
    }
    if (!rc)
        cq_query_explain(q, stdout);
    cq_query_free(q);
    return rc;
}

static const char sources_usage[] =
    "usage: cquery sources [--index PATH] [--format table|csv|json] [--tz ZONE] [--fields | --files]\n"
    "\n"
    "Lists what the index holds: events per sourcetype with their time range,\n"
    "and the files ingested; with --fields, the name of every stored field,\n"
    "with --files, the path of every file ingested, one a line (what shell\n"
    "completion offers).\n"
    "\n"
    "  -i, --index PATH     index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -f, --format FMT     table (default); csv: one header, a row per sourcetype\n"
    "                       and per file, told apart by the type column; json: an\n"
    "                       object per line with a \"type\" key (sourcetype, file,\n"
    "                       field)\n"
    "      --tz ZONE        zone of the printed times, as search's\n"
    "      --fields         the stored fields' names\n"
    "      --files          the stored paths of the files ingested (what forget takes)\n"
    "  -h, --help           this text\n";

typedef struct sources_out {
    cq_out_format fmt;
    int tz;
    int tty;                /* stdout is a terminal: CSV escapes controls */
} sources_out;

/* The columns of sources' CSV: a sourcetype row fills the first five, a
 * file row type, sourcetype, events and the last three. */
static const char *const sources_cols[] = {"type", "sourcetype", "events", "earliest",
                                           "latest", "path", "bytes", "malformed"};
#define N_SOURCES_COLS (sizeof sources_cols / sizeof sources_cols[0])

static void csv_line(const sources_out *so, const char *const *cell)
{
    for (size_t j = 0; j < N_SOURCES_COLS; j++) {
        if (j)
            fputc(',', stdout);
        if (cell[j])
            cq_csv_cell(stdout, cell[j], strlen(cell[j]), 0, so->tty);
    }
    fputc('\n', stdout);
}

static void json_line(json_t *o)
{
    char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (!txt)
        cq_oom();
    puts(txt);
    free(txt);
    json_decref(o);
}

static void print_sourcetype(void *ctx, const cq_sourcetype_summary *s)
{
    const sources_out *so = ctx;
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN], n[24];
    cq_time_format(s->t_min, so->tz, a);
    cq_time_format(s->t_max, so->tz, b);
    if (so->fmt == CQ_FMT_TABLE) {
        printf("%-24s %10lld  %-29s  %s\n", s->sourcetype, (long long)s->events, a, b);
    } else if (so->fmt == CQ_FMT_CSV) {
        snprintf(n, sizeof n, "%lld", (long long)s->events);
        const char *cell[N_SOURCES_COLS] = {"sourcetype", s->sourcetype, n, a, b};
        csv_line(so, cell);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("sourcetype"));
        json_object_set_new(o, "sourcetype", cq_out_json_text(s->sourcetype, strlen(s->sourcetype)));
        json_object_set_new(o, "events", json_integer(s->events));
        json_object_set_new(o, "earliest", json_string(a));
        json_object_set_new(o, "latest", json_string(b));
        json_line(o);
    }
}

static void print_file(void *ctx, const cq_file_summary *f)
{
    const sources_out *so = ctx;
    char n[24], bytes[24], bad[24];
    if (so->fmt == CQ_FMT_TABLE) {
        printf("%-10lld %-24s %10lld %10lld  ", (long long)f->bytes, f->sourcetype,
               (long long)f->records, (long long)f->malformed);
        cq_put_safe(stdout, f->path, strlen(f->path));
        fputc('\n', stdout);
    } else if (so->fmt == CQ_FMT_CSV) {
        snprintf(n, sizeof n, "%lld", (long long)f->records);
        snprintf(bytes, sizeof bytes, "%lld", (long long)f->bytes);
        snprintf(bad, sizeof bad, "%lld", (long long)f->malformed);
        const char *cell[N_SOURCES_COLS] = {"file", f->sourcetype, n, NULL, NULL, f->path,
                                            bytes, bad};
        csv_line(so, cell);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("file"));
        json_object_set_new(o, "path", cq_out_json_text(f->path, strlen(f->path)));
        json_object_set_new(o, "sourcetype", cq_out_json_text(f->sourcetype, strlen(f->sourcetype)));
        json_object_set_new(o, "events", json_integer(f->records));
        json_object_set_new(o, "bytes", json_integer(f->bytes));
        json_object_set_new(o, "malformed", json_integer(f->malformed));
        json_line(o);
    }
}

static int list_sources(cq_index *idx, sources_out *so)
{
    if (so->fmt == CQ_FMT_TABLE)
        printf("%-24s %10s  %-29s  %s\n", "sourcetype", "events", "earliest", "latest");
    else if (so->fmt == CQ_FMT_CSV)
        csv_line(so, sources_cols);
    if (cq_index_sourcetypes(idx, print_sourcetype, so))
        return -1;
    if (so->fmt == CQ_FMT_TABLE)
        printf("\n%-10s %-24s %10s %10s  %s\n", "bytes", "sourcetype", "events", "malformed",
               "file");
    return cq_index_files(idx, print_file, so);
}

/* --files: a stored path a line (csv: a cell; json: {"type":"file","path":...}). */
static void print_path(void *ctx, const cq_file_summary *f)
{
    const sources_out *so = ctx;
    if (so->fmt == CQ_FMT_JSON) {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("file"));
        json_object_set_new(o, "path", cq_out_json_text(f->path, strlen(f->path)));
        json_line(o);
        return;
    }
    if (so->fmt == CQ_FMT_CSV)
        cq_csv_cell(stdout, f->path, strlen(f->path), 0, so->tty);
    else
        cq_put_safe(stdout, f->path, strlen(f->path));
    fputc('\n', stdout);
}

static void print_field(void *ctx, const char *name)
{
    const sources_out *so = ctx;
    if (so->fmt == CQ_FMT_JSON) {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("field"));
        json_object_set_new(o, "name", cq_out_json_text(name, strlen(name)));
        json_line(o);
    } else if (so->fmt == CQ_FMT_CSV) {
        cq_csv_cell(stdout, name, strlen(name), 0, so->tty);
        fputc('\n', stdout);
    } else {
        cq_put_safe(stdout, name, strlen(name));
        fputc('\n', stdout);
    }
}

static int list_fields(cq_index *idx, sources_out *so)
{
    if (so->fmt == CQ_FMT_CSV)
        puts("field");
    return cq_index_fields(idx, print_field, so);
}

int cq_cmd_sources(int argc, char **argv)
{
    const char *index = NULL;
    int c, fields = 0, files = 0;
    sources_out so = {CQ_FMT_TABLE, cq_cli_default_tz(), isatty(STDOUT_FILENO)};
    optind = 1;
    static const struct option opts[] = {{"index", required_argument, NULL, 'i'},
                                         {"fields", no_argument, NULL, 'F'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"tz", required_argument, NULL, 'z'},
                                         {"files", no_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    while ((c = getopt_long(argc, argv, "i:f:h", opts, NULL)) != -1) {
        if (c == 'i') {
            index = optarg;
        } else if (c == 'F') {
            fields = 1;
        } else if (c == 'f') {
            if (cq_cli_format(optarg, &so.fmt))
                return CQ_EXIT_USAGE;
        } else if (c == 'z') {
            if (cq_cli_tz(optarg, &so.tz))
                return CQ_EXIT_USAGE;
        } else if (c == 'P') {
            files = 1;
        } else if (c == 'h') {
            fputs(sources_usage, stdout);
            return CQ_EXIT_OK;
        } else {
            fputs(sources_usage, stderr);
            return CQ_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cq_cli_error("sources takes no arguments (\"%s\"); see cquery sources --help",
                     argv[optind]);
        return CQ_EXIT_USAGE;
    }
    char err[600];
    cq_index *idx;
    if (cq_index_open(cq_cli_index_path(index), CQ_INDEX_READ, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        return CQ_EXIT_INPUT;
    }
    int rc = (fields  ? list_fields(idx, &so)
              : files ? cq_index_files(idx, print_path, &so)
                      : list_sources(idx, &so))
                 ? CQ_EXIT_INPUT
                 : CQ_EXIT_OK;
    if (rc)
        cq_cli_error("cannot read the index: %s", cq_index_errmsg(idx));
    else if (fflush(stdout) || ferror(stdout))
        rc = CQ_EXIT_INPUT;     /* a full disk or a closed pipe: not a listing */
    cq_index_close(idx);
    return rc;
}

/*
 * main.c - `cquery`: dispatches to the subcommands.
 */
#include "cli/cli.h"
#include "config.h"
#include "engine/plan.h"
#include "common/timeutil.h"
#include "common/timemod.h"
#include "common/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: cquery COMMAND [OPTIONS] ...\n"
    "\n"
    "A Splunk-style query engine for Docker and Kubernetes logs.\n"
    "\n"
    "commands:\n"
    "  ingest FILE...      read log files (plain or gzip, directories, - for stdin) into the index\n"
    "  search QUERY        run an SPL query over the index\n"
    "  explain QUERY       show how a query is parsed and planned\n"
    "  hunt [ANALYTIC...]  run saved analytics (.spl files; default: the bundled library)\n"
    "  sources             list what the index holds\n"
    "  shell               an interactive prompt for queries\n"
    "  forget FILE...      remove ingested files from the index (--source PATTERN)\n"
    "\n"
    "The index is --index PATH, else $CQUERY_INDEX, else ./cquery.db.\n"
    "`cquery COMMAND --help` describes each command.\n"
    "exit status: 0 ok, 1 hunt --fail-on-hit found hits (search --fail-on-empty: none),\n"
    "2 bad usage or query, 3 input or index error,\n"
    "4 ingest or hunt --archive: a damaged file went in only up to its damage,\n"
    "130/143 --follow stopped by SIGINT/SIGTERM\n";

void cq_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("cquery: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *cq_cli_index_path(const char *opt)
{
    if (opt)
        return opt;
    const char *env = getenv("CQUERY_INDEX");
    return env && *env ? env : "cquery.db";
}

/* An ISO time without a zone ("2026-03-03", "2026-03-03T10:00"): read in
 * the zone of --tz, as Splunk reads times in the user's zone. */
static int zoneless(const char *val)
{
    size_t n = strlen(val);
    return n >= 10 && !strpbrk(val + 10, "Zz+-");
}

int cq_cli_time(const char *opt, const char *val, int tz, int64_t *us)
{
    char date[24];
    const char *iso = val;
    size_t n = strlen(val);
    if (n == 10 && val[4] == '-' && val[7] == '-') {    /* a bare date: its midnight */
        snprintf(date, sizeof date, "%sT00:00:00", val);
        iso = date;
    }
    if (cq_time_parse_iso(iso, strlen(iso), us) == 0) {
        if (zoneless(val) && tz)
            *us = cq_tz_wall_to_utc(*us, tz);
        return 0;
    }
    if (cq_time_modifier(val, cq_time_now_us(), us) == 0)
        return 0;
    cq_cli_error("%s: bad time \"%s\" (use ISO 8601, a date such as 2026-03-03, epoch "
                 "seconds, -24h, -7d@d, now)", opt, val);
    return -1;
}

FILE *cq_cli_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        cq_cli_error("%s: %s", path, errno == ELOOP ? "a symbolic link: refused (-o writes "
                     "only to a file or a new name)" : strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

int cq_cli_default_tz(void)
{
    /* UTC, as Splunk's exports; $TZ when the user set it, as date(1) does. */
    const char *tz = getenv("TZ");
    int off;
    return tz && *tz && cq_tz_parse("local", &off) == 0 ? off : 0;
}

int cq_cli_tz(const char *val, int *tz)
{
    if (cq_tz_parse(val, tz) == 0)
        return 0;
    cq_cli_error("--tz: unknown zone \"%s\" (use UTC, +02:00, -0530, local, or a name of "
                 "the tz database such as Europe/Berlin)", val);
    return -1;
}

int cq_cli_format(const char *val, cq_out_format *f)
{
    if (cq_out_format_parse(val, f) == 0)
        return 0;
    cq_cli_error("--format: expected table, csv or json, not \"%s\"", val);
    return -1;
}

/* --timeout: seconds, fractions allowed. */
int cq_cli_seconds(const char *val, double *out)
{
    char *end;
    errno = 0;
    double s = strtod(val, &end);
    if (!*val || *end || errno || !(s > 0) || s > 1e9) {
        cq_cli_error("--timeout takes a number of seconds greater than 0, not \"%s\"", val);
        return -1;
    }
    *out = s;
    return 0;
}

/* --max-memory: bytes, or a number with K, M or G (powers of 1024). */
int cq_cli_size(const char *val, uint64_t *out)
{
    char *end;
    errno = 0;
    double n = strtod(val, &end);
    double unit = 1;
    if (*end && strchr("kKmMgG", *end) && (!end[1] || ((end[1] == 'B' || end[1] == 'b') && !end[2])))
        unit = *end == 'k' || *end == 'K' ? 1024.0 : *end == 'm' || *end == 'M' ? 1048576.0
                                                                               : 1073741824.0;
    else if (*end)
        n = -1;
    if (!*val || errno || !(n > 0) || n * unit > 1e18) {
        cq_cli_error("--max-memory takes a size such as 512M or 2G, not \"%s\"", val);
        return -1;
    }
    *out = (uint64_t)(n * unit);
    return 0;
}

int cq_cli_threads(const char *val, unsigned *n)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (!*val || *end || errno || v < 1 || v > CQ_MAX_SCAN_THREADS) {
        cq_cli_error("--threads takes a whole number from 1 to %d, not \"%s\"",
                     CQ_MAX_SCAN_THREADS, val);
        return -1;
    }
    *n = (unsigned)v;
    return 0;
}

int cq_cli_geoip_db(cq_run_opts *o, const char *path)
{
    if (!*path || strchr(path, ':')) {
        cq_cli_error("--geoip-db takes a file path without ':', not \"%s\"", path);
        return -1;
    }
    if (o->n_geoip_db == CQ_CLI_MAX_GEOIP_DB) {
        cq_cli_error("--geoip-db given more than %d times", CQ_CLI_MAX_GEOIP_DB);
        return -1;
    }
    o->geoip_db[o->n_geoip_db++] = path;
    return 0;
}

int cq_cli_follow_file(cq_run_opts *o, const char *path)
{
    if (o->follow.n_files == CQ_FOLLOW_MAX_FILES) {
        cq_cli_error("--follow given more than %d times", CQ_FOLLOW_MAX_FILES);
        return -1;
    }
    o->follow.files[o->follow.n_files++] = path;
    return 0;
}

/* The version, then where each data file is found: what a user (and `make
 * installcheck`) reads to see which copy runs. */
static void print_version(void)
{
    static const char *const files[] = {"sourcetypes.conf", "macros.conf", "datamodels.conf",
                                        "queries", "lookups"};
    printf("cquery %s\n", PACKAGE_VERSION);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = cq_find_data(files[i]);
        printf("  %-17s %s\n", files[i], p ? p : "(not found)");
        free(p);
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"ingest", cq_cmd_ingest}, {"search", cq_cmd_search}, {"explain", cq_cmd_explain},
        {"hunt", cq_cmd_hunt},     {"sources", cq_cmd_sources}, {"info", cq_cmd_sources},
        {"shell", cq_cmd_shell},
        {"forget", cq_cmd_forget},
    };
    if (argc < 2) {
        fputs(usage, stderr);
        return CQ_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return CQ_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        print_version();
        return CQ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    cq_cli_error("unknown command \"%s\" (try cquery --help)", argv[1]);
    return CQ_EXIT_USAGE;
}

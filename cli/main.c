/*
 * main.c - `cquery`: dispatches to the subcommands.
 */
#include "cli/cli.h"
#include "config.h"
#include "engine/plan.h"
#include "common/timeutil.h"
#include "common/timemod.h"

#include <errno.h>
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
    "\n"
    "The index is --index PATH, else $CQUERY_INDEX, else ./cquery.db.\n"
    "`cquery COMMAND --help` describes each command.\n"
    "exit status: 0 ok, 1 hunt --fail-on-hit found hits, 2 bad usage or query, 3 input or index error,\n"
    "4 ingest or hunt --archive: a damaged file went in only up to its damage\n";

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

int cq_cli_time(const char *opt, const char *val, int64_t *us)
{
    if (cq_time_parse_iso(val, strlen(val), us) == 0 ||
        cq_time_modifier(val, cq_time_now_us(), us) == 0)
        return 0;
    cq_cli_error("%s: bad time \"%s\" (use ISO 8601, epoch seconds, -24h, -7d@d, now)", opt, val);
    return -1;
}

int cq_cli_tz(const char *val, int *tz)
{
    if (cq_tz_parse(val, tz) == 0)
        return 0;
    cq_cli_error("--tz: bad zone \"%s\" (use UTC, +02:00, -0530)", val);
    return -1;
}

int cq_cli_format(const char *val, cq_out_format *f)
{
    if (cq_out_format_parse(val, f) == 0)
        return 0;
    cq_cli_error("--format: expected table, csv or json, not \"%s\"", val);
    return -1;
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

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"ingest", cq_cmd_ingest}, {"search", cq_cmd_search}, {"explain", cq_cmd_explain},
        {"hunt", cq_cmd_hunt},     {"sources", cq_cmd_sources}, {"info", cq_cmd_sources},
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
        printf("cquery %s\n", PACKAGE_VERSION);
        return CQ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    cq_cli_error("unknown command \"%s\" (try cquery --help)", argv[1]);
    return CQ_EXIT_USAGE;
}

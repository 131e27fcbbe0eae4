/*
 * cli.h - the `cquery` subcommands and what they share.
 */
#ifndef CQ_CLI_CLI_H
#define CQ_CLI_CLI_H

#include <stdint.h>

#include "cli/follow.h"
#include "cli/output.h"
#include "engine/plan.h"
#include "engine/query.h"

enum {
    CQ_EXIT_OK = 0,
    CQ_EXIT_HITS = 1,       /* hunt --fail-on-hit found something; search
                               --fail-on-empty found nothing (grep's 1) */
    CQ_EXIT_USAGE = 2,      /* bad usage or bad query */
    CQ_EXIT_INPUT = 3,      /* input or index error */
    CQ_EXIT_PARTIAL = 4,    /* ingest: a damaged file went in only up to its damage */
};

int cq_cmd_ingest(int argc, char **argv);
int cq_cmd_forget(int argc, char **argv);
int cq_cmd_search(int argc, char **argv);
int cq_cmd_explain(int argc, char **argv);
int cq_cmd_hunt(int argc, char **argv);
int cq_cmd_sources(int argc, char **argv);
int cq_cmd_shell(int argc, char **argv);

/* --index, else $CQUERY_INDEX, else ./cquery.db */
const char *cq_cli_index_path(const char *opt);
/* Prints "cquery: <fmt>" to stderr. */
void cq_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens path for writing a report or results (-o FILE): created 0644 or
 * truncated, never through a symbolic link.  NULL with the error said. */
FILE *cq_cli_create(const char *path);

#define CQ_CLI_MAX_GEOIP_DB 8   /* --geoip-db given at most this often */

/* Options shared by search and hunt. */
typedef struct cq_run_opts {
    const char *index;
    cq_out_format format;
    int tz;                 /* seconds east of UTC */
    int64_t earliest, latest;
    const char *lookups;    /* --lookups DIR, or NULL */
    const char *query_file; /* -q FILE ("-": stdin), or NULL */
    int fail_on_empty;      /* --fail-on-empty: exit 1 with no results */
    int no_pager;           /* --no-pager: a long table on a terminal is not paged */
    const char *output;     /* -o FILE, or NULL: stdout */
    cq_limits limits;       /* --subsearch-maxout and friends */
    int csv_raw;            /* --csv-raw: no defusing of formula-like cells */
    cq_bounds bounds;       /* --timeout, --max-memory (0: none) */
    unsigned threads;       /* --threads (0: one per CPU) */
    const char *geoip_db[CQ_CLI_MAX_GEOIP_DB]; /* --geoip-db PATH, repeatable */
    size_t n_geoip_db;
    cq_follow_opts follow;  /* --follow FILE (repeatable), --follow-interval MS */
} cq_run_opts;

/* Parses --earliest/--latest/--tz/--format values.  Returns 0 or prints an
 * error and returns -1. */
int cq_cli_time(const char *opt, const char *val, int tz, int64_t *us);
int cq_cli_tz(const char *val, int *tz);
/* The zone times print in without --tz: $TZ when set, else UTC. */
int cq_cli_default_tz(void);
int cq_cli_format(const char *val, cq_out_format *f);
/* --threads: a whole number from 1 to 64. */
int cq_cli_threads(const char *val, unsigned *n);
/* --timeout S (seconds, fractions allowed) / --max-memory SIZE (K, M, G):
 * 0, or -1 after printing a usage error. */
int cq_cli_seconds(const char *val, double *out);
int cq_cli_size(const char *val, uint64_t *out);
/* --geoip-db PATH: one more database for iplocation. */
int cq_cli_geoip_db(cq_run_opts *o, const char *path);
/* --follow FILE: one more file to follow. */
int cq_cli_follow_file(cq_run_opts *o, const char *path);

/* Parses the options of search, explain and shell (cmd_search.c) into *o.
 * takes_query: a QUERY or -q FILE must follow (search, explain), else no
 * argument may (shell).  Returns the index of the query's first argument
 * (argc with -q), 0 after printing --help, -1 after a usage error. */
int cq_cli_run_opts_parse(int argc, char **argv, cq_run_opts *o, const char *usage,
                          int takes_query);
/* Compiles q with o's times, lookups and limits; on error prints the caret
 * diagnostic to stderr and returns -1. */
int cq_cli_compile(cq_query *q, const cq_run_opts *o);
/* Runs compiled q over o's index and prints its results as `cquery search`
 * does (format, -o FILE, "(no results)").  Returns the exit status. */
int cq_cli_search_run(cq_query *q, const cq_run_opts *o);

#endif

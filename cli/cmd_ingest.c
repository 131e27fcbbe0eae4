/*
 * cmd_ingest.c - `cquery ingest`: log files into the index.
 */
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "cli/term.h"

#include <getopt.h>
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char ingest_usage[] =
    "usage: cquery ingest [OPTIONS] FILE|DIR|-...\n"
    "\n"
    "Reads docker daemon logs, Kubernetes audit logs and Kubernetes events into\n"
    "the index.  Files may be gzip-compressed; directories are walked; - is stdin.\n"
    "A file already ingested is skipped; a file that grew is read from where it\n"
    "ended.  Each file is one transaction: an interrupted ingest leaves the index\n"
    "as it was before that file, and running it again finishes the job.\n"
    "With --force a file already ingested is read again from its start, and what\n"
    "the index held of it is replaced in the same transaction (`cquery forget`\n"
    "removes a file).\n"
    "\n"
    "  -i, --index PATH       index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -s, --sourcetype ST    sourcetype of every input (default: detected from content)\n"
    "      --conf FILE        sourcetype definitions (default: the bundled sourcetypes.conf)\n"
    "      --force            read files already ingested again, replacing their events\n"
    "                         (after a wrong --sourcetype, for instance)\n"
    "  -v, --verbose          report every malformed line, not only the first few\n"
    "  -q, --quiet            no progress and no summary\n"
    "  -h, --help             this text\n";

/* Removes the index at path and its SQLite side files (unlink never
 * follows a link). */
static void remove_index(const char *path)
{
    static const char *const side[] = {"", "-wal", "-shm", "-journal"};
    char buf[4096];
    for (size_t i = 0; i < sizeof side / sizeof side[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s", path, side[i]);
        if (unlink(buf) && errno != ENOENT)
            cq_cli_error("cannot remove %s: %s", buf, strerror(errno));
    }
}

int cq_cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"index", required_argument, NULL, 'i'}, {"sourcetype", required_argument, NULL, 's'},
        {"conf", required_argument, NULL, 'c'},  {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {"force", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    cq_ingest_opts io = {0};
    const char *index = NULL;
    int quiet = 0, c;
    io.err = stderr;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:s:vqh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': index = optarg; break;
        case 's': io.sourcetype = optarg; break;
        case 'c': io.conf_path = optarg; break;
        case 'v': io.verbose = 1; break;
        case 'F': io.force = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(ingest_usage, stdout); return CQ_EXIT_OK;
        default: fputs(ingest_usage, stderr); return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cq_cli_error("missing FILE (use - for stdin)");
        fputs(ingest_usage, stderr);
        return CQ_EXIT_USAGE;
    }
    /* A reader that goes away (`2>&1 | head -1`) must not cost the ingest:
     * with SIGPIPE ignored a report to a closed pipe fails quietly and every
     * file is still committed. */
    signal(SIGPIPE, SIG_IGN);
    unsigned cols, rows;
    io.progress = !quiet && cq_term_size(stderr, &cols, &rows) ? (int)cols : 0;
    /* reports quote file names and log lines: never let them drive the terminal */
    io.err = cq_safe_stream(stderr);
    char err[600];
    cq_ingest *g = NULL;
    cq_index *idx = NULL;
    int rc = CQ_EXIT_OK;
    if (cq_ingest_new(&io, &g, err, sizeof err)) {
        cq_cli_error("%s", err);
        rc = CQ_EXIT_USAGE;
        goto done;
    }
    const char *path = cq_cli_index_path(index);
    struct stat before;
    int existed = lstat(path, &before) == 0;
    if (cq_index_open(path, CQ_INDEX_WRITE, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        rc = CQ_EXIT_INPUT;
        goto done;
    }
    for (int i = optind; i < argc; i++)
        if (cq_ingest_path(g, idx, argv[i]))
            rc = CQ_EXIT_INPUT;     /* reported; go on with the other inputs */
    cq_ingest_stats st;
    cq_ingest_get_stats(g, &st);
    if (rc == CQ_EXIT_OK && st.n_files_partial)
        rc = CQ_EXIT_PARTIAL;       /* what was there is in; say that some was not */
    if (!quiet)
        cq_ingest_summary(g, io.err);
    if (!existed && !st.n_files_new && !st.n_files_resumed && !st.n_files_partial) {
        /* Nothing was read (every input failed): no index made for nothing. */
        cq_index_close(idx);
        idx = NULL;
        remove_index(path);
    }
done:
    if (io.err != stderr)
        fclose(io.err);
    cq_index_close(idx);
    cq_ingest_free(g);
    return rc;
}

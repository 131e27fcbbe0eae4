/*
 * diff_main.c - cquery-diff, the differential test from the command line
 * (`make check-diff-long` runs it; the Check suite "diff" runs a short one).
 *
 *   cquery-diff [--seed S] [--rounds R] [--queries N] [--events N]
 *               [--query K] [--keep] [--verbose] [--bin CQUERY] [--dir DIR]
 *
 * Round i uses seed S+i: new events (500..5,000 unless --events) and N new
 * questions.  --query K asks only question K of seed S (with --keep, the
 * events and the index stay in DIR for a closer look).  Exit status 0 when
 * every answer agreed, 1 on a mismatch, 2 when the test could not run.
 */
#include "tests/diff/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    fputs("usage: cquery-diff [--seed S] [--rounds R] [--queries N] [--events N]\n"
          "                   [--query K] [--keep] [--verbose] [--bin CQUERY] [--dir DIR]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    cq_diff_opts o = {0};
    int rounds = 1;
    char dir[256];
    const char *bin = getenv("CQUERY_BIN");
    snprintf(dir, sizeof dir, "/tmp/cquery-diff-%ld", (long)getpid());
    o.seed = 1;
    o.n_queries = 500;
    o.only_query = -1;
    o.max_report = 5;
    o.log = stdout;
    o.cquery = bin && *bin ? bin : "./cquery";
    o.workdir = dir;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep")) {
            o.keep = 1;
        } else if (!strcmp(a, "--verbose")) {
            o.verbose = 1;
        } else if (!v) {
            usage();
        } else if (!strcmp(a, "--seed")) {
            o.seed = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--rounds")) {
            rounds = atoi(v), i++;
        } else if (!strcmp(a, "--queries")) {
            o.n_queries = atoi(v), i++;
        } else if (!strcmp(a, "--events")) {
            o.n_events = atoi(v), i++;
        } else if (!strcmp(a, "--query")) {
            o.only_query = atoi(v), i++;
        } else if (!strcmp(a, "--bin")) {
            o.cquery = v, i++;
        } else if (!strcmp(a, "--dir")) {
            o.workdir = v, i++;
        } else {
            usage();
        }
    }
    if (o.only_query >= 0)
        rounds = 1;
    cq_diff_stats total = {0};
    time_t t0 = time(NULL);
    uint64_t seed0 = o.seed;
    for (int r = 0; r < rounds; r++) {
        cq_diff_stats st;
        o.seed = seed0 + (uint64_t)r;
        if (cq_diff_run(&o, &st) < 0)
            return 2;
        total.asked += st.asked;
        total.mismatches += st.mismatches;
        total.rows += st.rows;
        for (int k = 0; cq_diff_kind_name(k); k++)
            total.by_kind[k] += st.by_kind[k];
        if (rounds > 1)
            printf("round %d (seed %llu): %d queries, %d mismatches\n", r + 1,
                   (unsigned long long)o.seed, st.asked, st.mismatches);
        fflush(stdout);
    }
    printf("cquery-diff: %d queries over %d data set%s (seeds %llu..%llu), %d CSV lines compared, "
           "%d mismatch%s, %ld s\n  by kind:",
           total.asked, rounds, rounds == 1 ? "" : "s", (unsigned long long)seed0,
           (unsigned long long)(seed0 + (uint64_t)rounds - 1), total.rows, total.mismatches,
           total.mismatches == 1 ? "" : "es", (long)(time(NULL) - t0));
    for (int k = 0; cq_diff_kind_name(k); k++)
        printf(" %s %d", cq_diff_kind_name(k), total.by_kind[k]);
    printf("\n");
    return total.mismatches ? 1 : 0;
}

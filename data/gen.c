/*
 * gen.c - cquery-gen: command line of the deterministic log generator.
 *
 * Modes: audit, docker, events (streams to stdout) and sample (the bundled
 * sample directory with its ground truth).  The same mode, seed and count always
 * give the same bytes; see data/README.md.
 */
#include "data/gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: cquery-gen MODE [OPTIONS]\n"
    "\n"
    "Deterministic container-log generator for cquery's tests and benchmarks.\n"
    "Output depends only on the mode, the seed and the count; time starts at\n"
    "2026-03-02T08:00:00Z and advances with the generated traffic.\n"
    "\n"
    "modes:\n"
    "  audit  [--count N] [--seed S] [--exec-rate R] [--omit-stages LIST]\n"
    "         Kubernetes API-server audit events (audit.k8s.io/v1 Event), compact\n"
    "         JSON Lines on stdout, ~830 bytes per event, 290 distinct users.\n"
    "         Every request logs RequestReceived, ResponseStarted (long-running\n"
    "         requests: watch, exec, attach, portforward, log) and ResponseComplete,\n"
    "         all with one auditID; --omit-stages RequestReceived[,ResponseStarted]\n"
    "         leaves stages out as a policy's omitStages does.\n"
    "         R is the fraction of events that are pods/exec (default 0.001);\n"
    "         an exec session is three events, verb create for kubectl < 1.30\n"
    "         and get for 1.30 and later.\n"
    "         With N >= 1000 exactly one event, 60%% of the way in, names the pod\n"
    "         \"rare-pod-7f3a9c\" (the rare-term benchmark's needle).\n"
    "  docker [--count N] [--seed S] [--exec-rate R] [--probes P]\n"
    "         dockerd debug log (logrus text): API calls, form data, docker run\n"
    "         and docker exec sequences, daemon info/warning lines, and the\n"
    "         kubelet's exec readiness probes of P pods (0-3, default 2) through\n"
    "         cri-dockerd, every 10 s: ~11 lines each, most of the log with P=2.\n"
    "         R is the fraction of API calls that are docker exec (default 0.002).\n"
    "  events [--count N] [--seed S]\n"
    "         Kubernetes core v1 Events (container lifecycle: Scheduled, Pulling,\n"
    "         Pulled, Created, Started, Killing, BackOff, Unhealthy) as JSON Lines.\n"
    "  sample DIR [--seed S]\n"
    "         The bundled sample: DIR/kubernetes/audit.log, kubernetes/events.json,\n"
    "         docker/daemon.log, docker/daemon.log.1.gz (the older day, gzip with\n"
    "         mtime 0), and DIR-truth.tsv beside DIR: the injected true positives.\n"
    "\n"
    "options:\n"
    "  --count N      number of lines (default 1000)\n"
    "  --seed S       PRNG seed (default 1)\n"
    "  --exec-rate R  see the modes above\n"
    "  --omit-stages LIST  audit: comma-separated RequestReceived, ResponseStarted\n"
    "  --probes P     docker: pods with exec probes (0-3)\n"
    "  -h, --help     this text\n";

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    /* strtod is locale-dependent only for the decimal point, and this program
     * never calls setlocale, so it stays in the "C" locale. */
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0 && v <= 0.5))
        return -1;
    *out = v;
    return 0;
}

/* "RequestReceived,ResponseStarted" -> GEN_OMIT_* bits; -1 for anything else. */
static int parse_stages(const char *s, unsigned *out)
{
    unsigned bits = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 15 && !strncmp(s, "RequestReceived", n))
            bits |= GEN_OMIT_RECEIVED;
        else if (n == 15 && !strncmp(s, "ResponseStarted", n))
            bits |= GEN_OMIT_STARTED;
        else
            return -1;
        s += n;
        if (*s == ',' && *++s == '\0')
            return -1;
    }
    *out = bits;
    return 0;
}

static int bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "cquery-gen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs("try 'cquery-gen --help'\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return bad_usage("missing mode", NULL);
    const char *mode = argv[1];
    if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    uint64_t count = 1000, seed = 1;
    double rate = -1;
    unsigned omit = 0;
    uint64_t probes = 2;
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--count")) {
            if (!v || parse_u64(v, &count))
                return bad_usage("--count needs a whole number", v);
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (!v || parse_u64(v, &seed))
                return bad_usage("--seed needs a whole number", v);
            i++;
        } else if (!strcmp(a, "--exec-rate")) {
            if (!v || parse_rate(v, &rate))
                return bad_usage("--exec-rate needs a number between 0 and 0.5", v);
            i++;
        } else if (!strcmp(a, "--omit-stages") && !strcmp(mode, "audit")) {
            if (!v || !*v || parse_stages(v, &omit))
                return bad_usage("--omit-stages takes RequestReceived and/or ResponseStarted, "
                                 "comma-separated", v);
            i++;
        } else if (!strcmp(a, "--probes") && !strcmp(mode, "docker")) {
            if (!v || parse_u64(v, &probes) || probes > 3)
                return bad_usage("--probes needs a whole number from 0 to 3", v);
            i++;
        } else if (a[0] != '-' && !dir && !strcmp(mode, "sample")) {
            dir = a;
        } else {
            return bad_usage("unexpected argument", a);
        }
    }

    if (!strcmp(mode, "sample")) {
        if (!dir)
            return bad_usage("sample needs a directory", NULL);
        return gen_sample_write(dir, seed) ? 3 : 0;
    }

    gen_ctx c;
    gen_ctx_init(&c, seed, stdout);
    c.limit = count;
    if (!strcmp(mode, "audit")) {
        gen_audit_opts o = {.exec_rate = rate < 0 ? 0.001 : rate,
                            .mean_gap_ns = 150 * GEN_NS_PER_MS, .rare_marker = 1,
                            .human_specials = 1, .omit_stages = omit};
        gen_audit_run(&c, &o, NULL, NULL);
    } else if (!strcmp(mode, "docker")) {
        gen_docker_opts o = {.exec_rate = rate < 0 ? 0.002 : rate,
                             .mean_gap_ns = 2 * GEN_NS_PER_SEC, .probes = (int)probes};
        gen_docker_run(&c, &o, NULL, NULL);
    } else if (!strcmp(mode, "events")) {
        gen_events_opts o = {.mean_gap_ns = 20 * GEN_NS_PER_SEC};
        gen_events_run(&c, &o);
    } else {
        gen_ctx_free(&c);
        return bad_usage("unknown mode", mode);
    }
    int failed = c.failed;
    gen_ctx_free(&c);
    if (failed) {
        fprintf(stderr, "cquery-gen: write error: %s\n", strerror(errno));
        return 3;
    }
    return 0;
}

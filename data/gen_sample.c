/*
 * gen_sample.c - the bundled sample (data/sample/): two days of one small
 * cluster's audit log and container events and one docker host's daemon log,
 * with a scripted handful of true positives and benign look-alikes injected
 * among the generated traffic, and DIR-truth.tsv (beside DIR) listing every true positive.
 *
 * DIR-truth.tsv: analytic-id TAB _time (UTC, µs) TAB sourcetype TAB description,
 * sorted.  T1609-001 lines are exactly the events `command IN ("docker exec",
 * "kubectl exec")` must return: the three audit events (RequestReceived,
 * ResponseStarted, ResponseComplete) of each kubectl exec session, and each
 * dockerd "Calling POST .../containers/<id>/exec" line, the kubelet's probe
 * execs included.  T1609-002 lines are those
 * `action="start" OR action="exec"` must return over docker:daemon and
 * kubernetes:container: each "Calling POST .../containers/<id>/start", each
 * ".../containers/<id>/exec", and each v1 Event with reason Started.  The exec
 * session's own "POST /exec/<id>/start" and its "form data" lines are not
 * container starts and are not listed.  "benign" lines are no analytic's:
 * each event of a known-benign look-alike (kubelet TokenRequests, kubectl
 * apply, dry runs, failed creates, daemon-set pods, probe execs), which
 * alerting analytics must not return.
 */
#include "data/gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define HOUR (3600 * GEN_NS_PER_SEC)
#define MINUTE (60 * GEN_NS_PER_SEC)

/* ---- the audit script: exec sessions, their look-alikes, benign patterns */

typedef struct audit_script {
    int step;
} audit_script;

static size_t human_with_kubectl(gen_ctx *c, int min_minor, int max_minor,
                                 size_t skip)
{
    static const char *const people[] = {"alice", "bob", "carol", "dave", "erin",
                                         "frank", "grace", "heidi", "ivan", "judy",
                                         "mike", "nina", "oscar", "peggy"};
    for (size_t i = 0; i < sizeof people / sizeof *people; i++) {
        size_t who = gen_audit_find_human(c, people[i]);
        int m = gen_audit_kubectl_minor(c, who);
        if (m >= min_minor && m <= max_minor && skip-- == 0)
            return who;
    }
    return gen_audit_find_human(c, "alice");
}

static void audit_inject(gen_ctx *c, void *arg)
{
    audit_script *s = arg;
    const int64_t base = gen_base_time();
    static const int64_t at[] = {
        3 * HOUR + 12 * MINUTE, 5 * HOUR + 3 * MINUTE, 7 * HOUR + 41 * MINUTE,
        9 * HOUR + 30 * MINUTE, 14 * HOUR + 8 * MINUTE, 19 * HOUR + 40 * MINUTE,
        26 * HOUR + 17 * MINUTE, 31 * HOUR + 5 * MINUTE, 36 * HOUR + 52 * MINUTE,
        /* known-benign look-alikes of the pod analytics */
        38 * HOUR + 10 * MINUTE, 39 * HOUR + 20 * MINUTE, 40 * HOUR + 30 * MINUTE,
        41 * HOUR + 40 * MINUTE, 42 * HOUR + 50 * MINUTE, 43 * HOUR + 15 * MINUTE,
        44 * HOUR + 25 * MINUTE, 45 * HOUR + 35 * MINUTE, 46 * HOUR + 45 * MINUTE};
    while (s->step < (int)(sizeof at / sizeof *at) && base + at[s->step] <= c->now) {
        int64_t t = base + at[s->step] + 123457 * GEN_NS_PER_US;
        switch (s->step++) {
        case 0:
            gen_audit_exec(c, t, human_with_kubectl(c, 0, 29, 0),
                           gen_audit_find_app(c, "payments-api"),
                           (const char *const[]){"sh", "-c", "cat /etc/shadow", NULL});
            break;
        case 1:     /* a pod that is merely named like the thing we hunt */
            gen_audit_get_pod_named(c, t, gen_audit_find_human(c, "bob"), "ci",
                                    "exec-reaper-6c9f7");
            break;
        case 2:
            gen_audit_pod_sub(c, t, gen_audit_find_human(c, "carol"),
                              gen_audit_find_app(c, "orders-worker"), "log");
            break;
        case 3:
            gen_audit_pod_sub(c, t, gen_audit_find_human(c, "dave"),
                              gen_audit_find_app(c, "catalog-cache"), "portforward");
            break;
        case 4:
            gen_audit_pod_sub(c, t, gen_audit_find_human(c, "erin"),
                              gen_audit_find_app(c, "checkout-worker"), "attach");
            break;
        case 5:
            gen_audit_exec(c, t, human_with_kubectl(c, 30, 99, 0),
                           gen_audit_find_app(c, "checkout-web"),
                           (const char *const[]){"bash", NULL});
            break;
        case 6:
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "frank"), "default",
                              "exec-debug", "busybox:1.36", 0, 0, GEN_RUN_OK);
            break;
        case 7:
            gen_audit_exec(c, t, human_with_kubectl(c, 0, 29, 1),
                           gen_audit_find_app(c, "orders-worker"),
                           (const char *const[]){"sh", "-c",
                               "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                               NULL});
            break;
        case 8:
            gen_audit_pod_sub(c, t, gen_audit_find_human(c, "grace"),
                              gen_audit_find_app(c, "payments-api"), "log");
            break;
        case 9:     /* an admin tries a privileged hostPath pod with --dry-run=server */
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "heidi"), "default",
                              "node-debug", "ubuntu:22.04", 1, 1, GEN_RUN_DRY);
            break;
        case 10:    /* PodSecurity (baseline) refuses a privileged pod */
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "ivan"), "search",
                              "priv-test", "busybox:1.36", 1, 0, GEN_RUN_PSA_DENIED);
            break;
        case 11:    /* RBAC refuses a developer's pod in kube-system */
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "judy"), "kube-system",
                              "netcheck", "nicolaka/netshoot:v0.12", 1, 0,
                              GEN_RUN_RBAC_DENIED);
            break;
        case 12:
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "mike"), "default",
                              "exec-debug", "busybox:1.36", 0, 0, GEN_RUN_EXISTS);
            break;
        case 13:
            gen_audit_run_pod(c, t, gen_audit_find_human(c, "nina"), "default",
                              "load-test", "busybox:1.36", 0, 0, GEN_RUN_INVALID);
            break;
        case 14:
            gen_audit_apply(c, t, gen_audit_find_human(c, "carol"),
                            gen_audit_find_app(c, "catalog-api"), GEN_APPLY_CSA_PATCH);
            break;
        case 15:
            gen_audit_apply(c, t, gen_audit_find_human(c, "oscar"),
                            gen_audit_find_app(c, "reviews-web"), GEN_APPLY_CSA_CREATE);
            break;
        default:
            gen_audit_apply(c, t, gen_audit_find_human(c, "peggy"),
                            gen_audit_find_app(c, "pricing-api"), GEN_APPLY_SSA);
            break;
        }
    }
}

/* ---- the docker script */

typedef struct docker_script {
    int step;
} docker_script;

static void docker_inject(gen_ctx *c, void *arg)
{
    docker_script *s = arg;
    const int64_t base = gen_base_time();
    static const int64_t at[] = {4 * HOUR + 5 * MINUTE, 6 * HOUR + 20 * MINUTE,
                                 11 * HOUR + 48 * MINUTE, 20 * HOUR + 10 * MINUTE,
                                 26 * HOUR + 30 * MINUTE, 30 * HOUR + 40 * MINUTE,
                                 38 * HOUR + 2 * MINUTE};
    while (s->step < (int)(sizeof at / sizeof *at) && base + at[s->step] <= c->now) {
        int64_t t = base + at[s->step] + 654321 * GEN_NS_PER_US;
        switch (s->step++) {
        case 0:
            gen_docker_exec(c, t, (const char *const[]){"sh", "-c", "id", NULL}, 1);
            break;
        case 2:
            gen_docker_benign(c, t, "ps");
            break;
        case 4:     /* curl-style client: no version prefix */
            gen_docker_exec(c, t, (const char *const[]){"cat", "/etc/passwd", NULL}, 0);
            break;
        case 6:
            gen_docker_exec(c, t, (const char *const[]){"bash", NULL}, 1);
            break;
        default:    /* steps 1, 3, 5: a pod with an exec probe, seen for two minutes */
            gen_docker_k8s_pod(c, t, (size_t)(s->step / 2 - 1), 2 * MINUTE);
            break;
        }
    }
}

/* ---- files */

static int mkdir_p(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n >= sizeof path)
        return -1;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char keep = path[i];
            path[i] = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return -1;
            path[i] = keep;
        }
    }
    return 0;
}

static int write_file(const char *dir, const char *name, const void *p, size_t n);

/* The ground truth goes beside the sample (DIR-truth.tsv), not inside it, so
 * `cquery ingest DIR` reads only logs. */
static int write_truth(const char *dir, const void *p, size_t n)
{
    cq_strbuf path = CQ_STRBUF_INIT;
    gen_put(&path, dir);
    while (path.len > 1 && path.buf[path.len - 1] == '/')
        path.buf[--path.len] = '\0';
    gen_put(&path, "-truth.tsv");
    char *slash = strrchr(path.buf, '/');
    int rc;
    if (slash) {
        *slash = '\0';
        rc = write_file(path.buf[0] ? path.buf : "/", slash + 1, p, n);
    } else {
        rc = write_file(".", path.buf, p, n);
    }
    cq_strbuf_free(&path);
    return rc;
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    cq_strbuf path = CQ_STRBUF_INIT;
    gen_put(&path, dir);
    gen_putc(&path, '/');
    gen_put(&path, name);
    FILE *f = fopen(path.buf, "wb");
    int rc = 0;
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cquery-gen: %s: %s\n", path.buf, strerror(errno));
        rc = -1;
    }
    cq_strbuf_free(&path);
    return rc;
}

static void put_le32(cq_strbuf *b, uint32_t v)
{
    char x[4] = {(char)(v & 255), (char)(v >> 8 & 255), (char)(v >> 16 & 255),
                 (char)(v >> 24 & 255)};
    gen_putn(b, x, 4);
}

/* A gzip member around raw deflate, with a fixed header (no name, mtime 0,
 * OS Unix) so the bytes depend only on the input and zlib's deflate. */
static int gzip_buf(const char *p, size_t n, cq_strbuf *out)
{
    static const char hdr[10] = {0x1f, (char)0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
    gen_putn(out, hdr, sizeof hdr);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)n);
    cq_strbuf_grow(out, bound + 8);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->buf + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return -1;
    put_le32(out, (uint32_t)crc32(crc32(0, NULL, 0), (const Bytef *)p, (uInt)n));
    put_le32(out, (uint32_t)n);
    return 0;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Concatenates the truth lines of the three streams, sorted. */
static void sorted_truth(gen_ctx *const *cs, size_t n, cq_strbuf *out)
{
    cq_strbuf all = CQ_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        gen_putn(&all, cs[i]->truth.buf ? cs[i]->truth.buf : "", cs[i]->truth.len);
    size_t n_lines = 0;
    for (size_t i = 0; i < all.len; i++)
        n_lines += all.buf[i] == '\n';
    char **v = calloc(n_lines + 1, sizeof *v);
    size_t k = 0;
    for (char *p = all.buf; p && k < n_lines; k++) {
        v[k] = p;
        p = strchr(p, '\n');
        *p++ = '\0';
    }
    qsort(v, n_lines, sizeof *v, cmp_lines);
    for (size_t i = 0; i < n_lines; i++) {
        gen_put(out, v[i]);
        gen_putc(out, '\n');
    }
    free(v);
    cq_strbuf_free(&all);
}

int gen_sample_write(const char *dir, uint64_t seed)
{
    const int64_t base = gen_base_time(), until = base + 48 * HOUR;
    cq_strbuf sub = CQ_STRBUF_INIT, gz = CQ_STRBUF_INIT, truth = CQ_STRBUF_INIT;
    gen_ctx a, d, e;
    int rc = -1;

    gen_ctx_init(&a, seed, NULL);
    a.want_truth = 1;
    a.until = until;
    audit_script as = {0};
    /* Every request is two or three events now: half the requests of the
     * one-stage sample keep it about as small. */
    gen_audit_opts ao = {.exec_rate = 0, .mean_gap_ns = 190 * GEN_NS_PER_SEC,
                         .human_specials = 0};
    gen_audit_run(&a, &ao, audit_inject, &as);

    gen_ctx_init(&d, seed + 1, NULL);
    d.want_truth = 1;
    d.until = until;
    docker_script ds = {0};
    gen_docker_opts dopt = {.exec_rate = 0, .mean_gap_ns = 130 * GEN_NS_PER_SEC,
                            .truth_starts = 1};
    gen_docker_run(&d, &dopt, docker_inject, &ds);

    gen_ctx_init(&e, seed + 2, NULL);
    e.want_truth = 1;
    e.until = until;
    gen_events_opts eo = {.mean_gap_ns = 35 * MINUTE, .truth_starts = 1};
    gen_events_run(&e, &eo);

    /* The daemon log rotated once, at the end of the first day. */
    gen_put(&sub, "time=\"");
    gen_put_time(&sub, base + 24 * HOUR, 9);
    size_t cut = 0;
    while (cut < d.out.len && memcmp(d.out.buf + cut, sub.buf, sub.len) < 0) {
        const char *nl = memchr(d.out.buf + cut, '\n', d.out.len - cut);
        cut = nl ? (size_t)(nl - d.out.buf) + 1 : d.out.len;
    }
    gen_ctx *all[3] = {&a, &d, &e};
    sorted_truth(all, 3, &truth);
    cq_strbuf_reset(&sub);
    gen_put(&sub, dir);
    gen_put(&sub, "/kubernetes");
    if (mkdir_p(sub.buf) != 0) {
        fprintf(stderr, "cquery-gen: %s: %s\n", sub.buf, strerror(errno));
        goto done;
    }
    cq_strbuf_reset(&sub);
    gen_put(&sub, dir);
    gen_put(&sub, "/docker");
    if (mkdir_p(sub.buf) != 0) {
        fprintf(stderr, "cquery-gen: %s: %s\n", sub.buf, strerror(errno));
        goto done;
    }
    if (gzip_buf(d.out.buf, cut, &gz) != 0) {
        fputs("cquery-gen: deflate failed\n", stderr);
        goto done;
    }
    if (write_file(dir, "kubernetes/audit.log", a.out.buf, a.out.len) ||
        write_file(dir, "kubernetes/events.json", e.out.buf, e.out.len) ||
        write_file(dir, "docker/daemon.log", d.out.buf + cut, d.out.len - cut) ||
        write_file(dir, "docker/daemon.log.1.gz", gz.buf, gz.len) ||
        write_truth(dir, truth.buf ? truth.buf : "", truth.len))
        goto done;
    rc = 0;
done:
    gen_ctx_free(&a);
    gen_ctx_free(&d);
    gen_ctx_free(&e);
    cq_strbuf_free(&sub);
    cq_strbuf_free(&gz);
    cq_strbuf_free(&truth);
    return rc;
}

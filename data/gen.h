/*
 * gen.h - shared parts of cquery-gen, the deterministic container-log generator.
 *
 * Every generator (audit, docker, events) builds whole log lines into a scratch
 * buffer and hands them to gen_push() with the time at which the line would be
 * written by the real producer.  A min-heap orders the lines by that time (ties
 * by push order), so long-running requests whose completion is logged minutes
 * later (watches, exec sessions) land where a real log would have them, and the
 * output is reproducible byte for byte: nothing here reads the clock, the locale
 * or the environment, and all randomness comes from one seeded xoshiro256**.
 */
#ifndef CQ_DATA_GEN_H
#define CQ_DATA_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/strbuf.h"

#define GEN_NS_PER_SEC 1000000000LL
#define GEN_NS_PER_MS  1000000LL
#define GEN_NS_PER_US  1000LL

/* The fixed instant every stream starts at: 2026-03-02T08:00:00Z. */
int64_t gen_base_time(void);

/* ---- PRNG: xoshiro256** seeded through splitmix64 */
typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

void gen_rng_seed(gen_rng *r, uint64_t seed);
uint64_t gen_rand(gen_rng *r);
uint32_t gen_below(gen_rng *r, uint32_t n);     /* uniform in [0, n), n > 0 */
double gen_unit(gen_rng *r);                    /* uniform in [0, 1) */
int gen_chance(gen_rng *r, double p);           /* 1 with probability p */
/* Exponentially distributed interval with the given mean, at least 1 µs. */
int64_t gen_exp_ns(gen_rng *r, int64_t mean_ns);
/* Picks an index from a weight table (weights need not sum to 1). */
size_t gen_pick(gen_rng *r, const double *w, size_t n);
/* A stable 64-bit hash of a string, for per-entity attributes that must
 * not depend on the order in which entities are first drawn. */
uint64_t gen_hash(const char *s, uint64_t salt);

/* ---- formatting into a cq_strbuf (no printf in the hot paths) */
void gen_put(cq_strbuf *b, const char *s);
void gen_putn(cq_strbuf *b, const char *s, size_t n);
void gen_putc(cq_strbuf *b, char c);
void gen_put_u64(cq_strbuf *b, uint64_t v);
void gen_put_hex(cq_strbuf *b, gen_rng *r, size_t n_digits);
void gen_put_uuid(cq_strbuf *b, gen_rng *r);
/* Same as gen_put_uuid/gen_put_hex but derived from a seed value, so an
 * entity (pod, node, container) keeps its id wherever it appears. */
void gen_put_uuid_of(cq_strbuf *b, uint64_t seed);
void gen_put_hex_of(cq_strbuf *b, uint64_t seed, size_t n_digits);
/* Lower-case alphanumerics like the random suffixes Kubernetes adds to names
 * (no vowels, as in k8s.io/apimachinery's rand.String). */
void gen_put_k8s_suffix_of(cq_strbuf *b, uint64_t seed, size_t n);
/* A JSON string literal, quotes included, escaping what JSON requires. */
void gen_put_jstr(cq_strbuf *b, const char *s);
/* A logrus text value: quoted with Go %q-style escapes. */
void gen_put_lrq(cq_strbuf *b, const char *s);
/* URL query escaping as Go's url.QueryEscape: space is '+'. */
void gen_put_qescape(cq_strbuf *b, const char *s);

/* RFC 3339 UTC with 0, 6 or 9 fraction digits: 2026-03-02T08:00:00.123456Z */
void gen_put_time(cq_strbuf *b, int64_t ns, int frac_digits);

/* ---- time-ordered emission */
typedef struct gen_item {
    int64_t t;          /* when the producer writes the line */
    uint64_t seq;       /* push order: breaks ties deterministically */
    char *line;         /* owned; includes the trailing newline */
    size_t len;
    char *truth;        /* owned TRUTH.tsv lines for this line, or NULL */
} gen_item;

typedef struct gen_ctx {
    gen_rng rng;
    int64_t now;            /* the generator's clock, ns since the epoch */
    gen_item *heap;         /* min-heap of pending lines */
    size_t n_heap, heap_cap;
    uint64_t seq;
    FILE *fp;               /* destination when streaming, else NULL */
    cq_strbuf out;          /* output buffer (flushed to fp when large) */
    cq_strbuf truth;        /* TRUTH.tsv lines of emitted lines */
    int want_truth;         /* keep truth lines (sample mode) */
    uint64_t emitted;       /* lines written so far */
    uint64_t limit;         /* stop after this many lines (0: no limit) */
    int64_t until;          /* never write lines after this time (0: none) */
    cq_strbuf line;         /* scratch for the line being built */
    cq_strbuf tline;        /* scratch for its truth lines */
    int failed;             /* sticky write error */
    void *state;            /* the running generator's world (for injectors) */
    uint64_t pushed;        /* lines queued so far */
} gen_ctx;

void gen_ctx_init(gen_ctx *c, uint64_t seed, FILE *fp);
void gen_ctx_free(gen_ctx *c);
/* Queues c->line (and c->tline when non-empty) for time t, then clears both. */
void gen_push(gen_ctx *c, int64_t t);
/* Adds a TRUTH.tsv line for the line being built: id, _time, sourcetype, what. */
void gen_truth(gen_ctx *c, const char *id, int64_t t, const char *st,
               const char *what);
/* Writes every queued line whose time is <= t. */
void gen_flush_until(gen_ctx *c, int64_t t);
/* Writes what remains (up to limit/until) and flushes the output buffer. */
void gen_finish(gen_ctx *c);
/* True once the line limit has been reached. */
int gen_done(const gen_ctx *c);

/* ---- the generators.  Each runs until c->limit lines or c->until. */
typedef struct gen_inject gen_inject;   /* sample-mode script, see gen_sample.c */

/* Audit stages a policy's omitStages can leave out (ResponseComplete and
 * Panic are always logged here). */
#define GEN_OMIT_RECEIVED 1u
#define GEN_OMIT_STARTED  2u

typedef struct gen_audit_opts {
    double exec_rate;       /* fraction of lines that are pods/exec */
    unsigned omit_stages;   /* GEN_OMIT_* bits; 0 logs every stage */
    double mean_gap_ns;     /* mean time between requests */
    int rare_marker;        /* emit the one rare-pod-7f3a9c event */
    int human_specials;     /* random port-forward/attach/run by humans */
} gen_audit_opts;

void gen_audit_run(gen_ctx *c, const gen_audit_opts *o,
                   void (*inject)(gen_ctx *, void *), void *arg);

typedef struct gen_docker_opts {
    double exec_rate;       /* fraction of API calls that are docker exec */
    double mean_gap_ns;
    int truth_starts;       /* record container starts in TRUTH (sample) */
    int probes;             /* pods with exec probes running from the start */
} gen_docker_opts;

void gen_docker_run(gen_ctx *c, const gen_docker_opts *o,
                    void (*inject)(gen_ctx *, void *), void *arg);

typedef struct gen_events_opts {
    double mean_gap_ns;     /* mean time between pod lifecycles */
    int truth_starts;       /* record Started events in TRUTH (sample) */
} gen_events_opts;

void gen_events_run(gen_ctx *c, const gen_events_opts *o);

/* ---- pieces the sample script uses to inject exact events (call them
 * only from an inject callback, while the generator's world is live) */

/* A kubectl exec session by person `who` (gen_audit_find_human) into the first
 * pod of app `app` (gen_audit_find_app) running argv (NULL-terminated); the
 * verb follows the person's kubectl version (get from 1.30 on).  Pushes the
 * ResponseStarted and ResponseComplete events and their truth lines. */
void gen_audit_exec(gen_ctx *c, int64_t t, size_t who, size_t app,
                    const char *const *argv);
/* Benign look-alikes of exec by person `who`. */
void gen_audit_get_pod_named(gen_ctx *c, int64_t t, size_t who,
                             const char *ns, const char *name);
void gen_audit_pod_sub(gen_ctx *c, int64_t t, size_t who, size_t app,
                       const char *sub);    /* "log", "portforward", "attach" */
/* kubectl run; outcome GEN_RUN_*: created, dry run (dryRun=All), refused by
 * PodSecurity (403, body logged), refused by RBAC (403, no body), invalid
 * (422), already exists (409). */
enum { GEN_RUN_OK, GEN_RUN_DRY, GEN_RUN_PSA_DENIED, GEN_RUN_RBAC_DENIED,
       GEN_RUN_INVALID, GEN_RUN_EXISTS };
void gen_audit_run_pod(gen_ctx *c, int64_t t, size_t who, const char *ns,
                       const char *name, const char *image, int privileged,
                       int hostpath, int outcome);
/* kubectl apply of app's Deployment: GEN_APPLY_CSA_PATCH (client-side, an
 * existing object), GEN_APPLY_CSA_CREATE (client-side, a new one) or
 * GEN_APPLY_SSA (server-side). */
enum { GEN_APPLY_CSA_PATCH, GEN_APPLY_CSA_CREATE, GEN_APPLY_SSA };
void gen_audit_apply(gen_ctx *c, int64_t t, size_t who, size_t app, int how);
size_t gen_audit_find_human(gen_ctx *c, const char *name);
size_t gen_audit_find_app(gen_ctx *c, const char *name);
int gen_audit_kubectl_minor(gen_ctx *c, size_t who);

/* docker exec of argv in a running container (call from an inject callback
 * of gen_docker_run), with its T1609-001 and T1609-002 truth lines; versioned
 * selects a /v1.NN prefix.  Returns the time of the sequence's last line. */
int64_t gen_docker_exec(gen_ctx *c, int64_t t, const char *const *argv,
                        int versioned);
/* cri-dockerd starts a container of pod `which` (0: zookeeper, 1: postgres,
 * 2: a cat /tmp/healthy liveness probe) at t, and the kubelet execs its probe
 * every 10 s from t + 5 s for `window` ns (0: until the end). */
void gen_docker_k8s_pod(gen_ctx *c, int64_t t, size_t which, int64_t window);
/* Benign docker calls: "ps" (GET /containers/json), "logs", "health",
 * anything else: inspect. */
int64_t gen_docker_benign(gen_ctx *c, int64_t t, const char *what);

/* Writes the sample directory (see --help); 0 on success, -1 after printing
 * an error. */
int gen_sample_write(const char *dir, uint64_t seed);

#endif

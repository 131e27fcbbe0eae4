/*
 * gen_events.c - Kubernetes core v1 Events about container lifecycles, one
 * JSON object per line as `kubectl get events -A -o json | jq -c '.items[]'`
 * prints them: keys in sorted order (kubectl re-encodes through a map),
 * kubelet events with firstTimestamp/lastTimestamp/count and eventTime null,
 * scheduler events (written through events.k8s.io/v1) with eventTime set and
 * the legacy timestamps null.
 */
#include "data/gen.h"

#include <string.h>

static const struct {
    const char *ns, *app, *container, *image;
} workloads[] = {
    {"payments", "payments-api", "api", "registry.corp.example/payments/api:1.4.2"},
    {"checkout", "checkout-web", "web", "registry.corp.example/checkout/web:3.1.0"},
    {"catalog", "catalog-indexer", "indexer", "registry.corp.example/catalog/indexer:1.9.7"},
    {"orders", "orders-worker", "worker", "registry.corp.example/orders/worker:2.2.5"},
    {"search", "search-api", "api", "registry.corp.example/search/api:1.0.3"},
    {"monitoring", "prometheus", "prometheus", "quay.io/prometheus/prometheus:v2.51.1"},
    {"logging", "fluent-bit", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.0.2"},
    {"kube-system", "coredns", "coredns", "registry.k8s.io/coredns/coredns:v1.11.1"},
    {"ingress-nginx", "ingress-nginx-controller", "controller",
     "registry.k8s.io/ingress-nginx/controller:v1.10.0"},
    {"ci", "runner-build", "build", "docker.io/library/golang:1.22"},
};
#define N_WORKLOADS (sizeof workloads / sizeof *workloads)

typedef struct pod {
    char name[96];
    char uid[40];
    const char *ns, *container, *image;
    int node;
    char ip[20];
} pod;

typedef struct ev {
    const char *reason, *type, *message;
    int with_field;         /* involvedObject.fieldPath */
    int scheduler;          /* events.k8s.io style */
    int64_t first, last;
    unsigned count;
} ev;

static void put_event(gen_ctx *c, const pod *p, const ev *e)
{
    cq_strbuf *b = &c->line;
    gen_put(b, "{\"apiVersion\":\"v1\",");
    if (e->scheduler) {
        gen_put(b, "\"action\":\"Binding\",\"eventTime\":\"");
        gen_put_time(b, e->last, 6);
        gen_put(b, "\",\"firstTimestamp\":null,");
    } else {
        gen_put(b, "\"count\":");
        gen_put_u64(b, e->count);
        gen_put(b, ",\"eventTime\":null,\"firstTimestamp\":\"");
        gen_put_time(b, e->first, 0);
        gen_put(b, "\",");
    }
    gen_put(b, "\"involvedObject\":{\"apiVersion\":\"v1\",");
    if (e->with_field) {
        gen_put(b, "\"fieldPath\":\"spec.containers{");
        gen_put(b, p->container);
        gen_put(b, "}\",");
    }
    gen_put(b, "\"kind\":\"Pod\",\"name\":\"");
    gen_put(b, p->name);
    gen_put(b, "\",\"namespace\":\"");
    gen_put(b, p->ns);
    gen_put(b, "\",\"resourceVersion\":\"");
    gen_put_u64(b, 4100000 + gen_below(&c->rng, 900000));
    gen_put(b, "\",\"uid\":\"");
    gen_put(b, p->uid);
    gen_put(b, "\"},\"kind\":\"Event\",\"lastTimestamp\":");
    if (e->scheduler) {
        gen_put(b, "null");
    } else {
        gen_putc(b, '"');
        gen_put_time(b, e->last, 0);
        gen_putc(b, '"');
    }
    gen_put(b, ",\"message\":");
    gen_put_jstr(b, e->message);
    gen_put(b, ",\"metadata\":{\"creationTimestamp\":\"");
    gen_put_time(b, e->first, 0);
    gen_put(b, "\",\"name\":\"");
    gen_put(b, p->name);
    gen_putc(b, '.');
    gen_put_hex(b, &c->rng, 16);
    gen_put(b, "\",\"namespace\":\"");
    gen_put(b, p->ns);
    gen_put(b, "\",\"resourceVersion\":\"");
    gen_put_u64(b, 4100000 + gen_below(&c->rng, 900000));
    gen_put(b, "\",\"uid\":\"");
    gen_put_uuid(b, &c->rng);
    gen_put(b, "\"},\"reason\":\"");
    gen_put(b, e->reason);
    if (e->scheduler) {
        gen_put(b, "\",\"reportingComponent\":\"default-scheduler\","
                   "\"reportingInstance\":\"default-scheduler-control-plane-1\","
                   "\"source\":{},\"type\":\"");
    } else {
        gen_put(b, "\",\"reportingComponent\":\"kubelet\",\"reportingInstance\":\"node-");
        gen_put_u64(b, (uint64_t)p->node);
        gen_put(b, "\",\"source\":{\"component\":\"kubelet\",\"host\":\"node-");
        gen_put_u64(b, (uint64_t)p->node);
        gen_put(b, "\"},\"type\":\"");
    }
    gen_put(b, e->type);
    gen_put(b, "\"}\n");
    gen_push(c, e->last);
}

/* Events are stamped to the second (firstTimestamp/lastTimestamp), so the
 * line's time, and the truth's _time, is the whole second. */
static int64_t whole_sec(int64_t t)
{
    return t - t % GEN_NS_PER_SEC;
}

static void lifecycle(gen_ctx *c, const gen_events_opts *o, int64_t t)
{
    pod p;
    size_t wi = gen_below(&c->rng, N_WORKLOADS);
    cq_strbuf b = CQ_STRBUF_INIT, m = CQ_STRBUF_INIT;
    gen_put(&b, workloads[wi].app);
    gen_putc(&b, '-');
    gen_put_k8s_suffix_of(&b, gen_hash(workloads[wi].app, 1), 10);
    gen_putc(&b, '-');
    gen_put_k8s_suffix_of(&b, gen_rand(&c->rng), 5);
    memcpy(p.name, b.buf, b.len + 1);
    cq_strbuf_reset(&b);
    gen_put_uuid(&b, &c->rng);
    memcpy(p.uid, b.buf, b.len + 1);
    p.ns = workloads[wi].ns;
    p.container = workloads[wi].container;
    p.image = workloads[wi].image;
    p.node = 1 + (int)gen_below(&c->rng, 48);

    ev e = {.type = "Normal", .count = 1, .scheduler = 1, .reason = "Scheduled"};
    gen_put(&m, "Successfully assigned ");
    gen_put(&m, p.ns);
    gen_putc(&m, '/');
    gen_put(&m, p.name);
    gen_put(&m, " to node-");
    gen_put_u64(&m, (uint64_t)p.node);
    e.message = m.buf;
    e.first = e.last = t;
    put_event(c, &p, &e);
    e.scheduler = 0;
    e.with_field = 1;
    t += 300 * GEN_NS_PER_MS + gen_exp_ns(&c->rng, 500 * GEN_NS_PER_MS);

    cq_strbuf_reset(&m);
    if (gen_chance(&c->rng, 0.6)) {
        gen_put(&m, "Container image \"");
        gen_put(&m, p.image);
        gen_put(&m, "\" already present on machine");
    } else {
        gen_put(&m, "Pulling image \"");
        gen_put(&m, p.image);
        gen_putc(&m, '"');
        e.reason = "Pulling";
        e.first = e.last = whole_sec(t);
        put_event(c, &p, &e);
        int64_t pull = 400 * GEN_NS_PER_MS + gen_exp_ns(&c->rng, 3 * GEN_NS_PER_SEC);
        t += pull;
        cq_strbuf_reset(&m);
        gen_put(&m, "Successfully pulled image \"");
        gen_put(&m, p.image);
        gen_put(&m, "\" in ");
        gen_put_u64(&m, (uint64_t)(pull / GEN_NS_PER_SEC));
        gen_putc(&m, '.');
        gen_put_u64(&m, (uint64_t)(pull / GEN_NS_PER_MS % 1000 + 1000));
        /* ...printed as 1.0xy: drop the leading 1 that kept the zeros. */
        m.len -= 4;
        gen_put_u64(&m, (uint64_t)(pull / GEN_NS_PER_MS % 1000 + 1000));
        memmove(m.buf + m.len - 4, m.buf + m.len - 3, 4);
        m.len--;
        gen_put(&m, "s (");
        gen_putn(&m, strstr(m.buf, "\" in ") + 5,
                 strlen(strstr(m.buf, "\" in ") + 5) - 3);
        gen_put(&m, "s including waiting)");
    }
    e.reason = "Pulled";
    e.message = m.buf;
    e.first = e.last = whole_sec(t);
    put_event(c, &p, &e);

    const char *const steps[2][2] = {{"Created", "Created container "},
                                     {"Started", "Started container "}};
    for (int i = 0; i < 2; i++) {
        t += 20 * GEN_NS_PER_MS + gen_exp_ns(&c->rng, 150 * GEN_NS_PER_MS);
        cq_strbuf_reset(&m);
        gen_put(&m, steps[i][1]);
        gen_put(&m, p.container);
        e.reason = steps[i][0];
        e.message = m.buf;
        e.first = e.last = whole_sec(t);
        if (i == 1 && o->truth_starts) {
            cq_strbuf_reset(&b);
            gen_put(&b, "Started container ");
            gen_put(&b, p.container);
            gen_put(&b, " in ");
            gen_put(&b, p.ns);
            gen_putc(&b, '/');
            gen_put(&b, p.name);
            gen_truth(c, "T1609-002", e.last, "kubernetes:container", b.buf);
        }
        put_event(c, &p, &e);
    }

    double x = gen_unit(&c->rng);
    if (x < 0.12) {
        /* A flapping readiness probe, then the restart loop. */
        e.type = "Warning";
        e.reason = "Unhealthy";
        cq_strbuf_reset(&m);
        gen_put(&m, "Readiness probe failed: Get \"http://10.244.");
        gen_put_u64(&m, (uint64_t)p.node);
        gen_put(&m, ".17:8080/healthz\": dial tcp 10.244.");
        gen_put_u64(&m, (uint64_t)p.node);
        gen_put(&m, ".17:8080: connect: connection refused");
        e.message = m.buf;
        e.count = 2 + gen_below(&c->rng, 8);
        e.first = whole_sec(t + 5 * GEN_NS_PER_SEC);
        e.last = e.first + (int64_t)e.count * 10 * GEN_NS_PER_SEC;
        put_event(c, &p, &e);
        if (x < 0.06) {
            e.reason = "BackOff";
            cq_strbuf_reset(&m);
            gen_put(&m, "Back-off restarting failed container ");
            gen_put(&m, p.container);
            gen_put(&m, " in pod ");
            gen_put(&m, p.name);
            gen_putc(&m, '_');
            gen_put(&m, p.ns);
            gen_putc(&m, '(');
            gen_put(&m, p.uid);
            gen_putc(&m, ')');
            e.message = m.buf;
            e.first = e.last + 10 * GEN_NS_PER_SEC;
            e.count = 3 + gen_below(&c->rng, 20);
            e.last = e.first + (int64_t)e.count * 40 * GEN_NS_PER_SEC;
            put_event(c, &p, &e);
        }
    } else if (x < 0.4) {
        e.reason = "Killing";
        cq_strbuf_reset(&m);
        gen_put(&m, "Stopping container ");
        gen_put(&m, p.container);
        e.message = m.buf;
        e.count = 1;
        e.first = e.last = whole_sec(t + gen_exp_ns(&c->rng, 3600 * GEN_NS_PER_SEC));
        put_event(c, &p, &e);
    }
    cq_strbuf_free(&b);
    cq_strbuf_free(&m);
}

void gen_events_run(gen_ctx *c, const gen_events_opts *o)
{
    while (!gen_done(c)) {
        c->now += gen_exp_ns(&c->rng, (int64_t)o->mean_gap_ns);
        if (c->until && c->now >= c->until)
            break;
        lifecycle(c, o, c->now);
        gen_flush_until(c, c->now);
    }
    gen_finish(c);
}

/*
 * gen_audit.c - Kubernetes API-server audit events (audit.k8s.io/v1 Event,
 * compact JSON Lines) as a kubeadm-style v1.29 cluster writes them with a
 * Metadata-level policy that logs pod and workload writes at Request level
 * and, by default, every stage: RequestReceived when the request arrives
 * (before authorization and before the body is read, so without
 * responseStatus, requestObject or annotations), ResponseStarted for
 * long-running requests (watch, exec, attach, portforward, log: the
 * apiserver's BasicLongRunningRequestCheck), and ResponseComplete, all with
 * one auditID.
 *
 * The cluster is a fixed world: 48 nodes, the control plane, 25 controller
 * service accounts, 173 workloads with their own service accounts and 40
 * people using kubectl: 290 distinct user names.  Everything about an entity
 * (pod names, IPs, kubectl version) derives from a hash of its name, so it
 * stays the same wherever it appears; only the traffic is drawn from the PRNG.
 * Field order follows the Go struct of audit.k8s.io/v1 Event, which is what
 * the file backend writes.
 */
#include "data/gen_audit_int.h"

#include <stdlib.h>
#include <string.h>


static const char *const team_ns[] = {
    "payments", "checkout", "catalog", "search", "orders", "shipping",
    "accounts", "notifications", "recommendations", "inventory", "billing",
    "analytics", "media", "reviews", "pricing"};
static const char *const team_comp[] = {
    "api", "worker", "web", "cron", "consumer", "gateway", "indexer",
    "cache", "exporter", "scheduler", "migrator"};
_Static_assert(sizeof team_ns / sizeof *team_ns == N_TEAMS, "teams");
_Static_assert(sizeof team_comp / sizeof *team_comp == N_COMPS, "components");

static const struct {
    const char *ns, *name, *container, *image, *ua;
} infra_apps[] = {
    {"kube-system", "coredns", "coredns", "registry.k8s.io/coredns/coredns:v1.11.1",
     "coredns/v0.0.0 (linux/amd64) kubernetes/$Format"},
    {"monitoring", "prometheus", "prometheus", "quay.io/prometheus/prometheus:v2.51.1",
     "Prometheus/2.51.1"},
    {"logging", "fluent-bit", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.0.2",
     "fluent-bit/3.0.2"},
    {"cert-manager", "cert-manager", "cert-manager-controller",
     "quay.io/jetstack/cert-manager-controller:v1.14.4",
     "cert-manager-controller/v1.14.4 (linux/amd64) cert-manager/8a4d7e1fa"},
    {"ingress-nginx", "ingress-nginx", "controller",
     "registry.k8s.io/ingress-nginx/controller:v1.10.0",
     "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f"},
    {"argocd", "argocd-application-controller", "argocd-application-controller",
     "quay.io/argoproj/argocd:v2.10.6",
     "argocd-application-controller/v2.10.6 (linux/amd64) kubernetes/$Format"},
    {"ci", "gitlab-runner", "gitlab-runner", "registry.gitlab.com/gitlab-org/gitlab-runner:v16.10.0",
     "gitlab-runner/v16.10.0 (linux/amd64) kubernetes/$Format"},
    {"kube-system", "metrics-server", "metrics-server",
     "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
     "metrics-server/v0.7.1 (linux/amd64) kubernetes/$Format"},
};
#define N_INFRA (sizeof infra_apps / sizeof *infra_apps)

static const char *const controllers[] = {
    "attachdetach-controller", "certificate-controller",
    "clusterrole-aggregation-controller", "cronjob-controller",
    "daemon-set-controller", "deployment-controller", "disruption-controller",
    "endpoint-controller", "endpointslice-controller",
    "endpointslicemirroring-controller", "ephemeral-volume-controller",
    "generic-garbage-collector", "horizontal-pod-autoscaler", "job-controller",
    "namespace-controller", "node-controller", "persistent-volume-binder",
    "pod-garbage-collector", "replicaset-controller", "replication-controller",
    "resourcequota-controller", "statefulset-controller",
    "service-account-controller", "ttl-after-finished-controller",
    "root-ca-cert-publisher"};
#define N_CTRL (sizeof controllers / sizeof *controllers)

static const char *const humans[N_HUMANS] = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    "ivan", "judy", "mike", "nina", "oscar", "peggy", "quinn", "rahul",
    "sara", "trent", "uma", "victor", "wendy", "xavier", "yara", "zoe",
    "aisha", "bruno", "chen.li", "dmitri", "elena", "farah", "gopal", "hana",
    "igor", "jonas", "kenji", "lena", "marco", "noor", "olga", "pablo"};



static const struct {
    int minor;
    const char *commit;
} kubectl_versions[] = {
    {27, "v1.27.13 (%s) kubernetes/96b450c"}, {28, "v1.28.9 (%s) kubernetes/587f5fe"},
    {29, "v1.29.4 (%s) kubernetes/55019c8"}, {30, "v1.30.2 (%s) kubernetes/3968350"},
    {31, "v1.31.1 (%s) kubernetes/948afe5"}};
static const char *const client_os[] = {"darwin/arm64", "darwin/arm64",
                                        "linux/amd64", "darwin/amd64",
                                        "windows/amd64"};

_Static_assert(4 + N_NODES + N_CTRL + N_TEAMS * N_COMPS + N_INFRA + N_HUMANS
                   == N_USERS, "the world has 290 distinct users");

static void fmt(char *dst, size_t n, const char *f, const char *a,
                const char *b, const char *c2)
{
    /* Tiny %s-only formatter so building the world stays printf-free and
     * cannot depend on the locale. */
    size_t k = 0;
    const char *args[3] = {a, b, c2};
    int ai = 0;
    for (; *f && k + 1 < n; f++) {
        if (f[0] == '%' && f[1] == 's') {
            const char *s = ai < 3 && args[ai] ? args[ai] : "";
            ai++;
            f++;
            while (*s && k + 1 < n)
                dst[k++] = *s++;
        } else {
            dst[k++] = *f;
        }
    }
    dst[k] = '\0';
}

static void ip_of(char *dst, const char *prefix, uint64_t h)
{
    cq_strbuf b = CQ_STRBUF_INIT;
    gen_put(&b, prefix);
    gen_put_u64(&b, (h >> 8) % 250 + 2);
    gen_putc(&b, '.');
    gen_put_u64(&b, h % 250 + 2);
    memcpy(dst, b.buf, b.len + 1);
    cq_strbuf_free(&b);
}

static actor *add_user(world *w, int kind, int index)
{
    actor *u = &w->users[w->n_users++];
    memset(u, 0, sizeof *u);
    u->kind = kind;
    u->index = index;
    return u;
}

static void add_app(world *w, const char *ns, const char *name,
                    const char *container, const char *image)
{
    app *a = &w->apps[w->n_apps++];
    uint64_t h = gen_hash(name, 1);
    fmt(a->ns, sizeof a->ns, "%s", ns, NULL, NULL);
    fmt(a->name, sizeof a->name, "%s", name, NULL, NULL);
    fmt(a->container, sizeof a->container, "%s", container, NULL, NULL);
    fmt(a->image, sizeof a->image, "%s", image, NULL, NULL);
    cq_strbuf b = CQ_STRBUF_INIT;
    gen_put_k8s_suffix_of(&b, h, 10);
    memcpy(a->rs_hash, b.buf, 11);
    cq_strbuf_free(&b);
    a->replicas = 2 + (int)(h % 3);
}

static void build_people(world *w)
{
    w->first_human = w->n_users;
    for (int i = 0; i < N_HUMANS; i++) {
        actor *u = add_user(w, U_HUMAN, i);
        uint64_t h = gen_hash(humans[i], 2);
        fmt(u->name, sizeof u->name, "%s@corp.example", humans[i], NULL, NULL);
        size_t v = h % 5, os = (h >> 8) % 5;
        char ver[64];
        fmt(ver, sizeof ver, kubectl_versions[v].commit, client_os[os], NULL, NULL);
        fmt(u->ua, sizeof u->ua, "kubectl/%s", ver, NULL, NULL);
        u->team = i < N_ADMINS ? -1 : (int)(h % N_TEAMS);
        if (i < N_ADMINS) {
            fmt(u->groups, sizeof u->groups,
                "[\"oidc:platform-team\",\"system:authenticated\"]", NULL, NULL, NULL);
            fmt(u->reason, sizeof u->reason,
                "RBAC: allowed by ClusterRoleBinding \"oidc-platform-admins\" of "
                "ClusterRole \"cluster-admin\" to Group \"oidc:platform-team\"",
                NULL, NULL, NULL);
        } else {
            const char *team = team_ns[h % N_TEAMS];
            fmt(u->groups, sizeof u->groups,
                "[\"oidc:team-%s\",\"system:authenticated\"]", team, NULL, NULL);
            fmt(u->reason, sizeof u->reason,
                "RBAC: allowed by RoleBinding \"team-edit/%s\" of ClusterRole "
                "\"edit\" to Group \"oidc:team-%s\"", team, team, NULL);
        }
        ip_of(u->ip, (h >> 20) % 8 == 0 ? "198.51." : "10.8.", h >> 24);
    }
}

void audit_build_world(world *w)
{
    char tmp[128];
    memset(w, 0, sizeof *w);
    for (size_t t = 0; t < N_TEAMS; t++)
        for (size_t k = 0; k < N_COMPS; k++) {
            fmt(tmp, sizeof tmp, "%s-%s", team_ns[t], team_comp[k], NULL);
            char image[96];
            uint64_t h = gen_hash(tmp, 3);
            char ver[16] = "1.0.0";
            ver[2] = (char)('0' + h % 10);
            ver[4] = (char)('0' + (h >> 8) % 10);
            fmt(image, sizeof image, "registry.corp.example/%s/%s:%s",
                team_ns[t], team_comp[k], ver);
            add_app(w, team_ns[t], tmp, team_comp[k], image);
        }
    for (size_t i = 0; i < N_INFRA; i++)
        add_app(w, infra_apps[i].ns, infra_apps[i].name, infra_apps[i].container,
                infra_apps[i].image);

    static const char *const cp[4][3] = {
        {"system:kube-controller-manager", "kube-controller-manager", "system:kube-controller-manager"},
        {"system:kube-scheduler", "kube-scheduler", "system:kube-scheduler"},
        {"system:kube-proxy", "kube-proxy", "system:node-proxier"},
        {"system:apiserver", "kube-apiserver", NULL}};
    w->first_cp = w->n_users;
    for (int i = 0; i < 4; i++) {
        actor *u = add_user(w, U_CP, i);
        fmt(u->name, sizeof u->name, "%s", cp[i][0], NULL, NULL);
        fmt(u->ua, sizeof u->ua, "%s/" K8S_VER " " K8S_UA_TAIL, cp[i][1], NULL, NULL);
        if (cp[i][2]) {
            fmt(u->groups, sizeof u->groups, "[\"system:authenticated\"]", NULL, NULL, NULL);
            fmt(u->reason, sizeof u->reason,
                "RBAC: allowed by ClusterRoleBinding \"%s\" of ClusterRole \"%s\" "
                "to User \"%s\"", cp[i][2], cp[i][2], cp[i][0]);
        } else {
            u->has_uid = 1;
            fmt(u->groups, sizeof u->groups,
                "[\"system:masters\"]", NULL, NULL, NULL);
        }
        fmt(u->ip, sizeof u->ip, i == 3 ? "::1" : i == 2 ? "10.0.1.12" : "10.0.0.10",
            NULL, NULL, NULL);
    }
    w->first_ctrl = w->n_users;
    for (size_t i = 0; i < N_CTRL; i++) {
        actor *u = add_user(w, U_CTRL, (int)i);
        fmt(u->name, sizeof u->name, "system:serviceaccount:kube-system:%s",
            controllers[i], NULL, NULL);
        fmt(u->groups, sizeof u->groups,
            "[\"system:serviceaccounts\",\"system:serviceaccounts:kube-system\","
            "\"system:authenticated\"]", NULL, NULL, NULL);
        fmt(u->ua, sizeof u->ua, "kube-controller-manager/" K8S_VER " " K8S_UA_TAIL "/%s",
            u->name, NULL, NULL);
        fmt(u->reason, sizeof u->reason,
            "RBAC: allowed by ClusterRoleBinding \"system:controller:%s\" of "
            "ClusterRole \"system:controller:%s\" to ServiceAccount \"%s/kube-system\"",
            controllers[i], controllers[i], controllers[i]);
        fmt(u->ip, sizeof u->ip, "10.0.0.10", NULL, NULL, NULL);
        u->has_uid = 1;
    }
    w->first_node = w->n_users;
    for (int i = 0; i < N_NODES; i++) {
        actor *u = add_user(w, U_NODE, i + 1);
        char num[8];
        cq_strbuf b = CQ_STRBUF_INIT;
        gen_put_u64(&b, (uint64_t)i + 1);
        memcpy(num, b.buf, b.len + 1);
        gen_put(&b, "");
        cq_strbuf_reset(&b);
        gen_put(&b, "10.0.1.");
        gen_put_u64(&b, (uint64_t)i + 20);
        memcpy(u->ip, b.buf, b.len + 1);
        cq_strbuf_free(&b);
        fmt(u->name, sizeof u->name, "system:node:node-%s", num, NULL, NULL);
        fmt(u->groups, sizeof u->groups, "[\"system:nodes\",\"system:authenticated\"]",
            NULL, NULL, NULL);
        fmt(u->ua, sizeof u->ua, "kubelet/" K8S_VER " " K8S_UA_TAIL, NULL, NULL, NULL);
    }
    w->first_app = w->n_users;
    for (size_t i = 0; i < w->n_apps; i++) {
        const app *a = &w->apps[i];
        actor *u = add_user(w, U_APP, (int)i);
        fmt(u->name, sizeof u->name, "system:serviceaccount:%s:%s", a->ns, a->name, NULL);
        fmt(u->groups, sizeof u->groups,
            "[\"system:serviceaccounts\",\"system:serviceaccounts:%s\","
            "\"system:authenticated\"]", a->ns, NULL, NULL);
        if (i >= N_TEAMS * N_COMPS)
            fmt(u->ua, sizeof u->ua, "%s", infra_apps[i - N_TEAMS * N_COMPS].ua, NULL, NULL);
        else
            fmt(u->ua, sizeof u->ua, "%s/v0.0.0 (linux/amd64) kubernetes/$Format",
                a->container, NULL, NULL);
        fmt(u->reason, sizeof u->reason,
            "RBAC: allowed by RoleBinding \"%s/%s\" of Role \"%s\" to ServiceAccount",
            a->name, a->ns, a->name);
        size_t n = strlen(u->reason);
        fmt(u->reason + n, sizeof u->reason - n, " \"%s/%s\"", a->name, a->ns, NULL);
        ip_of(u->ip, "10.244.", gen_hash(a->name, 4));
        u->has_uid = 1;
    }
    build_people(w);
}

/* ---- one audit event */


void audit_put_pod_name(cq_strbuf *b, const app *a, int replica)
{
    gen_put(b, a->name);
    gen_putc(b, '-');
    gen_put(b, a->rs_hash);
    gen_putc(b, '-');
    gen_put_k8s_suffix_of(b, gen_hash(a->name, 100 + (uint64_t)replica), 5);
}

static void put_resource_path(cq_strbuf *b, const audit_ev *e, int with_name)
{
    if (e->group) {
        gen_put(b, "/apis/");
        gen_put(b, e->group);
        gen_putc(b, '/');
    } else {
        gen_put(b, "/api/");
    }
    gen_put(b, e->version);
    if (e->ns) {
        gen_put(b, "/namespaces/");
        gen_put(b, e->ns);
    }
    gen_putc(b, '/');
    gen_put(b, e->resource);
    if (with_name && e->name) {
        gen_putc(b, '/');
        gen_put(b, e->name);
    }
    if (with_name && e->sub) {
        gen_putc(b, '/');
        gen_put(b, e->sub);
    }
}

static void put_user(cq_strbuf *b, world *w, const audit_ev *e)
{
    const actor *u = e->u;
    gen_put(b, "\"user\":{\"username\":\"");
    gen_put(b, u->name);
    gen_putc(b, '"');
    if (u->has_uid) {
        gen_put(b, ",\"uid\":\"");
        gen_put_uuid_of(b, gen_hash(u->name, 5));
        gen_putc(b, '"');
    }
    gen_put(b, ",\"groups\":");
    gen_put(b, u->groups);
    if (u->kind == U_APP && e->pod_extra) {
        const app *a = &w->apps[u->index];
        uint64_t ph = gen_hash(a->name, 200 + (uint64_t)e->replica);
        /* v1.29 puts only the bound pod into extra; credential-id and the
         * node fields arrive with later feature gates. */
        gen_put(b, ",\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"");
        audit_put_pod_name(b, a, e->replica);
        gen_put(b, "\"],\"authentication.kubernetes.io/pod-uid\":[\"");
        gen_put_uuid_of(b, ph);
        gen_put(b, "\"]}");
    }
    gen_putc(b, '}');
}

/* The message the API server writes for an RBAC denial, a lookup miss or an
 * optimistic-concurrency conflict. */
static void put_fail_message(cq_strbuf *m, const audit_ev *e)
{
    gen_put(m, e->resource);
    gen_put(m, " \\\"");
    gen_put(m, e->name ? e->name : "");
    gen_put(m, "\\\" ");
    if (!strcmp(e->fail_reason, "NotFound")) {
        gen_put(m, "not found");
    } else if (!strcmp(e->fail_reason, "Conflict")) {
        gen_put(m, "the object has been modified; please apply your changes "
                   "to the latest version and try again");
    } else {
        gen_put(m, "is forbidden: User \\\"");
        gen_put(m, e->u->name);
        gen_put(m, "\\\" cannot ");
        gen_put(m, e->verb);
        gen_put(m, " resource \\\"");
        gen_put(m, e->resource);
        gen_put(m, "\\\" in API group \\\"");
        gen_put(m, e->group ? e->group : "");
        gen_put(m, e->ns ? "\\\" in the namespace \\\"" : "\\\" at the cluster scope");
        if (e->ns) {
            gen_put(m, e->ns);
            gen_put(m, "\\\"");
        }
    }
}

static void put_status(cq_strbuf *b, const audit_ev *e)
{
    gen_put(b, ",\"responseStatus\":{\"metadata\":{}");
    if (e->fail_reason) {
        cq_strbuf *m = b;
        gen_put(m, ",\"status\":\"Failure\",\"message\":\"");
        if (e->fail_msg)
            gen_put(m, e->fail_msg);
        else
            put_fail_message(m, e);
        gen_put(m, "\",\"reason\":\"");
        gen_put(m, e->fail_reason);
        gen_put(m, "\",\"details\":{");
        if (e->name) {
            gen_put(m, "\"name\":\"");
            gen_put(m, e->name);
            gen_put(m, "\",");
        }
        if (e->group) {
            gen_put(m, "\"group\":\"");
            gen_put(m, e->group);
            gen_put(m, "\",");
        }
        gen_put(m, "\"kind\":\"");
        gen_put(m, e->resource);
        gen_put(m, "\"}");
    }
    gen_put(b, ",\"code\":");
    gen_put_u64(b, (uint64_t)e->code);
    gen_putc(b, '}');
}

/* received: a create's name comes from its body, which the RequestReceived
 * stage has not read yet. */
static void put_object_ref(cq_strbuf *b, const audit_ev *e, int received)
{
    gen_put(b, ",\"objectRef\":{\"resource\":\"");
    gen_put(b, e->resource);
    gen_putc(b, '"');
    if (e->ns) {
        gen_put(b, ",\"namespace\":\"");
        gen_put(b, e->ns);
        gen_putc(b, '"');
    }
    if (e->name && !(received && !e->sub && !strcmp(e->verb, "create"))) {
        gen_put(b, ",\"name\":\"");
        gen_put(b, e->name);
        gen_putc(b, '"');
    }
    if (e->group) {
        gen_put(b, ",\"apiGroup\":\"");
        gen_put(b, e->group);
        gen_putc(b, '"');
    }
    gen_put(b, ",\"apiVersion\":\"");
    gen_put(b, e->version);
    gen_putc(b, '"');
    if (e->sub) {
        gen_put(b, ",\"subresource\":\"");
        gen_put(b, e->sub);
        gen_putc(b, '"');
    }
    gen_putc(b, '}');
}

/* Builds one stage of the request into c->line and queues it at t. */
static void emit_stage(gen_ctx *c, world *w, const audit_ev *e, const char *stage,
                       int64_t t)
{
    int received = !strcmp(stage, "RequestReceived");
    int complete = !strcmp(stage, "ResponseComplete");
    if (e->truth_id && c->want_truth) {
        cq_strbuf d = CQ_STRBUF_INIT;
        gen_put(&d, e->truth_pre);
        gen_put(&d, stage);
        gen_put(&d, e->truth_post);
        if (!strcmp(e->truth_id, "benign")) {
            /* Known-benign look-alikes say who asked for what. */
            gen_put(&d, " by ");
            gen_put(&d, e->u->name);
            gen_put(&d, ": ");
            gen_put(&d, e->verb);
            gen_putc(&d, ' ');
            gen_put(&d, w->uri.buf ? w->uri.buf : "");
        }
        gen_truth(c, e->truth_id, e->received, "kubernetes:apiserver", d.buf);
        cq_strbuf_free(&d);
    }
    cq_strbuf *b = &c->line;
    gen_put(b, "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"");
    gen_put(b, e->level ? e->level : "Metadata");
    gen_put(b, "\",\"auditID\":\"");
    gen_put_uuid_of(b, w->request_id);
    gen_put(b, "\",\"stage\":\"");
    gen_put(b, stage);
    gen_put(b, "\",\"requestURI\":");
    gen_put_jstr(b, w->uri.len ? w->uri.buf : "");
    gen_put(b, ",\"verb\":\"");
    gen_put(b, e->verb);
    gen_put(b, "\",");
    put_user(b, w, e);
    gen_put(b, ",\"sourceIPs\":[\"");
    gen_put(b, e->u->ip);
    gen_put(b, "\"],\"userAgent\":");
    gen_put_jstr(b, e->ua ? e->ua : e->u->ua);
    if (e->resource)
        put_object_ref(b, e, received);
    if (!received)
        put_status(b, e);
    if (complete && w->obj.len) {
        gen_put(b, ",\"requestObject\":");
        gen_putn(b, w->obj.buf, w->obj.len);
    }
    gen_put(b, ",\"requestReceivedTimestamp\":\"");
    gen_put_time(b, e->received, 6);
    gen_put(b, "\",\"stageTimestamp\":\"");
    gen_put_time(b, t, 6);
    if (received) {
        /* Authorization has not run yet: no annotations at all. */
        gen_put(b, "\"}\n");
        gen_push(c, t);
        return;
    }
    gen_put(b, "\",\"annotations\":{\"authorization.k8s.io/decision\":\"");
    int forbid = e->fail_reason && !strcmp(e->fail_reason, "Forbidden") && !e->fail_msg;
    gen_put(b, forbid ? "forbid" : "allow");
    gen_put(b, "\",\"authorization.k8s.io/reason\":");
    gen_put_jstr(b, forbid ? "" : e->u->reason);
    if (e->annot_extra && !forbid)
        gen_put(b, e->annot_extra);
    gen_put(b, "}}\n");
    gen_push(c, t);
}

void audit_request(gen_ctx *c, world *w, const audit_ev *e)
{
    unsigned omit = w->o ? w->o->omit_stages : 0;
    w->request_id = gen_rand(&c->rng);
    /* The filter logs RequestReceived a few microseconds after taking the
     * timestamp. */
    int64_t rr = e->received + (int64_t)(gen_below(&c->rng, 40) + 3) * GEN_NS_PER_US;
    if (!(omit & GEN_OMIT_RECEIVED))
        emit_stage(c, w, e, "RequestReceived", rr);
    if (e->started && !(omit & GEN_OMIT_STARTED))
        emit_stage(c, w, e, "ResponseStarted", e->started);
    emit_stage(c, w, e, "ResponseComplete", e->staged);
}

int64_t audit_latency(gen_ctx *c, int64_t mean_us)
{
    return gen_exp_ns(&c->rng, mean_us * GEN_NS_PER_US) + 300 * GEN_NS_PER_US;
}

/* A request whose URI is the resource path, plus an optional query. */
void audit_simple(gen_ctx *c, world *w, audit_ev *e, int with_name,
                   const char *query)
{
    cq_strbuf_reset(&w->uri);
    put_resource_path(&w->uri, e, with_name);
    if (query)
        gen_put(&w->uri, query);
    if (!e->staged)
        e->staged = e->received + audit_latency(c, 2500);
    audit_request(c, w, e);
    cq_strbuf_reset(&w->obj);
}

/* A watch: long-running, logged when the stream starts and when it times out. */
void audit_watch(gen_ctx *c, world *w, audit_ev *e, const char *selector)
{
    uint64_t secs = 300 + gen_below(&c->rng, 300);
    cq_strbuf_reset(&w->uri);
    put_resource_path(&w->uri, e, 0);
    gen_put(&w->uri, "?allowWatchBookmarks=true");
    if (selector) {
        gen_put(&w->uri, "&fieldSelector=");
        gen_put_qescape(&w->uri, selector);
    }
    gen_put(&w->uri, "&resourceVersion=");
    gen_put_u64(&w->uri, 4100000 + gen_below(&c->rng, 900000));
    gen_put(&w->uri, "&timeout=");
    gen_put_u64(&w->uri, secs / 60);
    gen_putc(&w->uri, 'm');
    gen_put_u64(&w->uri, secs % 60);
    gen_put(&w->uri, "s&timeoutSeconds=");
    gen_put_u64(&w->uri, secs);
    gen_put(&w->uri, "&watch=true");
    e->verb = "watch";
    e->started = e->received + audit_latency(c, 800);
    e->staged = e->received + (int64_t)secs * GEN_NS_PER_SEC + audit_latency(c, 400);
    audit_request(c, w, e);
}


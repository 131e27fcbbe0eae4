/*
 * test_ingest.c - the ingest suite: JSON flattening, the readers on corpus
 * and made fixtures, detection, normalization (command/action and the near
 * misses), gzip input, malformed-line reports, conf errors, and idempotent /
 * resumed ingest through the index.  test_ingest_par.c adds the tests of
 * parallel jobs, kills and concurrent ingests to this suite.
 */
#include "tests/unit/suites.h"
#include "tests/unit/test_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

#include "common/strbuf.h"
#include "index/index.h"
#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "ingest/parallel.h"

/* ---- helpers: records collected from the pipeline ---- */

typedef struct collected {
    cq_record recs[256];
    size_t n;
} collected;

static int collect(void *ctx, const cq_record *r)
{
    collected *c = ctx;
    ck_assert_uint_lt(c->n, 256);
    cq_record *d = &c->recs[c->n++];
    cq_record_init(d);
    d->time_us = r->time_us;
    d->sourcetype = r->sourcetype;
    d->host = r->host ? cq_arena_strdup(&d->arena, r->host) : NULL;
    cq_record_set_raw(d, r->raw, r->raw_len);
    for (size_t i = 0; i < r->n_kv; i++)
        cq_record_add(d, r->kv[i].name, r->kv[i].name_len, r->kv[i].val, r->kv[i].val_len);
    return 0;
}

static void collected_free(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        cq_record_free(&c->recs[i]);
    c->n = 0;
}

/* All values of name joined with "|", or NULL when absent (static buffer). */
const char *vals(const cq_record *r, const char *name)
{
    static char buf[1024];
    size_t len = strlen(name), n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_kv; i++)
        if (r->kv[i].name_len == len && !memcmp(r->kv[i].name, name, len)) {
            size_t at = strlen(buf);
            snprintf(buf + at, sizeof buf - at, "%s%.*s", n++ ? "|" : "",
                     (int)r->kv[i].val_len, r->kv[i].val);
        }
    return n ? buf : NULL;
}

char *conf_path(void)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%s/data/sourcetypes.conf", test_srcdir());
    return sb.buf;
}

static char *fixture_path(const char *rel)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%s/tests/fixtures/ingest/%s", test_srcdir(), rel);
    return sb.buf;
}

char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    cq_strbuf sb = CQ_STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        cq_strbuf_add(&sb, buf, n);
    fclose(fp);
    *len = sb.len;
    return sb.buf;
}

/* A test context: an ingest with its reports captured in memory. */
typedef struct tctx {
    cq_ingest *g;
    char *errbuf;
    size_t errlen;
    FILE *err;
    collected c;
} tctx;

static void tctx_open(tctx *t, const char *sourcetype)
{
    memset(t, 0, sizeof *t);
    t->err = open_memstream(&t->errbuf, &t->errlen);
    char *cp = conf_path();
    cq_ingest_opts o = {.sourcetype = sourcetype, .conf_path = cp, .err = t->err};
    char err[512];
    int rc = cq_ingest_new(&o, &t->g, err, sizeof err);
    ck_assert_msg(rc == 0, "cq_ingest_new: %s", err);
    free(cp);
}

static const char *tctx_errors(tctx *t)
{
    fflush(t->err);
    return t->errbuf ? t->errbuf : "";
}

static void tctx_close(tctx *t)
{
    collected_free(&t->c);
    cq_ingest_free(t->g);
    fclose(t->err);
    free(t->errbuf);
}

/* Runs the pipeline over a string; returns the malformed count. */
static long run_text(tctx *t, const char *source, const char *text)
{
    collected_free(&t->c);
    return cq_ingest_buffer(t->g, source, text, strlen(text), collect, &t->c);
}

static long run_fixture(tctx *t, const char *rel)
{
    size_t len;
    char *path = fixture_path(rel), *text = slurp(path, &len);
    collected_free(&t->c);
    long rc = cq_ingest_buffer(t->g, rel, text, len, collect, &t->c);
    free(text);
    free(path);
    return rc;
}

/* ---- flattening ---- */

START_TEST(test_flatten_names)
{
    cq_record r;
    cq_strbuf sb = CQ_STRBUF_INIT;
    char err[200];
    cq_record_init(&r);
    const char *j = "{\"a\":{\"b\":\"x\",\"c\":[1,2.50,{\"d\":true}]},\"e\":null,\"f\":\"q\\\"\\u00e9\","
                    "\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"},\"g\":[],\"h\":{},"
                    "\"n\":-1e3}";
    ck_assert_int_eq(cq_json_flatten(j, strlen(j), "", &r, &sb, err, sizeof err), 0);
    ck_assert_str_eq(vals(&r, "a.b"), "x");
    ck_assert_str_eq(vals(&r, "a.c{}"), "1|2.50");          /* numbers as written */
    ck_assert_str_eq(vals(&r, "a.c{}.d"), "true");
    ck_assert_ptr_null(vals(&r, "e"));                       /* null adds nothing */
    ck_assert_str_eq(vals(&r, "f"), "q\"\xc3\xa9");
    ck_assert_str_eq(vals(&r, "annotations.authorization.k8s.io/decision"), "allow");
    ck_assert_ptr_null(vals(&r, "g{}"));
    ck_assert_str_eq(vals(&r, "n"), "-1e3");
    cq_record_free(&r);
    cq_strbuf_free(&sb);
}
END_TEST

START_TEST(test_flatten_errors)
{
    static const struct { const char *json, *msg; } cases[] = {
        {"{\"a\":1", "truncated object"},
        {"{\"a\":tru}", "unexpected character"},
        {"{\"a\":\"\xff\"}", "invalid UTF-8"},
        {"{\"a\":01}", "bad number"},
        {"[1]", "not a JSON object"},
        {"{\"a\":1} x", "text after the JSON object"},
        {"{\"a\":\"\\ud800\"}", "lone surrogate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cq_record r;
        cq_strbuf sb = CQ_STRBUF_INIT;
        char err[200] = "";
        cq_record_init(&r);
        ck_assert_int_eq(cq_json_flatten(cases[i].json, strlen(cases[i].json), "", &r, &sb,
                                         err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].msg), "case %zu: got \"%s\"", i, err);
        cq_record_free(&r);
        cq_strbuf_free(&sb);
    }
}
END_TEST

START_TEST(test_kv_parse)
{
    cq_record r;
    cq_strbuf sb = CQ_STRBUF_INIT;
    char err[200];
    cq_record_init(&r);
    const char *s = "time=\"2024-05-01T10:00:00Z\" level=debug msg=\"say \\\"hi\\\" a=b\" n=1 bare";
    ck_assert_int_eq(cq_kv_parse(s, strlen(s), &r, &sb, err, sizeof err), 0);
    ck_assert_str_eq(vals(&r, "level"), "debug");
    ck_assert_str_eq(vals(&r, "msg"), "say \"hi\" a=b");
    ck_assert_str_eq(vals(&r, "n"), "1");
    ck_assert_int_eq(cq_kv_parse("msg=\"open", 9, &r, &sb, err, sizeof err), -1);
    ck_assert_str_eq(err, "unterminated quoted value of \"msg\"");
    cq_record_free(&r);
    cq_strbuf_free(&sb);
}
END_TEST

/* ---- readers and normalization ---- */

START_TEST(test_audit_falco_exec)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "falco-k8s-audit/exec_pod.json"), 0);
    ck_assert_uint_eq(t.c.n, 1);
    cq_record *r = &t.c.recs[0];
    ck_assert_str_eq(r->sourcetype, "kubernetes:apiserver");
    ck_assert_str_eq(vals(r, "command"), "kubectl exec");
    ck_assert_str_eq(vals(r, "action"), "exec");
    ck_assert_str_eq(vals(r, "exec_command"), "bash");
    ck_assert_str_eq(vals(r, "user"), "minikube-user");
    ck_assert_str_eq(vals(r, "src_ip"), "192.168.99.1");
    ck_assert_str_eq(vals(r, "namespace"), "default");
    ck_assert_str_eq(vals(r, "pod"), "nginx-deployment-7998647bdf-phvq7");
    ck_assert_str_eq(vals(r, "container"), "nginx1");
    ck_assert_str_eq(vals(r, "status"), "101");
    ck_assert_str_eq(vals(r, "user.groups{}"), "system:masters|system:authenticated");
    ck_assert_str_eq(vals(r, "objectRef.subresource"), "exec");
    ck_assert_int_eq(r->time_us, 1540561114867116LL);   /* requestReceivedTimestamp */
    ck_assert_uint_eq(r->raw_len, strlen(r->raw));
    ck_assert_int_eq(r->raw[0], '{');
    tctx_close(&t);
}
END_TEST

START_TEST(test_audit_attach_and_privileged)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "falco-k8s-audit/attach_pod.json"), 0);
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "kubectl attach");
    ck_assert_str_eq(vals(&t.c.recs[0], "action"), "attach");
    ck_assert_int_eq(run_fixture(&t, "falco-k8s-audit/create_nginx_pod_privileged.json"), 0);
    ck_assert_str_eq(vals(&t.c.recs[0], "privileged"), "true");
    ck_assert_str_eq(vals(&t.c.recs[0], "action"), "create");
    ck_assert_ptr_nonnull(vals(&t.c.recs[0], "image"));
    ck_assert_int_eq(run_fixture(&t, "falco-k8s-audit/create_configmap_sensitive_values.json"), 0);
    ck_assert_uint_eq(t.c.n, 6);
    ck_assert_ptr_null(vals(&t.c.recs[0], "privileged"));
    tctx_close(&t);
}
END_TEST

START_TEST(test_audit_exec_get_and_near_misses)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "made/audit_exec.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 4);
    /* kubectl 1.30+ over WebSocket: verb get */
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "kubectl exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "action"), "exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "exec_command"), "sh -c echo hi!");
    ck_assert_str_eq(vals(&t.c.recs[0], "container"), "app");
    ck_assert_str_eq(vals(&t.c.recs[0], "user_agent"), "kubectl/v1.30.2 (linux/amd64) kubernetes/abc");
    /* kubectl logs is pods/log */
    ck_assert_str_eq(vals(&t.c.recs[1], "command"), "kubectl logs");
    ck_assert_str_eq(vals(&t.c.recs[1], "action"), "logs");
    /* a get on a pod named "exec" */
    ck_assert_ptr_null(vals(&t.c.recs[2], "command"));
    ck_assert_ptr_null(vals(&t.c.recs[2], "action"));
    ck_assert_str_eq(vals(&t.c.recs[2], "pod"), "exec");
    /* kubectl cp: an exec of tar, both commands; time from stageTimestamp */
    ck_assert_str_eq(vals(&t.c.recs[3], "command"), "kubectl exec|kubectl cp");
    ck_assert_str_eq(vals(&t.c.recs[3], "exec_command"), "tar cf - /etc");
    ck_assert_int_eq(t.c.recs[3].time_us, 1714557603100000LL);
    tctx_close(&t);
}
END_TEST

START_TEST(test_panther_events)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "panther-k8s-rule-tests/k8s_audit_events.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 177);
    size_t n_exec = 0;
    for (size_t i = 0; i < t.c.n; i++) {
        ck_assert_str_eq(t.c.recs[i].sourcetype, "kubernetes:apiserver");
        const char *cmd = vals(&t.c.recs[i], "command");
        n_exec += cmd && strstr(cmd, "kubectl exec") != NULL;
    }
    ck_assert_uint_eq(n_exec, 15);
    /* EKS-style exec without a requestURI: the command comes from requestObject.command{} */
    const cq_record *irsa = NULL;
    for (size_t i = 0; i < t.c.n; i++)
        if (strstr(t.c.recs[i].raw, "\"irsa-pod\""))
            irsa = &t.c.recs[i];
    ck_assert_ptr_nonnull(irsa);
    ck_assert_str_eq(vals(irsa, "exec_command"),
                     "cat /var/run/secrets/eks.amazonaws.com/serviceaccount/token");
    tctx_close(&t);
}
END_TEST

START_TEST(test_dockerd_exec)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "made/dockerd_exec.log"), 0);
    ck_assert_uint_eq(t.c.n, 8);
    cq_record *r = t.c.recs;
    for (size_t i = 0; i < t.c.n; i++)
        ck_assert_str_eq(r[i].sourcetype, "docker:daemon");
    ck_assert_ptr_null(vals(&r[0], "command"));             /* GET /containers/json */
    ck_assert_str_eq(vals(&r[0], "http_method"), "GET");
    ck_assert_str_eq(vals(&r[1], "command"), "docker exec");
    ck_assert_str_eq(vals(&r[1], "action"), "exec");
    ck_assert_str_eq(vals(&r[1], "container_id"), "ab12cd34ef56");
    ck_assert_str_eq(vals(&r[1], "exec_command"), "sh -c id; cat /etc/shadow");
    ck_assert_str_eq(vals(&r[1], "privileged"), "true");
    ck_assert_str_eq(vals(&r[1], "user"), "root");
    ck_assert_ptr_null(vals(&r[2], "command"));             /* the form data line itself */
    ck_assert_ptr_null(vals(&r[2], "_form"));
    ck_assert_ptr_null(vals(&r[3], "command"));             /* POST /exec/ID/start */
    ck_assert_str_eq(vals(&r[3], "action"), "exec_start");
    ck_assert_str_eq(vals(&r[4], "command"), "docker exec"); /* no version prefix */
    ck_assert_str_eq(vals(&r[5], "command"), "docker create");
    ck_assert_str_eq(vals(&r[5], "container"), "web");
    ck_assert_str_eq(vals(&r[5], "image"), "nginx:1.25");
    ck_assert_ptr_null(vals(&r[5], "privileged"));
    ck_assert_str_eq(vals(&r[7], "level"), "info");
    ck_assert_int_eq(r[1].time_us, 1714557601200000LL);
    tctx_close(&t);
}
END_TEST

START_TEST(test_dockerd_corpus_prefix)
{
    tctx t;
    tctx_open(&t, NULL);
    /* The docs cut the last line short: reported, the other five kept. */
    ck_assert_int_eq(run_fixture(&t, "docker-docs/dockerd_debug_example.log"), 1);
    ck_assert_uint_eq(t.c.n, 5);
    ck_assert_str_eq(vals(&t.c.recs[0], "msg"), "attach: stdout: begin");
    ck_assert_str_eq(vals(&t.c.recs[4], "action"), "start");
    ck_assert_str_eq(vals(&t.c.recs[4], "command"), "docker start");
    ck_assert_str_eq(vals(&t.c.recs[4], "container_id"),
                     "35fc5ec0ffe1ad492d0a4fbf51fd6286a087b89d4dd66367fa3b7aec70b46a40");
    ck_assert_ptr_null(vals(&t.c.recs[2], "action"));       /* wait */
    ck_assert_ptr_nonnull(strstr(tctx_errors(&t),
        "docker-docs/dockerd_debug_example.log:6: unterminated quoted value of \"msg\""));
    tctx_close(&t);
}
END_TEST

START_TEST(test_logrus_example)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "logrus-format/logrus_text_formatter_example.log"), 0);
    ck_assert_uint_eq(t.c.n, 7);
    ck_assert_str_eq(vals(&t.c.recs[2], "msg"), "The group's number increased tremendously!");
    ck_assert_str_eq(vals(&t.c.recs[5], "err"), "It's over 9000!");
    ck_assert_str_eq(vals(&t.c.recs[6], "method"), "github.com/sirupsen/arcticcreatures.migrate");
    ck_assert_int_eq(t.c.recs[0].time_us, 1427347658000000LL);   /* -04:00 applied */
    tctx_close(&t);
}
END_TEST

START_TEST(test_k8s_event_list)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "made/k8s_events_list.json"), 0);
    ck_assert_uint_eq(t.c.n, 2);
    cq_record *r = t.c.recs;
    ck_assert_str_eq(r[0].sourcetype, "kubernetes:container");
    ck_assert_str_eq(vals(&r[0], "action"), "pull");
    ck_assert_str_eq(vals(&r[0], "image"), "nginx:1.25");
    ck_assert_str_eq(vals(&r[0], "pod"), "web-1");
    ck_assert_str_eq(vals(&r[0], "container"), "app");
    ck_assert_str_eq(vals(&r[0], "namespace"), "prod");
    ck_assert_str_eq(r[0].host, "node-1");
    ck_assert_int_eq(r[0].time_us, 1714557605000000LL);     /* lastTimestamp */
    ck_assert_str_eq(vals(&r[1], "action"), "start");
    ck_assert_int_eq(r[1].raw[0], '{');                      /* _raw: the item's text */
    tctx_close(&t);
}
END_TEST

START_TEST(test_docker_events_and_journald)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_fixture(&t, "made/docker_events.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 2);
    ck_assert_str_eq(t.c.recs[0].sourcetype, "docker:daemon");
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "docker exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "exec_command"), "bash -c id");
    ck_assert_str_eq(vals(&t.c.recs[0], "container"), "web");
    ck_assert_int_eq(t.c.recs[0].time_us, 1714557600123456LL);  /* timeNano */
    ck_assert_str_eq(vals(&t.c.recs[1], "action"), "start");
    ck_assert_str_eq(vals(&t.c.recs[1], "image"), "nginx:1.25");

    ck_assert_int_eq(run_fixture(&t, "made/journald_docker.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 2);
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "docker exec");
    ck_assert_str_eq(t.c.recs[0].host, "node-1");
    ck_assert_int_eq(t.c.recs[0].time_us, 1714557600123456LL);
    ck_assert_int_eq(t.c.recs[1].time_us, 1714557601000000LL);
    ck_assert_ptr_null(vals(&t.c.recs[1], "command"));
    tctx_close(&t);
}
END_TEST

START_TEST(test_audit_event_list_one_line)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_text(&t, "webhook", "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
        "\"items\":[{\"auditID\":\"x\",\"verb\":\"create\",\"stage\":\"ResponseStarted\","
        "\"requestURI\":\"/api/v1/namespaces/a/pods/p/exec?command=id\",\"objectRef\":{\"resource\":"
        "\"pods\",\"subresource\":\"exec\",\"name\":\"p\"}},{\"auditID\":\"y\",\"verb\":\"list\","
        "\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/pods\",\"objectRef\":{\"resource\":"
        "\"pods\"}}]}\n"), 0);
    ck_assert_uint_eq(t.c.n, 2);
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "kubectl exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "exec_command"), "id");
    ck_assert_ptr_null(vals(&t.c.recs[1], "command"));
    tctx_close(&t);
}
END_TEST

START_TEST(test_malformed_lines)
{
    tctx t;
    tctx_open(&t, NULL);
    const char *text =
        "{\"auditID\":\"1\",\"verb\":\"get\",\"requestURI\":\"/a\"}\n"
        "{\"auditID\":\"2\",\"verb\":\"get\",\"requestURI\"\n"
        "{\"auditID\":\"3\",\"verb\":\"get\",\"requestURI\":\"/\xff\"}\n"
        "\n"
        "hello world\n"
        "{\"foo\":1}\n"
        "time=\"x\" level=info msg=\"\xc3\x28\"\n"
        "{\"auditID\":\"4\",\"verb\":\"get\",\"requestURI\":\"/b\"}";
    /* Lines 3 and 7 (invalid UTF-8) are kept with U+FFFD (issue 14). */
    ck_assert_int_eq(run_text(&t, "mixed.log", text), 3);
    ck_assert_uint_eq(t.c.n, 4);
    ck_assert_str_eq(vals(&t.c.recs[1], "requestURI"), "/\xef\xbf\xbd");
    ck_assert_str_eq(vals(&t.c.recs[2], "msg"), "\xef\xbf\xbd(");
    const char *e = tctx_errors(&t);
    ck_assert_ptr_nonnull(strstr(e, "mixed.log:2: truncated JSON document\n"));
    ck_assert_ptr_null(strstr(e, "mixed.log:3:"));
    ck_assert_ptr_null(strstr(e, "invalid UTF-8"));
    ck_assert_ptr_nonnull(strstr(e, "mixed.log:5: unknown format: neither JSON nor key=value text\n"));
    ck_assert_ptr_nonnull(strstr(e, "mixed.log:6: unknown format: a JSON object"));
    tctx_close(&t);
}
END_TEST

START_TEST(test_huge_line)
{
    tctx t;
    tctx_open(&t, NULL);
    size_t big = 10u << 20;
    char *text = malloc(big + 200);
    strcpy(text, "{\"auditID\":\"1\",\"verb\":\"get\",\"requestURI\":\"/a\"}\n{\"auditID\":\"");
    size_t at = strlen(text);
    memset(text + at, 'x', big);
    strcpy(text + at + big, "\"}\n{\"auditID\":\"3\",\"verb\":\"get\",\"requestURI\":\"/c\"}\n");
    collected_free(&t.c);
    ck_assert_int_eq(cq_ingest_buffer(t.g, "big.log", text, strlen(text), collect, &t.c), 1);
    ck_assert_uint_eq(t.c.n, 2);
    ck_assert_ptr_nonnull(strstr(tctx_errors(&t), "big.log:2: line longer than 8388608 bytes"));
    free(text);
    tctx_close(&t);
}
END_TEST

START_TEST(test_forced_sourcetype_alias)
{
    tctx t;
    tctx_open(&t, "kube:apiserver-audit");
    ck_assert_str_eq(cq_ingest_sourcetype_name(t.g, "kube:objects:events"), "kubernetes:container");
    ck_assert_int_eq(run_text(&t, "x", "{\"whatever\":1}\n"), 0);
    ck_assert_uint_eq(t.c.n, 1);
    ck_assert_str_eq(t.c.recs[0].sourcetype, "kubernetes:apiserver");
    tctx_close(&t);

    cq_ingest *g;
    char err[256];
    cq_ingest_opts o = {.sourcetype = "nope", .conf_path = conf_path(), .err = stderr};
    ck_assert_int_eq(cq_ingest_new(&o, &g, err, sizeof err), -1);
    ck_assert_str_eq(err, "unknown sourcetype \"nope\" (not in sourcetypes.conf)");
    free((char *)o.conf_path);
}
END_TEST

/* ---- the conf file ---- */

static char *write_temp(const char *text, const char *suffix)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "/tmp/cq_test_ingest_%ld%s", (long)getpid(), suffix);
    FILE *fp = fopen(sb.buf, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    return sb.buf;
}

START_TEST(test_conf_errors)
{
    static const struct { const char *text, *msg; } cases[] = {
        {"[rule x]\nwhen a ~ (\n", ":2: bad regex at offset 1: missing closing parenthesis"},
        {"# c\n[rule x]\nsourcetype = nope\n", ":3: unknown sourcetype \"nope\""},
        {"[rule x]\nfrobnicate a = b\n", ":2: unknown rule line \"frobnicate\""},
        {"[bogus x]\n", ":1: unknown stanza kind \"bogus\""},
        {"a = b\n", ":1: expected a stanza header such as [rule NAME] first"},
        {"[sourcetype s]\n[format f]\ntype = json\n", ":2: format \"f\" has no sourcetype"},
        {"[rule x]\nprevious = y\n", ":2: unknown rule \"y\" in \"previous\""},
        {"[rule x]\nwhen a\n", ":2: expected =, !=, ~ or !~ after \"a\""},
        {"[settings]\nmax_line_bytes = 5\n", ":2: max_line_bytes must be"},
        {"[rule x]\n[rule y]\nafter = x\n", ":3: expected \"after = RULE ... within N(s|m|h)"},
        {"[rule x]\n[rule y]\nafter = x within 60\n", ":3: expected \"after = RULE"},
        {"[rule x]\n[rule y]\nafter = x within 2d\n", ":3: expected \"after = RULE"},
        {"[rule x]\n[rule y]\nafter = x within 25h\n", ":3: expected \"after = RULE"},
        {"[rule x]\n[rule y]\nafter = within 5s\n", ":3: expected \"after = RULE"},
        {"[rule x]\n[rule y]\nafter = x within 5s same\n", ":3: expected \"after = RULE"},
        {"[rule x]\n[rule y]\nafter = x within 5s other f\n", ":3: expected \"after = RULE"},
        {"[rule y]\nafter = x within 5s\n", ":2: unknown rule \"x\" in \"after\""},
        {"[rule x]\n[rule y]\nafter = x within 5s\nafter = x within 6s\n",
         ":4: rule \"y\" has two \"after\" lines"},
        {"[rule x]\n[rule y]\nprevious = x\nafter = x within 5s\n",
         ":4: rule \"y\" has both \"previous\" and \"after\""},
        {"[sourcetype s]\n[format f]\nsourcetype = s\nunwrap = a b\n", ":4: unwrap needs one field name"},
        {"[sourcetype s]\n[format f]\nsourcetype = s\ntype = kv\nsplit = a\n",
         ":2: format \"f\": unwrap and split need type = json"},
        {"[settings]\nmax_unwrap_bytes = 2\n", ":2: max_unwrap_bytes must be"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_temp(cases[i].text, ".conf");
        cq_ingest_opts o = {.conf_path = path, .err = stderr};
        cq_ingest *g;
        char err[512];
        ck_assert_int_eq(cq_ingest_new(&o, &g, err, sizeof err), -1);
        ck_assert_msg(!strncmp(err, path, strlen(path)) && strstr(err, cases[i].msg),
                      "case %zu: got \"%s\"", i, err);
        unlink(path);
        free(path);
    }
}
END_TEST

START_TEST(test_conf_user_rule)
{
    /* Users extend the conf without recompiling: a new rule, $field$ templates, continuations. */
    char *path = write_temp(
        "[sourcetype app]\n[format app-json]\nsourcetype = app\ntype = json\ndetect = event\n"
        "time = ts:epoch_ms\n"
        "[rule r]\nwhen event ~ ^login (?<who>\\w+)$\nset action = login by \\\n  $who$\n", ".conf");
    cq_ingest_opts o = {.conf_path = path, .err = stderr};
    cq_ingest *g;
    char err[512];
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    collected c = {.n = 0};
    const char *line = "{\"event\":\"login bob\",\"ts\":1714557600123}\n";
    ck_assert_int_eq(cq_ingest_buffer(g, "a", line, strlen(line), collect, &c), 0);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(vals(&c.recs[0], "action"), "login by   bob");
    ck_assert_str_eq(vals(&c.recs[0], "who"), "bob");
    ck_assert_int_eq(c.recs[0].time_us, 1714557600123000LL);
    collected_free(&c);
    cq_ingest_free(g);
    unlink(path);
    free(path);
}
END_TEST

/* ---- cloud envelopes (unwrap, split) ---- */

START_TEST(test_cloud_envelopes)
{
    tctx t;
    tctx_open(&t, NULL);
    /* AKS: three audit records and two of other categories (cloud:log). */
    ck_assert_int_eq(run_fixture(&t, "made/cloud/aks_diagnostic.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 5);
    ck_assert_str_eq(t.c.recs[0].sourcetype, "kubernetes:apiserver");
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "kubectl exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "cluster"), "AKS-PROD");
    ck_assert_str_eq(vals(&t.c.recs[0], "category"), "kube-audit");
    ck_assert_int_eq(t.c.recs[0].time_us, 1714557600000000LL);  /* the audit event's own */
    ck_assert_str_eq(vals(&t.c.recs[1], "privileged"), "true");
    ck_assert_str_eq(t.c.recs[3].sourcetype, "cloud:log");
    ck_assert_str_eq(t.c.recs[4].sourcetype, "cloud:log");
    /* CloudWatch subscription records: logEvents split, envelope kept. */
    ck_assert_int_eq(run_fixture(&t, "made/cloud/eks_subscription.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 4);
    ck_assert_str_eq(vals(&t.c.recs[0], "exec_command"), "sh");
    ck_assert_str_eq(vals(&t.c.recs[0], "logGroup"), "/aws/eks/eks-prod/cluster");
    ck_assert_str_eq(vals(&t.c.recs[0], "cluster"), "eks-prod");
    ck_assert_str_eq(t.c.recs[2].sourcetype, "cloud:log");        /* authenticator */
    ck_assert_str_eq(t.c.recs[3].sourcetype, "cloud:log");        /* CONTROL_MESSAGE */
    ck_assert_int_eq(t.c.recs[3].time_us, 1714557780050000LL);
    /* GKE through Pub/Sub: data lifted, protoPayload mapped. */
    ck_assert_int_eq(run_fixture(&t, "made/cloud/gke_pubsub.jsonl"), 0);
    ck_assert_uint_eq(t.c.n, 3);
    ck_assert_str_eq(vals(&t.c.recs[0], "verb"), "create");
    ck_assert_str_eq(vals(&t.c.recs[0], "objectRef.subresource"), "exec");
    ck_assert_str_eq(vals(&t.c.recs[0], "protoPayload.methodName"), "io.k8s.core.v1.pods.exec.create");
    ck_assert_str_eq(vals(&t.c.recs[0], "message_id"), "1100000000000000");
    ck_assert_ptr_null(cq_record_get(&t.c.recs[0], "data.insertId"));
    ck_assert_str_eq(vals(&t.c.recs[1], "objectRef.apiGroup"), "rbac.authorization.k8s.io");
    ck_assert_str_eq(vals(&t.c.recs[1], "requestURI"),
                     "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pwn");
    ck_assert_str_eq(t.c.recs[2].sourcetype, "cloud:log");        /* a GCE entry */
    tctx_close(&t);
}
END_TEST

/* A conf whose formats nest n envelopes: e1 holds e2 ... holds {"verb":..}. */
static char *deep_conf(int n, const char *settings)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "[settings]\n%s\n[sourcetype s]\n"
                   "[format ev]\nsourcetype = s\ndetect = verb\n", settings);
    for (int i = 1; i <= n; i++)
        cq_strbuf_addf(&sb, "[format e%d]\nsourcetype = s\ndetect = k%d\nunwrap = k%d\n", i, i, i);
    char *path = write_temp(sb.buf, ".conf");
    cq_strbuf_free(&sb);
    return path;
}

/* n envelopes as text: each a string holding the next (escaped again). */
static char *deep_line(int n)
{
    cq_strbuf a = CQ_STRBUF_INIT, b = CQ_STRBUF_INIT;
    cq_strbuf_adds(&a, "{\"verb\":\"get\"}");
    for (int i = n; i >= 1; i--) {
        cq_strbuf_reset(&b);
        cq_strbuf_addf(&b, "{\"k%d\":\"", i);
        for (size_t k = 0; k < a.len; k++) {
            if (a.buf[k] == '"' || a.buf[k] == '\\')
                cq_strbuf_addc(&b, '\\');
            cq_strbuf_addc(&b, a.buf[k]);
        }
        cq_strbuf_adds(&b, "\"}");
        cq_strbuf tmp = a;
        a = b;
        b = tmp;
    }
    cq_strbuf_addc(&a, '\n');
    cq_strbuf_free(&b);
    return a.buf;
}

static long run_conf(const char *conf, const char *text, collected *c, char **errs)
{
    size_t elen = 0;
    FILE *err = open_memstream(errs, &elen);
    cq_ingest_opts o = {.conf_path = conf, .err = err};
    cq_ingest *g;
    char msg[512];
    ck_assert_msg(cq_ingest_new(&o, &g, msg, sizeof msg) == 0, "%s", msg);
    long rc = cq_ingest_buffer(g, "a", text, strlen(text), collect, c);
    cq_ingest_free(g);
    fclose(err);
    return rc;
}

START_TEST(test_cloud_limits)
{
    collected c = {.n = 0};
    char *errs = NULL;
    /* Depth: 4 envelopes are read, a 5th is an error at its line. */
    char *conf = deep_conf(5, ""), *line = deep_line(4);
    ck_assert_int_eq(run_conf(conf, line, &c, &errs), 0);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(vals(&c.recs[0], "verb"), "get");
    free(line);
    free(errs);
    collected_free(&c);
    line = deep_line(5);
    ck_assert_int_eq(run_conf(conf, line, &c, &errs), 1);
    ck_assert_uint_eq(c.n, 0);
    ck_assert_ptr_nonnull(strstr(errs, "a:1: envelopes nested more than 4 deep"));
    free(line);
    free(errs);
    unlink(conf);
    free(conf);
    /* Inner size: max_unwrap_bytes. */
    conf = deep_conf(1, "max_unwrap_bytes = 16");
    ck_assert_int_eq(run_conf(conf, "{\"k1\":\"{\\\"verb\\\":\\\"get\\\"}\"}\n"
                                    "{\"k1\":\"{\\\"verb\\\":\\\"get\\\",\\\"x\\\":1}\"}\n", &c, &errs), 1);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_ptr_nonnull(strstr(errs, "a:2: the event in k1 ([format e1]) is longer than 16 bytes"));
    free(errs);
    collected_free(&c);
    /* Bad inner JSON and an inner event no format detects: errors with the line. */
    ck_assert_int_eq(run_conf(conf, "\n{\"k1\":\"{\\\"verb\"}\n{\"k1\":\"{\\\"x\\\":1}\"}\n",
                              &c, &errs), 2);
    ck_assert_ptr_nonnull(strstr(errs, "a:2: the event in k1 ([format e1]): invalid JSON"));
    ck_assert_ptr_nonnull(strstr(errs, "a:3: unknown format: the JSON object in k1 ([format e1])"));
    free(errs);
    unlink(conf);
    free(conf);
    /* A split document's envelope: at most CQ_MAX_RECORD_VALUES fields. */
    conf = write_temp("[sourcetype s]\n[format l]\nsourcetype = s\nsplit = items2\n"
                      "[format ev]\nsourcetype = s\ndetect = verb\n", ".conf");
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_adds(&sb, "{\"items2\":[{\"verb\":\"a\"},{\"verb\":\"b\"}],\"e\":1}\n{");
    for (int i = 0; i <= CQ_MAX_RECORD_VALUES; i++)
        cq_strbuf_addf(&sb, "\"f%d\":1,", i);
    cq_strbuf_adds(&sb, "\"items2\":[{\"verb\":\"c\"}]}\n");
    ck_assert_int_eq(run_conf(conf, sb.buf, &c, &errs), 1);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(vals(&c.recs[1], "verb"), "b");
    ck_assert_str_eq(vals(&c.recs[1], "e"), "1");
    ck_assert_ptr_nonnull(strstr(errs, "a:2: more than 10000 fields and values around the items2"));
    cq_strbuf_free(&sb);
    free(errs);
    collected_free(&c);
    unlink(conf);
    free(conf);
}
END_TEST

/* Hostile envelopes: wrong types, truncation, deep nesting; no crash, errors. */
START_TEST(test_cloud_hostile)
{
    tctx t;
    tctx_open(&t, NULL);
    const char *text =
        "{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logStream\":\"s\",\"logEvents\":[}\n"
        "{\"records\":[1,\"x\",{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\"}}]}\n"
        "{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\\\"verb\\\":[[[[\"}}\n"
        "{\"records\":7}\n"
        "{\"data\":{}}\n";
    long bad = run_text(&t, "h.log", text);
    ck_assert_int_ge(bad, 5);
    ck_assert_uint_eq(t.c.n, 0);
    const char *e = tctx_errors(&t);
    ck_assert_ptr_nonnull(strstr(e, "h.log:2: the event in properties.log ([format aks-audit])"));
    ck_assert_ptr_nonnull(strstr(e, "h.log:1: invalid JSON"));
    ck_assert_ptr_nonnull(strstr(e, "h.log:3: the event in properties.log"));
    tctx_close(&t);
}
END_TEST

/* ---- docker run: a start paired with its create (`after` rules) ---- */

#define DTEXT(t, m) "time=\"2024-05-01T" t "Z\" level=debug msg=\"" m "\"\n"

/* The same create/start story in each dockerd format (text, JSON, journald). */
static const char *const daemon_story[][2] = {
    {"10:00:00.000000000", CREATE("one")},
    {"10:00:00.000100000", "form data: {\\\"Image\\\":\\\"nginx:1.25\\\"}"},
    {"10:00:01.000000000", START("1111")},       /* run: its create 1 s before */
    {"10:00:05.000000000", START("1111")},       /* start: the create is taken */
    {"10:01:00.000000000", CREATE("two")},
    {"10:02:01.000000000", START("2222")},       /* start: 61 s after the create */
    {"10:05:00.000000000", START("3333")},       /* start: no create at all */
    {"10:06:00.000000000", CREATE("a")},
    {"10:06:01.000000000", CREATE("b")},
    {"10:06:02.000000000", START("bbbb")},       /* run: the latest create (b) */
    {"10:06:03.000000000", START("aaaa")},       /* run: then a */
    {"10:06:04.000000000", START("cccc")},       /* start: none left */
    {"10:10:00.000000000", CREATE("edge")},
    {"10:11:00.000000000", START("eeee")},       /* run: exactly 60 s */
};
static const char *const daemon_story_cmd[] = {
    "docker create", NULL, "docker run", "docker start", "docker create", "docker start",
    "docker start", "docker create", "docker create", "docker run", "docker run",
    "docker start", "docker create", "docker run",
};

static void check_daemon_story(tctx *t, const char *what)
{
    size_t n = sizeof daemon_story / sizeof daemon_story[0];
    ck_assert_msg(t->c.n == n, "%s: %zu records", what, t->c.n);
    for (size_t i = 0; i < n; i++) {
        const char *cmd = vals(&t->c.recs[i], "command"), *want = daemon_story_cmd[i];
        ck_assert_msg(want ? cmd && !strcmp(cmd, want) : !cmd, "%s: event %zu: command %s, "
                      "expected %s", what, i + 1, cmd ? cmd : "(none)", want ? want : "(none)");
        const char *action = vals(&t->c.recs[i], "action");
        if (want && strcmp(want, "docker create"))
            ck_assert_str_eq(action, "start");  /* a run's start is still a start */
    }
    ck_assert_str_eq(vals(&t->c.recs[0], "image"), "nginx:1.25");
}

START_TEST(test_docker_run_daemon_formats)
{
    tctx t;
    tctx_open(&t, NULL);
    size_t n = sizeof daemon_story / sizeof daemon_story[0];
    cq_strbuf text = CQ_STRBUF_INIT, json = CQ_STRBUF_INIT, jd = CQ_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *tm = daemon_story[i][0], *m = daemon_story[i][1];
        cq_strbuf_addf(&text, "time=\"2024-05-01T%sZ\" level=debug msg=\"%s\"\n", tm, m);
        cq_strbuf_addf(&json, "{\"level\":\"debug\",\"msg\":\"%s\",\"time\":\"2024-05-01T%sZ\"}\n",
                       m, tm);
        /* journald: the logrus line, its quotes escaped again, in MESSAGE. */
        cq_strbuf_addf(&jd, "{\"__REALTIME_TIMESTAMP\":\"1714557600000000\",\"_HOSTNAME\":\"n1\","
                       "\"_SYSTEMD_UNIT\":\"docker.service\",\"MESSAGE\":\"time=\\\"2024-05-01T%sZ"
                       "\\\" level=debug msg=\\\"", tm);
        for (const char *c = m; *c; c++)
            cq_strbuf_addf(&jd, "%s", *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : (char[]){*c, 0});
        cq_strbuf_addf(&jd, "\\\"\"}\n");
    }
    ck_assert_int_eq(run_text(&t, "text.log", text.buf), 0);
    check_daemon_story(&t, "logrus text");
    ck_assert_int_eq(run_text(&t, "json.log", json.buf), 0);
    check_daemon_story(&t, "logrus JSON");
    ck_assert_msg(run_text(&t, "journal.json", jd.buf) == 0, "%s", tctx_errors(&t));
    check_daemon_story(&t, "journald");
    /* Pairing stays inside one file: the start of another file has no create. */
    ck_assert_int_eq(run_text(&t, "a.log", DTEXT("10:00:00.000000000", CREATE("x"))), 0);
    ck_assert_int_eq(run_text(&t, "b.log", DTEXT("10:00:01.000000000", START("9999"))), 0);
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "docker start");
    /* A create and a start without _time never pair. */
    ck_assert_int_eq(run_text(&t, "c.log", "level=debug msg=\"" CREATE("x") "\" time=nope\n"
                                           "level=debug msg=\"" START("9999") "\" time=nope\n"), 0);
    ck_assert_uint_eq(t.c.n, 2);
    ck_assert_str_eq(vals(&t.c.recs[1], "command"), "docker start");
    cq_strbuf_free(&text);
    cq_strbuf_free(&json);
    cq_strbuf_free(&jd);
    tctx_close(&t);
}
END_TEST

#define EVENT(action, id, sec) "{\"status\":\"" action "\",\"id\":\"" id "\",\"Type\":" \
    "\"container\",\"Action\":\"" action "\",\"Actor\":{\"ID\":\"" id "\",\"Attributes\":" \
    "{\"name\":\"n" id "\"}},\"scope\":\"local\",\"time\":" sec ",\"timeNano\":" sec "000000000}\n"

START_TEST(test_docker_run_events)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_text(&t, "events.json",
        EVENT("create", "aa", "1714557600")
        EVENT("start", "bb", "1714557601")     /* another container: start */
        EVENT("create", "cc", "1714557602")
        EVENT("start", "aa", "1714557603")     /* its create 3 s before: run */
        EVENT("start", "aa", "1714557604")     /* second start: start */
        EVENT("start", "cc", "1714557663")     /* 61 s after its create: start */
        EVENT("create", "dd", "1714557700")
        EVENT("die", "dd", "1714557710")
        EVENT("start", "dd", "1714557760")), 0);   /* exactly 60 s: run */
    static const char *const want[] = {"docker create", "docker start", "docker create",
        "docker run", "docker start", "docker start", "docker create", NULL, "docker run"};
    ck_assert_uint_eq(t.c.n, 9);
    for (size_t i = 0; i < 9; i++) {
        const char *cmd = vals(&t.c.recs[i], "command");
        ck_assert_msg(want[i] ? cmd && !strcmp(cmd, want[i]) : !cmd, "event %zu: %s", i + 1,
                      cmd ? cmd : "(none)");
    }
    ck_assert_str_eq(vals(&t.c.recs[3], "action"), "start");
    ck_assert_str_eq(vals(&t.c.recs[3], "container_id"), "aa");
    tctx_close(&t);
}
END_TEST

/* A user's own `after` rule: `same` compares a field, any rule can open. */
START_TEST(test_after_user_rule)
{
    char *path = write_temp(
        "[sourcetype app]\n[format app-json]\nsourcetype = app\ntype = json\ndetect = ev\n"
        "time = ts:epoch_s\n"
        "[rule login]\nwhen ev = login\n"
        "[rule sudo-after-login]\nafter = login within 2m same user\nwhen ev = sudo\n"
        "set note = sudo $user$ after login\n", ".conf");
    cq_ingest_opts o = {.conf_path = path, .err = stderr};
    cq_ingest *g;
    char err[512];
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    collected c = {.n = 0};
    const char *text =
        "{\"ev\":\"login\",\"user\":\"bob\",\"ts\":100}\n"
        "{\"ev\":\"sudo\",\"user\":\"eve\",\"ts\":110}\n"      /* other user */
        "{\"ev\":\"sudo\",\"user\":\"bob\",\"ts\":220}\n"      /* 120 s: pairs */
        "{\"ev\":\"sudo\",\"user\":\"bob\",\"ts\":221}\n"      /* taken */
        "{\"ev\":\"sudo\",\"ts\":222}\n";                      /* no user: never */
    ck_assert_int_eq(cq_ingest_buffer(g, "a", text, strlen(text), collect, &c), 0);
    ck_assert_uint_eq(c.n, 5);
    ck_assert_ptr_null(vals(&c.recs[1], "note"));
    ck_assert_str_eq(vals(&c.recs[2], "note"), "sudo bob after login");
    ck_assert_ptr_null(vals(&c.recs[3], "note"));
    ck_assert_ptr_null(vals(&c.recs[4], "note"));
    collected_free(&c);
    cq_ingest_free(g);
    unlink(path);
    free(path);
}
END_TEST

/* A fresh job that sees start st at t_us: cq_after_take's answer. */
static int pending_start(cq_after *job, const cq_conf *c, const cq_rule *run, cq_record *st,
                         int64_t t_us)
{
    cq_after_init(job, c);
    job->record_pend = 1;
    st->time_us = t_us;
    cq_after_see(job, c, t_us);
    return cq_after_take(job, run, st);
}

/* cq_after_rerun: the two facts a job keeps decide whether the lines
 * before it would have paired its events differently. */
START_TEST(test_after_rerun_check)
{
    char *path = write_temp("[rule open]\nwhen ev = create\n"
                            "[rule run]\nafter = open within 60s same id\nwhen ev = start\n", ".conf");
    cq_conf *c;
    char err[512];
    ck_assert_msg(cq_conf_load(path, &c, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(c->n_after, 1);
    const cq_rule *run = &c->rules[1];
    ck_assert_int_eq(run->within_us, 60000000);
    ck_assert_str_eq(run->same, "id");
    unsigned char opened[2] = {1, 0};
    cq_record cr, st;
    cq_record_init(&cr);
    cq_record_init(&st);
    cq_record_adds(&cr, "id", "x");
    cq_record_adds(&st, "id", "x");
    const int64_t s = 1000000;
    cq_after prev, job;
    /* prev: a create of x at 100 s, its file's newest event at 130 s. */
    cq_after_init(&prev, c);
    cr.time_us = 100 * s;
    cq_after_see(&prev, c, cr.time_us);
    cq_after_push(&prev, c, &cr, opened);
    cq_after_see(&prev, c, 130 * s);
    /* job: a start of x at 150 s finds no create in the job: pending, and
     * prev's create 50 s before it would have paired: re-run. */
    ck_assert_int_eq(pending_start(&job, c, run, &st, 150 * s), 0);
    ck_assert_uint_eq(job.n_pend, 1);
    ck_assert_int_eq(cq_after_rerun(&prev, &job, c), 1);
    cq_after_free(&job);
    /* The same start at 161 s: too late for it, nothing to re-run. */
    ck_assert_int_eq(pending_start(&job, c, run, &st, 161 * s), 0);
    ck_assert_int_eq(cq_after_rerun(&prev, &job, c), 0);
    cq_after_free(&job);
    /* A start of another id at 150 s: its key differs. */
    cq_record_set(&st, "id", "y", 1);
    ck_assert_int_eq(pending_start(&job, c, run, &st, 150 * s), 0);
    ck_assert_int_eq(cq_after_rerun(&prev, &job, c), 0);
    cq_after_free(&job);
    /* Logs out of order: the job pairs a create at 60 s with a start at 61 s,
     * but prev's newest event (130 s) had already dropped that create. */
    cq_after_init(&job, c);
    job.record_pend = 1;
    cq_record_set(&st, "id", "x", 1);
    cr.time_us = 60 * s;
    st.time_us = 61 * s;
    cq_after_see(&job, c, cr.time_us);
    cq_after_push(&job, c, &cr, opened);
    cq_after_see(&job, c, st.time_us);
    ck_assert_int_eq(cq_after_take(&job, run, &st), 1);
    ck_assert_uint_eq(job.n_pend, 0);
    ck_assert_int_eq(cq_after_rerun(&prev, &job, c), 1);
    /* Merged, prev's create goes first and the job keeps nothing pending. */
    cq_after_push(&job, c, &cr, opened);
    cq_after_merge(&job, &prev, c);
    ck_assert_int_eq(job.wm_us, 130 * s);
    ck_assert_uint_eq(job.q[0].n, 1);       /* the job's 60 s create is too old now */
    ck_assert_int_eq(job.q[0].v[0].t_us, 100 * s);
    ck_assert_uint_eq(prev.q[0].n, 0);
    cq_after_free(&job);
    cq_after_free(&prev);
    cq_record_free(&cr);
    cq_record_free(&st);
    cq_conf_free(c);
    unlink(path);
    free(path);
}
END_TEST

/* strip: the named groups of the prefix become fields (here: the syslog host). */
START_TEST(test_strip_groups)
{
    tctx t;
    tctx_open(&t, NULL);
    ck_assert_int_eq(run_text(&t, "syslog",
        "May  1 10:00:00 node-7 dockerd[812]: time=\"2024-05-01T10:00:00.000000000Z\" "
        "level=debug msg=\"Calling POST /v1.43/containers/create?name=web\"\n"
        "2024-05-01T10:00:01.000000+00:00 node-8 dockerd[812]: time=\"2024-05-01T10:00:01."
        "000000000Z\" level=debug msg=\"Calling POST /v1.43/containers/1a2b/start\"\n"
        "2021-07-28T10:21:21Z dockerd time=\"2024-05-01T10:00:02.000000000Z\" level=info "
        "msg=\"no host in this prefix\"\n"
        "time=\"2024-05-01T10:00:03.000000000Z\" level=info msg=\"no prefix\"\n"), 0);
    ck_assert_uint_eq(t.c.n, 4);
    ck_assert_str_eq(vals(&t.c.recs[0], "syslog_host"), "node-7");
    ck_assert_str_eq(t.c.recs[0].host, "node-7");
    ck_assert_str_eq(vals(&t.c.recs[0], "command"), "docker create");
    ck_assert_str_eq(vals(&t.c.recs[1], "syslog_host"), "node-8");
    ck_assert_str_eq(t.c.recs[1].host, "node-8");
    ck_assert_str_eq(vals(&t.c.recs[1], "command"), "docker run");
    ck_assert_ptr_null(vals(&t.c.recs[2], "syslog_host"));
    ck_assert_ptr_null(t.c.recs[2].host);
    ck_assert_str_eq(vals(&t.c.recs[2], "msg"), "no host in this prefix");
    ck_assert_ptr_null(vals(&t.c.recs[3], "syslog_host"));
    tctx_close(&t);

    /* A user's format: a group that detect needs, a '_' group dropped. */
    char *path = write_temp(
        "[sourcetype app]\n[format app-kv]\nsourcetype = app\ntype = kv\n"
        "strip = ^<(?<app>[a-z]+)(?:/(?<_pid>[0-9]+))?> \ndetect = app=billing msg\n"
        "time = ts:epoch_s\n", ".conf");
    cq_ingest_opts o = {.conf_path = path, .err = stderr};
    cq_ingest *g;
    char err[512];
    ck_assert_msg(cq_ingest_new(&o, &g, err, sizeof err) == 0, "%s", err);
    collected c = {.n = 0};
    const char *text = "<billing/42> ts=1714557600 msg=paid\n"
                       "<shipping/7> ts=1714557601 msg=sent\n";
    ck_assert_int_eq(cq_ingest_buffer(g, "a", text, strlen(text), collect, &c), 1);
    ck_assert_uint_eq(c.n, 1);                  /* shipping: detect fails on the group */
    ck_assert_str_eq(vals(&c.recs[0], "app"), "billing");
    ck_assert_ptr_null(vals(&c.recs[0], "_pid"));
    ck_assert_str_eq(vals(&c.recs[0], "msg"), "paid");
    ck_assert_int_eq(c.recs[0].time_us, 1714557600000000LL);
    collected_free(&c);
    cq_ingest_free(g);
    unlink(path);
    free(path);
}
END_TEST

/* ---- input ---- */

START_TEST(test_gzip_input)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "/tmp/cq_test_ingest_%ld.gz", (long)getpid());
    /* Two gzip members, as `cat a.gz b.gz` makes. */
    for (int m = 0; m < 2; m++) {
        gzFile z = gzopen(sb.buf, m ? "ab" : "wb");
        ck_assert_ptr_nonnull(z);
        for (int i = 0; i < 1000; i++)
            gzprintf(z, "time=\"2024-05-01T10:00:00Z\" level=info msg=\"m%d line %d\"\n", m, i);
        gzclose(z);
    }
    cq_input *in;
    ck_assert_int_eq(cq_input_open(sb.buf, &in), 0);
    ck_assert_int_eq(cq_input_is_gzip(in), 1);
    cq_strbuf all = CQ_STRBUF_INIT;
    char buf[4096], err[256];
    long n;
    while ((n = cq_input_read(in, buf, sizeof buf, err, sizeof err)) > 0)
        cq_strbuf_add(&all, buf, (size_t)n);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(all.buf, "msg=\"m1 line 999\"\n"));
    ck_assert_int_eq(cq_input_rewind(in, err, sizeof err), 0);
    ck_assert_int_eq(cq_input_read(in, buf, 5, err, sizeof err), 5);
    ck_assert_int_eq(memcmp(buf, "time=", 5), 0);
    cq_input_close(in);
    cq_strbuf_free(&all);
    unlink(sb.buf);
    cq_strbuf_free(&sb);
}
END_TEST

/* ---- through the index ---- */

static void append_file(const char *path, const char *text, const char *mode)
{
    FILE *fp = fopen(path, mode);
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

#define AUDIT_LINE(id) "{\"auditID\":\"" id "\",\"verb\":\"get\",\"requestURI\":\"/api\"," \
    "\"stage\":\"ResponseComplete\",\"requestReceivedTimestamp\":\"2024-05-01T10:00:00Z\"}\n"

START_TEST(test_index_idempotent_and_resume)
{
    char db[128], log[128], err[512];
    snprintf(db, sizeof db, "/tmp/cq_test_ingest_%ld.db", (long)getpid());
    snprintf(log, sizeof log, "/tmp/cq_test_ingest_%ld.log", (long)getpid());
    unlink(db);
    append_file(log, AUDIT_LINE("1") AUDIT_LINE("2"), "w");
    cq_index *idx;
    ck_assert_msg(cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err) == 0, "%s", err);
    tctx t;
    tctx_open(&t, NULL);
    cq_ingest_stats s;
    ck_assert_int_eq(cq_ingest_path(t.g, idx, log), 0);
    cq_ingest_get_stats(t.g, &s);
    ck_assert_uint_eq(s.n_files_new, 1);
    ck_assert_uint_eq(s.n_records, 2);
    /* the same file again: nothing added */
    ck_assert_int_eq(cq_ingest_path(t.g, idx, log), 0);
    cq_ingest_get_stats(t.g, &s);
    ck_assert_uint_eq(s.n_files_skipped, 1);
    ck_assert_uint_eq(s.n_records, 2);
    /* it grew: only the new lines; a half-written last line waits */
    append_file(log, AUDIT_LINE("3") "{\"auditID\":\"4\",\"ve", "a");
    ck_assert_int_eq(cq_ingest_path(t.g, idx, log), 0);
    cq_ingest_get_stats(t.g, &s);
    ck_assert_uint_eq(s.n_files_resumed, 1);
    ck_assert_uint_eq(s.n_records, 3);
    append_file(log, "rb\":\"get\",\"requestURI\":\"/api\"}\n", "a");
    ck_assert_int_eq(cq_ingest_path(t.g, idx, log), 0);
    cq_ingest_get_stats(t.g, &s);
    ck_assert_uint_eq(s.n_files_resumed, 2);
    ck_assert_uint_eq(s.n_records, 4);
    ck_assert_int_eq(cq_ingest_path(t.g, idx, log), 0);
    cq_ingest_get_stats(t.g, &s);
    ck_assert_uint_eq(s.n_records, 4);
    ck_assert_uint_eq(s.n_files_skipped, 2);
    tctx_close(&t);
    cq_index_close(idx);
    unlink(log);
    char side[160];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}
END_TEST


Suite *ingest_suite(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_flatten_names);
    tcase_add_test(tc, test_flatten_errors);
    tcase_add_test(tc, test_kv_parse);
    tcase_add_test(tc, test_audit_falco_exec);
    tcase_add_test(tc, test_audit_attach_and_privileged);
    tcase_add_test(tc, test_audit_exec_get_and_near_misses);
    tcase_add_test(tc, test_panther_events);
    tcase_add_test(tc, test_dockerd_exec);
    tcase_add_test(tc, test_dockerd_corpus_prefix);
    tcase_add_test(tc, test_logrus_example);
    tcase_add_test(tc, test_k8s_event_list);
    tcase_add_test(tc, test_docker_events_and_journald);
    tcase_add_test(tc, test_audit_event_list_one_line);
    tcase_add_test(tc, test_malformed_lines);
    tcase_add_test(tc, test_huge_line);
    tcase_add_test(tc, test_forced_sourcetype_alias);
    tcase_add_test(tc, test_conf_errors);
    tcase_add_test(tc, test_conf_user_rule);
    tcase_add_test(tc, test_docker_run_daemon_formats);
    tcase_add_test(tc, test_docker_run_events);
    tcase_add_test(tc, test_after_user_rule);
    tcase_add_test(tc, test_after_rerun_check);
    tcase_add_test(tc, test_strip_groups);
    tcase_add_test(tc, test_gzip_input);
    tcase_add_test(tc, test_cloud_envelopes);
    tcase_add_test(tc, test_cloud_limits);
    tcase_add_test(tc, test_cloud_hostile);
    tcase_add_test(tc, test_index_idempotent_and_resume);
    ingest_par_tests(s, tc);
    ingest_damage_tests(s, tc);
    suite_add_tcase(s, tc);
    return s;
}

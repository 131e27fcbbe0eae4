/*
 * gen_audit_int.h - private to the audit generator (gen_audit*.c): the world
 * model and the one-event emitter that the traffic functions share.
 */
#ifndef CQ_DATA_GEN_AUDIT_INT_H
#define CQ_DATA_GEN_AUDIT_INT_H

#include "data/gen.h"

#define N_NODES 48
#define N_HUMANS 40
#define N_USERS 290
#define K8S_UA_TAIL "(linux/amd64) kubernetes/55019c8"
#define K8S_VER "v1.29.4"
#define RARE_MARKER "rare-pod-7f3a9c"
#define N_TEAMS 15              /* team namespaces */
#define N_COMPS 11              /* components per team: apps = N_TEAMS * N_COMPS + infra */
#define N_ADMINS 8              /* the first people: the platform team (cluster-admin) */

enum { U_NODE, U_CP, U_CTRL, U_APP, U_HUMAN };

typedef struct actor {
    int kind;
    char name[80];          /* user.username */
    char groups[128];       /* JSON array text */
    char ua[128];
    char ip[20];
    char reason[224];       /* authorization.k8s.io/reason */
    int has_uid;
    int index;              /* node number, app or human index */
    int team;               /* people: their team namespace, -1 for admins */
} actor;

typedef struct app {
    char ns[24];
    char name[48];          /* deployment and service account */
    char container[24];
    char image[96];
    char rs_hash[12];       /* pod-template-hash */
    int replicas;
} app;

typedef struct world {
    actor users[N_USERS];
    size_t n_users;
    app apps[200];
    size_t n_apps;
    size_t first_node, first_cp, first_ctrl, first_app, first_human;
    cq_strbuf uri;          /* scratch: requestURI */
    cq_strbuf obj;          /* scratch: requestObject */
    cq_strbuf tmp;
    const gen_audit_opts *o;
    int rare_done;
    uint64_t exec_lines;    /* pods/exec lines pushed */
    uint64_t request_id;    /* seed of the current request's auditID */
} world;

typedef struct audit_ev {
    const actor *u;
    const char *level, *verb;
    const char *resource, *ns, *name, *group, *version, *sub;
    int code;
    const char *fail_reason;    /* NotFound, Forbidden, Conflict, AlreadyExists,
                                   Invalid or NULL */
    const char *fail_msg;       /* JSON-escaped message, overriding the
                                   RBAC-style one; set for admission denials,
                                   which authorization allowed */
    int64_t received;
    int64_t started;            /* long-running: when the response starts, else 0 */
    int64_t staged;             /* when the response completes */
    int pod_extra;              /* app SA: pod-bound token extras */
    int replica;                /* which pod of the app made the call */
    const char *ua;             /* overrides the actor's user agent */
    const char *annot_extra;    /* raw JSON members appended to annotations */
    const char *truth_id;       /* sample truth: one line per logged stage;
                                   "benign" marks a known-benign look-alike */
    const char *truth_pre, *truth_post;     /* "PRE<stage>POST" */
} audit_ev;

void audit_build_world(world *w);
/* Logs one request as the API server does: RequestReceived (unless the
 * policy omits it), ResponseStarted when e->started is set (long-running
 * requests), and ResponseComplete at e->staged, all with one auditID, built
 * from e, w->uri and w->obj (the request body, logged at ResponseComplete
 * when non-empty).  Clears neither scratch buffer. */
void audit_request(gen_ctx *c, world *w, const audit_ev *e);
/* URI = resource path (+ name/subresource when with_name) + query; fills
 * e->staged when 0, emits, and clears w->obj. */
void audit_simple(gen_ctx *c, world *w, audit_ev *e, int with_name,
                  const char *query);
/* A watch on e's resource: long-running, so it has a ResponseStarted stage. */
void audit_watch(gen_ctx *c, world *w, audit_ev *e, const char *selector);
int64_t audit_latency(gen_ctx *c, int64_t mean_us);
void audit_put_pod_name(cq_strbuf *b, const app *a, int replica);

#endif

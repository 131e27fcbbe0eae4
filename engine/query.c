/* query.c - compile (expand macros, parse, resolve, plan) and run, with one
 * owner for everything. */
#include "engine/query.h"
#include "engine/op.h"
#include "common/paths.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "grammar/parse.h"
#include "grammar/resolve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

cq_query *cq_query_new(const char *text, size_t len, const char *source, unsigned line_base)
{
    cq_query *q = cq_xcalloc(1, sizeof *q);
    cq_arena_init(&q->arena);
    q->text = cq_arena_strndup(&q->arena, text, len);
    q->len = len;
    q->source = cq_arena_strdup(&q->arena, source);
    q->line_base = line_base;
    cq_diag_init(&q->diag);
    return q;
}

/* Loads the macro definitions (the given file, else macros.conf if there is
 * one) into m. */
static int load_macros(cq_query *q, cq_macros *m, const char *path)
{
    cq_macros_init(m, &q->arena);
    char *found = path ? NULL : cq_find_data("macros.conf");
    const char *file = path ? path : found;
    int rc = file ? cq_macros_load(m, file, &q->diag) : 0;
    free(found);
    return rc;
}

/* The lookup directory: the given one, else $CQUERY_LOOKUPS, else the data
 * directory's lookups/ (NULL when there is none). */
static const char *lookup_dir(cq_query *q, const char *given)
{
    if (given)
        return given;
    const char *env = getenv("CQUERY_LOOKUPS");
    if (env && *env)
        return cq_arena_strdup(&q->arena, env);
    char *found = cq_find_data("lookups");
    const char *dir = found ? cq_arena_strdup(&q->arena, found) : NULL;
    free(found);
    return dir;
}

/* iplocation's databases: the given ones, else $CQUERY_GEOIP_DB, as one
 * ':'-separated list; NULL: iplocation's default paths. */
static const char *geoip_dbs(cq_query *q, const cq_query_opts *o)
{
    if (o && o->n_geoip_db) {
        cq_strbuf sb = CQ_STRBUF_INIT;
        for (size_t i = 0; i < o->n_geoip_db; i++) {
            if (i)
                cq_strbuf_addc(&sb, ':');
            cq_strbuf_adds(&sb, o->geoip_db[i]);
        }
        const char *list = cq_arena_strdup(&q->arena, cq_strbuf_str(&sb));
        cq_strbuf_free(&sb);
        return list;
    }
    const char *env = getenv("CQUERY_GEOIP_DB");
    return env && *env ? cq_arena_strdup(&q->arena, env) : NULL;
}

/* The data model files: datamodels.conf of the data directory, then the
 * files of $CQUERY_DATAMODELS (':'-separated), which extend or override
 * it; NULL when there is none. */
static const char *datamodel_files(cq_query *q)
{
    char *found = cq_find_data("datamodels.conf");
    const char *env = getenv("CQUERY_DATAMODELS");
    cq_strbuf sb = CQ_STRBUF_INIT;
    if (found)
        cq_strbuf_adds(&sb, found);
    if (env && *env)
        cq_strbuf_addf(&sb, "%s%s", sb.len ? ":" : "", env);
    const char *list = sb.len ? cq_arena_strdup(&q->arena, cq_strbuf_str(&sb)) : NULL;
    cq_strbuf_free(&sb);
    free(found);
    return list;
}

int cq_query_compile(cq_query *q, const cq_query_opts *o)
{
    cq_plan_opts po = {
        .earliest = o ? o->earliest : INT64_MIN,
        .latest = o ? o->latest : INT64_MAX,
        .now_us = o && o->now_us ? o->now_us : cq_time_now_us(),
        .tz = o ? o->tz : 0,
        .lookups = lookup_dir(q, o ? o->lookups : NULL),
        .geoip_db = geoip_dbs(q, o),
        .limits = o && o->limits ? *o->limits : CQ_LIMITS_SPLUNK,
        .threads = o ? o->threads : 0,
        .datamodels = datamodel_files(q),
    };
    cq_macros m;
    if (load_macros(q, &m, o ? o->macros : NULL))
        return -1;
    /* Expand, parse, resolve: spans in q->ast index q->text. */
    if (cq_resolve_query(&q->arena, &m, q->text, q->len, &q->expanded, &q->ast, &q->diag))
        return -1;
    if (cq_plan_build(&q->arena, q->ast, &po, &q->plan, &q->diag))
        return -1;
    return 0;
}

int cq_query_run(cq_query *q, cq_index *idx, cq_sink *sink, cq_exec_stats *stats)
{
    cq_exec_stats local;
    return cq_exec_run_bounded(q->plan, idx, sink, &q->diag, stats ? stats : &local, &q->bounds);
}

const cq_ast *cq_query_not_streaming(const cq_query *q)
{
    const cq_plan *p = q->plan;
    if (p->source)
        return p->source->cmd;
    for (size_t i = 0; i < p->n_stages; i++) {
        unsigned flags = p->stages[i].def->flags;
        if ((flags & (CQ_CMD_STREAMING | CQ_CMD_ORDERED)) != CQ_CMD_STREAMING)
            return p->stages[i].cmd;
    }
    return NULL;
}

void cq_query_print_error(const cq_query *q, FILE *out)
{
    cq_diag_print(out, &q->diag, q->source, q->text, q->len, q->line_base);
}

void cq_query_free(cq_query *q)
{
    if (!q)
        return;
    cq_arena_free(&q->arena);
    free(q);
}

/*
 * aggcmd.c - what the stats-family commands share besides the functions:
 * reading their arguments and options, the groups-and-states setup
 * (cq_grouper), and turning groups into a batch.
 */
#include "engine/agg/agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 'x.y' names the field x.y, as in eval. */
static const char *unquote(cq_arena *a, const char *name)
{
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
        return cq_arena_strndup(a, name + 1, n - 2);
    return name;
}

/* ------------------------------------------------------------ commands */

const char *cq_opt_text(const cq_ast *cmd, const char *name)
{
    const cq_ast *o = cq_ast_option(cmd, name);
    if (!o || !o->kids)
        return NULL;
    return o->kids->text ? o->kids->text : o->kids->name;
}

int cq_opt_uint(const cq_ast *cmd, const char *name, long def, long *out, cq_diag *d)
{
    const cq_ast *o = cq_ast_option(cmd, name);
    const char *t = cq_opt_text(cmd, name);
    *out = def;
    if (!t)
        return 0;
    char *end;
    long v = strtol(t, &end, 10);
    if (*end || end == t || v < 0)
        return cq_diag_set(d, o->span, "%s= takes a whole number, not \"%s\"", name, t);
    *out = v;
    return 0;
}

int cq_opt_bool(const cq_ast *cmd, const char *name, int def, int *out, cq_diag *d)
{
    const char *t = cq_opt_text(cmd, name);
    *out = def;
    if (!t)
        return 0;
    if (!strcasecmp(t, "true") || !strcasecmp(t, "t") || !strcmp(t, "1"))
        *out = 1;
    else if (!strcasecmp(t, "false") || !strcasecmp(t, "f") || !strcmp(t, "0"))
        *out = 0;
    else
        return cq_diag_set(d, cq_ast_option(cmd, name)->span,
                           "%s= takes true or false, not \"%s\"", name, t);
    return 0;
}

int cq_aggcmd_prepare(cq_arena *a, const cq_ast *cmd, int need_agg, cq_aggcmd *out,
                      cq_diag *d)
{
    memset(out, 0, sizeof *out);
    out->aggs = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *out->aggs);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_AGG) {
            if (!strcmp(k->name, "eval"))
                return cq_diag_set(d, k->span, "not supported yet: eval() over aggregations");
            if (cq_agg_prepare(a, k, &out->aggs[out->n_aggs], d))
                return -1;
            out->n_aggs++;
        } else if (k->kind == CQ_AST_BY) {
            out->by = cq_arena_calloc(a, (k->n_kids + 1) * sizeof *out->by);
            for (const cq_ast *f = k->kids; f; f = f->next) {
                if (f->kind != CQ_AST_FIELD || !f->name)
                    return cq_diag_set(d, f->span, "expected a field name after by");
                if (out->n_by == CQ_GROUPS_MAX_BY)
                    return cq_diag_set(d, f->span, "at most %d fields after by",
                                       CQ_GROUPS_MAX_BY);
                out->by[out->n_by++] = unquote(a, f->name);
            }
        }
    }
    if (need_agg && !out->n_aggs)
        return cq_diag_set(d, cq_span_make(cmd->span.start, cmd->span.start +
                                           (uint32_t)strlen(cmd->name)),
                           "%s needs a function, e.g. %s count by host", cmd->name, cmd->name);
    long lm;
    if (cq_opt_uint(cmd, "list_maxsize", 100, &lm, d))
        return -1;
    out->list_max = (uint32_t)lm;
    return 0;
}

void cq_groups_col(const cq_groups *g, uint32_t f, const uint32_t *ids, uint32_t n,
                   cq_arena *a, cq_col *out)
{
    memset(out, 0, sizeof *out);
    out->n_rows = n;
    int all_time = n > 0;
    for (uint32_t i = 0; i < n && all_time; i++)
        all_time = g->keys[(size_t)ids[i] * g->n_by + f].is_time;
    if (all_time) {
        int64_t *t = cq_arena_alloc(a, (n + 1) * sizeof *t);
        for (uint32_t i = 0; i < n; i++)
            t[i] = g->keys[(size_t)ids[i] * g->n_by + f].t;
        out->kind = CQ_COL_TIME;
        out->times = t;
        return;
    }
    cq_sv *s = cq_arena_alloc(a, (n + 1) * sizeof *s);
    for (uint32_t i = 0; i < n; i++) {
        const cq_gkey *k = &g->keys[(size_t)ids[i] * g->n_by + f];
        s[i] = k->is_time ? cq_num_format((double)k->t / 1e6, a) : k->s;
    }
    out->kind = CQ_COL_STR;
    out->strs = s;
}

int cq_aggset_emit(cq_aggset *s, const cq_groups *g, const uint32_t *ids, uint32_t n,
                   cq_batch *out, cq_arena *a, cq_diag *d)
{
    cq_batch_clear(out);
    out->n_rows = out->n_sel = n;
    for (uint32_t f = 0; f < g->n_by; f++) {
        cq_col c;
        cq_groups_col(g, f, ids, n, a, &c);
        cq_batch_put(out, g->by[f], &c);
    }
    uint16_t *rows = cq_arena_alloc(a, (n + 1) * sizeof *rows);
    for (uint32_t i = 0; i < n; i++)
        rows[i] = (uint16_t)i;
    cq_val *v = cq_arena_alloc(a, (n + 1) * sizeof *v);
    for (uint32_t k = 0; k < s->n_aggs; k++) {
        for (uint32_t i = 0; i < n; i++)
            cq_aggset_result(s, ids[i], k, a, &v[i]);
        cq_col c;
        if (cq_vals_to_col(v, rows, n, n, a, &c, NULL, d))
            return -1;
        cq_batch_put(out, s->aggs[k].name, &c);
    }
    return 0;
}

/* ------------------------------------------------------------ grouper */

void cq_grouper_init(cq_grouper *g, const char *const *keys, uint32_t n_keys,
                     const cq_agg *aggs, uint32_t n_aggs, uint32_t list_max, cq_diag *d,
                     int64_t now_us, int tz)
{
    memset(g, 0, sizeof *g);
    cq_groups_init(&g->groups, keys, n_keys);
    cq_aggset_init(&g->set, aggs, n_aggs, d, now_us, tz);
    g->set.list_max = list_max;
}

int cq_grouper_map(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n)
{
    g->n_pairs = cq_groups_map(&g->groups, b, rows, n, &g->pos, &g->gid, &g->cap);
    if (!g->n_pairs)
        return 0;
    cq_aggset_grow(&g->set, g->groups.n_groups);
    return cq_aggset_load(&g->set, b, rows, n);
}

int cq_grouper_fold(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n)
{
    if (cq_grouper_map(g, b, rows, n))
        return -1;
    cq_aggset_add(&g->set, g->pos, g->gid, g->n_pairs);
    return 0;
}

int cq_grouper_add(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n)
{
    if (cq_groups_count_dict(&g->groups, &g->set, b, rows, n))
        return 0;
    return cq_grouper_fold(g, b, rows, n);
}

void cq_grouper_free(cq_grouper *g)
{
    cq_aggset_free(&g->set);
    cq_groups_free(&g->groups);
    free(g->pos);
    free(g->gid);
}

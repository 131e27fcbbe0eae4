/*
 * op_join.c - commands that combine the results of several searches:
 *
 *   join [type=inner|left|outer] [max=N] [overwrite=true|false] f1, f2 [ sub ]
 *       each result gets the fields of the subsearch's results whose
 *       f1, f2 values are the same (exact, case-sensitive, as in Splunk);
 *       inner drops results without a match, left/outer keeps them as they
 *       are.  max=1 (Splunk's default) joins the first match only; max=0
 *       every match.  The subsearch keeps at most --join-maxout rows
 *       (Splunk's 50,000), with a note on stderr when that cuts.  The
 *       subsearch's fields overwrite the result's (overwrite=true, Splunk's
 *       default) except the join fields and internal (_*) fields, which stay
 *       the result's.
 *   append [ sub ]
 *       the subsearch's results after the main results (same limit).
 *   | multisearch [ s1 ] [ s2 ] ...
 *       every subsearch's events, merged newest first; each must use only
 *       streaming commands that do not depend on order (Splunk's
 *       "distributable streaming" rule: no head, dedup...), so each stream
 *       is already in time order.
 *
 * Does not: join on all common fields when none is named, usetime/earlier.
 */
#include "engine/subsearch.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct join_cfg {
    const char *name;       /* "join" or "append" */
    int left;               /* keep results without a match */
    int overwrite;
    uint64_t max;           /* matches per result; 0: all */
    const char **fields;
    size_t n_fields;
    const cq_plan *sub;
    uint64_t maxout;
} join_cfg;

/* The SUBSEARCH child of a command, planned. */
static int plan_sub(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, const cq_plan **out,
                    cq_diag *d)
{
    const cq_ast *sub = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_SUBSEARCH)
            sub = k;
    if (!sub)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "%s needs a subsearch [ ... ]", cmd->name);
    cq_plan *p;
    if (cq_subsearch_plan(a, sub, o, &p, d))
        return -1;
    *out = p;
    return 0;
}

static int bool_opt(const cq_ast *k, int *out, cq_diag *d)
{
    const char *v = k->kids && k->kids->text ? k->kids->text : "";
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "t"))
        *out = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "f"))
        *out = 0;
    else
        return cq_diag_set(d, k->span, "%s takes true or false", k->name);
    return 0;
}

static int join_option(join_cfg *c, const cq_ast *k, cq_diag *d)
{
    const char *v = k->kids && k->kids->text ? k->kids->text : "";
    if (!strcmp(k->name, "type")) {
        if (!strcasecmp(v, "inner"))
            c->left = 0;
        else if (!strcasecmp(v, "left") || !strcasecmp(v, "outer"))
            c->left = 1;
        else
            return cq_diag_set(d, k->span, "join type is inner, left or outer, not \"%s\"", v);
        return 0;
    }
    if (!strcmp(k->name, "max")) {
        double n = -1;
        if (k->kids && k->kids->kind == CQ_AST_NUMBER)
            n = k->kids->num;
        else if (!cq_parse_num(v, strlen(v), &n))
            n = -1;
        if (n < 0 || n > 1e15 || n != (double)(uint64_t)n)
            return cq_diag_set(d, k->span, "max takes a whole number (0: every match)");
        c->max = (uint64_t)n;
        return 0;
    }
    if (!strcmp(k->name, "overwrite"))
        return bool_opt(k, &c->overwrite, d);
    return cq_diag_set(d, k->span, "not supported yet: %s %s=", c->name, k->name);
}

int cq_prepare_join(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    join_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->name = cmd->name;
    c->overwrite = 1;
    c->max = 1;
    c->maxout = o->limits.join_maxout;
    c->fields = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *c->fields);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION) {
            if (join_option(c, k, d))
                return -1;
        } else if (k->kind == CQ_AST_FIELD) {
            c->fields[c->n_fields++] = k->name;
        }
    }
    if (!c->n_fields) {
        cq_diag_set(d, cq_cmd_name_span(cmd), "not supported yet: join without field names");
        cq_diag_hint(d, "name the fields to join on: join user [ search ... ]");
        return -1;
    }
    if (plan_sub(a, cmd, o, &c->sub, d))
        return -1;
    *cfg = c;
    return 0;
}

int cq_prepare_append(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    join_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->name = cmd->name;
    c->maxout = o->limits.join_maxout;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "maxout")) {
            double n;
            const char *v = k->kids && k->kids->text ? k->kids->text : "";
            if (!cq_parse_num(v, strlen(v), &n) || n < 0 || n != (double)(uint64_t)n)
                return cq_diag_set(d, k->span, "maxout takes a whole number");
            c->maxout = (uint64_t)n;
        } else if (k->kind == CQ_AST_OPTION) {
            return cq_diag_set(d, k->span, "not supported yet: append %s=", k->name);
        } else if (k->kind == CQ_AST_FIELD) {
            return cq_diag_set(d, k->span, "append takes no field names");
        }
    }
    if (plan_sub(a, cmd, o, &c->sub, d))
        return -1;
    *cfg = c;
    return 0;
}

/* ---------------------------------------------------------------- keys */

/* Appends one field's values to a key ("\x1e" between values, "\x1f" after
 * the field). */
static void key_add(cq_strbuf *key, cq_sv v, int more)
{
    cq_strbuf_add(key, v.p, v.len);
    cq_strbuf_addc(key, more ? '\x1e' : '\x1f');
}

/* ---------------------------------------------------------------- join */

typedef struct pick {
    uint32_t main_row;
    uint32_t sub_row;       /* UINT32_MAX: no match (left join) */
} pick;

typedef struct join_op {
    cq_oper base;
    const join_cfg *cfg;
    int loaded;
    cq_rowstore sub;
    cq_arena keys;          /* key strings of the map */
    cq_strmap map;          /* key -> group */
    uint32_t *first, *next_row;     /* group -> first sub row; row -> next in group */
    uint32_t *last;
    uint32_t n_groups;
    cq_batch *in;           /* the child's current batch */
    uint32_t in_pos;        /* next selected row of `in` */
    uint32_t cont_row;      /* a match list cut by the batch size: next sub row */
    uint64_t cont_n;        /* matches of that row already emitted */
    cq_arena arena;         /* output, reset per call */
    cq_batch out;
    pick picks[CQ_BATCH_ROWS];
} join_op;

/* Indexes the subsearch's rows by their join key. */
static void build_map(join_op *j)
{
    const join_cfg *c = j->cfg;
    size_t n = j->sub.n_rows;
    j->first = cq_xcalloc(n + 1, sizeof *j->first);
    j->last = cq_xcalloc(n + 1, sizeof *j->last);
    j->next_row = cq_xcalloc(n + 1, sizeof *j->next_row);
    cq_strbuf key = CQ_STRBUF_INIT;
    cq_arena scratch;
    cq_arena_init(&scratch);
    for (size_t r = 0; r < n; r++) {
        j->next_row[r] = UINT32_MAX;
        cq_strbuf_reset(&key);
        int ok = 1;
        for (size_t f = 0; f < c->n_fields && ok; f++) {
            uint32_t id = cq_rows_find(&j->sub, c->fields[f]);
            const cq_rcell *cell = id == CQ_ROWS_NONE ? NULL : cq_row_cell(&j->sub.rows[r], id);
            ok = cell != NULL;
            uint32_t nv = cell && cell->kind == CQ_RCELL_STR ? cell->n_vals : 1;
            for (uint32_t k = 0; ok && k < nv; k++)
                key_add(&key, cq_rcell_text(cell, k, &scratch), k + 1 < nv);
        }
        if (!ok)
            continue;   /* a row without every join field matches nothing */
        char *kc = cq_arena_strndup(&j->keys, cq_strbuf_str(&key), key.len);
        uint32_t g = j->n_groups;
        if (cq_strmap_upsert(&j->map, kc, key.len, &g)) {
            j->next_row[j->last[g]] = (uint32_t)r;
        } else {
            j->first[g] = (uint32_t)r;
            j->n_groups++;
        }
        j->last[g] = (uint32_t)r;
    }
    cq_strbuf_free(&key);
    cq_arena_free(&scratch);
}

/* First sub row matching row r of b, or UINT32_MAX. */
static uint32_t lookup_row(join_op *j, const cq_batch *b, uint32_t r, cq_arena *scratch)
{
    const join_cfg *c = j->cfg;
    cq_strbuf key = CQ_STRBUF_INIT;
    uint32_t found = UINT32_MAX, g;
    int ok = 1;
    for (size_t f = 0; f < c->n_fields && ok; f++) {
        const cq_col *col = cq_batch_get(b, c->fields[f]);
        uint32_t nv = col ? cq_col_nvals(col, r) : 0;
        ok = nv > 0;
        for (uint32_t k = 0; k < nv; k++)
            key_add(&key, cq_col_text(col, r, k, scratch), k + 1 < nv);
    }
    if (ok && cq_strmap_get(&j->map, cq_strbuf_str(&key), key.len, &g))
        found = j->first[g];
    cq_strbuf_free(&key);
    return found;
}

static int is_join_field(const join_cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_fields; i++)
        if (!strcmp(c->fields[i], name))
            return 1;
    return 0;
}

/* Output column `name` over the picks: from the main batch, the subsearch
 * rows, or both (the subsearch's value wins when overwrite is on). */
static void build_col(join_op *j, const char *name, const cq_col *mc, uint32_t sid, uint32_t n)
{
    cq_arena *a = &j->arena;
    cq_col c = {0};
    c.n_rows = n;
    if (sid == CQ_ROWS_NONE && mc && (mc->kind == CQ_COL_TIME || mc->kind == CQ_COL_NUM)) {
        c.kind = mc->kind;
        if (mc->kind == CQ_COL_TIME) {
            int64_t *t = cq_arena_alloc(a, (n + 1) * sizeof *t);
            for (uint32_t i = 0; i < n; i++)
                t[i] = mc->times[j->picks[i].main_row];
            c.times = t;
        } else {
            double *d = cq_arena_alloc(a, (n + 1) * sizeof *d);
            for (uint32_t i = 0; i < n; i++)
                d[i] = mc->nums[j->picks[i].main_row];
            c.nums = d;
        }
        cq_batch_put(&j->out, name, &c);
        return;
    }
    uint32_t *off = cq_arena_alloc(a, (n + 1) * sizeof *off), k = 0, cap = n + 16;
    cq_sv *v = cq_arena_alloc(a, cap * sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        const pick *pk = &j->picks[i];
        const cq_rcell *sc = sid != CQ_ROWS_NONE && pk->sub_row != UINT32_MAX
                                 ? cq_row_cell(&j->sub.rows[pk->sub_row], sid) : NULL;
        uint32_t mv = mc ? cq_col_nvals(mc, pk->main_row) : 0;
        int use_sub = sc && (j->cfg->overwrite || !mv);
        uint32_t nv = use_sub ? (sc->kind == CQ_RCELL_STR ? sc->n_vals : 1) : mv;
        off[i] = k;
        if (k + nv > cap) {
            cap = cap * 2 + nv;
            cq_sv *nvv = cq_arena_alloc(a, cap * sizeof *nvv);
            memcpy(nvv, v, k * sizeof *v);
            v = nvv;
        }
        for (uint32_t q = 0; q < nv; q++)
            v[k++] = use_sub ? cq_rcell_text(sc, q, a) : cq_col_text(mc, pk->main_row, q, a);
    }
    off[n] = k;
    c.kind = CQ_COL_STR;
    c.strs = v;
    c.row_off = off;
    cq_batch_put(&j->out, name, &c);
}

static void build_out(join_op *j, uint32_t n)
{
    cq_batch_clear(&j->out);
    j->out.n_rows = j->out.n_sel = n;
    for (uint32_t i = 0; i < j->in->n_cols; i++) {
        const char *name = j->in->cols[i].name;
        uint32_t sid = name[0] == '_' || is_join_field(j->cfg, name)
                           ? CQ_ROWS_NONE : cq_rows_find(&j->sub, name);
        build_col(j, name, &j->in->cols[i].col, sid, n);
    }
    for (uint32_t id = 0; id < j->sub.n_names; id++) {
        const char *name = j->sub.names[id];
        if (name[0] != '_' && !cq_batch_get(&j->out, name))
            build_col(j, name, NULL, id, n);
    }
}

/* Fills picks from the current batch; returns how many. */
static uint32_t fill_picks(join_op *j)
{
    uint32_t n = 0;
    const join_cfg *c = j->cfg;
    while (n < CQ_BATCH_ROWS && j->in_pos < j->in->n_sel) {
        uint32_t r = cq_batch_row(j->in, j->in_pos);
        uint32_t s = j->cont_n ? j->cont_row : lookup_row(j, j->in, r, &j->arena);
        if (s == UINT32_MAX) {
            if (c->left)
                j->picks[n++] = (pick){r, UINT32_MAX};
            j->in_pos++;
            continue;
        }
        while (s != UINT32_MAX && (!c->max || j->cont_n < c->max) && n < CQ_BATCH_ROWS) {
            j->picks[n++] = (pick){r, s};
            j->cont_n++;
            s = j->next_row[s];
        }
        if (s != UINT32_MAX && (!c->max || j->cont_n < c->max)) {
            j->cont_row = s;    /* the batch is full: go on from s next time */
            break;
        }
        j->cont_n = 0;
        j->in_pos++;
    }
    return n;
}

static int join_next(cq_oper *op, cq_batch **out)
{
    join_op *j = (join_op *)op;
    if (!j->loaded) {
        j->loaded = 1;
        if (cq_subsearch_collect(j->cfg->sub, op->ctx, j->cfg->maxout, 0, "join",
                                 "--join-maxout", &j->sub))
            return -1;
        build_map(j);
    }
    for (;;) {
        cq_arena_reset(&j->arena);
        if (!j->in || j->in_pos >= j->in->n_sel) {
            int rc = op->child->next(op->child, &j->in);
            if (rc != 1)
                return rc;
            j->in_pos = 0;
            j->cont_n = 0;
        }
        uint32_t n = fill_picks(j);
        if (n) {
            build_out(j, n);
            *out = &j->out;
            return 1;
        }
    }
}

static void join_free(cq_oper *op)
{
    join_op *j = (join_op *)op;
    cq_rows_free(&j->sub);
    cq_strmap_free(&j->map);
    cq_arena_free(&j->keys);
    free(j->first);
    free(j->last);
    free(j->next_row);
}

cq_oper *cq_open_join(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    join_op *j = cq_oper_new(sizeof *j, join_next, join_free, child, ctx);
    j->cfg = cfg;
    cq_rows_init(&j->sub);
    cq_strmap_init(&j->map);
    cq_arena_init(&j->keys);
    cq_oper_out(&j->base, &j->arena, &j->out);
    return &j->base;
}

/* -------------------------------------------------------------- append */

typedef struct append_op {
    cq_oper base;
    const join_cfg *cfg;
    int main_done;
    cq_rowstore sub;
    size_t pos;
    cq_arena arena;
    cq_batch out;
    const cq_row *rows[CQ_BATCH_ROWS];
} append_op;

static int append_next(cq_oper *op, cq_batch **out)
{
    append_op *p = (append_op *)op;
    if (!p->main_done) {
        int rc = op->child->next(op->child, out);
        if (rc)
            return rc;
        p->main_done = 1;
        if (cq_subsearch_collect(p->cfg->sub, op->ctx, p->cfg->maxout, 0, "append",
                                 "--join-maxout", &p->sub))
            return -1;
    }
    if (p->pos >= p->sub.n_rows)
        return 0;
    uint32_t n = 0;
    while (n < CQ_BATCH_ROWS && p->pos < p->sub.n_rows)
        p->rows[n++] = &p->sub.rows[p->pos++];
    cq_arena_reset(&p->arena);
    cq_rows_emit(&p->sub, p->rows, n, &p->out);
    *out = &p->out;
    return 1;
}

static void append_free(cq_oper *op)
{
    append_op *p = (append_op *)op;
    cq_rows_free(&p->sub);
}

cq_oper *cq_open_append(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    append_op *p = cq_oper_new(sizeof *p, append_next, append_free, child, ctx);
    p->cfg = cfg;
    cq_rows_init(&p->sub);
    cq_oper_out(&p->base, &p->arena, &p->out);
    return &p->base;
}

/* --------------------------------------------------------- multisearch */

typedef struct multi_cfg {
    const cq_plan **subs;
    size_t n;
} multi_cfg;

int cq_prepare_multisearch(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                           cq_diag *d)
{
    multi_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->subs = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *c->subs);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_SUBSEARCH)
            return cq_diag_set(d, k->span, "multisearch takes subsearches only");
        cq_plan *p;
        if (cq_subsearch_plan(a, k, o, &p, d))
            return -1;
        if (p->source)
            return cq_diag_set(d, cq_cmd_name_span(p->source->cmd),
                               "a multisearch subsearch must start with a search");
        for (size_t i = 0; i < p->n_stages; i++)
            if ((p->stages[i].def->flags & (CQ_CMD_STREAMING | CQ_CMD_ORDERED)) !=
                CQ_CMD_STREAMING) {     /* Splunk: distributable streaming only */
                cq_diag_set(d, cq_cmd_name_span(p->stages[i].cmd),
                            "multisearch subsearches may only use streaming commands, not %s",
                            p->stages[i].cmd->name);
                cq_diag_hint(d, "search, where, eval, fields, table, rename, rex... keep"
                                " one result per event");
                return -1;
            }
        c->subs[c->n++] = p;
    }
    if (c->n < 2)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "multisearch needs at least two subsearches");
    *cfg = c;
    return 0;
}

typedef struct stream {
    cq_subrun run;
    cq_batch *b;            /* current batch, NULL: needs one */
    uint32_t pos;
    int done;
} stream;

typedef struct multi_op {
    cq_oper base;
    const multi_cfg *cfg;
    stream *st;
    int opened;
    cq_rowstore rows;
    cq_arena arena;
    cq_batch out;
    const cq_row *rowp[CQ_BATCH_ROWS];
} multi_op;

static int64_t row_time(const cq_batch *b, uint32_t r)
{
    const cq_col *t = cq_batch_get(b, "_time");
    if (t && t->kind == CQ_COL_TIME)
        return t->times[r];
    if (t && t->kind == CQ_COL_NUM && t->nums[r] == t->nums[r])
        return (int64_t)(t->nums[r] * 1e6);
    return INT64_MIN;
}

/* Makes sure stream s has a current row; returns -1 on error. */
static int stream_fill(stream *s)
{
    while (!s->done && (!s->b || s->pos >= s->b->n_sel)) {
        int rc = s->run.root->next(s->run.root, &s->b);
        if (rc < 0)
            return -1;
        s->pos = 0;
        if (!rc) {
            s->done = 1;
            s->b = NULL;
        }
    }
    return 0;
}

static int multi_next(cq_oper *op, cq_batch **out)
{
    multi_op *m = (multi_op *)op;
    size_t n_st = m->cfg->n;
    if (!m->opened) {
        m->opened = 1;
        for (size_t i = 0; i < n_st; i++)
            if (cq_subrun_open(&m->st[i].run, m->cfg->subs[i], op->ctx))
                return -1;
    }
    cq_rows_clear(&m->rows);
    uint32_t n = 0;
    while (n < CQ_BATCH_ROWS) {
        size_t best = n_st;
        int64_t best_t = INT64_MIN;
        for (size_t i = 0; i < n_st; i++) {
            stream *s = &m->st[i];
            if (stream_fill(s))
                return -1;
            if (s->done)
                continue;
            int64_t t = row_time(s->b, cq_batch_row(s->b, s->pos));
            if (best == n_st || t > best_t) {
                best = i;
                best_t = t;
            }
        }
        if (best == n_st)
            break;
        stream *s = &m->st[best];
        cq_rows_add_cols(&m->rows, s->b);
        cq_rows_add(&m->rows, s->b, cq_batch_row(s->b, s->pos++));
    }
    n = (uint32_t)m->rows.n_rows;
    if (!n)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        m->rowp[i] = &m->rows.rows[i];
    cq_arena_reset(&m->arena);
    cq_rows_emit(&m->rows, m->rowp, n, &m->out);
    *out = &m->out;
    return 1;
}

static void multi_free(cq_oper *op)
{
    multi_op *m = (multi_op *)op;
    for (size_t i = 0; i < m->cfg->n; i++)
        cq_subrun_close(&m->st[i].run);
    free(m->st);
    cq_rows_free(&m->rows);
}

cq_oper *cq_open_multisearch(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    multi_op *m = cq_oper_new(sizeof *m, multi_next, multi_free, child, ctx);
    m->cfg = cfg;
    m->st = cq_xcalloc(m->cfg->n, sizeof *m->st);
    cq_rows_init(&m->rows);
    cq_oper_out(&m->base, &m->arena, &m->out);
    return &m->base;
}

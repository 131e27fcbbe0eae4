/*
 * op_transaction.c - `| transaction f1 f2 [maxspan=T] [maxpause=T]
 * [maxevents=N] [startswith=FILTER] [endswith=FILTER]`: groups events that
 * share the values of the fields into one result per transaction.
 *
 * Events arrive newest first, as Splunk processes them: an event joins the
 * open transaction of its field values unless that would make the
 * transaction span more than maxspan, leave a gap longer than maxpause, or
 * hold more than maxevents (Splunk's default 1,000, announced on stderr when
 * it cuts); then a new one starts.  endswith marks the newest event of a
 * transaction (events before any end are dropped), startswith its oldest (a
 * transaction is complete when its start arrives; one that never saw its
 * start is dropped).  A filter is a search expression (startswith="login",
 * startswith="action=start") or eval(EXPR).
 *
 * Each transaction is one result: _time is its oldest event's, duration the
 * seconds from oldest to newest, eventcount its events, _raw the events'
 * text oldest first joined by newlines, and every other field the distinct
 * values of its events, sorted (Splunk's mvlist=false).  Results come out
 * newest first.  Events without all the fields are left out.
 *
 * The operator is blocking: it keeps every event until its input ends.
 */
#include "engine/expr/eval.h"
#include "engine/expr/match.h"
#include "engine/op.h"
#include "engine/rowstore.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "grammar/parse.h"

#include <stdlib.h>
#include <string.h>

typedef struct txn_filter {
    const cq_ast *expr;     /* NULL: none */
    int is_eval;            /* eval(...) rather than a search expression */
} txn_filter;

typedef struct txn_cfg {
    const char **fields;
    size_t n_fields;
    int64_t maxspan, maxpause;  /* microseconds; -1: none */
    int64_t maxevents;          /* -1: none */
    txn_filter start, end;
} txn_cfg;

/* "30s", "5m", "1h", "2d" or seconds.  Returns 0 and *us, or -1. */
static int parse_span(const char *s, int64_t *us)
{
    char *end;
    double n = strtod(s, &end);
    if (end == s || n < 0)
        return -1;
    double mult = 1;
    if (!*end || !strcmp(end, "s"))
        mult = 1;
    else if (!strcmp(end, "m"))
        mult = 60;
    else if (!strcmp(end, "h"))
        mult = 3600;
    else if (!strcmp(end, "d"))
        mult = 86400;
    else
        return -1;
    *us = (int64_t)(n * mult * 1e6);
    return 0;
}

/* Points a parsed filter's nodes at the option it came from. */
static void respan(cq_ast *n, cq_span at)
{
    for (; n; n = n->next) {
        n->span = at;
        respan(n->kids, at);
    }
}

static int filter_prepare(cq_arena *a, const cq_ast *opt, txn_filter *f, cq_diag *d)
{
    const cq_ast *v = opt->kids;
    if (v && v->kind != CQ_AST_VALUE) {     /* eval(...) */
        f->is_eval = 1;
        f->expr = v;
        return cq_eval_check(v, d);
    }
    const char *text = v && v->text ? v->text : "";
    cq_diag pd;
    cq_diag_init(&pd);
    cq_ast *pl;
    if (cq_parse(a, text, strlen(text), &pl, &pd) || !pl->kids || !pl->kids->kids ||
        strcmp(pl->kids->name, "search") || pl->kids->next) {
        cq_diag_set(d, opt->span, "%s takes a search expression or eval(...)", opt->name);
        if (pd.set)
            cq_diag_hint(d, "%s", pd.msg);
        return -1;
    }
    cq_ast *e = pl->kids->kids;
    respan(e, opt->span);
    f->expr = e;
    return cq_filter_check(e, -1, d);
}

int cq_prepare_transaction(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                           cq_diag *d)
{
    (void)o;
    txn_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->maxspan = c->maxpause = -1;
    c->maxevents = 1000;
    c->fields = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *c->fields);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_FIELD) {
            c->fields[c->n_fields++] = k->name;
            continue;
        }
        if (k->kind != CQ_AST_OPTION)
            return cq_diag_set(d, k->span, "expected a field name or an option");
        const char *v = k->kids && k->kids->text ? k->kids->text : "";
        if (!strcmp(k->name, "maxspan") || !strcmp(k->name, "maxpause")) {
            int64_t us;
            if (!strcmp(v, "-1"))
                us = -1;
            else if (parse_span(v, &us))
                return cq_diag_set(d, k->span, "%s takes a time span such as 30s, 5m, 1h or 2d",
                                   k->name);
            *(k->name[3] == 's' ? &c->maxspan : &c->maxpause) = us;
        } else if (!strcmp(k->name, "maxevents")) {
            double n;
            if (!cq_parse_num(v, strlen(v), &n) || n != (double)(int64_t)n || n == 0)
                return cq_diag_set(d, k->span, "maxevents takes a whole number (-1: no limit)");
            c->maxevents = n < 0 ? -1 : (int64_t)n;
        } else if (!strcmp(k->name, "startswith") || !strcmp(k->name, "endswith")) {
            if (filter_prepare(a, k, k->name[0] == 's' ? &c->start : &c->end, d))
                return -1;
        } else {
            return cq_diag_set(d, k->span, "not supported yet: transaction %s=", k->name);
        }
    }
    if (!c->n_fields)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "transaction needs at least one field");
    *cfg = c;
    return 0;
}

/* ------------------------------------------------------------- running */

typedef struct txn {
    uint32_t *rows;         /* event rows in the store, newest first */
    uint32_t n, cap;
    int64_t t_min, t_max;
    int valid;
} txn;

typedef struct txn_op {
    cq_oper base;
    const txn_cfg *cfg;
    cq_rowstore ev;         /* every event kept */
    txn *txns;
    size_t n_txns, cap_txns;
    cq_strmap key_ids;      /* key -> key id */
    uint32_t *open_of;      /* key id -> open transaction, or NO_TXN */
    uint32_t n_keys;
    cq_arena keys;
    uint32_t *order;        /* finished, valid transactions, newest first */
    size_t n_order, pos;
    int done, noted;
    cq_regex_cache *regex;
    cq_arena arena;         /* per batch */
    cq_batch out;
} txn_op;

#define NO_TXN UINT32_MAX

/* Evaluates a filter on the batch's selected rows into hit[i]. */
static int run_filter(txn_op *t, const txn_filter *f, const cq_batch *b, const uint16_t *rows,
                      uint8_t *hit)
{
    uint32_t n = b->n_sel;
    memset(hit, 0, n);
    if (!f->expr)
        return 0;
    if (!f->is_eval) {
        uint16_t *out = cq_arena_alloc(&t->arena, (n + 1) * sizeof *out);
        uint32_t k = cq_filter_search(f->expr, b, rows, n, out, &t->arena);
        for (uint32_t i = 0, j = 0; i < n && j < k; i++)
            if (rows[i] == out[j]) {
                hit[i] = 1;
                j++;
            }
        return 0;
    }
    cq_eval_ctx ec = {&t->arena, t->base.ctx->diag, t->base.ctx->now_us, t->regex,
                      t->base.ctx->plan->tz};
    cq_val *v = cq_arena_alloc(&t->arena, (n + 1) * sizeof *v);
    if (cq_eval(f->expr, &ec, b, rows, n, v))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        hit[i] = (uint8_t)cq_val_truthy(&v[i]);
    return 0;
}

static void txn_close(txn_op *t, uint32_t g, int valid)
{
    t->txns[g].valid = valid;
    if (valid) {
        t->order = cq_xrealloc(t->order, (t->n_order + 1) * sizeof *t->order);
        t->order[t->n_order++] = g;
    }
}

static uint32_t txn_new(txn_op *t)
{
    if (t->n_txns == t->cap_txns) {
        t->cap_txns = t->cap_txns ? t->cap_txns * 2 : 64;
        t->txns = cq_xrealloc(t->txns, t->cap_txns * sizeof *t->txns);
    }
    memset(&t->txns[t->n_txns], 0, sizeof *t->txns);
    return (uint32_t)t->n_txns++;
}

static void txn_add(txn_op *t, uint32_t g, uint32_t row, int64_t time)
{
    txn *x = &t->txns[g];
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4;
        x->rows = cq_xrealloc(x->rows, x->cap * sizeof *x->rows);
    }
    if (!x->n || time > x->t_max)
        x->t_max = time;
    if (!x->n || time < x->t_min)
        x->t_min = time;
    x->rows[x->n++] = row;
}

/* The key of row r (NULL when a field is missing), from t->arena. */
static const char *row_key(txn_op *t, const cq_batch *b, uint32_t r, size_t *len)
{
    cq_strbuf k = CQ_STRBUF_INIT;
    const char *out = NULL;
    for (size_t f = 0; f < t->cfg->n_fields; f++) {
        const cq_col *c = cq_batch_get(b, t->cfg->fields[f]);
        uint32_t nv = c && c->kind != CQ_COL_TIME && c->kind != CQ_COL_NUM ? cq_col_nvals(c, r) : 0;
        if (c && (c->kind == CQ_COL_TIME || c->kind == CQ_COL_NUM)) {
            cq_sv s = cq_num_format(c->kind == CQ_COL_TIME ? (double)c->times[r] / 1e6 : c->nums[r],
                                    &t->arena);
            cq_strbuf_add(&k, s.p, s.len);
            nv = 1;
        }
        if (!nv)
            goto done;
        for (uint32_t v = 0; c->kind != CQ_COL_TIME && c->kind != CQ_COL_NUM && v < nv; v++) {
            cq_sv s = cq_col_val(c, r, v);
            cq_strbuf_add(&k, s.p, s.len);
            cq_strbuf_addc(&k, '\x1e');
        }
        cq_strbuf_addc(&k, '\x1f');
    }
    *len = k.len;
    out = cq_arena_strndup(&t->arena, cq_strbuf_str(&k), k.len);
done:
    cq_strbuf_free(&k);
    return out;
}

/* One event (newest first). */
static void take_event(txn_op *t, const cq_batch *b, uint32_t r, int is_start, int is_end)
{
    const txn_cfg *c = t->cfg;
    size_t klen;
    const char *key = row_key(t, b, r, &klen);
    if (!key)
        return;
    const cq_col *tc = cq_batch_get(b, "_time");
    int64_t time = tc && tc->kind == CQ_COL_TIME ? tc->times[r] : 0;
    uint32_t id = t->n_keys;
    if (!cq_strmap_get(&t->key_ids, key, klen, &id)) {
        char *kc = cq_arena_strndup(&t->keys, key, klen);
        cq_strmap_upsert(&t->key_ids, kc, klen, &id);
        t->open_of = cq_xrealloc(t->open_of, (t->n_keys + 1) * sizeof *t->open_of);
        t->open_of[t->n_keys++] = NO_TXN;
    }
    uint32_t g = t->open_of[id];
    if (g != NO_TXN) {
        txn *x = &t->txns[g];
        int full = c->maxevents > 0 && x->n >= (uint64_t)c->maxevents;
        if (full && !t->noted) {
            t->noted = 1;
            cq_exec_note(t->base.ctx, "transaction: a transaction reached %lld events; later"
                         " events start a new one (maxevents=; Splunk's default is 1000)",
                         (long long)c->maxevents);
        }
        if (full || (c->maxspan >= 0 && x->t_max - time > c->maxspan) ||
            (c->maxpause >= 0 && x->t_min - time > c->maxpause) || (is_end && c->end.expr)) {
            txn_close(t, g, !c->start.expr);
            g = NO_TXN;
        }
    }
    if (g == NO_TXN) {
        if (c->end.expr && !is_end) {
            t->open_of[id] = NO_TXN;    /* no end after it: in no transaction */
            return;
        }
        g = txn_new(t);
    }
    txn_add(t, g, (uint32_t)t->ev.n_rows, time);
    cq_rows_add(&t->ev, b, r);
    if (c->start.expr && is_start) {
        txn_close(t, g, 1);
        g = NO_TXN;
    }
    t->open_of[id] = g;
}

/* Reads the whole input, then closes what is still open. */
static int txn_load(txn_op *t)
{
    cq_batch *b;
    int rc;
    while ((rc = t->base.child->next(t->base.child, &b)) == 1) {
        cq_arena_reset(&t->arena);
        cq_rows_add_cols(&t->ev, b);
        uint16_t *rows = cq_arena_alloc(&t->arena, (b->n_sel + 1) * sizeof *rows);
        for (uint32_t i = 0; i < b->n_sel; i++)
            rows[i] = (uint16_t)cq_batch_row(b, i);
        uint8_t *st = cq_arena_alloc(&t->arena, b->n_sel + 1);
        uint8_t *en = cq_arena_alloc(&t->arena, b->n_sel + 1);
        if (run_filter(t, &t->cfg->start, b, rows, st) || run_filter(t, &t->cfg->end, b, rows, en))
            return -1;
        for (uint32_t i = 0; i < b->n_sel; i++)
            take_event(t, b, rows[i], st[i], en[i]);
    }
    if (rc < 0)
        return -1;
    for (uint32_t k = 0; k < t->n_keys; k++)
        if (t->open_of[k] != NO_TXN)
            txn_close(t, t->open_of[k], !t->cfg->start.expr);
    return 0;
}

typedef struct by_time {
    int64_t t;
    uint32_t g;
} by_time;

static int by_time_desc(const void *a, const void *b)
{
    const by_time *x = a, *y = b;
    if (x->t != y->t)
        return x->t > y->t ? -1 : 1;
    return x->g < y->g ? -1 : x->g > y->g;     /* stable: closing order */
}

/* Orders the finished transactions newest first (by their oldest event). */
static void sort_order(txn_op *t)
{
    by_time *k = cq_xmalloc((t->n_order + 1) * sizeof *k);
    for (size_t i = 0; i < t->n_order; i++)
        k[i] = (by_time){t->txns[t->order[i]].t_min, (uint32_t)i};
    qsort(k, t->n_order, sizeof *k, by_time_desc);
    uint32_t *o = cq_xmalloc((t->n_order + 1) * sizeof *o);
    for (size_t i = 0; i < t->n_order; i++)
        o[i] = t->order[k[i].g];
    free(t->order);
    t->order = o;
    free(k);
}

static int cmp_sv(const void *a, const void *b)
{
    const cq_sv *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Column `id` of the event store over transactions order[0..n). */
static void out_col(txn_op *t, uint32_t id, const uint32_t *order, uint32_t n)
{
    cq_arena *a = &t->arena;
    const char *name = t->ev.names[id];
    int raw = !strcmp(name, "_raw");
    uint32_t *off = cq_arena_alloc(a, (n + 1) * sizeof *off);
    size_t cap = n + 16, k = 0;
    cq_sv *v = cq_arena_alloc(a, cap * sizeof *v);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        const txn *x = &t->txns[order[i]];
        off[i] = (uint32_t)k;
        size_t first = k;
        cq_strbuf_reset(&sb);
        for (uint32_t e = x->n; e-- > 0;) {     /* oldest first */
            const cq_rcell *c = cq_row_cell(&t->ev.rows[x->rows[e]], id);
            uint32_t nv = !c ? 0 : c->kind == CQ_RCELL_STR ? c->n_vals : 1;
            for (uint32_t q = 0; q < nv; q++) {
                cq_sv s = cq_rcell_text(c, q, a);
                if (raw) {
                    if (sb.len)
                        cq_strbuf_addc(&sb, '\n');
                    cq_strbuf_add(&sb, s.p, s.len);
                    continue;
                }
                if (k == cap) {
                    cap *= 2;
                    cq_sv *nv2 = cq_arena_alloc(a, cap * sizeof *nv2);
                    memcpy(nv2, v, k * sizeof *v);
                    v = nv2;
                }
                v[k++] = s;
            }
        }
        if (raw && sb.len) {
            if (k == cap) {
                cap *= 2;
                cq_sv *nv2 = cq_arena_alloc(a, cap * sizeof *nv2);
                memcpy(nv2, v, k * sizeof *v);
                v = nv2;
            }
            v[k++] = (cq_sv){cq_arena_strndup(a, sb.buf, sb.len), (uint32_t)sb.len};
            continue;
        }
        /* distinct values, sorted */
        qsort(v + first, k - first, sizeof *v, cmp_sv);
        size_t w = first;
        for (size_t q = first; q < k; q++)
            if (w == first || cmp_sv(&v[w - 1], &v[q]))
                v[w++] = v[q];
        k = w;
    }
    off[n] = (uint32_t)k;
    cq_strbuf_free(&sb);
    cq_col c = {.kind = CQ_COL_STR, .n_rows = n, .strs = v, .row_off = off};
    cq_batch_put(&t->out, name, &c);
}

static int txn_next(cq_oper *op, cq_batch **out)
{
    txn_op *t = (txn_op *)op;
    if (!t->done) {
        t->done = 1;
        if (txn_load(t))
            return -1;
        sort_order(t);
    }
    if (t->pos >= t->n_order)
        return 0;
    uint32_t n = t->n_order - t->pos < CQ_BATCH_ROWS ? (uint32_t)(t->n_order - t->pos)
                                                     : CQ_BATCH_ROWS;
    const uint32_t *order = t->order + t->pos;
    t->pos += n;
    cq_arena_reset(&t->arena);
    cq_batch_clear(&t->out);
    t->out.n_rows = t->out.n_sel = n;
    int64_t *times = cq_arena_alloc(&t->arena, (n + 1) * sizeof *times);
    double *dur = cq_arena_alloc(&t->arena, (n + 1) * sizeof *dur);
    double *cnt = cq_arena_alloc(&t->arena, (n + 1) * sizeof *cnt);
    for (uint32_t i = 0; i < n; i++) {
        const txn *x = &t->txns[order[i]];
        times[i] = x->t_min;
        dur[i] = (double)(x->t_max - x->t_min) / 1e6;
        cnt[i] = x->n;
    }
    cq_col tc = {.kind = CQ_COL_TIME, .n_rows = n, .times = times};
    cq_batch_put(&t->out, "_time", &tc);
    for (uint32_t id = 0; id < t->ev.n_names; id++)
        if (strcmp(t->ev.names[id], "_time"))
            out_col(t, id, order, n);
    cq_col dc = {.kind = CQ_COL_NUM, .n_rows = n, .nums = dur};
    cq_col cc = {.kind = CQ_COL_NUM, .n_rows = n, .nums = cnt};
    cq_batch_put(&t->out, "duration", &dc);
    cq_batch_put(&t->out, "eventcount", &cc);
    *out = &t->out;
    return 1;
}

static void txn_free(cq_oper *op)
{
    txn_op *t = (txn_op *)op;
    for (size_t i = 0; i < t->n_txns; i++)
        free(t->txns[i].rows);
    free(t->txns);
    free(t->order);
    free(t->open_of);
    cq_strmap_free(&t->key_ids);
    cq_arena_free(&t->keys);
    cq_rows_free(&t->ev);
    cq_regex_cache_free(t->regex);
}

cq_oper *cq_open_transaction(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    txn_op *t = cq_oper_new(sizeof *t, txn_next, txn_free, child, ctx);
    t->cfg = cfg;
    cq_rows_init(&t->ev);
    cq_strmap_init(&t->key_ids);
    cq_arena_init(&t->keys);
    cq_oper_out(&t->base, &t->arena, &t->out);
    t->regex = cq_regex_cache_new();
    return &t->base;
}

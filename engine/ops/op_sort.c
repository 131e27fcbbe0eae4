/*
 * op_sort.c - `| sort [N] [limit=N] [-|+]key ... [desc]` and `| tail [N]`.
 *
 * sort follows Splunk: stable; per key, numbers compare numerically and
 * come before strings, strings compare byte-wise (upper case before lower
 * case); a row missing the key goes last, ascending or descending; a
 * multivalue field sorts by its first value; num() and auto() are that same
 * order, str() compares every value as text, ip() compares IPv4 and IPv6
 * addresses by their bits (other values after them, as text).  A trailing
 * `desc` (or `d`) reverses the whole result.
 *
 * Splunk keeps 10,000 results unless told otherwise (`sort 0` keeps all).
 * cquery keeps that default but says on stderr when it cut results (a
 * count written in the query, `sort 10 -n`, cuts silently: it is what the
 * query asked for).  Memory
 * stays bounded by the limit: whenever twice the limit is held, the rows
 * are sorted and all but the first `limit` dropped.
 *
 * tail keeps the last N results (default 10) and, as Splunk does, returns
 * them in reverse order (the last result first).
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/match.h"
#include "engine/rowstore.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define SORT_DEFAULT_LIMIT 10000

enum { KEY_AUTO, KEY_NUM, KEY_STR, KEY_IP };

typedef struct sort_key {
    const char *field;
    int desc;
    int type;               /* KEY_* */
} sort_key;

typedef struct sort_cfg {
    sort_key *keys;
    uint32_t n_keys;
    uint64_t limit;         /* 0: all */
    int reverse;            /* trailing desc */
    int explicit_limit;     /* the query gave a count: cutting is what it asked */
} sort_cfg;

/* A key's value in a row, ready to compare. */
typedef struct kval {
    int cls;                /* 0 number, 1 string (ip(): 0 address), 2 missing */
    double num;
    unsigned char ip[17];   /* ip(): family byte + address bytes */
    cq_sv str;
} kval;

typedef struct sort_op {
    cq_oper base;
    const sort_cfg *cfg;
    cq_rowstore rows;
    uint32_t *key_ids;
    size_t *order;          /* sorted row indices */
    size_t n_order, pos;
    int done_input;
    uint64_t n_in;          /* rows read */
    cq_arena scratch;       /* key texts during a sort; reset per sort */
    cq_arena out_arena;
    cq_batch out;
    int tail;               /* tail: keep the last limit rows, emit reversed */
} sort_op;

/* ------------------------------------------------------------ prepare */

static int limit_opt(const cq_ast *k, uint64_t *limit, const char *cmd, cq_diag *d)
{
    if (strcmp(k->name, "limit"))
        return cq_diag_set(d, k->span, "not supported yet: %s %s=", cmd, k->name);
    int64_t n = cq_ast_whole(k->kids);
    if (n < 0)
        return cq_diag_set(d, k->span, "%s takes a whole number of results", cmd);
    *limit = (uint64_t)n;
    return 0;
}

/* Adds the SORTKEY node k to sc (or notes a trailing desc). */
static int add_key(cq_arena *a, sort_cfg *sc, const cq_ast *k, cq_diag *d)
{
    if (k->kind != CQ_AST_SORTKEY || !k->name)
        return cq_diag_set(d, k->span, "expected a sort key");
    /* `sort f desc`: a last bare "desc"/"d" reverses the results */
    if (!k->next && sc->n_keys && !k->text &&
        !(k->flags & (CQ_AST_DESC | CQ_AST_NUM | CQ_AST_STR | CQ_AST_IP)) &&
        (!strcmp(k->name, "desc") || !strcmp(k->name, "d"))) {
        sc->reverse = 1;
        return 0;
    }
    if (k->text && strcmp(k->text, "auto"))
        return cq_diag_set(d, k->span, "unknown sort function \"%s\"", k->text);
    sort_key *key = &sc->keys[sc->n_keys++];
    key->field = cq_field_unquote(a, k->name);
    key->desc = (k->flags & CQ_AST_DESC) != 0;
    key->type = k->flags & CQ_AST_NUM ? KEY_NUM
                : k->flags & CQ_AST_STR ? KEY_STR
                : k->flags & CQ_AST_IP ? KEY_IP : KEY_AUTO;
    return 0;
}

int cq_prepare_sort(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    sort_cfg *sc = cq_arena_calloc(a, sizeof *sc);
    sc->keys = cq_arena_calloc(a, (cmd->n_kids + 1) * sizeof *sc->keys);
    sc->limit = SORT_DEFAULT_LIMIT;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION) {
            if (limit_opt(k, &sc->limit, "sort", d))
                return -1;
            sc->explicit_limit = 1;
        } else if (add_key(a, sc, k, d)) {
            return -1;
        }
    }
    if (!sc->n_keys)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "sort needs at least one field");
    *cfg = sc;
    return 0;
}

int cq_sort_prepare_keys(cq_arena *a, const cq_ast *first, void **cfg, cq_diag *d)
{
    size_t n = 0;
    for (const cq_ast *k = first; k; k = k->next)
        n++;
    sort_cfg *sc = cq_arena_calloc(a, sizeof *sc);
    sc->keys = cq_arena_calloc(a, (n + 1) * sizeof *sc->keys);
    for (const cq_ast *k = first; k; k = k->next)
        if (add_key(a, sc, k, d))
            return -1;
    *cfg = sc;
    return 0;
}

int cq_prepare_tail(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    sort_cfg *sc = cq_arena_calloc(a, sizeof *sc);
    sc->limit = 10;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_OPTION)
            return cq_diag_set(d, k->span, "tail takes a number of results");
        if (limit_opt(k, &sc->limit, "tail", d))
            return -1;
    }
    *cfg = sc;
    return 0;
}

/* ------------------------------------------------------------ compare */

static int parse_ip(cq_sv s, unsigned char *out)
{
    char buf[64];
    if (!s.p || s.len >= sizeof buf)
        return 0;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    memset(out, 0, 17);
    if (inet_pton(AF_INET, buf, out + 13) == 1) {
        out[0] = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, buf, out + 1) == 1) {
        out[0] = 6;
        return 1;
    }
    return 0;
}

static kval key_value(const cq_row *row, uint32_t id, int type, cq_arena *a)
{
    kval v;
    memset(&v, 0, sizeof v);
    const cq_rcell *c = cq_row_cell(row, id);
    if (!c) {
        v.cls = 2;
        return v;
    }
    v.str = cq_rcell_text(c, 0, a);
    if (type == KEY_STR) {
        v.cls = 1;
    } else if (type == KEY_IP) {
        v.cls = parse_ip(v.str, v.ip) ? 0 : 1;
    } else if (c->kind == CQ_RCELL_NUM) {
        v.num = c->d;
    } else if (c->kind == CQ_RCELL_TIME) {
        v.num = (double)c->t / 1e6;
    } else {
        v.cls = cq_parse_num(v.str.p, v.str.len, &v.num) ? 0 : 1;
    }
    return v;
}

static int kval_cmp(const kval *x, const kval *y, int type, int desc)
{
    if (x->cls != y->cls) {
        if (x->cls == 2 || y->cls == 2)         /* missing: last either way */
            return x->cls == 2 ? 1 : -1;
        int c = x->cls < y->cls ? -1 : 1;       /* numbers before strings */
        return desc ? -c : c;
    }
    int c = 0;
    if (x->cls == 0 && type == KEY_IP) {
        c = memcmp(x->ip, y->ip, sizeof x->ip);
    } else if (x->cls == 0) {
        c = (x->num > y->num) - (x->num < y->num);
    } else if (x->cls == 1) {
        uint32_t m = x->str.len < y->str.len ? x->str.len : y->str.len;
        c = memcmp(x->str.p, y->str.p, m);
        if (!c)
            c = (x->str.len > y->str.len) - (x->str.len < y->str.len);
    }
    return desc ? -c : c;
}

typedef struct sort_ctx {
    const sort_cfg *cfg;
    const kval *kv;         /* n_rows * n_keys: the keys after the first */
} sort_ctx;

/* What the sort moves: the first key inline, so merging reads memory in
 * order instead of chasing row indices (cache misses dominated before). */
typedef struct selem {
    kval k0;
    uint64_t seq;           /* arrival order: ties keep it (stable) */
    size_t idx;             /* row index in the store */
} selem;

static int elem_cmp(const sort_ctx *sx, const selem *x, const selem *y)
{
    const sort_key *keys = sx->cfg->keys;
    uint32_t nk = sx->cfg->n_keys;
    int c = kval_cmp(&x->k0, &y->k0, keys[0].type, keys[0].desc);
    for (uint32_t k = 1; !c && k < nk; k++)
        c = kval_cmp(&sx->kv[x->idx * nk + k], &sx->kv[y->idx * nk + k], keys[k].type,
                     keys[k].desc);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Merge sort of e[0..n) (stable, O(n log n) worst case); short runs by
 * insertion. */
static void merge_sort(const sort_ctx *sx, selem *e, selem *tmp, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            selem x = e[i];
            size_t j = i;
            for (; j > 0 && elem_cmp(sx, &x, &e[j - 1]) < 0; j--)
                e[j] = e[j - 1];
            e[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(sx, e, tmp, h);
    merge_sort(sx, e + h, tmp, n - h);
    if (elem_cmp(sx, &e[h], &e[h - 1]) >= 0)
        return;     /* already in order */
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = elem_cmp(sx, &e[j], &e[i]) < 0 ? e[j++] : e[i++];
    while (i < h)
        tmp[k++] = e[i++];
    while (j < n)
        tmp[k++] = e[j++];
    memcpy(e, tmp, n * sizeof *e);
}

/* Sorts the held rows; s->order gets the row indices in order. */
static void sort_rows(sort_op *s)
{
    const sort_cfg *cfg = s->cfg;
    size_t n = s->rows.n_rows;
    uint32_t nk = cfg->n_keys;
    cq_arena_reset(&s->scratch);
    /* looked up now, not at open: a key must not add a column of its own */
    for (uint32_t k = 0; k < nk; k++)
        s->key_ids[k] = cq_rows_find(&s->rows, cfg->keys[k].field);
    kval *kv = nk > 1 ? cq_xmalloc((n * nk + 1) * sizeof *kv) : NULL;
    selem *e = cq_xmalloc((n + 1) * sizeof *e), *tmp = cq_xmalloc((n + 1) * sizeof *tmp);
    for (size_t r = 0; r < n; r++) {
        const cq_row *row = &s->rows.rows[r];
        e[r].k0 = key_value(row, s->key_ids[0], cfg->keys[0].type, &s->scratch);
        e[r].seq = row->seq;
        e[r].idx = r;
        for (uint32_t k = 1; k < nk; k++)
            kv[r * nk + k] = key_value(row, s->key_ids[k], cfg->keys[k].type, &s->scratch);
    }
    sort_ctx sx = {cfg, kv};
    merge_sort(&sx, e, tmp, n);
    free(s->order);
    s->order = cq_xmalloc((n + 1) * sizeof *s->order);
    for (size_t r = 0; r < n; r++)
        s->order[r] = e[r].idx;
    s->n_order = n;
    free(tmp);
    free(e);
    free(kv);
}

/* Sorts and keeps the first `limit` rows (sorted). */
static void sort_trim(sort_op *s)
{
    sort_rows(s);
    size_t keep = s->cfg->limit && s->n_order > s->cfg->limit ? s->cfg->limit : s->n_order;
    if (keep == s->n_order)
        return;     /* nothing to drop: keep the rows where they are, in s->order */
    cq_rows_keep(&s->rows, s->order, keep);
    for (size_t i = 0; i < keep; i++)
        s->order[i] = i;
    s->n_order = keep;
}

/* Tail: keeps the last `limit` rows. */
static void tail_trim(sort_op *s)
{
    size_t n = s->rows.n_rows, keep = n > s->cfg->limit ? s->cfg->limit : n;
    if (keep == n)
        return;
    size_t *idx = cq_xmalloc((keep + 1) * sizeof *idx);
    for (size_t i = 0; i < keep; i++)
        idx[i] = n - keep + i;
    cq_rows_keep(&s->rows, idx, keep);
    free(idx);
}

static int read_input(sort_op *s)
{
    cq_oper *child = s->base.child;
    cq_batch *b;
    int rc;
    uint64_t cap = s->cfg->limit ? 2 * s->cfg->limit + CQ_BATCH_ROWS : 0;
    while ((rc = child->next(child, &b)) == 1) {
        cq_rows_add_cols(&s->rows, b);
        if (s->tail && !s->cfg->limit) {
            s->n_in += b->n_sel;
            continue;
        }
        for (uint32_t i = 0; i < b->n_sel; i++)
            cq_rows_add(&s->rows, b, cq_batch_row(b, i));
        s->n_in += b->n_sel;
        if (cap && s->rows.n_rows >= cap) {
            if (s->tail)
                tail_trim(s);
            else
                sort_trim(s);
        }
    }
    if (rc < 0)
        return -1;
    if (s->tail) {
        tail_trim(s);
        s->n_order = s->rows.n_rows;
        free(s->order);
        s->order = cq_xmalloc((s->n_order + 1) * sizeof *s->order);
        for (size_t i = 0; i < s->n_order; i++)
            s->order[i] = s->n_order - 1 - i;
        return 0;
    }
    sort_trim(s);
    if (s->cfg->reverse)
        for (size_t i = 0, j = s->n_order; i + 1 < j; i++, j--) {
            size_t t = s->order[i];
            s->order[i] = s->order[j - 1];
            s->order[j - 1] = t;
        }
    if (s->cfg->limit && s->n_in > s->cfg->limit && !s->cfg->explicit_limit)
        cq_exec_note(s->base.ctx,
                     "sort: kept the first %llu of %llu results (Splunk's default limit is "
                     "10000); write `sort 0 ...` to keep all, or `sort N ...`",
                     (unsigned long long)s->cfg->limit, (unsigned long long)s->n_in);
    return 0;
}

static int sort_next(cq_oper *op, cq_batch **out)
{
    sort_op *s = (sort_op *)op;
    if (!s->done_input) {
        s->done_input = 1;
        if (read_input(s))
            return -1;
    }
    if (s->pos >= s->n_order)
        return 0;
    cq_arena_reset(&s->out_arena);
    uint32_t n = 0;
    const cq_row *rows[CQ_BATCH_ROWS];
    while (n < CQ_BATCH_ROWS && s->pos < s->n_order)
        rows[n++] = &s->rows.rows[s->order[s->pos++]];
    cq_rows_emit(&s->rows, rows, n, &s->out);
    *out = &s->out;
    return 1;
}

static void sort_free(cq_oper *op)
{
    sort_op *s = (sort_op *)op;
    cq_rows_free(&s->rows);
    cq_arena_free(&s->scratch);
    free(s->order);
    free(s->key_ids);
}

static cq_oper *sort_new(const void *cfg, cq_oper *child, cq_exec_ctx *ctx, int tail)
{
    sort_op *s = cq_oper_new(sizeof *s, sort_next, sort_free, child, ctx);
    s->cfg = cfg;
    s->tail = tail;
    cq_rows_init(&s->rows);
    cq_arena_init(&s->scratch);
    cq_oper_out(&s->base, &s->out_arena, &s->out);
    s->key_ids = cq_xcalloc(s->cfg->n_keys + 1, sizeof *s->key_ids);
    return &s->base;
}

cq_oper *cq_open_sort(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return sort_new(cfg, child, ctx, 0);
}

cq_oper *cq_sort_open_cfg(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return sort_new(cfg, child, ctx, 0);
}

cq_oper *cq_open_tail(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return sort_new(cfg, child, ctx, 1);
}

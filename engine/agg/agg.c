/*
 * agg.c - stats functions and group keys (see agg.h for the semantics).
 *
 * Work per batch: each function's argument is read once into a flat list
 * of items (string view + number) per row position; dictionary columns
 * parse each distinct value once.  Then one loop per function folds the
 * (row, group) pairs, with the switch on the function outside the loop.
 */
#include "engine/agg/agg.h"
#include "engine/exec.h"
#include "engine/expr/match.h"
#include "common/strbuf.h"
#include "grammar/resolve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ prepare */

/* 'x.y' names the field x.y, as in eval. */
static const char *unquote(cq_arena *a, const char *name)
{
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '\'' && name[n - 1] == '\'')
        return cq_arena_strndup(a, name + 1, n - 2);
    return name;
}

enum {                              /* grammar/functions.def flags */
    CQ_AGG_ORDERED = 1u << 0,
    CQ_AGG_TIME = 1u << 1,
};

/* The STATS rows of grammar/functions.def. */
static const struct {
    const char *name;
    cq_agg_kind kind;
    unsigned flags;
    const char *help;
} agg_names[] = {
#define FN(name, lo, hi, kind, impl, flags, help) FN_##kind(#name, CQ_AGG_##impl, flags, help)
#define FN_EVAL(name, impl, flags, help)
#define FN_STATS(name, impl, flags, help) {name, impl, flags, help},
#define FN_CONVERT(name, impl, flags, help)
#include "grammar/functions.def"
#undef FN_CONVERT
#undef FN_STATS
#undef FN_EVAL
#undef FN
};

/* The aggregation called name, when it is not a percentile (perc<N>). */
static int agg_find(const char *name)
{
    for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
        if (agg_names[i].kind != CQ_AGG_PERC && !strcmp(agg_names[i].name, name))
            return (int)i;
    return -1;
}

int cq_agg_ordered(const char *name)
{
    int i = agg_find(name);
    return i >= 0 && (agg_names[i].flags & CQ_AGG_ORDERED);
}

int cq_agg_reads_time(const char *name)
{
    int i = agg_find(name);
    return i >= 0 && (agg_names[i].flags & CQ_AGG_TIME);
}

int cq_agg_prepare(cq_arena *a, const cq_ast *node, cq_agg *out, cq_diag *d)
{
    memset(out, 0, sizeof *out);
    out->span = node->span;
    const char *fn = node->name;
    int found = 0;
    int i = agg_find(fn);
    if (i >= 0) {
        out->kind = agg_names[i].kind;
        found = 1;
    }
    if (found && out->kind == CQ_AGG_NOT_YET) {
        const char *why = strstr(agg_names[i].help, "): ");
        return cq_diag_set(d, node->span, "not supported yet: stats function \"%s\" (%s)", fn,
                           why ? why + 3 : agg_names[i].help);
    }
    if (!found && cq_fn_percentile(fn, &out->pct)) {
        out->kind = CQ_AGG_PERC;
        found = 1;
    }
    if (!found)
        return cq_diag_set(d, node->span, "not supported yet: stats function \"%s\"", fn);
    out->arg = node->kids;
    if (out->arg && out->arg->next)
        return cq_diag_set(d, out->arg->next->span, "%s takes one argument", fn);
    if (out->arg && out->arg->kind == CQ_AST_FIELD)
        out->field = unquote(a, out->arg->name);
    if (out->kind == CQ_AGG_COUNT && out->arg)
        out->kind = CQ_AGG_COUNTF;
    if (!out->arg && out->kind != CQ_AGG_COUNT)
        return cq_diag_set(d, node->span, "%s needs a field, e.g. %s(bytes)", fn, fn);
    if (out->arg && !out->field && cq_eval_check(out->arg, d))
        return -1;
    if (node->alias)
        out->name = node->alias;
    else if (!out->arg)
        out->name = fn;
    else if (out->field)
        out->name = cq_arena_printf(a, "%s(%s)", fn, out->field);
    else
        out->name = cq_arena_printf(a, "%s(eval)", fn);
    return 0;
}

int cq_agg_counts(const cq_agg *g)
{
    return g->kind == CQ_AGG_COUNT || g->kind == CQ_AGG_COUNTF || g->kind == CQ_AGG_DC;
}

/* ------------------------------------------------------------ keys */

static int sv_cmp(cq_sv a, cq_sv b)
{
    size_t m = a.len < b.len ? a.len : b.len;
    int c = m ? memcmp(a.p, b.p, m) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

int cq_gkey_cmp(const cq_gkey *a, const cq_gkey *b)
{
    if (a->is_time && b->is_time)
        return (a->t > b->t) - (a->t < b->t);
    int an = a->num == a->num, bn = b->num == b->num;
    if (an && bn)
        return (a->num > b->num) - (a->num < b->num);
    if (an != bn)
        return an ? -1 : 1;
    return sv_cmp(a->s, b->s);
}

void cq_groups_init(cq_groups *g, const char *const *by, uint32_t n_by)
{
    memset(g, 0, sizeof *g);
    g->by = by;
    g->n_by = n_by;
    cq_strmap_init(&g->map);
    cq_arena_init(&g->arena);
    if (!n_by) {            /* one group, always there (stats count: 0) */
        g->n_groups = 1;
    }
}

void cq_groups_free(cq_groups *g)
{
    cq_strmap_free(&g->map);
    cq_arena_free(&g->arena);
    free(g->keys);
    free(g->code_gid);
    free(g->code_n);
    free(g->memo);
    cq_strbuf_free(&g->keybuf);
}

/* A by-value as it is read from a column. */
typedef struct kval {
    cq_sv s;
    int64_t t;
    int is_time;
} kval;

/* The group of an encoded key, made on first sight. */
static uint32_t group_of(cq_groups *g, const char *key, size_t len, const kval *parts)
{
    uint32_t id;
    if (cq_strmap_get(&g->map, key, len, &id))
        return id;
    id = g->n_groups;
    char *copy = cq_arena_strndup(&g->arena, key, len);
    cq_strmap_upsert(&g->map, copy, len, &id);
    if (g->n_groups == g->cap_groups) {
        g->cap_groups = g->cap_groups ? g->cap_groups * 2 : 64;
        g->keys = cq_xrealloc(g->keys, (size_t)g->cap_groups * g->n_by * sizeof *g->keys);
    }
    cq_gkey *k = &g->keys[(size_t)id * g->n_by];
    for (uint32_t i = 0; i < g->n_by; i++) {
        k[i].is_time = parts[i].is_time;
        k[i].t = parts[i].t;
        k[i].s.len = parts[i].s.len;
        k[i].s.p = parts[i].is_time ? "" : cq_arena_strndup(&g->arena, parts[i].s.p, parts[i].s.len);
        k[i].num = NAN;
        double v;
        if (!parts[i].is_time && cq_parse_num(k[i].s.p, k[i].s.len, &v))
            k[i].num = v;
    }
    g->n_groups++;
    return id;
}

/* Appends a pair, growing the arrays. */
static inline void push_pair(uint32_t **pos, uint32_t **gid, uint32_t *cap, uint32_t *n,
                             uint32_t p, uint32_t id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : CQ_BATCH_ROWS;
        *pos = cq_xrealloc(*pos, *cap * sizeof **pos);
        *gid = cq_xrealloc(*gid, *cap * sizeof **gid);
    }
    (*pos)[*n] = p;
    (*gid)[*n] = id;
    (*n)++;
}

/* Encodes parts into buf: per part a tag byte, a length, the bytes. */
static size_t encode_key(const kval *parts, uint32_t n, cq_strbuf *buf)
{
    cq_strbuf_reset(buf);
    for (uint32_t i = 0; i < n; i++) {
        if (parts[i].is_time) {
            cq_strbuf_addc(buf, 'T');
            cq_strbuf_add(buf, (const char *)&parts[i].t, sizeof parts[i].t);
        } else {
            cq_strbuf_addc(buf, 'S');
            cq_strbuf_add(buf, (const char *)&parts[i].s.len, sizeof parts[i].s.len);
            cq_strbuf_add(buf, parts[i].s.p, parts[i].s.len);
        }
    }
    return buf->len;
}

#define CQ_GROUPS_MEMO 4096     /* power of two */

/* A cheap hash of a value: its length and up to 16 of its outer bytes.
 * Every block has its own dictionary, so the same values are looked up
 * again block after block; hashing and encoding each whole value was a
 * quarter of `stats count by user` (perf). */
static uint32_t memo_slot(cq_sv v)
{
    uint64_t a = 0, b = 0;
    memcpy(&a, v.p, v.len < 8 ? v.len : 8);
    if (v.len > 8)
        memcpy(&b, v.p + (v.len < 16 ? 8 : v.len - 8), v.len < 16 ? v.len - 8 : 8);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull) ^ v.len) * 0xFF51AFD7ED558CCDull;
    return (uint32_t)(h >> 52) & (CQ_GROUPS_MEMO - 1);
}

/* The group of a dictionary value: the memo when it holds it, else the
 * map (and the memo remembers it). */
static uint32_t dict_group(cq_groups *g, cq_sv v)
{
    if (!g->memo)
        g->memo = cq_xcalloc(CQ_GROUPS_MEMO, sizeof *g->memo);
    uint32_t slot = memo_slot(v), m = g->memo[slot];
    if (m) {
        const cq_gkey *k = &g->keys[m - 1];
        if (!k->is_time && k->s.len == v.len && !memcmp(k->s.p, v.p, v.len))
            return m - 1;
    }
    kval part = {v, 0, 0};
    size_t len = encode_key(&part, 1, &g->keybuf);
    uint32_t id = group_of(g, g->keybuf.buf, len, &part);
    g->memo[slot] = id + 1;
    return id;
}

/* Single-valued dictionary by-field: one lookup per distinct code. */
/* Makes room for codes 0..n_dict in the per-batch code arrays. */
static void code_room(cq_groups *g, uint32_t n_dict)
{
    if (n_dict + 1 > g->code_cap) {
        g->code_cap = n_dict + 1;
        g->code_gid = cq_xrealloc(g->code_gid, g->code_cap * sizeof *g->code_gid);
        g->code_n = cq_xrealloc(g->code_n, g->code_cap * sizeof *g->code_n);
    }
}

static uint32_t map_dict(cq_groups *g, const cq_col *c, const uint16_t *rows, uint32_t n,
                         uint32_t **pos, uint32_t **gid, uint32_t *cap)
{
    code_room(g, c->n_dict);
    memset(g->code_gid, 0xff, (c->n_dict + 1) * sizeof *g->code_gid);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t code = c->codes[rows[i]];
        if (!code)
            continue;
        uint32_t id = g->code_gid[code];
        if (id == UINT32_MAX)
            id = g->code_gid[code] = dict_group(g, c->dict[code - 1]);
        push_pair(pos, gid, cap, &k, i, id);
    }
    return k;
}

/* Value j of row r of c as a by-value (numbers formatted into a). */
static kval key_val(const cq_col *c, uint32_t r, uint32_t j, cq_arena *a)
{
    kval v = {{NULL, 0}, 0, 0};
    if (c->kind == CQ_COL_TIME) {
        v.t = c->times[r];
        v.is_time = 1;
    } else if (c->kind == CQ_COL_NUM) {
        v.s = cq_num_format(c->nums[r], a);
    } else {
        v.s = cq_col_val(c, r, j);
    }
    return v;
}

uint32_t cq_groups_map(cq_groups *g, const cq_batch *b, const uint16_t *rows, uint32_t n,
                       uint32_t **pos, uint32_t **gid, uint32_t *cap)
{
    uint32_t k = 0;
    if (!g->n_by) {
        for (uint32_t i = 0; i < n; i++)
            push_pair(pos, gid, cap, &k, i, 0);
        return k;
    }
    const cq_col *cols[CQ_GROUPS_MAX_BY];
    for (uint32_t f = 0; f < g->n_by; f++) {
        cols[f] = cq_batch_get(b, g->by[f]);
        if (!cols[f] || cols[f]->kind == CQ_COL_NULL)
            return 0;           /* every row lacks this by-field */
    }
    if (g->n_by == 1 && cols[0]->kind == CQ_COL_DICT && !cols[0]->row_off)
        return map_dict(g, cols[0], rows, n, pos, gid, cap);
    cq_arena tmp;
    cq_arena_init(&tmp);
    cq_strbuf *key = &g->keybuf;
    kval parts[CQ_GROUPS_MAX_BY];
    uint32_t nv[CQ_GROUPS_MAX_BY], at[CQ_GROUPS_MAX_BY];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i], f;
        for (f = 0; f < g->n_by; f++) {
            nv[f] = cq_col_nvals(cols[f], r);
            at[f] = 0;
            if (!nv[f])
                break;
        }
        if (f < g->n_by)
            continue;           /* a missing by-field drops the row */
        for (;;) {              /* every combination of the values */
            for (f = 0; f < g->n_by; f++)
                parts[f] = key_val(cols[f], r, at[f], &tmp);
            size_t len = encode_key(parts, g->n_by, key);
            push_pair(pos, gid, cap, &k, i, group_of(g, key->buf, len, parts));
            for (f = g->n_by; f-- > 0;) {
                if (++at[f] < nv[f])
                    break;
                at[f] = 0;
            }
            if (f == UINT32_MAX)
                break;
        }
        cq_arena_reset(&tmp);
    }
    cq_arena_free(&tmp);
    return k;
}

typedef struct gref {
    const cq_groups *g;
    uint32_t id;
} gref;

static int cmp_group(const void *x, const void *y)
{
    const gref *a = x, *b = y;
    const cq_groups *g = a->g;
    for (uint32_t f = 0; f < g->n_by; f++) {
        int c = cq_gkey_cmp(&g->keys[(size_t)a->id * g->n_by + f],
                            &g->keys[(size_t)b->id * g->n_by + f]);
        if (c)
            return c;
    }
    return (a->id > b->id) - (a->id < b->id);
}

uint32_t *cq_groups_sorted(const cq_groups *g)
{
    uint32_t *ids = cq_xmalloc(((size_t)g->n_groups + 1) * sizeof *ids);
    gref *refs = cq_xmalloc(((size_t)g->n_groups + 1) * sizeof *refs);
    for (uint32_t i = 0; i < g->n_groups; i++)
        refs[i] = (gref){g, i};
    if (g->n_by)
        qsort(refs, g->n_groups, sizeof *refs, cmp_group);
    for (uint32_t i = 0; i < g->n_groups; i++)
        ids[i] = refs[i].id;
    free(refs);
    return ids;
}

/* ------------------------------------------------------------ states */

typedef struct item {
    cq_sv s;                /* p == NULL: a number not formatted yet */
    double num;             /* NaN: not a number */
} item;

struct cq_agg_in {
    uint32_t *off;          /* position i has items [off[i], off[i+1]) */
    item *it;
};

typedef struct strset {     /* values(), dc() */
    cq_strmap map;
} strset;

typedef struct strlist {    /* list() */
    cq_sv *v;
    uint32_t n, cap;
} strlist;

typedef struct numvec {     /* median, perc */
    double *v;
    size_t n, cap;
    int sorted;
} numvec;

struct cq_agg_state {
    uint64_t n;             /* events, or numeric values seen */
    double x, y;            /* sum/sumsq, mean/M2, numeric min/max */
    int64_t t;              /* earliest/latest: _time of s */
    char *s;                /* kept string (malloc): min/max/first/... */
    uint32_t s_len, s_cap;
    uint32_t has_s;
    void *ext;              /* strset, strlist or numvec */
};

void cq_aggset_init(cq_aggset *s, const cq_agg *aggs, uint32_t n_aggs, cq_diag *d,
                    int64_t now_us, int tz)
{
    memset(s, 0, sizeof *s);
    s->aggs = aggs;
    s->n_aggs = n_aggs;
    cq_arena_init(&s->arena);
    cq_arena_init(&s->scratch);
    s->ec = (cq_eval_ctx){&s->scratch, d, now_us, NULL, tz};
    for (uint32_t k = 0; k < n_aggs; k++)
        if (aggs[k].arg && !aggs[k].field && !s->ec.regex)
            s->ec.regex = cq_regex_cache_new();
    s->in = cq_xcalloc(n_aggs + 1, sizeof *s->in);
    s->list_max = 100;
}

static void state_free(const cq_agg *g, cq_agg_state *st)
{
    free(st->s);
    if (!st->ext)
        return;
    switch (g->kind) {
    case CQ_AGG_DC:
    case CQ_AGG_VALUES:
        cq_strmap_free(&((strset *)st->ext)->map);
        break;
    case CQ_AGG_LIST:
        free(((strlist *)st->ext)->v);
        break;
    case CQ_AGG_MEDIAN:
    case CQ_AGG_PERC:
        free(((numvec *)st->ext)->v);
        break;
    default:
        break;
    }
    free(st->ext);
}

void cq_aggset_clear_group(cq_aggset *s, uint32_t g)
{
    for (uint32_t k = 0; k < s->n_aggs; k++) {
        cq_agg_state *st = &s->st[(size_t)g * s->n_aggs + k];
        state_free(&s->aggs[k], st);
        memset(st, 0, sizeof *st);
    }
}

void cq_aggset_free(cq_aggset *s)
{
    for (uint32_t g = 0; g < s->cap_groups; g++)
        for (uint32_t k = 0; k < s->n_aggs; k++)
            state_free(&s->aggs[k], &s->st[(size_t)g * s->n_aggs + k]);
    free(s->st);
    free(s->in);
    cq_regex_cache_free(s->ec.regex);
    cq_arena_free(&s->arena);
    cq_arena_free(&s->scratch);
}

void cq_aggset_grow(cq_aggset *s, uint32_t n_groups)
{
    if (n_groups <= s->cap_groups)
        return;
    uint32_t cap = s->cap_groups ? s->cap_groups : 64;
    while (cap < n_groups)
        cap *= 2;
    s->st = cq_xrealloc(s->st, (size_t)cap * s->n_aggs * sizeof *s->st);
    memset(s->st + (size_t)s->cap_groups * s->n_aggs, 0,
           (size_t)(cap - s->cap_groups) * s->n_aggs * sizeof *s->st);
    s->cap_groups = cap;
}

static int needs_num(cq_agg_kind k)
{
    return k == CQ_AGG_MIN || k == CQ_AGG_MAX || k == CQ_AGG_RANGE || k == CQ_AGG_SUM ||
           k == CQ_AGG_SUMSQ || k == CQ_AGG_AVG || k == CQ_AGG_STDEV || k == CQ_AGG_STDEVP ||
           k == CQ_AGG_VAR || k == CQ_AGG_VARP || k == CQ_AGG_MEDIAN || k == CQ_AGG_PERC;
}

static double parse_or_nan(cq_sv v)
{
    double d;
    return v.p && cq_parse_num(v.p, v.len, &d) ? d : NAN;
}

/* Items of column c for rows[0..n). */
static void load_col(cq_aggset *s, cq_agg_in *in, const cq_col *c, const uint16_t *rows,
                     uint32_t n, int num)
{
    cq_arena *a = &s->scratch;
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += cq_col_nvals(c, rows[i]);
    in->off = cq_arena_alloc(a, (n + 1) * sizeof *in->off);
    in->it = cq_arena_alloc(a, (total + 1) * sizeof *in->it);
    double *dnum = NULL;
    if (c->kind == CQ_COL_DICT && num) {
        dnum = cq_arena_alloc(a, (c->n_dict + 1) * sizeof *dnum);
        for (uint32_t k = 0; k < c->n_dict; k++)
            dnum[k] = parse_or_nan(c->dict[k]);
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i], nv = cq_col_nvals(c, r);
        in->off[i] = k;
        for (uint32_t j = 0; j < nv; j++) {
            item *it = &in->it[k++];
            switch (c->kind) {
            case CQ_COL_NUM:
                *it = (item){{NULL, 0}, c->nums[r]};
                break;
            case CQ_COL_TIME:
                *it = (item){{NULL, 0}, (double)c->times[r] / 1e6};
                break;
            case CQ_COL_DICT: {
                uint32_t code = c->codes[c->row_off ? c->row_off[r] + j : r];
                it->s = c->dict[code - 1];
                it->num = dnum ? dnum[code - 1] : NAN;
                break;
            }
            default:
                it->s = cq_col_val(c, r, j);
                it->num = num ? parse_or_nan(it->s) : NAN;
                break;
            }
        }
    }
    in->off[n] = k;
}

/* Items of evaluated values v[0..n). */
static void load_vals(cq_aggset *s, cq_agg_in *in, const cq_val *v, uint32_t n)
{
    cq_arena *a = &s->scratch;
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += v[i].t == CQ_V_MV ? v[i].n_mv : v[i].t != CQ_V_NULL;
    in->off = cq_arena_alloc(a, (n + 1) * sizeof *in->off);
    in->it = cq_arena_alloc(a, (total + 1) * sizeof *in->it);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        in->off[i] = k;
        switch (v[i].t) {
        case CQ_V_NUM:
            in->it[k++] = (item){{NULL, 0}, v[i].num};
            break;
        case CQ_V_STR:
            in->it[k++] = (item){v[i].str, parse_or_nan(v[i].str)};
            break;
        case CQ_V_BOOL:         /* count(eval(x>1)) counts the true ones */
            if (v[i].b)
                in->it[k++] = (item){{"true", 4}, NAN};
            break;
        case CQ_V_MV:
            for (uint32_t j = 0; j < v[i].n_mv; j++)
                in->it[k++] = (item){v[i].mv[j], parse_or_nan(v[i].mv[j])};
            break;
        default:
            break;
        }
    }
    in->off[n] = k;
}

int cq_aggset_load(cq_aggset *s, const cq_batch *b, const uint16_t *rows, uint32_t n)
{
    cq_arena_reset(&s->scratch);
    s->times = NULL;
    for (uint32_t k = 0; k < s->n_aggs; k++) {
        const cq_agg *g = &s->aggs[k];
        cq_agg_in *in = &s->in[k];
        if (g->kind == CQ_AGG_EARLIEST || g->kind == CQ_AGG_LATEST) {
            if (!s->times) {
                int64_t *t = cq_arena_alloc(&s->scratch, (n + 1) * sizeof *t);
                const cq_col *tc = cq_batch_get(b, "_time");
                for (uint32_t i = 0; i < n; i++)
                    t[i] = tc && tc->kind == CQ_COL_TIME ? tc->times[rows[i]]
                         : tc && tc->kind == CQ_COL_NUM ? (int64_t)(tc->nums[rows[i]] * 1e6)
                         : 0;
                s->times = t;
            }
        }
        if (!g->arg)
            continue;
        if (g->field) {
            const cq_col *c = cq_batch_get(b, g->field);
            cq_col none = {.kind = CQ_COL_NULL, .n_rows = b->n_rows};
            load_col(s, in, c ? c : &none, rows, n, needs_num(g->kind));
            continue;
        }
        cq_val *v = cq_arena_alloc(&s->scratch, (n + 1) * sizeof *v);
        if (cq_eval(g->arg, &s->ec, b, rows, n, v))
            return -1;
        load_vals(s, in, v, n);
    }
    return 0;
}

/* The text of an item (numbers formatted as Splunk prints them). */
static cq_sv item_str(cq_aggset *s, const item *it)
{
    return it->s.p ? it->s : cq_num_format(it->num, &s->scratch);
}

static void keep_str(cq_agg_state *st, cq_sv v)
{
    if (v.len + 1 > st->s_cap) {
        st->s_cap = v.len + 16;
        st->s = cq_xrealloc(st->s, st->s_cap);
    }
    memcpy(st->s, v.p, v.len);
    st->s[v.len] = '\0';
    st->s_len = v.len;
    st->has_s = 1;
}

static cq_sv kept(const cq_agg_state *st)
{
    return (cq_sv){st->s, st->s_len};
}

static void set_add(cq_aggset *s, cq_agg_state *st, cq_sv v)
{
    strset *set = st->ext;
    if (!set) {
        set = st->ext = cq_xcalloc(1, sizeof *set);
        cq_strmap_init(&set->map);
    }
    uint32_t one = 0;
    if (cq_strmap_get(&set->map, v.p, v.len, &one))
        return;
    char *copy = cq_arena_strndup(&s->arena, v.p, v.len);
    cq_strmap_upsert(&set->map, copy, v.len, &one);
}

static void list_add(cq_aggset *s, cq_agg_state *st, cq_sv v)
{
    strlist *l = st->ext;
    if (!l)
        l = st->ext = cq_xcalloc(1, sizeof *l);
    if (s->list_max && l->n >= s->list_max) {
        s->list_cut++;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = cq_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (cq_sv){cq_arena_strndup(&s->arena, v.p, v.len), v.len};
}

static void vec_add(cq_agg_state *st, double d)
{
    numvec *nv = st->ext;
    if (!nv)
        nv = st->ext = cq_xcalloc(1, sizeof *nv);
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 8;
        nv->v = cq_xrealloc(nv->v, nv->cap * sizeof *nv->v);
    }
    nv->v[nv->n++] = d;
    nv->sorted = 0;
}

/* Folds one item into a state (functions other than count/count(f)). */
static void add_item(cq_aggset *s, const cq_agg *g, cq_agg_state *st, const item *it,
                     int64_t t)
{
    double d = it->num;
    int isnum = d == d;
    switch (g->kind) {
    case CQ_AGG_DC:
    case CQ_AGG_VALUES:
        set_add(s, st, item_str(s, it));
        break;
    case CQ_AGG_LIST:
        list_add(s, st, item_str(s, it));
        break;
    case CQ_AGG_MIN:
        if (isnum) {
            if (!st->n++ || d < st->x)
                st->x = d;
        } else if (!st->has_s || sv_cmp(it->s, kept(st)) < 0) {
            keep_str(st, it->s);
        }
        break;
    case CQ_AGG_MAX:
        if (isnum) {
            if (!st->n++ || d > st->y)
                st->y = d;
        } else if (!st->has_s || sv_cmp(it->s, kept(st)) > 0) {
            keep_str(st, it->s);
        }
        break;
    case CQ_AGG_RANGE:
        if (isnum) {
            if (!st->n || d < st->x)
                st->x = d;
            if (!st->n || d > st->y)
                st->y = d;
            st->n++;
        }
        break;
    case CQ_AGG_SUM:
    case CQ_AGG_AVG:
    case CQ_AGG_SUMSQ:
        if (isnum) {
            st->n++;
            st->x += d;
            st->y += d * d;
        }
        break;
    case CQ_AGG_STDEV:
    case CQ_AGG_STDEVP:
    case CQ_AGG_VAR:
    case CQ_AGG_VARP:
        if (isnum) {        /* Welford: x mean, y sum of squared deviations */
            st->n++;
            double delta = d - st->x;
            st->x += delta / (double)st->n;
            st->y += delta * (d - st->x);
        }
        break;
    case CQ_AGG_MEDIAN:
    case CQ_AGG_PERC:
        if (isnum)
            vec_add(st, d);
        break;
    case CQ_AGG_FIRST:
        if (!st->has_s)
            keep_str(st, item_str(s, it));
        break;
    case CQ_AGG_LAST:
        keep_str(st, item_str(s, it));
        break;
    case CQ_AGG_EARLIEST:
        if (!st->has_s || t <= st->t) {
            keep_str(st, item_str(s, it));
            st->t = t;
        }
        break;
    case CQ_AGG_LATEST:
        if (!st->has_s || t > st->t) {
            keep_str(st, item_str(s, it));
            st->t = t;
        }
        break;
    default:
        break;
    }
}

int cq_groups_count_dict(cq_groups *g, cq_aggset *s, const cq_batch *b, const uint16_t *rows,
                         uint32_t n)
{
    if (g->n_by > 1)
        return 0;
    for (uint32_t k = 0; k < s->n_aggs; k++)
        if (s->aggs[k].kind != CQ_AGG_COUNT)
            return 0;
    if (!g->n_by) {             /* stats count: the one group */
        cq_aggset_grow(s, 1);
        for (uint32_t k = 0; k < s->n_aggs; k++)
            s->st[k].n += n;
        return 1;
    }
    const cq_col *c = cq_batch_get(b, g->by[0]);
    if (!c || c->kind != CQ_COL_DICT || c->row_off)
        return 0;
    code_room(g, c->n_dict);
    uint32_t *cnt = g->code_n;
    memset(cnt, 0, (c->n_dict + 1) * sizeof *cnt);
    for (uint32_t i = 0; i < n; i++)
        cnt[c->codes[rows[i]]]++;
    for (uint32_t code = 1; code <= c->n_dict; code++)     /* code 0: no value */
        if (cnt[code])
            g->code_gid[code] = dict_group(g, c->dict[code - 1]);
    cq_aggset_grow(s, g->n_groups);
    uint32_t na = s->n_aggs;
    for (uint32_t code = 1; code <= c->n_dict; code++)
        if (cnt[code])
            for (uint32_t k = 0; k < na; k++)
                s->st[(size_t)g->code_gid[code] * na + k].n += cnt[code];
    return 1;
}

void cq_aggset_add(cq_aggset *s, const uint32_t *pos, const uint32_t *gid, uint32_t n)
{
    uint32_t na = s->n_aggs;
    for (uint32_t k = 0; k < na; k++) {
        const cq_agg *g = &s->aggs[k];
        const cq_agg_in *in = &s->in[k];
        cq_agg_state *st = s->st + k;
        switch (g->kind) {
        case CQ_AGG_COUNT:
            for (uint32_t i = 0; i < n; i++)
                st[(size_t)gid[i] * na].n++;
            break;
        case CQ_AGG_COUNTF:
            for (uint32_t i = 0; i < n; i++)
                st[(size_t)gid[i] * na].n += in->off[pos[i] + 1] > in->off[pos[i]];
            break;
        case CQ_AGG_FIRST:      /* these take an event's first value */
        case CQ_AGG_LAST:
        case CQ_AGG_EARLIEST:
        case CQ_AGG_LATEST:
            for (uint32_t i = 0; i < n; i++) {
                uint32_t a = in->off[pos[i]];
                if (a < in->off[pos[i] + 1])
                    add_item(s, g, &st[(size_t)gid[i] * na], &in->it[a],
                             s->times ? s->times[pos[i]] : 0);
            }
            break;
        case CQ_AGG_SUM:        /* the hot numeric case, without the switch */
        case CQ_AGG_AVG:
        case CQ_AGG_SUMSQ:
            for (uint32_t i = 0; i < n; i++) {
                cq_agg_state *x = &st[(size_t)gid[i] * na];
                for (uint32_t j = in->off[pos[i]]; j < in->off[pos[i] + 1]; j++) {
                    double d = in->it[j].num;
                    if (d == d) {
                        x->n++;
                        x->x += d;
                        x->y += d * d;
                    }
                }
            }
            break;
        default:
            for (uint32_t i = 0; i < n; i++) {
                cq_agg_state *x = &st[(size_t)gid[i] * na];
                int64_t t = s->times ? s->times[pos[i]] : 0;
                for (uint32_t j = in->off[pos[i]]; j < in->off[pos[i] + 1]; j++)
                    add_item(s, g, x, &in->it[j], t);
            }
            break;
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_sv(const void *a, const void *b)
{
    return sv_cmp(*(const cq_sv *)a, *(const cq_sv *)b);
}

/* Splunk's default percentile (limits.conf perc_method=nearest-rank): the
 * value of 0-based rank floor(pct/100 * count); median is perc50. */
static double percentile_of(numvec *nv, double pct)
{
    if (!nv->sorted) {
        qsort(nv->v, nv->n, sizeof *nv->v, cmp_double);
        nv->sorted = 1;
    }
    size_t r = (size_t)floor(pct / 100.0 * (double)nv->n);
    return nv->v[r < nv->n ? r : nv->n - 1];
}

/* A list of strings as a value: null, one string, or multivalue. */
static cq_val list_val(const cq_sv *v, uint32_t n)
{
    cq_val out = {0};
    if (n == 1)
        return cq_val_from_sv(v[0]);
    if (n > 1) {
        out.t = CQ_V_MV;
        out.mv = v;
        out.n_mv = n;
    }
    return out;
}

void cq_aggset_result(cq_aggset *s, uint32_t g, uint32_t k, cq_arena *a, cq_val *out)
{
    const cq_agg *ag = &s->aggs[k];
    cq_agg_state *st = &s->st[(size_t)g * s->n_aggs + k];
    double n = (double)st->n;
    *out = (cq_val){0};
    switch (ag->kind) {
    case CQ_AGG_NOT_YET:        /* refused by cq_agg_prepare */
        break;
    case CQ_AGG_COUNT:
    case CQ_AGG_COUNTF:
        *out = cq_val_number(n);
        break;
    case CQ_AGG_DC:
        *out = cq_val_number(st->ext ? (double)((strset *)st->ext)->map.n : 0);
        break;
    case CQ_AGG_VALUES:
        if (st->ext) {
            const cq_strmap *m = &((strset *)st->ext)->map;
            cq_sv *v = cq_arena_alloc(a, (m->n + 1) * sizeof *v);
            uint32_t j = 0;
            for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].key)
                    v[j++] = (cq_sv){m->slots[i].key, m->slots[i].len};
            qsort(v, j, sizeof *v, cmp_sv);
            *out = list_val(v, j);
        }
        break;
    case CQ_AGG_LIST:
        if (st->ext)
            *out = list_val(((strlist *)st->ext)->v, ((strlist *)st->ext)->n);
        break;
    case CQ_AGG_MIN:
        if (st->n)
            *out = cq_val_number(st->x);
        else if (st->has_s)
            *out = cq_val_from_sv(kept(st));
        break;
    case CQ_AGG_MAX:
        if (st->has_s)
            *out = cq_val_from_sv(kept(st));
        else if (st->n)
            *out = cq_val_number(st->y);
        break;
    case CQ_AGG_RANGE:
        if (st->n)
            *out = cq_val_number(st->y - st->x);
        break;
    case CQ_AGG_SUM:
        if (st->n)
            *out = cq_val_number(st->x);
        break;
    case CQ_AGG_SUMSQ:
        if (st->n)
            *out = cq_val_number(st->y);
        break;
    case CQ_AGG_AVG:
        if (st->n)
            *out = cq_val_number(st->x / n);
        break;
    case CQ_AGG_STDEV:
    case CQ_AGG_VAR:
        if (st->n) {
            double var = st->n > 1 ? st->y / (n - 1) : 0;
            *out = cq_val_number(ag->kind == CQ_AGG_VAR ? var : sqrt(var));
        }
        break;
    case CQ_AGG_STDEVP:
    case CQ_AGG_VARP:
        if (st->n) {
            double var = st->y / n;
            *out = cq_val_number(ag->kind == CQ_AGG_VARP ? var : sqrt(var));
        }
        break;
    case CQ_AGG_MEDIAN:
        if (st->ext && ((numvec *)st->ext)->n) {
            *out = cq_val_number(percentile_of(st->ext, 50));
        }
        break;
    case CQ_AGG_PERC:
        if (st->ext && ((numvec *)st->ext)->n)
            *out = cq_val_number(percentile_of(st->ext, ag->pct));
        break;
    case CQ_AGG_FIRST:
    case CQ_AGG_LAST:
    case CQ_AGG_EARLIEST:
    case CQ_AGG_LATEST:
        if (st->has_s)
            *out = cq_val_from_sv((cq_sv){cq_arena_strndup(a, st->s, st->s_len), st->s_len});
        break;
    }
}

void cq_aggset_report(const cq_aggset *s, const char *cmd, const cq_exec_ctx *ctx)
{
    if (s->list_cut)
        cq_exec_note(ctx,
                     "%s: list() kept the first %u values of each group and left out "
                     "%llu (set list_maxsize=N, 0 for no limit)",
                     cmd, s->list_max, (unsigned long long)s->list_cut);
}

/* ------------------------------------------------------------ merging */

int cq_agg_merges(cq_agg_kind k)
{
    /* first, last and list() keep result order: a merge of two runs
     * cannot know which came first in it (needs.c sends them newest first
     * through one thread anyway) */
    return k != CQ_AGG_FIRST && k != CQ_AGG_LAST && k != CQ_AGG_LIST;
}

/* Folds state b (of set sb) into state a (of set sa), b's events coming
 * after a's in scan order. */
static void merge_state(cq_aggset *sa, const cq_agg *g, cq_agg_state *a, const cq_agg_state *b)
{
    switch (g->kind) {
    case CQ_AGG_COUNT:
    case CQ_AGG_COUNTF:
        a->n += b->n;
        break;
    case CQ_AGG_DC:
    case CQ_AGG_VALUES:
        if (b->ext) {
            const cq_strmap *m = &((const strset *)b->ext)->map;
            for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].key)
                    set_add(sa, a, (cq_sv){m->slots[i].key, m->slots[i].len});
        }
        break;
    case CQ_AGG_MIN:
    case CQ_AGG_MAX:
    case CQ_AGG_RANGE: {
        int lo = g->kind != CQ_AGG_MAX, hi = g->kind != CQ_AGG_MIN;
        if (b->n) {
            if (lo && (!a->n || b->x < a->x))
                a->x = b->x;
            if (hi && (!a->n || b->y > a->y))
                a->y = b->y;
            a->n += b->n;
        }
        int sign = g->kind == CQ_AGG_MIN ? -1 : 1;
        if (g->kind != CQ_AGG_RANGE && b->has_s &&
            (!a->has_s || sign * sv_cmp(kept(b), kept(a)) > 0))
            keep_str(a, kept(b));
        break;
    }
    case CQ_AGG_SUM:
    case CQ_AGG_AVG:
    case CQ_AGG_SUMSQ:
        a->n += b->n;
        a->x += b->x;
        a->y += b->y;
        break;
    case CQ_AGG_STDEV:
    case CQ_AGG_STDEVP:
    case CQ_AGG_VAR:
    case CQ_AGG_VARP:
        if (b->n) {     /* Chan et al.: means and squared deviations of two runs */
            double n = (double)(a->n + b->n), delta = b->x - a->x;
            a->y += b->y + delta * delta * (double)a->n * (double)b->n / n;
            a->x += delta * (double)b->n / n;
            a->n += b->n;
        }
        break;
    case CQ_AGG_MEDIAN:
    case CQ_AGG_PERC:
        if (b->ext) {
            const numvec *v = b->ext;
            for (size_t i = 0; i < v->n; i++)
                vec_add(a, v->v[i]);
        }
        break;
    case CQ_AGG_EARLIEST:   /* ties: the later event, as add_item does */
        if (b->has_s && (!a->has_s || b->t <= a->t)) {
            keep_str(a, kept(b));
            a->t = b->t;
        }
        break;
    case CQ_AGG_LATEST:     /* ties: the earlier event */
        if (b->has_s && (!a->has_s || b->t > a->t)) {
            keep_str(a, kept(b));
            a->t = b->t;
        }
        break;
    default:                /* not mergeable (cq_agg_merges) */
        break;
    }
}

/* The group of dst with the key of group id of src, made when missing. */
static uint32_t group_like(cq_groups *dst, const cq_groups *src, uint32_t id)
{
    if (!dst->n_by)
        return 0;
    kval parts[CQ_GROUPS_MAX_BY];
    for (uint32_t f = 0; f < src->n_by; f++) {
        const cq_gkey *k = &src->keys[(size_t)id * src->n_by + f];
        parts[f] = (kval){k->s, k->t, k->is_time};
    }
    size_t len = encode_key(parts, dst->n_by, &dst->keybuf);
    return group_of(dst, dst->keybuf.buf, len, parts);
}

void cq_grouper_merge(cq_grouper *dst, const cq_grouper *src)
{
    const cq_groups *sg = &src->groups;
    uint32_t na = dst->set.n_aggs;
    for (uint32_t id = 0; id < sg->n_groups; id++) {
        uint32_t to = group_like(&dst->groups, sg, id);
        cq_aggset_grow(&dst->set, dst->groups.n_groups);
        if (id >= src->set.cap_groups)
            continue;       /* a group whose states never grew: all empty */
        for (uint32_t k = 0; k < na; k++)
            merge_state(&dst->set, &dst->set.aggs[k], &dst->set.st[(size_t)to * na + k],
                        &src->set.st[(size_t)id * na + k]);
    }
    dst->set.list_cut += src->set.list_cut;
}

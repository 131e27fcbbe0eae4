/*
 * filter.c - search expressions over a batch, writing selections, and the
 * compile-time check of what a search expression may hold.
 *
 * AND narrows: each operand runs only on the rows the previous ones kept.
 * OR widens: each operand runs only on rows not yet accepted.  Leaves test a
 * dictionary column's distinct values once per batch and then only look codes
 * up, so a filter costs one byte load per row on low-cardinality fields.
 */
#include "engine/expr/filter.h"
#include "engine/expr/match.h"

#include <stdio.h>
#include <string.h>

typedef struct leaf {
    cq_op op;
    const char *val;
    size_t len;
    int exists;         /* field=* : any value at all */
    int cidr;           /* val is "addr/bits": = and != test membership */
    int fam, bits;
    unsigned char net[16];
} leaf;

/* A value written as "addr/bits" compares as a network (Splunk:
 * src_ip=10.0.0.0/8 matches every address inside). */
static void leaf_cidr(leaf *lf)
{
    lf->cidr = memchr(lf->val, '/', lf->len) &&
               cq_cidr_parse((cq_sv){lf->val, (uint32_t)lf->len}, &lf->fam, lf->net, &lf->bits);
}

/* Does one value satisfy `f op val`? (Search semantics: case-insensitive,
 * wildcards for = and !=; ordering compares numerically when both numeric.) */
static int val_ok(const leaf *lf, const char *s, size_t n)
{
    if (lf->exists)
        return 1;
    switch (lf->op) {
    case CQ_OP_EQ:
    case CQ_OP_NE:
        if (lf->cidr)
            return cq_cidr_contains(lf->fam, lf->net, lf->bits, (cq_sv){s, (uint32_t)n});
        return cq_wild_match(lf->val, lf->len, s, n);
    case CQ_OP_LT:
        return cq_value_cmp(s, n, lf->val, lf->len) < 0;
    case CQ_OP_LE:
        return cq_value_cmp(s, n, lf->val, lf->len) <= 0;
    case CQ_OP_GT:
        return cq_value_cmp(s, n, lf->val, lf->len) > 0;
    case CQ_OP_GE:
        return cq_value_cmp(s, n, lf->val, lf->len) >= 0;
    default:
        return 0;
    }
}

/* Time and number columns compare as their decimal text, like Splunk's _time
 * (epoch seconds). */
static int num_ok(const leaf *lf, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.6f", v);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    return val_ok(lf, buf, (size_t)n);
}

/* For each input row: does any value satisfy the leaf?  Results in hit[i]. */
static void leaf_any(const leaf *lf, const cq_col *c, const uint16_t *in, uint32_t n_in,
                     uint8_t *hit, cq_arena *scratch)
{
    switch (c->kind) {
    case CQ_COL_DICT: {
        uint8_t *mask = cq_arena_alloc(scratch, c->n_dict + 1);
        mask[0] = 0;
        for (uint32_t d = 0; d < c->n_dict; d++)
            mask[d + 1] = (uint8_t)val_ok(lf, c->dict[d].p, c->dict[d].len);
        if (!c->row_off) {
            for (uint32_t i = 0; i < n_in; i++)
                hit[i] = mask[c->codes[in[i]]];
        } else {
            for (uint32_t i = 0; i < n_in; i++) {
                uint8_t h = 0;
                for (uint32_t k = c->row_off[in[i]]; k < c->row_off[in[i] + 1] && !h; k++)
                    h = mask[c->codes[k]];
                hit[i] = h;
            }
        }
        return;
    }
    case CQ_COL_STR:
        for (uint32_t i = 0; i < n_in; i++) {
            uint32_t r = in[i], nv = cq_col_nvals(c, r);
            uint8_t h = 0;
            for (uint32_t k = 0; k < nv && !h; k++) {
                cq_sv v = cq_col_val(c, r, k);
                h = v.p && (uint8_t)val_ok(lf, v.p, v.len);
            }
            hit[i] = h;
        }
        return;
    case CQ_COL_TIME:
        for (uint32_t i = 0; i < n_in; i++)
            hit[i] = (uint8_t)num_ok(lf, (double)c->times[in[i]] / 1e6);
        return;
    case CQ_COL_NUM:
        for (uint32_t i = 0; i < n_in; i++)
            hit[i] = c->nums[in[i]] == c->nums[in[i]] && num_ok(lf, c->nums[in[i]]);
        return;
    default:
        memset(hit, 0, n_in);
    }
}

static uint32_t eval_compare(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                             uint32_t n_in, uint16_t *out, cq_arena *scratch)
{
    const cq_col *c = cq_batch_get(b, e->name);
    if (!c || c->kind == CQ_COL_NULL)
        return 0;   /* a missing field matches neither f=v nor f!=v */
    leaf lf = {e->op, e->text, strlen(e->text), 0, 0, 0, 0, {0}};
    lf.exists = e->op == CQ_OP_EQ && !(e->flags & CQ_AST_QUOTED) && !strcmp(e->text, "*");
    if (e->op == CQ_OP_EQ || e->op == CQ_OP_NE)
        leaf_cidr(&lf);
    uint8_t *hit = cq_arena_alloc(scratch, n_in + 1);
    if (e->op == CQ_OP_NE) {
        /* f!=v: the field is there and no value equals v. */
        leaf eq = lf;
        eq.op = CQ_OP_EQ;
        leaf has = {CQ_OP_EQ, "*", 1, 1, 0, 0, 0, {0}};
        uint8_t *present = cq_arena_alloc(scratch, n_in + 1);
        leaf_any(&eq, c, in, n_in, hit, scratch);
        leaf_any(&has, c, in, n_in, present, scratch);
        uint32_t n = 0;
        for (uint32_t i = 0; i < n_in; i++)
            if (present[i] && !hit[i])
                out[n++] = in[i];
        return n;
    }
    leaf_any(&lf, c, in, n_in, hit, scratch);
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_in; i++)
        if (hit[i])
            out[n++] = in[i];
    return n;
}

static uint32_t eval_term(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                          uint32_t n_in, uint16_t *out)
{
    const char *t = e->text;
    size_t tl = strlen(t);
    int cs = (e->flags & CQ_AST_CASE) != 0;
    if (!(e->flags & CQ_AST_QUOTED) && tl == 1 && t[0] == '*') {
        memcpy(out, in, n_in * sizeof *in);
        return n_in;
    }
    const cq_col *raw = cq_batch_get(b, "_raw");
    if (!raw || raw->kind == CQ_COL_NULL)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t r = in[i], nv = cq_col_nvals(raw, r);
        int ok = 0;
        for (uint32_t k = 0; k < nv && !ok; k++) {
            cq_sv v = cq_col_val(raw, r, k);
            if (!v.p)
                continue;
            if (e->flags & CQ_AST_QUOTED)
                ok = cq_phrase_match(t, tl, v.p, v.len, cs);
            else if (e->flags & CQ_AST_TERMDIR)
                ok = cq_term_match_major(t, tl, v.p, v.len);
            else
                ok = cq_term_match(t, tl, v.p, v.len, cs);
        }
        if (ok)
            out[n++] = in[i];
    }
    return n;
}

static uint32_t eval_in(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                        uint32_t n_in, uint16_t *out, cq_arena *scratch)
{
    const cq_col *c = cq_batch_get(b, e->name);
    if (!c || c->kind == CQ_COL_NULL)
        return 0;
    uint8_t *any = cq_arena_calloc(scratch, n_in + 1);
    uint8_t *hit = cq_arena_alloc(scratch, n_in + 1);
    for (const cq_ast *v = e->kids; v; v = v->next) {
        leaf lf = {CQ_OP_EQ, v->text, strlen(v->text), 0, 0, 0, 0, {0}};
        leaf_cidr(&lf);
        leaf_any(&lf, c, in, n_in, hit, scratch);
        for (uint32_t i = 0; i < n_in; i++)
            any[i] |= hit[i];
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_in; i++)
        if (any[i])
            out[n++] = in[i];
    return n;
}

static uint32_t eval_or(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                        uint32_t n_in, uint16_t *out, cq_arena *scratch)
{
    /* rest: rows not accepted yet; each operand only sees those. */
    uint16_t *rest = cq_arena_alloc(scratch, (n_in + 1) * sizeof *rest);
    uint16_t *got = cq_arena_alloc(scratch, (n_in + 1) * sizeof *got);
    uint8_t *acc = cq_arena_calloc(scratch, CQ_BATCH_ROWS);
    memcpy(rest, in, n_in * sizeof *in);
    uint32_t n_rest = n_in;
    for (const cq_ast *k = e->kids; k && n_rest; k = k->next) {
        uint32_t n_got = cq_filter_search(k, b, rest, n_rest, got, scratch);
        for (uint32_t i = 0; i < n_got; i++)
            acc[got[i]] = 1;
        uint32_t m = 0;
        for (uint32_t i = 0; i < n_rest; i++)
            if (!acc[rest[i]])
                rest[m++] = rest[i];
        n_rest = m;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_in; i++)     /* keep the input order */
        if (acc[in[i]])
            out[n++] = in[i];
    return n;
}

static uint32_t eval_not(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                         uint32_t n_in, uint16_t *out, cq_arena *scratch)
{
    uint16_t *got = cq_arena_alloc(scratch, (n_in + 1) * sizeof *got);
    uint32_t n_got = cq_filter_search(e->kids, b, in, n_in, got, scratch);
    uint8_t *drop = cq_arena_calloc(scratch, CQ_BATCH_ROWS);
    for (uint32_t i = 0; i < n_got; i++)
        drop[got[i]] = 1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_in; i++)
        if (!drop[in[i]])
            out[n++] = in[i];
    return n;
}

uint32_t cq_filter_search(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                          uint32_t n_in, uint16_t *out, cq_arena *scratch)
{
    if (!n_in)
        return 0;
    switch (e->kind) {
    case CQ_AST_AND: {
        uint16_t *cur = cq_arena_alloc(scratch, (n_in + 1) * sizeof *cur);
        memcpy(cur, in, n_in * sizeof *in);
        uint32_t n = n_in;
        for (const cq_ast *k = e->kids; k && n; k = k->next)
            n = cq_filter_search(k, b, cur, n, cur, scratch);
        memcpy(out, cur, n * sizeof *cur);
        return n;
    }
    case CQ_AST_OR:
        return eval_or(e, b, in, n_in, out, scratch);
    case CQ_AST_NOT:
        return eval_not(e, b, in, n_in, out, scratch);
    case CQ_AST_COMPARE:
        return eval_compare(e, b, in, n_in, out, scratch);
    case CQ_AST_IN:
        return eval_in(e, b, in, n_in, out, scratch);
    case CQ_AST_TERM:
        return eval_term(e, b, in, n_in, out);
    default:
        return 0;   /* the planner rejects every other kind */
    }
}

/* ------------------------------------------------------------ checks */

int cq_filter_is_time_mod(const cq_ast *n)
{
    return n->kind == CQ_AST_COMPARE &&
           (!strcmp(n->name, "earliest") || !strcmp(n->name, "latest") ||
            !strcmp(n->name, "_index_earliest") || !strcmp(n->name, "_index_latest"));
}

/* top: where n sits, as filter.h's `where`. */
int cq_filter_check(const cq_ast *n, int top, cq_diag *d)
{
    switch (n->kind) {
    case CQ_AST_AND:
        for (const cq_ast *k = n->kids; k; k = k->next)
            if (cq_filter_check(k, top, d))
                return -1;
        return 0;
    case CQ_AST_OR:
    case CQ_AST_NOT:
        for (const cq_ast *k = n->kids; k; k = k->next)
            if (cq_filter_check(k, top < 0 ? -1 : 0, d))
                return -1;
        return 0;
    case CQ_AST_COMPARE:
        if (cq_filter_is_time_mod(n) && top < 0)
            return cq_diag_set(d, n->span, "%s= only works in the first search of a query",
                               n->name);
        if (cq_filter_is_time_mod(n) && !top)
            return cq_diag_set(d, n->span, "%s= cannot be used inside OR or NOT", n->name);
        if (cq_filter_is_time_mod(n) && n->op != CQ_OP_EQ)
            return cq_diag_set(d, n->span, "%s takes a time with \"=\"", n->name);
        if (!strncmp(n->name, "_index_", 7))
            return cq_diag_set(d, n->span, "not supported yet: %s (cquery keeps no index time)",
                               n->name);
        return 0;
    case CQ_AST_TERM:
        return 0;
    case CQ_AST_IN:
    case CQ_AST_SUBSEARCH:      /* planned by cq_subsearch_plan_all() */
        return 0;
    default:
        return cq_diag_set(d, n->span, "not supported yet: %s in a search expression",
                           cq_ast_kind_name(n->kind));
    }
}

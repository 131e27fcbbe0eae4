/*
 * op_rex.c - `| rex [field=F] [max_match=N] "(?<name>...)"`,
 * `| rex [field=F] mode=sed "s/re/repl/g"` and `| regex [F=|F!=]"re"`.
 *
 * rex (Splunk's rules): the regex runs on F (default _raw); each named group
 * becomes a field holding what it matched.  max_match (default 1) is how
 * many matches to take, 0 for all; more than one match makes the fields
 * multivalue.  An event the regex does not match keeps the fields it had.
 * On a multivalue F every value is searched, in order, up to max_match.
 * mode=sed rewrites F with `s/re/repl/flags` (flags: g for every match, or
 * a number N for the N-th; \0..\9 in repl are groups) or `y/abc/xyz/`.
 *
 * regex keeps the events whose F (default _raw) the regex matches
 * somewhere; with != it keeps those it does not match, including events
 * without F.  Patterns are PCRE2 with match limits (engine/expr/regex.h).
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/regex.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct rex_cfg {
    const char *field;
    cq_sv pattern;
    const cq_ast *at;           /* the pattern's node, for runtime errors */
    uint64_t max_match;         /* 0: all */
    int sed;
    /* sed: s/re/repl/flags or y/from/to/ */
    char sed_kind;              /* 's' or 'y' */
    cq_sv sed_re, sed_repl;
    int sed_global;
    uint32_t sed_nth;           /* replace only the N-th match (0: see sed_global) */
    const char **names;         /* named groups, in group-number order */
    uint32_t *groups;
    uint32_t n_names;
    int negate;                 /* regex f!= */
} rex_cfg;

typedef struct rex_op {
    cq_oper base;
    const rex_cfg *cfg;
    cq_regex_cache *rc;
    pcre2_code *re;
    cq_arena arena;             /* per batch */
    cq_batch view;
    uint16_t sel[CQ_BATCH_ROWS];
} rex_op;

/* ------------------------------------------------------------ prepare */

/* Splits "s/re/repl/flags" (any delimiter after s or y; \ escapes it). */
static int parse_sed(cq_arena *a, rex_cfg *rc, const char *s)
{
    if ((s[0] != 's' && s[0] != 'y') || !s[1])
        return -1;
    rc->sed_kind = s[0];
    char delim = s[1];
    const char *parts[3];
    size_t lens[3];
    const char *p = s + 2;
    for (int i = 0; i < 2; i++) {
        cq_strbuf b = CQ_STRBUF_INIT;
        for (; *p && *p != delim; p++) {
            if (*p == '\\' && p[1] == delim)
                p++;
            cq_strbuf_addc(&b, *p);
        }
        if (*p != delim) {
            cq_strbuf_free(&b);
            return -1;
        }
        p++;
        parts[i] = cq_arena_strndup(a, b.buf ? b.buf : "", b.len);
        lens[i] = b.len;
        cq_strbuf_free(&b);
    }
    parts[2] = p;
    lens[2] = strlen(p);
    rc->sed_re = (cq_sv){parts[0], (uint32_t)lens[0]};
    rc->sed_repl = (cq_sv){parts[1], (uint32_t)lens[1]};
    for (const char *f = parts[2]; *f; f++) {
        if (*f == 'g')
            rc->sed_global = 1;
        else if (isdigit((unsigned char)*f))
            rc->sed_nth = rc->sed_nth * 10 + (uint32_t)(*f - '0');
        else
            return -1;
    }
    if (rc->sed_kind == 'y' && lens[0] != lens[1])
        return -1;
    return 0;
}

/* Reads the named groups of the pattern into rc. */
static int named_groups(cq_arena *a, rex_cfg *rc, const cq_ast *at, cq_diag *d)
{
    cq_regex_cache *cache = cq_regex_cache_new();
    pcre2_code *re = cq_regex_get(cache, rc->pattern, at, d);
    if (!re) {
        cq_regex_cache_free(cache);
        return -1;
    }
    uint32_t n = 0, size = 0;
    PCRE2_SPTR table;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &n);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    rc->names = cq_arena_alloc(a, (n + 1) * sizeof *rc->names);
    rc->groups = cq_arena_alloc(a, (n + 1) * sizeof *rc->groups);
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = table + (size_t)i * size;
        rc->groups[i] = (uint32_t)(e[0] << 8 | e[1]);
        rc->names[i] = cq_arena_strdup(a, (const char *)e + 2);
    }
    rc->n_names = n;
    cq_regex_cache_free(cache);
    return 0;
}

int cq_prepare_rex(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    rex_cfg *rc = cq_arena_calloc(a, sizeof *rc);
    rc->field = "_raw";
    rc->max_match = 1;
    const cq_ast *pat = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_ARG) {
            pat = k;
        } else if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "field")) {
            rc->field = cq_field_unquote(a, cq_ast_opt_text(k));
        } else if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "max_match")) {
            int64_t n = cq_ast_whole(k->kids);
            if (n < 0)
                return cq_diag_set(d, k->span, "max_match= takes a whole number (0: all)");
            rc->max_match = (uint64_t)n;
        } else if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "mode")) {
            const char *m = cq_ast_opt_text(k);
            if (!m || strcmp(m, "sed"))
                return cq_diag_set(d, k->span, "mode= takes only sed");
            rc->sed = 1;
        } else {
            return cq_diag_set(d, k->span, "not supported yet: this rex argument");
        }
    }
    if (!pat || !pat->text || !rc->field)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "rex needs a regex");
    rc->at = pat;
    rc->pattern = (cq_sv){pat->text, (uint32_t)strlen(pat->text)};
    if (rc->sed) {
        if (parse_sed(a, rc, pat->text))
            return cq_diag_set(d, pat->span, "expected s/regex/replacement/[g|N] or "
                                             "y/chars/chars/");
        if (rc->sed_kind == 's') {
            rc->pattern = rc->sed_re;
            cq_regex_cache *cache = cq_regex_cache_new();
            int bad = !cq_regex_get(cache, rc->pattern, pat, d);
            cq_regex_cache_free(cache);
            if (bad)
                return -1;
        }
    } else if (named_groups(a, rc, pat, d)) {
        return -1;
    }
    *cfg = rc;
    return 0;
}

int cq_prepare_regex(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg, cq_diag *d)
{
    (void)o;
    rex_cfg *rc = cq_arena_calloc(a, sizeof *rc);
    const cq_ast *k = cmd->kids;
    if (!k || k->next || !k->text)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "regex takes <field>=\"<regex>\", "
                                                      "<field>!=\"<regex>\" or \"<regex>\"");
    rc->field = "_raw";
    if (k->kind == CQ_AST_COMPARE) {
        if (k->op != CQ_OP_EQ && k->op != CQ_OP_NE)
            return cq_diag_set(d, k->span, "regex takes = or !=");
        rc->field = cq_field_unquote(a, k->name);
        rc->negate = k->op == CQ_OP_NE;
    }
    rc->at = k;
    rc->pattern = (cq_sv){k->text, (uint32_t)strlen(k->text)};
    cq_regex_cache *cache = cq_regex_cache_new();
    int bad = !cq_regex_get(cache, rc->pattern, k, d);
    cq_regex_cache_free(cache);
    if (bad)
        return -1;
    *cfg = rc;
    return 0;
}

/* ---------------------------------------------------------------- rex */

typedef struct vlist {          /* per-row values being built, one per group */
    cq_sv *v;
    uint32_t n, cap;
} vlist;

static void vlist_add(vlist *l, cq_sv s, cq_arena *a)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        cq_sv *nv = cq_arena_alloc(a, cap * sizeof *nv);
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

/* Runs the extraction on one value; appends matches to per-group lists. */
static int rex_value(rex_op *x, cq_sv s, vlist *lists, uint64_t *taken)
{
    const rex_cfg *rc = x->cfg;
    pcre2_match_data *md = cq_regex_mdata(x->rc, x->re);
    size_t pos = 0;
    while (pos <= s.len && (!rc->max_match || *taken < rc->max_match)) {
        int m = cq_regex_match(x->rc, x->re, s, pos, md, rc->at, x->base.ctx->diag);
        if (m < 0)
            return -1;
        if (!m)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t n_ov = pcre2_get_ovector_count(md);
        for (uint32_t g = 0; g < rc->n_names; g++) {
            uint32_t gi = rc->groups[g];
            if (gi < n_ov && ov[2 * gi] != PCRE2_UNSET)
                vlist_add(&lists[g], (cq_sv){s.p + ov[2 * gi], (uint32_t)(ov[2 * gi + 1] -
                                                                          ov[2 * gi])},
                          &x->arena);
        }
        (*taken)++;
        pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    return 0;
}

/* Column for group g: the row's matches, else what the field had. */
static void group_col(rex_op *x, const cq_batch *b, vlist *lists, uint32_t g, cq_col *out)
{
    uint32_t n_rows = b->n_rows, ng = x->cfg->n_names;
    const cq_col *old = cq_batch_get(b, x->cfg->names[g]);
    uint32_t total = 0;
    for (uint32_t r = 0; r < n_rows; r++) {
        uint32_t m = lists[(size_t)r * ng + g].n;
        total += m ? m : old ? cq_col_nvals(old, r) : 0;
    }
    uint32_t *off = cq_arena_alloc(&x->arena, (n_rows + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
    for (uint32_t r = 0; r < n_rows; r++) {
        off[r] = k;
        const vlist *l = &lists[(size_t)r * ng + g];
        if (l->n) {
            memcpy(v + k, l->v, l->n * sizeof *v);
            k += l->n;
        } else if (old) {
            for (uint32_t j = 0, nv = cq_col_nvals(old, r); j < nv; j++)
                v[k++] = cq_col_text(old, r, j, &x->arena);
        }
    }
    off[n_rows] = k;
    cq_col_strs(out, n_rows, v, off);
}

static int rex_extract(rex_op *x, cq_batch *b)
{
    const rex_cfg *rc = x->cfg;
    const cq_col *src = cq_batch_get(b, rc->field);
    uint32_t ng = rc->n_names;
    vlist *lists = cq_arena_calloc(&x->arena, ((size_t)b->n_rows * ng + 1) * sizeof *lists);
    for (uint32_t i = 0; src && i < b->n_sel; i++) {
        uint32_t r = cq_batch_row(b, i);
        uint64_t taken = 0;
        for (uint32_t j = 0, nv = cq_col_nvals(src, r); j < nv; j++)
            if (rex_value(x, cq_col_text(src, r, j, &x->arena), lists + (size_t)r * ng, &taken))
                return -1;
    }
    for (uint32_t g = 0; g < ng; g++) {
        cq_col col;
        group_col(x, b, lists, g, &col);
        cq_batch_put(&x->view, rc->names[g], &col);
    }
    return 0;
}

/* ---------------------------------------------------------------- sed */

static void add_repl(cq_strbuf *out, cq_sv repl, cq_sv s, const PCRE2_SIZE *ov, uint32_t n_ov)
{
    for (uint32_t k = 0; k < repl.len; k++) {
        if (repl.p[k] == '\\' && k + 1 < repl.len && isdigit((unsigned char)repl.p[k + 1])) {
            uint32_t g = (uint32_t)(repl.p[++k] - '0');
            if (g < n_ov && ov[2 * g] != PCRE2_UNSET)
                cq_strbuf_add(out, s.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        } else if (repl.p[k] == '\\' && k + 1 < repl.len) {
            cq_strbuf_addc(out, repl.p[++k]);
        } else {
            cq_strbuf_addc(out, repl.p[k]);
        }
    }
}

/* s/re/repl/: returns the rewritten value (from the arena), or NULL on error. */
static int sed_value(rex_op *x, cq_sv s, cq_strbuf *out)
{
    const rex_cfg *rc = x->cfg;
    cq_strbuf_reset(out);
    if (rc->sed_kind == 'y') {
        for (uint32_t k = 0; k < s.len; k++) {
            const char *hit = memchr(rc->sed_re.p, s.p[k], rc->sed_re.len);
            cq_strbuf_addc(out, hit ? rc->sed_repl.p[hit - rc->sed_re.p] : s.p[k]);
        }
        return 0;
    }
    pcre2_match_data *md = cq_regex_mdata(x->rc, x->re);
    size_t pos = 0, copied = 0;
    uint32_t nth = 0;
    while (pos <= s.len) {
        int m = cq_regex_match(x->rc, x->re, s, pos, md, rc->at, x->base.ctx->diag);
        if (m < 0)
            return -1;
        if (!m)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        nth++;
        int want = rc->sed_nth ? (nth == rc->sed_nth || (rc->sed_global && nth > rc->sed_nth))
                               : 1;
        if (want) {
            cq_strbuf_add(out, s.p + copied, ov[0] - copied);
            add_repl(out, rc->sed_repl, s, ov, pcre2_get_ovector_count(md));
            copied = ov[1];
        }
        if (want && !rc->sed_global && (rc->sed_nth == 0 || nth == rc->sed_nth))
            break;
        pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    if (copied < s.len)
        cq_strbuf_add(out, s.p + copied, s.len - copied);
    return 0;
}

static int rex_sed(rex_op *x, cq_batch *b)
{
    const cq_col *src = cq_batch_get(b, x->cfg->field);
    if (!src)
        return 0;
    uint32_t total = 0;
    for (uint32_t r = 0; r < b->n_rows; r++)
        total += cq_col_nvals(src, r);
    uint32_t *off = cq_arena_alloc(&x->arena, (b->n_rows + 1) * sizeof *off), k = 0;
    cq_sv *v = cq_arena_alloc(&x->arena, (total + 1) * sizeof *v);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (uint32_t r = 0; r < b->n_rows; r++) {
        off[r] = k;
        for (uint32_t j = 0, nv = cq_col_nvals(src, r); j < nv; j++) {
            if (sed_value(x, cq_col_text(src, r, j, &x->arena), &sb)) {
                cq_strbuf_free(&sb);
                return -1;
            }
            v[k++] = (cq_sv){cq_arena_strndup(&x->arena, sb.buf ? sb.buf : "", sb.len),
                             (uint32_t)sb.len};
        }
    }
    off[b->n_rows] = k;
    cq_strbuf_free(&sb);
    cq_col col;
    cq_col_strs(&col, b->n_rows, v, off);
    cq_batch_put(&x->view, x->cfg->field, &col);
    return 0;
}

static int rex_next(cq_oper *op, cq_batch **out)
{
    rex_op *x = (rex_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    cq_batch_view(&x->view, b);
    if (x->cfg->sed ? rex_sed(x, b) : rex_extract(x, b))
        return -1;
    *out = &x->view;
    return 1;
}

/* -------------------------------------------------------------- regex */

static int regex_next(cq_oper *op, cq_batch **out)
{
    rex_op *x = (rex_op *)op;
    const rex_cfg *rc = x->cfg;
    cq_batch *b;
    int r_next;
    while ((r_next = op->child->next(op->child, &b)) == 1) {
        cq_arena_reset(&x->arena);
        const cq_col *src = cq_batch_get(b, rc->field);
        pcre2_match_data *md = cq_regex_mdata(x->rc, x->re);
        uint32_t k = 0;
        for (uint32_t i = 0; i < b->n_sel; i++) {
            uint32_t r = cq_batch_row(b, i);
            int hit = 0;
            for (uint32_t j = 0, nv = src ? cq_col_nvals(src, r) : 0; j < nv && !hit; j++) {
                int m = cq_regex_match(x->rc, x->re, cq_col_text(src, r, j, &x->arena), 0, md,
                                       rc->at, op->ctx->diag);
                if (m < 0)
                    return -1;
                hit = m;
            }
            if (hit != rc->negate)
                x->sel[k++] = (uint16_t)r;
        }
        if (k) {
            b->sel = x->sel;
            b->n_sel = k;
            *out = b;
            return 1;
        }
    }
    return r_next;
}

/* -------------------------------------------------------------- common */

static void rex_free(cq_oper *op)
{
    rex_op *x = (rex_op *)op;
    cq_regex_cache_free(x->rc);
}

static cq_oper *rex_new(const void *cfg, cq_oper *child, cq_exec_ctx *ctx,
                        int (*next)(cq_oper *, cq_batch **))
{
    rex_op *x = cq_oper_new(sizeof *x, next, rex_free, child, ctx);
    x->cfg = cfg;
    x->rc = cq_regex_cache_new();
    cq_oper_out(&x->base, &x->arena, &x->view);
    if (!x->cfg->sed || x->cfg->sed_kind == 's')
        x->re = cq_regex_get(x->rc, x->cfg->pattern, x->cfg->at, ctx->diag);
    return &x->base;
}

cq_oper *cq_open_rex(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return rex_new(cfg, child, ctx, rex_next);
}

cq_oper *cq_open_regex(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return rex_new(cfg, child, ctx, regex_next);
}

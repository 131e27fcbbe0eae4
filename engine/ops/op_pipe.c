/*
 * op_pipe.c - commands that run a pipeline of commands over the results in
 * hand, and reverse:
 *
 *   reverse
 *       the results in the opposite order.
 *   appendpipe [ <command> | ... ]
 *       runs the commands over the results and appends what they output
 *       (Splunk: `appendpipe [stats count]` adds a total row).
 *   foreach [mode=multifield] <wc-field> ... [fieldstr=] [matchstr=]
 *           [matchseg1=] ... [ <command> | ... ]
 *       for each field of the results that a wildcard names (in the order
 *       the results list their fields; "*" does not match the internal
 *       fields that start with "_" unless the pattern does), runs the
 *       commands over the results with the templates replaced: <<FIELD>>
 *       by the field's name, <<MATCHSTR>> by the part the wildcards matched
 *       (from the first wildcard to the last), <<MATCHSEG1>>, 2, 3 by what
 *       each wildcard matched.  fieldstr= etc. name other template strings.
 *   foreach mode=multivalue <field> [ eval ... ]
 *       for each value of a multivalue field, in order, runs the eval
 *       commands over the results with <<ITEM>> standing for that value
 *       (a result with fewer values is left alone from then on).
 *
 * Templates are replaced in the parsed commands, not in their text: in
 * field names (<<FIELD>>, 'x_<<FIELD>>'), in quoted strings and in option
 * values, so an error still points at what the user wrote.  All three
 * commands hold the results until their input ends.
 */
#include "engine/ops/op_rows.h"
#include "engine/expr/match.h"
#include "engine/subsearch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- reverse */

int cq_prepare_reverse(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                       cq_diag *d)
{
    (void)a, (void)o;
    *cfg = NULL;
    if (cmd->kids)
        return cq_diag_set(d, cmd->kids->span, "reverse takes no arguments");
    return 0;
}

static int reverse_done(cq_block_op *k)
{
    cq_row *r = k->rows->rows;
    for (size_t i = 0, j = k->rows->n_rows; i + 1 < j; i++, j--) {
        cq_row t = r[i];
        r[i] = r[j - 1];
        r[j - 1] = t;
    }
    return 0;
}

cq_oper *cq_open_reverse(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return &((cq_block_op *)cq_block_new(sizeof(cq_block_op), reverse_done, NULL, cfg, child,
                                         ctx))->base;
}

/* ---------------------------------------------------------- appendpipe */

/* The SUBSEARCH node of cmd; every other argument must be an option. */
static const cq_ast *sub_of(const cq_ast *cmd, cq_diag *d)
{
    const cq_ast *sub = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_SUBSEARCH)
            sub = k;
        else if (k->kind != CQ_AST_OPTION && strcmp(cmd->name, "foreach")) {
            cq_diag_set(d, k->span, "%s takes no field names", cmd->name);
            return NULL;
        }
    }
    return sub;
}

int cq_prepare_appendpipe(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                          cq_diag *d)
{
    const cq_ast *sub = sub_of(cmd, d);
    if (!sub)
        return -1;
    cq_plan *p;
    if (cq_subpipe_plan(a, sub->kids, o, &p, d))
        return -1;
    *cfg = p;
    return 0;
}

static int appendpipe_done(cq_block_op *k)
{
    cq_rowstore *out = cq_block_store();
    int rc = cq_subpipe_run(k->cfg, k->rows, k->base.ctx, out);
    for (size_t i = 0; !rc && i < out->n_rows; i++)
        cq_rows_copy(k->rows, out, &out->rows[i]);
    for (uint32_t c = 0; !rc && c < out->n_names; c++)
        cq_rows_col(k->rows, out->names[c]);
    cq_block_free_store(out);
    return rc;
}

cq_oper *cq_open_appendpipe(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    return &((cq_block_op *)cq_block_new(sizeof(cq_block_op), appendpipe_done, NULL, cfg, child,
                                         ctx))->base;
}

/* ------------------------------------------------------------- foreach */

enum { T_FIELD, T_MATCHSTR, T_SEG1, T_SEG2, T_SEG3, T_ITEM, N_TEMPLATES };
#define MAX_SEGS 3

typedef struct foreach_cfg {
    int multivalue;
    const char **patterns;          /* multifield: the wildcard names */
    size_t n_patterns;
    const char *tpl[N_TEMPLATES];   /* the template strings */
    const cq_ast *pipe;             /* the PIPELINE, templates in it */
    cq_plan_opts opts;              /* to plan each replaced copy at run time */
} foreach_cfg;

typedef struct subst {
    const char *from[N_TEMPLATES], *to[N_TEMPLATES];
    const cq_ast *item;             /* multivalue: what <<ITEM>> becomes */
} subst;

/* s with every template of sb replaced (s itself when it has none). */
static const char *subst_text(cq_arena *a, const char *s, const subst *sb)
{
    int any = 0;
    for (int t = 0; s && t < N_TEMPLATES; t++)
        any |= sb->from[t] && sb->to[t] && strstr(s, sb->from[t]) != NULL;
    if (!any)
        return s;
    cq_strbuf b = CQ_STRBUF_INIT;
    for (const char *p = s; *p;) {
        int hit = 0;
        for (int t = 0; t < N_TEMPLATES && !hit; t++) {
            size_t n = sb->from[t] && sb->to[t] ? strlen(sb->from[t]) : 0;
            if (n && !strncmp(p, sb->from[t], n)) {
                cq_strbuf_adds(&b, sb->to[t]);
                p += n;
                hit = 1;
            }
        }
        if (!hit)
            cq_strbuf_addc(&b, *p++);
    }
    const char *r = cq_arena_strdup(a, b.buf ? b.buf : "");
    cq_strbuf_free(&b);
    return r;
}

static cq_ast *subst_tree(cq_arena *a, const cq_ast *n, const subst *sb);

/* A quoted string holding <<ITEM>>: the concatenation of its text around
 * the item and the item expression. */
static cq_ast *item_string(cq_arena *a, const cq_ast *n, const subst *sb)
{
    const char *it = sb->from[T_ITEM], *p = n->text;
    size_t il = strlen(it);
    cq_ast *e = NULL;
    while (*p) {
        const char *hit = strstr(p, it);
        size_t len = hit ? (size_t)(hit - p) : strlen(p);
        cq_ast *part = NULL;
        if (len) {
            char *t = cq_arena_strndup(a, p, len);
            part = cq_ast_text(a, CQ_AST_STRING, t, 0, n->span);
            e = e ? cq_ast_op(a, CQ_OP_CONCAT, e, part, n->span) : part;
        }
        if (!hit)
            break;
        part = subst_tree(a, sb->item, &(subst){{0}, {0}, NULL});
        e = e ? cq_ast_op(a, CQ_OP_CONCAT, e, part, n->span) : part;
        p = hit + il;
    }
    e->next = NULL;
    return e;
}

/* A copy of n with the templates replaced (its siblings not copied);
 * memory from a. */
static cq_ast *subst_tree(cq_arena *a, const cq_ast *n, const subst *sb)
{
    const char *it = sb->item ? sb->from[T_ITEM] : NULL;
    if (it && n->kind == CQ_AST_FIELD && !strcmp(n->name, it))
        return subst_tree(a, sb->item, &(subst){{0}, {0}, NULL});
    if (it && n->kind == CQ_AST_STRING && strstr(n->text, it))
        return item_string(a, n, sb);
    cq_ast *c = cq_arena_alloc(a, sizeof *c);
    *c = *n;
    c->name = subst_text(a, n->name, sb);
    c->text = subst_text(a, n->text, sb);
    c->alias = subst_text(a, n->alias, sb);
    c->kids = c->last = c->next = NULL;
    for (const cq_ast *k = n->kids; k; k = k->next) {
        cq_ast *ck = subst_tree(a, k, sb);
        if (c->last)
            c->last->next = ck;
        else
            c->kids = ck;
        c->last = ck;
    }
    return c;
}

static const char *const tpl_default[N_TEMPLATES] = {
    "<<FIELD>>", "<<MATCHSTR>>", "<<MATCHSEG1>>", "<<MATCHSEG2>>", "<<MATCHSEG3>>", "<<ITEM>>"};
static const char *const tpl_option[N_TEMPLATES] = {
    "fieldstr", "matchstr", "matchseg1", "matchseg2", "matchseg3", "itemstr"};

/* A template string left in the copy: a name foreach does not know. */
static const cq_ast *left_template(const cq_ast *n)
{
    if ((n->name && strstr(n->name, "<<")) || (n->text && strstr(n->text, "<<")))
        return n;
    for (const cq_ast *k = n->kids; k; k = k->next) {
        const cq_ast *f = left_template(k);
        if (f)
            return f;
    }
    return NULL;
}

/* The item expression of iteration k over field f: mvindex(f, k). */
static cq_ast *item_expr(cq_arena *a, const char *f, size_t k, cq_span at)
{
    cq_ast *call = cq_ast_named(a, CQ_AST_CALL, "mvindex", at);
    cq_ast_add(call, cq_ast_named(a, CQ_AST_FIELD, f, at));
    char num[32];
    snprintf(num, sizeof num, "%zu", k);
    cq_ast_add(call, cq_ast_number(a, num, at));
    return call;
}

/* Multivalue mode: every `x = e` of the copy's evals becomes
 * `x = if(mvcount(f) > k, e, x)`, so results with k values or fewer keep x. */
static void guard_evals(cq_arena *a, cq_ast *pipe, const char *f, size_t k)
{
    for (cq_ast *cmd = pipe->kids; cmd; cmd = cmd->next)
        for (cq_ast *as = cmd->kids; as; as = as->next) {
            if (as->kind != CQ_AST_ASSIGN || !as->kids)
                continue;
            cq_span at = as->kids->span;
            cq_ast *cnt = cq_ast_add(cq_ast_named(a, CQ_AST_CALL, "mvcount", at),
                                     cq_ast_named(a, CQ_AST_FIELD, f, at));
            char num[32];
            snprintf(num, sizeof num, "%zu", k);
            cq_ast *cond = cq_ast_op(a, CQ_OP_GT, cnt, cq_ast_number(a, num, at), at);
            cq_ast *old = cq_ast_flag(cq_ast_named(a, CQ_AST_FIELD, as->name, at), CQ_AST_QUOTED);
            cq_ast *e = as->kids;
            e->next = NULL;
            cq_ast *call = cq_ast_named(a, CQ_AST_CALL, "if", at);
            cq_ast_add(call, cond);
            cq_ast_add(call, e);
            cq_ast_add(call, old);
            call->span = at;
            as->kids = as->last = NULL;
            as->n_kids = 0;
            cq_span keep = as->span;
            cq_ast_add(as, call);
            as->span = keep;
        }
}

int cq_prepare_foreach(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                       cq_diag *d)
{
    foreach_cfg *fc = cq_arena_calloc(a, sizeof *fc);
    fc->opts = *o;
    memcpy(fc->tpl, tpl_default, sizeof fc->tpl);
    const cq_ast *sub = sub_of(cmd, d), *first_field = NULL;
    if (!sub)
        return -1;
    fc->patterns = cq_arena_alloc(a, (cmd->n_kids + 1) * sizeof *fc->patterns);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_FIELD) {
            if (k->alias)
                return cq_diag_set(d, k->span, "foreach takes field names, not `as`");
            if (!first_field)
                first_field = k;
            fc->patterns[fc->n_patterns++] = cq_field_unquote(a, k->name);
            continue;
        }
        if (k->kind != CQ_AST_OPTION)
            continue;
        const char *v = cq_ast_opt_text(k);
        if (!strcmp(k->name, "mode")) {
            if (v && !strcmp(v, "multivalue"))
                fc->multivalue = 1;
            else if (v && (!strcmp(v, "json_array") || !strcmp(v, "auto_collections")))
                return cq_diag_set(d, k->span, "not supported yet: foreach mode=%s", v);
            else if (!v || strcmp(v, "multifield"))
                return cq_diag_set(d, k->span, "foreach mode= takes multifield or multivalue");
            continue;
        }
        for (int t = 0; t < N_TEMPLATES; t++)
            if (!strcmp(k->name, tpl_option[t])) {
                if (!v || !*v)
                    return cq_diag_set(d, k->span, "%s= takes a template string", k->name);
                fc->tpl[t] = v;
            }
    }
    if (!fc->n_patterns)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "foreach needs a field name or wildcard");
    if (fc->multivalue) {
        if (fc->n_patterns > 1 || cq_has_wild(fc->patterns[0], strlen(fc->patterns[0])))
            return cq_diag_set(d, first_field->span,
                               "foreach mode=multivalue takes one field, without wildcards");
        for (const cq_ast *c = sub->kids->kids; c; c = c->next)
            if (strcmp(c->name, "eval"))
                return cq_diag_set(d, cq_cmd_name_span(c),
                                   "foreach mode=multivalue runs eval only, not %s", c->name);
    }
    fc->pipe = sub->kids;
    /* Plan a copy now, so a bad command fails before any data is read. */
    subst sb = {{0}, {0}, NULL};
    for (int t = 0; t < N_TEMPLATES; t++) {
        sb.from[t] = fc->tpl[t];
        sb.to[t] = t == T_ITEM ? NULL : "x";
    }
    if (fc->multivalue)
        sb.item = item_expr(a, fc->patterns[0], 0, sub->span);
    cq_ast *copy = subst_tree(a, fc->pipe, &sb);
    const cq_ast *left = left_template(copy);
    if (left)
        return cq_diag_set(d, left->span, "unknown foreach template in \"%s\"",
                           left->name ? left->name : left->text);
    cq_plan *p;
    if (cq_subpipe_plan(a, copy, o, &p, d))
        return -1;
    *cfg = fc;
    return 0;
}

/*
 * Matches name against pat ("*" only, case-sensitive as field names are),
 * recording what each of the first MAX_SEGS wildcards matched in seg[]
 * (start, length).  Returns the number of wildcards, or -1 for no match.
 */
static int glob_segs(const char *pat, const char *name, size_t seg[][2], int k)
{
    if (!*pat)
        return *name ? -1 : k;
    if (*pat != '*')
        return *pat == *name ? glob_segs(pat + 1, name + 1, seg, k) : -1;
    for (size_t n = strlen(name) + 1; n-- > 0;) {   /* greedy, like .* */
        int r = glob_segs(pat + 1, name + n, seg, k + 1);
        if (r >= 0) {
            if (k < MAX_SEGS) {
                seg[k][0] = 0;      /* relative to name here; fixed by the caller */
                seg[k][1] = n;
            }
            return r;
        }
    }
    return -1;
}

typedef struct foreach_op {
    cq_block_op k;
    cq_arena plan_arena;
} foreach_op;

/* Runs the replaced pipeline once over *rows (the store is replaced). */
static int run_once(foreach_op *f, const subst *sb, const char *mv_field, size_t iter)
{
    const foreach_cfg *fc = f->k.cfg;
    cq_arena_reset(&f->plan_arena);
    cq_ast *copy = subst_tree(&f->plan_arena, fc->pipe, sb);
    if (mv_field)
        guard_evals(&f->plan_arena, copy, mv_field, iter);
    cq_plan *p;
    if (cq_subpipe_plan(&f->plan_arena, copy, &fc->opts, &p, f->k.base.ctx->diag))
        return -1;
    cq_rowstore *out = cq_block_store();
    for (uint32_t c = 0; c < f->k.rows->n_names; c++)
        cq_rows_col(out, f->k.rows->names[c]);
    if (cq_subpipe_run(p, f->k.rows, f->k.base.ctx, out)) {
        cq_block_free_store(out);
        return -1;
    }
    cq_block_free_store(f->k.rows);
    f->k.rows = out;
    return 0;
}

static int foreach_multifield(foreach_op *f)
{
    const foreach_cfg *fc = f->k.cfg;
    cq_rowstore *in = f->k.rows;
    uint32_t n_names = in->n_names;
    const char **names = cq_xcalloc(n_names + 1, sizeof *names);
    for (uint32_t i = 0; i < n_names; i++)
        names[i] = cq_arena_strdup(f->k.base.ctx->arena, in->names[i]);
    uint8_t *done = cq_xcalloc(n_names + 1, 1);
    int rc = 0;
    for (size_t pi = 0; !rc && pi < fc->n_patterns; pi++) {
        const char *pat = fc->patterns[pi];
        for (uint32_t i = 0; !rc && i < n_names; i++) {
            size_t seg[MAX_SEGS][2] = {{0}};
            if (done[i] || (names[i][0] == '_' && pat[0] != '_'))
                continue;
            int nw = glob_segs(pat, names[i], seg, 0);
            if (nw < 0)
                continue;
            done[i] = 1;
            /* each segment's start: the name's length minus what follows it */
            char segtext[MAX_SEGS][256] = {{0}};
            size_t ms = 0, me = 0;
            const char *q = pat;
            size_t at = 0;
            for (int w = 0; w < nw && w < MAX_SEGS; w++) {
                const char *star = strchr(q, '*');
                at += (size_t)(star - q);
                size_t n = seg[w][1];
                snprintf(segtext[w], sizeof segtext[w], "%.*s", (int)n, names[i] + at);
                if (w == 0)
                    ms = at;
                me = at + n;
                at += n;
                q = star + 1;
            }
            char matchstr[512];
            snprintf(matchstr, sizeof matchstr, "%.*s", (int)(me - ms), names[i] + ms);
            subst sb = {{0}, {0}, NULL};
            for (int t = 0; t < N_TEMPLATES; t++)
                sb.from[t] = fc->tpl[t];
            sb.to[T_FIELD] = names[i];
            sb.to[T_MATCHSTR] = matchstr;
            sb.to[T_SEG1] = segtext[0];
            sb.to[T_SEG2] = segtext[1];
            sb.to[T_SEG3] = segtext[2];
            rc = run_once(f, &sb, NULL, 0);
        }
    }
    free(done);
    free(names);
    return rc;
}

static int foreach_multivalue(foreach_op *f)
{
    const foreach_cfg *fc = f->k.cfg;
    const char *field = fc->patterns[0];
    uint32_t id = cq_rows_find(f->k.rows, field);
    size_t most = 0;
    for (size_t r = 0; id != CQ_ROWS_NONE && r < f->k.rows->n_rows; r++) {
        const cq_rcell *c = cq_row_cell(&f->k.rows->rows[r], id);
        if (c && c->n_vals > most)
            most = c->n_vals;
    }
    for (size_t k = 0; k < most; k++) {
        subst sb = {{0}, {0}, NULL};
        sb.from[T_ITEM] = fc->tpl[T_ITEM];
        sb.item = item_expr(f->k.base.ctx->arena, field, k, fc->pipe->span);
        if (run_once(f, &sb, field, k))
            return -1;
    }
    return 0;
}

static int foreach_done(cq_block_op *k)
{
    foreach_op *f = (foreach_op *)k;
    return ((const foreach_cfg *)k->cfg)->multivalue ? foreach_multivalue(f)
                                                      : foreach_multifield(f);
}

static void foreach_free(cq_block_op *k)
{
    cq_arena_free(&((foreach_op *)k)->plan_arena);
}

cq_oper *cq_open_foreach(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    foreach_op *f = cq_block_new(sizeof *f, foreach_done, foreach_free, cfg, child, ctx);
    cq_arena_init(&f->plan_arena);
    return &f->k.base;
}

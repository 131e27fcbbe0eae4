/*
 * macro.c - search macros: the definitions file and the textual expansion
 * that runs before the lexer (see macro.h for the contract).
 *
 * Definitions file (data/macros.conf documents it for users):
 *
 *   # comment            lines starting with '#' or ';'
 *   [name]               a macro without arguments, called `name`
 *   [name(N)]            a macro of N arguments, called `name(a1,...,aN)`
 *   args = a1, ..., aN   the names used as $a1$ ... in the definition
 *   definition = TEXT    the replacement; a line ending in '\' continues
 *   description = ...    ignored (so is validation, errormsg, iseval = 0)
 *
 * This module does not lex SPL: it only needs to know where "strings" and
 * ```comments``` are, so that backticks inside them stay text.
 */
#include "grammar/macro.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgfile.h"
#include "common/strbuf.h"

void cq_macros_init(cq_macros *m, cq_arena *a)
{
    m->arena = a;
    m->head = NULL;
}

const cq_macro *cq_macros_find(const cq_macros *m, const char *name,
                               size_t name_len, int n_args)
{
    for (const cq_macro *d = m ? m->head : NULL; d; d = d->next)
        if (d->n_args == n_args && strlen(d->name) == name_len
            && !memcmp(d->name, name, name_len))
            return d;
    return NULL;
}

void cq_macros_define(cq_macros *m, const char *name, int n_args,
                      const char *const *args, const char *definition)
{
    cq_macro *d = (cq_macro *)cq_macros_find(m, name, strlen(name), n_args);
    if (!d) {
        d = cq_arena_calloc(m->arena, sizeof *d);
        d->name = cq_arena_strdup(m->arena, name);
        d->n_args = n_args;
        d->next = m->head;
        m->head = d;
    }
    d->args = cq_arena_calloc(m->arena, (size_t)(n_args + 1) * sizeof *d->args);
    for (int i = 0; i < n_args; i++)
        d->args[i] = cq_arena_strdup(m->arena, args[i]);
    d->definition = cq_arena_strdup(m->arena, definition);
}

/* ------------------------------------------------------- the conf file */

/* One stanza being read. */
typedef struct conf_stanza {
    char name[128];
    int n_args;
    int line;                   /* of the [header], for messages */
    int have_def, have_args;
    cq_strbuf def;
    char *args[CQ_MACRO_MAX_ARGS];
    int n_names;                /* names given by `args =` */
} conf_stanza;

static int conf_error(cq_diag *d, const char *source, int line, const char *fmt,
                      const char *arg)
{
    char msg[480];
    snprintf(msg, sizeof msg, fmt, arg);
    return cq_diag_set(d, CQ_SPAN_NONE, "%s:%d: %s", source, line, msg);
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

/* "[name]" or "[name(N)]" into st.  Returns 0 or -1 (error set). */
static int conf_header(conf_stanza *st, char *line, const char *source, int ln,
                       cq_diag *d)
{
    char *name = cq_cfg_stanza(line);
    if (!name)
        return conf_error(d, source, ln, "expected \"]\" at the end of %s", "the stanza name");
    size_t n = 0;
    while (is_name_char((unsigned char)name[n]))
        n++;
    st->n_args = 0;
    if (name[n] == '(') {
        char *close;
        long v = strtol(name + n + 1, &close, 10);
        if (close == name + n + 1 || strcmp(close, ")") || v < 0 || v > CQ_MACRO_MAX_ARGS)
            return conf_error(d, source, ln, "bad macro stanza [%s]", name);
        st->n_args = (int)v;
    } else if (name[n] || n == 0) {
        return conf_error(d, source, ln, "bad macro stanza [%s]", name);
    }
    if (n >= sizeof st->name)
        return conf_error(d, source, ln, "macro name too long: %s", name);
    memcpy(st->name, name, n);
    st->name[n] = '\0';
    st->line = ln;
    return 0;
}

/* "args = a, b" into st->args (strings point into the line buffer copy). */
static int conf_args(conf_stanza *st, cq_arena *a, char *val, const char *source,
                     int ln, cq_diag *d)
{
    st->n_names = 0;
    st->have_args = 1;
    for (char *tok = strtok(val, ","); tok; tok = strtok(NULL, ",")) {
        char *t = cq_trim(tok);
        if (!*t)
            continue;
        for (char *p = t; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_')
                return conf_error(d, source, ln, "bad argument name \"%s\"", t);
        if (st->n_names == CQ_MACRO_MAX_ARGS)
            return conf_error(d, source, ln, "too many argument names%s", "");
        st->args[st->n_names++] = cq_arena_strdup(a, t);
    }
    return 0;
}

/* Adds the finished stanza to m. */
static int conf_flush(cq_macros *m, conf_stanza *st, const char *source, cq_diag *d)
{
    if (!st->name[0])
        return 0;
    if (!st->have_def)
        return conf_error(d, source, st->line, "macro \"%s\" has no definition", st->name);
    if (st->n_names != st->n_args) {
        char what[400];
        snprintf(what, sizeof what, "macro \"%s(%d)\" needs %d argument name%s in \"args =\"",
                 st->name, st->n_args, st->n_args, st->n_args == 1 ? "" : "s");
        return conf_error(d, source, st->line, "%s", what);
    }
    cq_macros_define(m, st->name, st->n_args, (const char *const *)st->args,
                     cq_strbuf_str(&st->def));
    st->name[0] = '\0';
    return 0;
}

/* One "key = value" line of a stanza. */
static int conf_pair(cq_macros *m, conf_stanza *st, char *line, const char *source,
                     int ln, cq_diag *d)
{
    char *key, *val;
    if (cq_cfg_pair(line, '=', &key, &val))
        return conf_error(d, source, ln, "expected \"key = value\", found \"%s\"", line);
    if (!st->name[0])
        return conf_error(d, source, ln, "\"%s\" outside a [macro] stanza", key);
    if (!strcmp(key, "definition")) {
        cq_strbuf_reset(&st->def);
        cq_strbuf_adds(&st->def, val);
        st->have_def = 1;
        return 0;
    }
    if (!strcmp(key, "args"))
        return conf_args(st, m->arena, val, source, ln, d);
    if (!strcmp(key, "iseval")) {
        if (strcmp(val, "0") && strcmp(val, "false"))
            return conf_error(d, source, ln, "not supported yet: iseval = %s", val);
        return 0;
    }
    if (!strcmp(key, "description") || !strcmp(key, "validation")
        || !strcmp(key, "errormsg"))
        return 0;
    return conf_error(d, source, ln, "unknown key \"%s\"", key);
}

/* A definition continued over lines keeps its line breaks, so its query
 * reads as written.  The other two flags keep this file's rules from before
 * the shared reader: '\\' then "\r\r" continues nothing, and a last line
 * that ends in '\\' is still read. */
#define MACRO_LINES (CQ_CFG_KEEP_BREAKS | CQ_CFG_ONE_CR | CQ_CFG_KEEP_CUT)

int cq_macros_parse(cq_macros *m, const char *text, size_t len,
                    const char *source, cq_diag *d)
{
    conf_stanza st;
    memset(&st, 0, sizeof st);
    cq_cfg_reader r;
    cq_cfg_init(&r, text, len, MACRO_LINES);
    char *line;
    int rc = 0;
    while (rc == 0 && (line = cq_cfg_next(&r))) {
        if (*line != '[') {
            rc = conf_pair(m, &st, line, source, r.line, d);
            continue;
        }
        rc = conf_flush(m, &st, source, d);
        if (rc == 0) {
            memset(st.args, 0, sizeof st.args);
            st.have_def = st.have_args = st.n_names = 0;
            rc = conf_header(&st, line, source, r.line, d);
        }
    }
    if (rc == 0)
        rc = conf_flush(m, &st, source, d);
    cq_cfg_done(&r);
    cq_strbuf_free(&st.def);
    return rc;
}

int cq_macros_load(cq_macros *m, const char *path, cq_diag *d)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    int rc = cq_cfg_read_file(path, 0, &sb);
    if (rc == CQ_CFG_CANNOT_OPEN)
        rc = cq_diag_set(d, CQ_SPAN_NONE, "cannot read macro file %s: %s", path,
                         strerror(errno));
    else if (rc)
        rc = cq_diag_set(d, CQ_SPAN_NONE, "cannot read macro file %s", path);
    else
        rc = cq_macros_parse(m, sb.buf, sb.len, path, d);
    cq_strbuf_free(&sb);
    return rc;
}

/* ------------------------------------------------------------ expansion */

typedef struct xctx {
    const cq_macros *m;
    cq_arena *a;
    cq_diag *d;
    cq_strbuf out;
    cq_expansion_seg *segs;
    size_t n_segs, cap_segs;
    cq_span top;                        /* the top-level call being expanded */
    const cq_macro *stack[CQ_MACRO_MAX_DEPTH];  /* calls being expanded */
    int depth;
} xctx;

/* A parsed call: `name(arg, ...)`, pieces pointing into the text. */
typedef struct mcall {
    const char *name;
    size_t name_len;
    int n_args;
    const char *arg[CQ_MACRO_MAX_ARGS];
    size_t arg_len[CQ_MACRO_MAX_ARGS];
} mcall;

static int expand(xctx *x, const char *s, size_t n, uint32_t base);

static void add_seg(xctx *x, uint32_t out_start, cq_span src, const char *macro)
{
    if (x->n_segs == x->cap_segs) {
        x->cap_segs = x->cap_segs ? 2 * x->cap_segs : 16;
        x->segs = cq_xrealloc(x->segs, x->cap_segs * sizeof *x->segs);
    }
    x->segs[x->n_segs++] = (cq_expansion_seg){out_start, (uint32_t)x->out.len,
                                              src.start, src.end, macro};
}

/* Where an error at [start, end) of the text being scanned points: in the
 * user's text itself, or (inside an expansion) at the top-level call. */
static cq_span err_span(const xctx *x, uint32_t base, size_t start, size_t end)
{
    if (x->depth > 0)
        return x->top;
    return cq_span_make(base + (uint32_t)start, base + (uint32_t)end);
}

/* Splits "a, b(c,d), \"e,f\"" at top-level commas into c's arguments. */
static int split_args(xctx *x, mcall *c, const char *s, size_t n, cq_span at)
{
    size_t i = 0, start = 0;
    int paren = 0, quote = 0;
    for (; i <= n; i++) {
        char ch = i < n ? s[i] : ',';
        if (quote) {
            if (ch == '\\' && i + 1 < n)
                i++;
            else if (ch == '"')
                quote = 0;
            continue;
        }
        if (ch == '"')
            quote = 1;
        else if (ch == '(')
            paren++;
        else if (ch == ')')
            paren--;
        else if (ch == ',' && paren <= 0) {
            if (c->n_args == CQ_MACRO_MAX_ARGS)
                return cq_diag_set(x->d, at, "too many macro arguments (more than %d)",
                                   CQ_MACRO_MAX_ARGS);
            size_t a = start, b = i;
            while (a < b && isspace((unsigned char)s[a]))
                a++;
            while (b > a && isspace((unsigned char)s[b - 1]))
                b--;
            c->arg[c->n_args] = s + a;
            c->arg_len[c->n_args++] = b - a;
            start = i + 1;
        }
    }
    return 0;
}

/* Parses the text between the backticks into c. */
static int parse_call(xctx *x, mcall *c, const char *s, size_t n, cq_span at)
{
    memset(c, 0, sizeof *c);
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    c->name = s + i;
    while (i < n && is_name_char((unsigned char)s[i]))
        i++;
    c->name_len = (size_t)(s + i - c->name);
    size_t end = n;
    while (end > i && isspace((unsigned char)s[end - 1]))
        end--;
    if (c->name_len == 0 && end == i)
        return cq_diag_set(x->d, at, "empty macro call");
    if (c->name_len > 0 && i == end)
        return 0;
    if (c->name_len > 0 && s[i] == '(' && s[end - 1] == ')' && end - i >= 2) {
        const char *inner = s + i + 1;
        size_t inner_len = end - i - 2;
        size_t k = 0;
        while (k < inner_len && isspace((unsigned char)inner[k]))
            k++;
        if (k == inner_len)             /* name() is name */
            return 0;
        return split_args(x, c, inner, inner_len, at);
    }
    cq_diag_set(x->d, at, "bad macro call");
    cq_diag_hint(x->d, "write `name` or `name(arg1,arg2)`");
    return -1;
}

/* Copies the definition of d into sb with $arg$ replaced by c's arguments. */
static void substitute(const cq_macro *d, const mcall *c, cq_strbuf *sb)
{
    const char *s = d->definition;
    while (*s) {
        const char *dollar = strchr(s, '$');
        if (!dollar) {
            cq_strbuf_adds(sb, s);
            break;
        }
        cq_strbuf_add(sb, s, (size_t)(dollar - s));
        const char *close = strchr(dollar + 1, '$');
        int found = -1;
        for (int i = 0; close && i < d->n_args; i++)
            if (strlen(d->args[i]) == (size_t)(close - dollar - 1)
                && !memcmp(d->args[i], dollar + 1, (size_t)(close - dollar - 1)))
                found = i;
        if (found < 0) {            /* not an argument: a literal $ */
            cq_strbuf_addc(sb, '$');
            s = dollar + 1;
            continue;
        }
        cq_strbuf_add(sb, c->arg[found], c->arg_len[found]);
        s = close + 1;
    }
    cq_strbuf_str(sb);
}

/* The definition a call refers to; NULL with *none set for an undefined
 * `..._filter` macro (it stands for `search *`); NULL with the error set
 * otherwise. */
static const cq_macro *lookup(xctx *x, const mcall *c, cq_span at, int *none)
{
    *none = 0;
    const cq_macro *d = cq_macros_find(x->m, c->name, c->name_len, c->n_args);
    if (d)
        return d;
    for (const cq_macro *o = x->m ? x->m->head : NULL; o; o = o->next)
        if (strlen(o->name) == c->name_len && !memcmp(o->name, c->name, c->name_len)) {
            cq_diag_set(x->d, at, "macro \"%s\" takes %d argument%s, not %d", o->name,
                        o->n_args, o->n_args == 1 ? "" : "s", c->n_args);
            return NULL;
        }
    if (c->name_len >= 7 && !memcmp(c->name + c->name_len - 7, "_filter", 7)) {
        *none = 1;
        return NULL;
    }
    cq_diag_set(x->d, at, "unknown macro \"%.*s\"", (int)c->name_len, c->name);
    cq_diag_hint(x->d, "define it in macros.conf");
    return NULL;
}

/* Reports a call of a macro that is already being expanded. */
static int check_cycle(xctx *x, const cq_macro *d, cq_span at)
{
    int i = 0;
    while (i < x->depth && x->stack[i] != d)
        i++;
    if (i == x->depth) {
        if (x->depth < CQ_MACRO_MAX_DEPTH)
            return 0;
        return cq_diag_set(x->d, at, "macros nested too deeply (more than %d levels)",
                           CQ_MACRO_MAX_DEPTH);
    }
    cq_strbuf path = CQ_STRBUF_INIT;
    for (int j = i; j < x->depth; j++)
        cq_strbuf_addf(&path, "%s -> ", x->stack[j]->name);
    cq_strbuf_adds(&path, d->name);
    cq_diag_set(x->d, at, "macro \"%s\" calls itself", d->name);
    cq_diag_hint(x->d, "%s", path.buf);
    cq_strbuf_free(&path);
    return -1;
}

/* Expands the call between the backticks at s[open..close] (s indexes the
 * text being scanned; base is its offset in the original at depth 0). */
static int expand_call(xctx *x, const char *s, size_t open, size_t close, uint32_t base)
{
    cq_span at = err_span(x, base, open, close + 1);
    mcall c;
    if (parse_call(x, &c, s + open + 1, close - open - 1, at))
        return -1;
    int none;
    const cq_macro *d = lookup(x, &c, at, &none);
    if (!d && none) {
        /* Splunk ships every detection's *_filter macro as `search *`: the
         * same text keeps `| `x_filter` | more` a valid pipeline. */
        static const char keep_all[] = "search *";
        return expand(x, keep_all, sizeof keep_all - 1, 0);
    }
    if (!d)
        return -1;
    if (check_cycle(x, d, at))
        return -1;
    cq_strbuf body = CQ_STRBUF_INIT;
    substitute(d, &c, &body);
    if (body.len > CQ_MACRO_MAX_OUTPUT) {
        cq_strbuf_free(&body);
        return cq_diag_set(x->d, x->top, "macro expansion too long (more than %u bytes)",
                           CQ_MACRO_MAX_OUTPUT);
    }
    x->stack[x->depth++] = d;
    int rc = expand(x, body.buf, body.len, 0);
    x->depth--;
    cq_strbuf_free(&body);
    return rc;
}

/* Length of the "..." or ```...``` starting at s[i], or 0 if none does. */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
    if (s[i] == '"') {
        size_t j = i + 1;
        while (j < n && s[j] != '"')
            j += s[j] == '\\' && j + 1 < n ? 2 : 1;
        return (j < n ? j + 1 : n) - i;
    }
    if (n - i >= 3 && !memcmp(s + i, "```", 3)) {
        for (size_t j = i + 3; j + 3 <= n; j++)
            if (!memcmp(s + j, "```", 3))
                return j + 3 - i;
        return n - i;       /* unterminated: the lexer reports it */
    }
    return 0;
}

/* Copies s[from..to) to the output (at depth 0 also recording where). */
static void copy_text(xctx *x, const char *s, size_t from, size_t to, uint32_t base)
{
    if (to == from)
        return;
    uint32_t out_start = (uint32_t)x->out.len;
    cq_strbuf_add(&x->out, s + from, to - from);
    if (x->depth == 0)
        add_seg(x, out_start, cq_span_make(base + (uint32_t)from, base + (uint32_t)to), NULL);
}

static int expand(xctx *x, const char *s, size_t n, uint32_t base)
{
    size_t i = 0, run = 0;
    while (i < n) {
        size_t q = skip_quoted(s, n, i);
        if (q) {
            i += q;
            continue;
        }
        if (s[i] == '\\') {       /* \" and \` outside quotes are text */
            i += i + 1 < n ? 2 : 1;
            continue;
        }
        if (s[i] != '`') {
            i++;
            continue;
        }
        copy_text(x, s, run, i, base);
        const char *close = memchr(s + i + 1, '`', n - i - 1);
        if (!close) {
            cq_diag_set(x->d, err_span(x, base, i, i + 1), "unterminated macro call");
            cq_diag_hint(x->d, "close it with `");
            return -1;
        }
        size_t c = (size_t)(close - s);
        uint32_t out_start = (uint32_t)x->out.len;
        if (x->depth == 0)
            x->top = cq_span_make(base + (uint32_t)i, base + (uint32_t)c + 1);
        if (expand_call(x, s, i, c, base))
            return -1;
        if (x->out.len > CQ_MACRO_MAX_OUTPUT)
            return cq_diag_set(x->d, x->top, "macro expansion too long (more than %u bytes)",
                               CQ_MACRO_MAX_OUTPUT);
        if (x->depth == 0)
            add_seg(x, out_start, x->top, cq_arena_strndup(x->a, s + i + 1, c - i - 1));
        i = run = c + 1;
    }
    copy_text(x, s, run, n, base);
    return 0;
}

int cq_macro_expand(const cq_macros *m, cq_arena *a, const char *text,
                    size_t len, cq_expansion *out, cq_diag *d)
{
    memset(out, 0, sizeof *out);
    if (len >= CQ_MACRO_MAX_OUTPUT * 64u)
        return cq_diag_set(d, cq_span_make(0, 0), "query too long");
    xctx x = {.m = m, .a = a, .d = d, .out = CQ_STRBUF_INIT};
    int rc = expand(&x, text, len, 0);
    if (rc == 0) {
        out->text = cq_arena_strndup(a, x.out.buf ? x.out.buf : "", x.out.len);
        out->len = x.out.len;
        out->src_len = len;
        out->segs = cq_arena_alloc(a, (x.n_segs + 1) * sizeof *out->segs);
        if (x.n_segs)
            memcpy(out->segs, x.segs, x.n_segs * sizeof *x.segs);
        out->n_segs = x.n_segs;
    }
    free(x.segs);
    cq_strbuf_free(&x.out);
    return rc;
}

/* ------------------------------------------------------------ the map */

/* The first non-empty segment with off < out_end (NULL past the end). */
static const cq_expansion_seg *seg_after(const cq_expansion *x, uint32_t off)
{
    size_t lo = 0, hi = x->n_segs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->segs[mid].out_end <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo < x->n_segs && x->segs[lo].out_start == x->segs[lo].out_end)
        lo++;
    return lo < x->n_segs ? &x->segs[lo] : NULL;
}

const cq_expansion_seg *cq_expansion_macro_at(const cq_expansion *x, uint32_t off)
{
    const cq_expansion_seg *g = seg_after(x, off);
    return g && g->macro && g->out_start <= off ? g : NULL;
}

static uint32_t map_start(const cq_expansion *x, uint32_t off)
{
    const cq_expansion_seg *g = seg_after(x, off);
    if (!g)
        return (uint32_t)x->src_len;
    if (g->macro || off < g->out_start)
        return g->src_start;
    return g->src_start + (off - g->out_start);
}

static uint32_t map_end(const cq_expansion *x, uint32_t off)
{
    if (off == 0)
        return 0;
    const cq_expansion_seg *g = seg_after(x, off - 1);
    if (!g)
        return (uint32_t)x->src_len;
    if (g->macro)
        return g->src_end;
    return g->src_start + (off - g->out_start);
}

cq_span cq_expansion_map(const cq_expansion *x, cq_span s)
{
    if (s.start == UINT32_MAX || !x || !x->segs)
        return s;
    if (s.end <= s.start) {
        const cq_expansion_seg *g = cq_expansion_macro_at(x, s.start);
        if (g)
            return cq_span_make(g->src_start, g->src_end);
        uint32_t p = map_start(x, s.start);
        return cq_span_make(p, p);
    }
    uint32_t a = map_start(x, s.start), b = map_end(x, s.end);
    return cq_span_make(a, b < a ? a : b);
}

void cq_expansion_map_ast(const cq_expansion *x, cq_ast *n)
{
    for (; n; n = n->next) {
        n->span = cq_expansion_map(x, n->span);
        cq_expansion_map_ast(x, n->kids);
    }
}

void cq_expansion_map_diag(const cq_expansion *x, cq_diag *d)
{
    if (!d->set || d->span.start == UINT32_MAX)
        return;
    const cq_expansion_seg *g = cq_expansion_macro_at(x, d->span.start);
    if (g && !d->hint[0]) {
        uint32_t n = g->out_end - g->out_start;
        cq_diag_hint(d, "in the expansion of `%s`: %.*s%s", g->macro, (int)(n > 60 ? 60 : n),
                     x->text + g->out_start, n > 60 ? "..." : "");
    }
    d->span = cq_expansion_map(x, d->span);
}

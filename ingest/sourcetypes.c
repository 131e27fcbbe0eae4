/*
 * sourcetypes.c - loads sourcetypes.conf: sourcetype names and aliases, the
 * formats that recognize and time events, and the normalization rules.
 *
 * The format of the file is documented in its own header comment
 * (data/sourcetypes.conf).  This file only parses it into cq_conf; it applies
 * nothing (normalize.c does).  Every error names the file and line.
 */
#include "ingest/ingest_int.h"
#include "common/cfgfile.h"
#include "common/hash.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_LINE (8u << 20)

enum { ST_NONE, ST_SETTINGS, ST_SOURCETYPE, ST_FORMAT, ST_RULE };

typedef struct loader {
    cq_conf *c;
    const char *path;
    int line;
    int kind;               /* ST_*: the stanza being read */
    char **prev_names;      /* per rule: its `previous` text, resolved at the end */
    int *prev_lines;
    char **after_names;     /* per rule: the rule names of its `after` line, likewise */
    int *after_lines;
    char *err;
    size_t errlen;
} loader;

static int lerr(loader *L, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(L->err, L->errlen, "%s:%d: %s", L->path, L->line, msg);
    return -1;
}

/* Grows *arr (elements of size sz) to hold one more; returns the new slot. */
static void *push(void *arrp, size_t *n, size_t sz)
{
    void **arr = arrp;
    *arr = cq_xrealloc(*arr, (*n + 1) * sz);
    void *slot = (char *)*arr + *n * sz;
    memset(slot, 0, sz);
    (*n)++;
    return slot;
}

/* Splits s at whitespace into arena strings; returns the count. */
static size_t words(cq_arena *a, const char *s, const char ***out)
{
    size_t n = 0, cap = 0;
    const char **v = NULL;
    while (*s) {
        while (isspace((unsigned char)*s))
            s++;
        const char *b = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (s == b)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            const char **nv = cq_arena_alloc(a, cap * sizeof *nv);
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
        }
        v[n++] = cq_arena_strndup(a, b, (size_t)(s - b));
    }
    *out = v;
    return n;
}

static int compile_re(loader *L, cq_cond *k, const char *pat)
{
    int code;
    PCRE2_SIZE off;
    k->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    if (!k->re) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(code, msg, sizeof msg);
        return lerr(L, "bad regex at offset %zu: %s", (size_t)off, (const char *)msg);
    }
    /* A JIT failure just means slower.  CQUERY_NO_JIT=1 runs the interpreter:
     * valgrind cannot follow JIT-generated code and reports false errors. */
    if (!getenv("CQUERY_NO_JIT"))
        pcre2_jit_compile(k->re, PCRE2_JIT_COMPLETE);
    k->md = pcre2_match_data_create_from_pattern(k->re, NULL);
    return 0;
}

/* Parses "F = V|W", "F != *", "F ~ RE", "F !~ RE" into k. */
static int parse_cond(loader *L, const char *s, cq_cond *k)
{
    cq_arena *a = &L->c->arena;
    const char *f = s;
    while (*s && !isspace((unsigned char)*s) && *s != '=' && *s != '!' && *s != '~')
        s++;
    if (s == f)
        return lerr(L, "expected a field name after \"when\"");
    k->field = cq_arena_strndup(a, f, (size_t)(s - f));
    while (isspace((unsigned char)*s))
        s++;
    int neg = *s == '!';
    s += neg;
    char op = *s;
    if (op != '=' && op != '~')
        return lerr(L, "expected =, !=, ~ or !~ after \"%s\"", k->field);
    char *v = cq_trim(cq_arena_strdup(a, s + 1));
    if (op == '~') {
        k->op = neg ? CQ_COND_NRE : CQ_COND_RE;
        return compile_re(L, k, v);
    }
    if (!strcmp(v, "*")) {
        k->op = neg ? CQ_COND_MISSING : CQ_COND_EXISTS;
        return 0;
    }
    k->op = neg ? CQ_COND_NE : CQ_COND_EQ;
    for (char *p = v;; ) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        const char **slot = push(&k->alts, &k->n_alts, sizeof *k->alts);
        *slot = cq_trim(p);
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

static int open_stanza(loader *L, char *s)
{
    cq_conf *c = L->c;
    /* The first ']' must end the header, so no name holds one. */
    char *kind = cq_cfg_stanza(s), *name = kind;
    if (!kind || strchr(kind, ']'))
        return lerr(L, "expected \"]\" at the end of the stanza header");
    while (*name && !isspace((unsigned char)*name))
        name++;
    if (*name)
        *name++ = '\0';
    name = cq_trim(name);
    if (!strcmp(kind, "settings")) {
        L->kind = ST_SETTINGS;
        return 0;
    }
    if (!*name)
        return lerr(L, "stanza [%s] needs a name", kind);
    const char *nm = cq_arena_strdup(&c->arena, name);
    if (!strcmp(kind, "sourcetype")) {
        if (cq_conf_find_st(c, nm) >= 0)
            return lerr(L, "sourcetype \"%s\" defined twice", nm);
        cq_stdef *st = push(&c->sts, &c->n_sts, sizeof *st);
        st->name = nm;
        L->kind = ST_SOURCETYPE;
    } else if (!strcmp(kind, "format")) {
        cq_log_format *f = push(&c->fmts, &c->n_fmts, sizeof *f);
        f->name = nm;
        f->line = L->line;
        f->st = -1;
        L->kind = ST_FORMAT;
    } else if (!strcmp(kind, "rule")) {
        cq_rule *r = push(&c->rules, &c->n_rules, sizeof *r);
        r->name = nm;
        r->line = L->line;
        size_t n = c->n_rules - 1;
        L->prev_names = cq_xrealloc(L->prev_names, c->n_rules * sizeof *L->prev_names);
        L->prev_lines = cq_xrealloc(L->prev_lines, c->n_rules * sizeof *L->prev_lines);
        L->prev_names[n] = NULL;
        L->prev_lines[n] = 0;
        L->after_names = cq_xrealloc(L->after_names, c->n_rules * sizeof *L->after_names);
        L->after_lines = cq_xrealloc(L->after_lines, c->n_rules * sizeof *L->after_lines);
        L->after_names[n] = NULL;
        L->after_lines[n] = 0;
        L->kind = ST_RULE;
    } else {
        return lerr(L, "unknown stanza kind \"%s\" (expected settings, sourcetype, format or rule)",
                    kind);
    }
    return 0;
}

static int st_ref(loader *L, const char *name)
{
    int i = cq_conf_find_st(L->c, name);
    if (i < 0)
        lerr(L, "unknown sourcetype \"%s\" (define it in a [sourcetype] stanza first)", name);
    return i;
}

static int parse_time_field(loader *L, cq_log_format *f, const char *w)
{
    static const char *const names[] = {"iso", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns"};
    cq_timefield *t = push(&f->times, &f->n_times, sizeof *t);
    const char *colon = strrchr(w, ':');
    t->fmt = CQ_TF_ISO;
    t->field = w;
    if (!colon)
        return 0;
    for (int i = 0; i < 5; i++)
        if (!strcmp(colon + 1, names[i])) {
            t->fmt = i;
            t->field = cq_arena_strndup(&L->c->arena, w, (size_t)(colon - w));
            return 0;
        }
    return 0;                       /* a colon inside the name itself */
}

/* "detect = a b=x|y": one alternative, every word a condition. */
static int parse_detect(loader *L, cq_log_format *f, const char *v)
{
    const char **w;
    size_t n = words(&L->c->arena, v, &w);
    if (!n)
        return lerr(L, "detect needs at least one field");
    cq_detect *d = push(&f->detects, &f->n_detects, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        cq_cond *k = push(&d->conds, &d->n_conds, sizeof *k);
        if (!strchr(w[i], '=') && !strchr(w[i], '~')) {
            k->op = CQ_COND_EXISTS;
            k->field = w[i];
        } else if (parse_cond(L, w[i], k)) {
            return -1;
        }
    }
    return 0;
}

static int format_line(loader *L, char *s)
{
    cq_log_format *f = &L->c->fmts[L->c->n_fmts - 1];
    cq_arena *a = &L->c->arena;
    char *k, *v;
    if (cq_cfg_pair(s, '=', &k, &v))
        return lerr(L, "expected \"key = value\"");
    const char **w;
    if (!strcmp(k, "sourcetype")) {
        return (f->st = st_ref(L, v)) < 0 ? -1 : 0;
    } else if (!strcmp(k, "type")) {
        if (!strcmp(v, "json"))
            f->type = CQ_FMT_JSON;
        else if (!strcmp(v, "kv"))
            f->type = CQ_FMT_KV;
        else
            return lerr(L, "unknown format type \"%s\" (expected json or kv)", v);
    } else if (!strcmp(k, "detect")) {
        return parse_detect(L, f, v);
    } else if (!strcmp(k, "time")) {
        size_t n = words(a, v, &w);
        for (size_t i = 0; i < n; i++)
            parse_time_field(L, f, w[i]);
    } else if (!strcmp(k, "host")) {
        f->host = cq_arena_strdup(a, v);
    } else if (!strcmp(k, "kv")) {
        f->kv_field = cq_arena_strdup(a, v);
    } else if (!strcmp(k, "strip")) {
        return compile_re(L, &f->strip, v);
    } else if (!strcmp(k, "unwrap") || !strcmp(k, "split")) {
        if (!*v || strpbrk(v, " \t"))
            return lerr(L, "%s needs one field name", k);
        *(!strcmp(k, "unwrap") ? &f->unwrap : &f->split) = cq_arena_strdup(a, v);
    } else {
        return lerr(L, "unknown format key \"%s\"", k);
    }
    return 0;
}

/* "set F = T", "copy F = G H", "urlparams F = G P", "json F = G K", "kv G", "drop G". */
static int rule_action(loader *L, cq_rule *r, const char *verb, char *rest)
{
    static const struct { const char *verb; int op, nargs; } acts[] = {
        {"set", CQ_ACT_SET, 0}, {"add", CQ_ACT_ADD, 0}, {"copy", CQ_ACT_COPY, 0}, {"join", CQ_ACT_JOIN, 0},
        {"urlparams", CQ_ACT_URLPARAMS, 2}, {"json", CQ_ACT_JSON, 2},
        {"kv", CQ_ACT_KV, -1}, {"drop", CQ_ACT_DROP, -1}, {"copytree", CQ_ACT_COPYTREE, 0},
    };
    cq_arena *a = &L->c->arena;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        if (strcmp(verb, acts[i].verb))
            continue;
        cq_action *act = push(&r->acts, &r->n_acts, sizeof *act);
        act->op = acts[i].op;
        if (acts[i].nargs < 0) {
            act->arg = cq_arena_strdup(a, cq_trim(rest));
            return *act->arg ? 0 : lerr(L, "\"%s\" needs a field name", verb);
        }
        char *k, *v;
        if (cq_cfg_pair(rest, '=', &k, &v) || !*k)
            return lerr(L, "expected \"%s FIELD = ...\"", verb);
        act->dst = cq_arena_strdup(a, k);
        act->arg = cq_arena_strdup(a, v);
        if (act->op == CQ_ACT_COPY)
            act->n_srcs = words(a, v, &act->srcs);
        if (acts[i].nargs == 2) {
            const char **w;
            if (words(a, v, &w) != 2)
                return lerr(L, "expected \"%s %s = FIELD NAME\"", verb, k);
            act->arg = w[0];
            act->arg2 = w[1];
        }
        return 0;
    }
    return lerr(L, "unknown rule line \"%s\" (expected when, set, add, copy, copytree, join, urlparams, "
                   "json, kv, drop, sourcetype, previous or after)", verb);
}

/* "5s", "60s", "2m", "1h" (at most a day) into microseconds; -1 if not one. */
static int64_t duration_us(const char *w)
{
    char *end;
    errno = 0;
    long long n = strtoll(w, &end, 10);
    int64_t unit = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
    if (errno || end == w || !unit || n < 0 || n > 86400 || n * unit > 86400)
        return -1;
    return (int64_t)n * unit * 1000000;
}

/* "after = RULE ... within N(s|m|h) [same FIELD]"; names resolved in finish(). */
static int parse_after(loader *L, cq_rule *r, const char *v)
{
    cq_conf *c = L->c;
    const char **w;
    size_t n = words(&c->arena, v, &w), k = 0;
    if (L->after_names[c->n_rules - 1])
        return lerr(L, "rule \"%s\" has two \"after\" lines", r->name);
    cq_strbuf names = CQ_STRBUF_INIT;
    for (; k < n && strcmp(w[k], "within"); k++)
        cq_strbuf_addf(&names, "%s%s", names.len ? " " : "", w[k]);
    int ok = names.len && k + 1 < n && (r->within_us = duration_us(w[k + 1])) >= 0;
    if (ok && k + 2 < n)
        ok = k + 4 == n && !strcmp(w[k + 2], "same");
    if (!ok) {
        cq_strbuf_free(&names);
        return lerr(L, "expected \"after = RULE ... within N(s|m|h) [same FIELD]\" "
                       "(N seconds, minutes or hours, at most a day)");
    }
    r->same = k + 4 == n ? w[k + 3] : NULL;
    L->after_names[c->n_rules - 1] = cq_arena_strdup(&c->arena, names.buf);
    L->after_lines[c->n_rules - 1] = L->line;
    cq_strbuf_free(&names);
    return 0;
}

static int rule_line(loader *L, char *s)
{
    cq_conf *c = L->c;
    cq_rule *r = &c->rules[c->n_rules - 1];
    char *sp = s;
    while (*sp && !isspace((unsigned char)*sp) && *sp != '=')
        sp++;
    char *rest = sp;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest == '=') {                         /* key = value */
        char *k = NULL, *v = NULL;
        if (cq_cfg_pair(s, '=', &k, &v))
            return lerr(L, "expected \"key = value\"");
        if (!strcmp(k, "sourcetype")) {
            const char **w;
            size_t n = words(&c->arena, v, &w);
            for (size_t i = 0; i < n; i++) {
                int st = st_ref(L, w[i]);
                if (st < 0)
                    return -1;
                const char **slot = push(&r->sts, &r->n_sts, sizeof *slot);
                *slot = c->sts[st].name;
            }
            return 0;
        }
        if (!strcmp(k, "after"))
            return parse_after(L, r, v);
        if (!strcmp(k, "previous")) {
            L->prev_names[c->n_rules - 1] = cq_arena_strdup(&c->arena, v);
            L->prev_lines[c->n_rules - 1] = L->line;
            return 0;
        }
        return lerr(L, "unknown rule key \"%s\"", k);
    }
    char verb[32];
    snprintf(verb, sizeof verb, "%.*s", (int)(sp - s), s);
    if (!strcmp(verb, "when"))
        return parse_cond(L, rest, push(&r->conds, &r->n_conds, sizeof *r->conds));
    return rule_action(L, r, verb, rest);
}

static int settings_line(loader *L, char *s)
{
    char *k, *v, *end;
    if (cq_cfg_pair(s, '=', &k, &v))
        return lerr(L, "expected \"key = value\"");
    if (!strcmp(k, "max_line_bytes")) {
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || n < 1024)
            return lerr(L, "max_line_bytes must be a number of bytes (at least 1024)");
        L->c->max_line = (size_t)n;
        return 0;
    }
    if (!strcmp(k, "max_unwrap_bytes")) {
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || n < 16)
            return lerr(L, "max_unwrap_bytes must be a number of bytes (at least 16)");
        L->c->max_unwrap = (size_t)n;
        return 0;
    }
    return lerr(L, "unknown setting \"%s\"", k);
}

static int sourcetype_line(loader *L, char *s)
{
    cq_stdef *st = &L->c->sts[L->c->n_sts - 1];
    char *k, *v;
    if (cq_cfg_pair(s, '=', &k, &v) || strcmp(k, "alias"))
        return lerr(L, "expected \"alias = NAME ...\"");
    const char **w;
    size_t n = words(&L->c->arena, v, &w);
    for (size_t i = 0; i < n; i++) {
        if (cq_conf_find_st(L->c, w[i]) >= 0)
            return lerr(L, "alias \"%s\" already names a sourcetype", w[i]);
        const char **slot = push(&st->aliases, &st->n_aliases, sizeof *slot);
        *slot = w[i];
    }
    return 0;
}

static int conf_line(loader *L, char *s)
{
    if (*s == '[')
        return open_stanza(L, s);
    switch (L->kind) {
    case ST_SETTINGS:
        return settings_line(L, s);
    case ST_SOURCETYPE:
        return sourcetype_line(L, s);
    case ST_FORMAT:
        return format_line(L, s);
    case ST_RULE:
        return rule_line(L, s);
    default:
        return lerr(L, "expected a stanza header such as [rule NAME] first");
    }
}

int cq_conf_name_slot(const cq_conf *c, const char *name, size_t len)
{
    if (!c->name_map_cap)
        return -1;
    uint64_t h = cq_hash_key(name, len);
    uint32_t mask = c->name_map_cap - 1;
    for (uint32_t j = (uint32_t)h & mask; c->name_map[j]; j = (j + 1) & mask) {
        uint32_t s = c->name_map[j] - 1;
        if (c->name_hashes[s] == h && c->name_lens[s] == len && !memcmp(c->names[s], name, len))
            return (int)s;
    }
    return -1;
}

/* Slot of name (see cq_conf.names), interning it when new. */
static int intern_name(cq_conf *c, const char *name, size_t len)
{
    int slot = cq_conf_name_slot(c, name, len);
    if (slot >= 0)
        return slot;
    slot = (int)c->n_names;
    const char **n = push(&c->names, &c->n_names, sizeof *c->names);
    *n = name;
    c->name_lens = cq_xrealloc(c->name_lens, c->n_names * sizeof *c->name_lens);
    c->name_hashes = cq_xrealloc(c->name_hashes, c->n_names * sizeof *c->name_hashes);
    c->name_lens[slot] = (uint32_t)len;
    c->name_hashes[slot] = cq_hash_key(name, len);
    unsigned b = cq_name_filter_bit(name, len);
    c->name_filter[b >> 6] |= 1ull << (b & 63);
    if (c->n_names * 2 > c->name_map_cap) {     /* rebuild at load <= 1/2 */
        uint32_t cap = c->name_map_cap ? c->name_map_cap * 2 : 64;
        free(c->name_map);
        c->name_map = cq_xcalloc(cap, sizeof *c->name_map);
        c->name_map_cap = cap;
        for (size_t i = 0; i + 1 < c->n_names; i++) {
            uint32_t j = (uint32_t)c->name_hashes[i] & (cap - 1);
            while (c->name_map[j])
                j = (j + 1) & (cap - 1);
            c->name_map[j] = (uint32_t)i + 1;
        }
    }
    uint32_t j = (uint32_t)c->name_hashes[slot] & (c->name_map_cap - 1);
    while (c->name_map[j])
        j = (j + 1) & (c->name_map_cap - 1);
    c->name_map[j] = (uint32_t)slot + 1;
    return slot;
}

/* Interns k's field name and measures its values (see cq_conf.names). */
static void intern_cond(cq_conf *c, cq_cond *k)
{
    size_t len = strlen(k->field);
    k->field_len = (uint32_t)len;
    k->alt_lens = cq_arena_alloc(&c->arena, (k->n_alts + 1) * sizeof *k->alt_lens);
    for (size_t a = 0; a < k->n_alts; a++)
        k->alt_lens[a] = (uint32_t)strlen(k->alts[a]);
    k->slot = intern_name(c, k->field, len);
}

/* copy reads its sources and removes its destination through the event's
 * field index, so their names are interned too; other actions need none. */
static void intern_action(cq_conf *c, cq_action *a)
{
    a->dst_slot = -1;
    if (a->op != CQ_ACT_COPY)
        return;
    a->dst_slot = intern_name(c, a->dst, strlen(a->dst));
    a->src_slots = cq_arena_alloc(&c->arena, (a->n_srcs + 1) * sizeof *a->src_slots);
    for (size_t i = 0; i < a->n_srcs; i++)
        a->src_slots[i] = intern_name(c, a->srcs[i], strlen(a->srcs[i]));
}

static int same_test(const cq_cond *a, const cq_cond *b)
{
    if (a->op != b->op || a->slot != b->slot || a->n_alts != b->n_alts)
        return 0;
    for (size_t i = 0; i < a->n_alts; i++)
        if (strcmp(a->alts[i], b->alts[i]))
            return 0;
    return 1;
}

/* Many rules start with the same test (verb = create|update|patch): ids let
 * normalize.c evaluate it once until a rule changes the event. */
static void memo_ids(cq_conf *c)
{
    for (size_t i = 0; i < c->n_rules; i++)
        for (size_t k = 0; k < c->rules[i].n_conds; k++) {
            cq_cond *q = &c->rules[i].conds[k];
            q->memo = -1;
            if (q->op != CQ_COND_EQ && q->op != CQ_COND_NE)
                continue;
            for (size_t j = 0; j <= i && q->memo < 0; j++)
                for (size_t l = 0; l < c->rules[j].n_conds && q->memo < 0; l++) {
                    const cq_cond *p = &c->rules[j].conds[l];
                    if (p == q)
                        break;
                    if (p->memo >= 0 && same_test(p, q))
                        q->memo = p->memo;
                }
            if (q->memo < 0)
                q->memo = (int)c->n_memo++;
        }
    for (size_t i = 0; i < c->n_fmts; i++) {
        c->fmts[i].strip.memo = -1;
        for (size_t j = 0; j < c->fmts[i].n_detects; j++)
            for (size_t k = 0; k < c->fmts[i].detects[j].n_conds; k++)
                c->fmts[i].detects[j].conds[k].memo = -1;
    }
}

static void intern_names(cq_conf *c)
{
    for (size_t i = 0; i < c->n_rules; i++) {
        for (size_t k = 0; k < c->rules[i].n_conds; k++)
            intern_cond(c, &c->rules[i].conds[k]);
        for (size_t k = 0; k < c->rules[i].n_acts; k++)
            intern_action(c, &c->rules[i].acts[k]);
    }
    for (size_t i = 0; i < c->n_fmts; i++)
        for (size_t j = 0; j < c->fmts[i].n_detects; j++)
            for (size_t k = 0; k < c->fmts[i].detects[j].n_conds; k++)
                intern_cond(c, &c->fmts[i].detects[j].conds[k]);
}

/* Resolves the rule names of text (a `previous` or `after` line) into *out. */
static int rule_refs(loader *L, const char *text, const char *what, int **out, size_t *n_out)
{
    cq_conf *c = L->c;
    const char **w;
    size_t n = words(&c->arena, text, &w);
    for (size_t k = 0; k < n; k++) {
        size_t j = 0;
        while (j < c->n_rules && strcmp(c->rules[j].name, w[k]))
            j++;
        if (j == c->n_rules)
            return lerr(L, "unknown rule \"%s\" in \"%s\"", w[k], what);
        int *slot = push(out, n_out, sizeof *slot);
        *slot = (int)j;
    }
    return 0;
}

/* The `after` lines: rule names, and a pairing slot per rule. */
static int finish_after(loader *L)
{
    cq_conf *c = L->c;
    for (size_t i = 0; i < c->n_rules; i++) {
        cq_rule *r = &c->rules[i];
        if (!L->after_names[i])
            continue;
        L->line = L->after_lines[i];
        if (r->n_prev)
            return lerr(L, "rule \"%s\" has both \"previous\" and \"after\"", r->name);
        if (rule_refs(L, L->after_names[i], "after", &r->after, &r->n_after))
            return -1;
        r->after_slot = (int)c->n_after;
        int *slot = push(&c->after_rules, &c->n_after, sizeof *slot);
        *slot = (int)i;
    }
    return 0;
}

static int rule_applies_to(const cq_rule *r, const char *st)
{
    if (!r->n_sts)
        return 1;
    for (size_t i = 0; i < r->n_sts; i++)
        if (st && r->sts[i] == st)
            return 1;
    return 0;
}

/* c->st_rules: the rules of each sourcetype, and those of any (see cq_conf). */
static void group_rules(cq_conf *c)
{
    c->st_rules = cq_arena_alloc(&c->arena, (c->n_sts + 1) * sizeof *c->st_rules);
    c->n_st_rules = cq_arena_alloc(&c->arena, (c->n_sts + 1) * sizeof *c->n_st_rules);
    for (size_t s = 0; s <= c->n_sts; s++) {
        const char *st = s < c->n_sts ? c->sts[s].name : NULL;
        c->st_rules[s] = cq_arena_alloc(&c->arena, (c->n_rules + 1) * sizeof **c->st_rules);
        c->n_st_rules[s] = 0;
        for (size_t i = 0; i < c->n_rules; i++)
            if (rule_applies_to(&c->rules[i], st))
                c->st_rules[s][c->n_st_rules[s]++] = (int)i;
    }
}

/* After the whole file: `previous` and `after` names, and formats that name a sourcetype. */
static int finish(loader *L)
{
    cq_conf *c = L->c;
    intern_names(c);
    memo_ids(c);
    group_rules(c);
    for (size_t i = 0; i < c->n_fmts; i++)
        if (c->fmts[i].st < 0) {
            L->line = c->fmts[i].line;
            return lerr(L, "format \"%s\" has no sourcetype", c->fmts[i].name);
        }
    for (size_t i = 0; i < c->n_fmts; i++)
        if (c->fmts[i].type != CQ_FMT_JSON && (c->fmts[i].unwrap || c->fmts[i].split)) {
            L->line = c->fmts[i].line;
            return lerr(L, "format \"%s\": unwrap and split need type = json", c->fmts[i].name);
        }
    if (c->n_fmts > 64) {   /* pipeline.c keeps the formats of an envelope chain in a mask */
        L->line = c->fmts[64].line;
        return lerr(L, "more than 64 [format] stanzas");
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        if (!L->prev_names[i])
            continue;
        L->line = L->prev_lines[i];
        if (rule_refs(L, L->prev_names[i], "previous", &c->rules[i].prev, &c->rules[i].n_prev))
            return -1;
    }
    return finish_after(L);
}

/* Reads the lines of text: a trailing backslash joins the next line. */
static int load_lines(loader *L, const char *text, size_t len)
{
    cq_cfg_reader r;
    cq_cfg_init(&r, text, len, 0);
    int rc = 0;
    char *s;
    while (!rc && (s = cq_cfg_next(&r))) {
        L->line = r.line;
        rc = conf_line(L, s);
    }
    cq_cfg_done(&r);
    return rc;
}

int cq_conf_load(const char *path, cq_conf **out, char *err, size_t errlen)
{
    *out = NULL;
    cq_conf *c = cq_xcalloc(1, sizeof *c);
    cq_arena_init(&c->arena);
    c->max_line = DEFAULT_MAX_LINE;
    loader L = {.c = c, .path = path, .err = err, .errlen = errlen};
    cq_strbuf text = CQ_STRBUF_INIT;
    int rc;
    /* Only a file that cannot be opened is an error: the getline() loop
     * before took a read error for the end of the file (a directory reads
     * as empty), and this keeps its behaviour. */
    if (cq_cfg_read_file(path, 0, &text) == CQ_CFG_CANNOT_OPEN) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    } else {
        rc = load_lines(&L, text.buf, text.len);
        if (!rc)
            rc = finish(&L);
    }
    cq_strbuf_free(&text);
    free(L.prev_names);
    free(L.prev_lines);
    free(L.after_names);
    free(L.after_lines);
    if (rc) {
        cq_conf_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static void free_cond(cq_cond *k)
{
    free(k->alts);
    if (k->md)
        pcre2_match_data_free(k->md);
    if (k->re)
        pcre2_code_free(k->re);
}

void cq_conf_free(cq_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sts; i++)
        free(c->sts[i].aliases);
    for (size_t i = 0; i < c->n_fmts; i++) {
        cq_log_format *f = &c->fmts[i];
        for (size_t j = 0; j < f->n_detects; j++) {
            for (size_t k = 0; k < f->detects[j].n_conds; k++)
                free_cond(&f->detects[j].conds[k]);
            free(f->detects[j].conds);
        }
        free(f->detects);
        free(f->times);
        free_cond(&f->strip);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        cq_rule *r = &c->rules[i];
        for (size_t k = 0; k < r->n_conds; k++)
            free_cond(&r->conds[k]);
        free(r->conds);
        free(r->acts);
        free(r->sts);
        free(r->prev);
        free(r->after);
    }
    free(c->after_rules);
    free(c->sts);
    free(c->fmts);
    free(c->rules);
    free(c->names);
    free(c->name_lens);
    free(c->name_hashes);
    free(c->name_map);
    cq_arena_free(&c->arena);
    free(c);
}

int cq_conf_find_st(const cq_conf *c, const char *name)
{
    for (size_t i = 0; i < c->n_sts; i++) {
        if (!strcmp(c->sts[i].name, name))
            return (int)i;
        for (size_t j = 0; j < c->sts[i].n_aliases; j++)
            if (!strcmp(c->sts[i].aliases[j], name))
                return (int)i;
    }
    return -1;
}

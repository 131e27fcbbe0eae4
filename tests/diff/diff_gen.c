/*
 * diff_gen.c - the differential test's questions: random SPL and, for each,
 * SQL that answers the same question over tables
 *
 *   ev(eid, t, id, raw)             one row per event (t = _time, distinct)
 *   v(eid, f, pos, val, num)        one row per value of a field of an event
 *                                   (a multivalue field has several; num is
 *                                   the value as a number, NULL if it is not one)
 *   tok(eid, t)                     the tokens of each event's _raw, lower case
 *
 * The SQL spells out Splunk's rules (../shared/SPL-NOTES.md) instead of
 * reusing anything of cquery's:
 *
 *   search f=v       some value of f matches v case-insensitively, * the only
 *                    wildcard, whole value:  lower(val) GLOB lower(v)  (item 3)
 *   search f!=v      f is present and no value matches v; NOT f=v also keeps
 *                    events without f (item 4)
 *   search f<c       numbers compare numerically when both sides are numbers,
 *                    byte-wise as strings otherwise (item 7)
 *   search f=*       f is present; field names are case-sensitive (items 2, 3)
 *   bare term        a whole token of _raw (split at Splunk's default breakers),
 *                    case-insensitively; "phrase": a substring of _raw (item 5)
 *   precedence       search: NOT, then OR, then AND; where: NOT, AND, OR (item 1)
 *   where f="v"      case-sensitive; = on a multivalue field: any value (items 2, 8)
 *   where f<N        numeric when the value is a number, else as strings (item 7)
 *   where (null)     a comparison with a missing field is false, so NOT of it
 *                    is true; isnull() is true for a missing field
 *   like(f, p)       case-sensitive, % and _ as wildcards (item 2)
 *   stats ... by f   an event counts once under each value of a multivalue f;
 *                    an event without a by-field is dropped; count over no
 *                    events is one row with 0, count by over none is no row
 *                    (items 8, 12); dc() counts distinct values exactly
 *   dedup [N] f      keeps the first (N) events in result order (newest first)
 *                    of each value, drops events without f unless
 *                    keepempty=true (item 11)
 *   sort f           stable; numbers before strings, numbers numerically,
 *                    strings byte-wise; missing last either way (issue 5)
 *
 * Numbers keep the text they were written with ("1.0" and "1" are equal
 * numbers but different values to search's = , stats, dedup and values).
 *
 * Generated values never contain GLOB's other specials ([ ] ?), quotes,
 * commas or backslashes, so the SQL needs no escaping.
 */
#include "tests/diff/diff_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t diff_next(diff_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int diff_pick(diff_rng *r, int n)
{
    return (int)(diff_next(r) % (uint64_t)n);
}

int diff_chance(diff_rng *r, int percent)
{
    return diff_pick(r, 100) < percent;
}

int diff_is_num(const char *s, double *out)
{
    const char *p = s;
    int digits = 0;
    if (*p == '-' || *p == '+')
        p++;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++, digits++;
    }
    if (!digits || *p)
        return 0;
    if (out)
        *out = strtod(s, NULL);
    return 1;
}

/* ---- the fields */

static const char *const pool_s[] = {"alpha", "Alpha", "ALPHA", "alphabet", "beta", "Beta",
                                     "gamma", "gamma-ray", "delta.x", "Delta.X", "hello world",
                                     "Hello World", "zeta:1", "omega"};
static const char *const pool_n[] = {"-3", "-1", "0", "0.5", "1", "2", "2.5", "3",
                                     "5", "7", "9", "10", "12", "20", "25", "100",
                                     "1.0", "10.50"};
static const char *const pool_ns[] = {"10", "9", "007", "-2", "3.5", "100", "0", "01",
                                      "abc", "ABC", "Abc", "10a", "x9", "b"};
static const char *const pool_u[] = {"admin", "Admin", "ADMIN", "bob", "Bob", "alice",
                                     "system:node:w1", "system:node:w2", "root", "svc-ci"};
static const char *const pool_k[] = {"k1", "k2", "K1", "k3", "k10", "10", "9"};
static const char *const pool_tags[] = {"a", "A", "b", "web", "Web", "db", "x-1", "10", "9"};

#define POOL(p) p, (int)(sizeof p / sizeof p[0])
const diff_field diff_fields[] = {
    {"s", "s", 0, 0, 85, POOL(pool_s)},
    {"n", "n", 0, 1, 80, POOL(pool_n)},
    {"ns", "ns", 0, 0, 80, POOL(pool_ns)},
    {"u.name", "'u.name'", 0, 0, 90, POOL(pool_u)},
    {"k", "k", 0, 0, 90, POOL(pool_k)},
    {"tags{}", "'tags{}'", 1, 0, 75, POOL(pool_tags)},
};
const int diff_n_fields = (int)(sizeof diff_fields / sizeof diff_fields[0]);
enum { F_S, F_N, F_NS, F_U, F_K, F_TAGS };

/* Names no event has: field names are case-sensitive, and an array is
 * only ever "name{}". */
static const char *const bogus_names[] = {"S", "u.Name", "tags", "N"};

static const diff_field *any_field(diff_rng *r)
{
    return &diff_fields[diff_pick(r, diff_n_fields)];
}

static const diff_field *single_field(diff_rng *r)
{
    const diff_field *f;
    do
        f = any_field(r);
    while (f->mv);
    return f;
}

/* ---- values and patterns */

static void flip_case(diff_rng *r, char *s)
{
    for (; *s; s++)
        if (isalpha((unsigned char)*s) && diff_chance(r, 30))
            *s = (char)(isupper((unsigned char)*s) ? tolower((unsigned char)*s)
                                                   : toupper((unsigned char)*s));
}

/* A search value for field f: a value of its pool, a wildcard pattern made
 * from one, or something else; letters in random case. */
static void gen_pattern(diff_rng *r, const diff_field *f, char *out, size_t cap)
{
    static const char *const other[] = {"zz", "*", "al*", "*a*", "b*", "*1", "*-*", "1*", "*.*",
                                        "-*", "*o*d*"};
    const char *v = f->pool[diff_pick(r, f->n_pool)];
    size_t n = strlen(v);
    int c = diff_pick(r, 100);
    if (c < 50) {
        snprintf(out, cap, "%s", v);
    } else if (c < 85) {
        size_t i = (size_t)diff_pick(r, (int)n + 1), j = i + (size_t)diff_pick(r, (int)(n - i) + 1);
        switch (diff_pick(r, 4)) {
        case 0: snprintf(out, cap, "%.*s*", (int)i, v); break;                  /* prefix */
        case 1: snprintf(out, cap, "*%s", v + i); break;                        /* suffix */
        case 2: snprintf(out, cap, "*%.*s*", (int)(j - i), v + i); break;       /* infix */
        default: snprintf(out, cap, "%.*s*%s", (int)i, v, v + j); break;        /* a*b */
        }
    } else {
        snprintf(out, cap, "%s", other[diff_pick(r, (int)(sizeof other / sizeof other[0]))]);
    }
    flip_case(r, out);
}

/* Appends a search value, quoted when it must be and sometimes when not. */
static void add_value(diff_rng *r, cq_strbuf *spl, const char *v)
{
    int plain = *v != '\0';
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("*.:-_", *p))
            plain = 0;
    if (plain && diff_chance(r, 60))
        cq_strbuf_adds(spl, v);
    else
        cq_strbuf_addf(spl, "\"%s\"", v);
}

/* ---- SQL pieces: each is a boolean over the event row `e` */

static void sql_has(cq_strbuf *sql, const char *name)
{
    cq_strbuf_addf(sql, "EXISTS(SELECT 1 FROM v WHERE v.eid=e.eid AND v.f='%s')", name);
}

/* Some value of name satisfies cond (written over v.val and v.num). */
static void sql_any(cq_strbuf *sql, const char *name, const char *cond)
{
    cq_strbuf_addf(sql, "EXISTS(SELECT 1 FROM v WHERE v.eid=e.eid AND v.f='%s' AND (%s))", name,
                   cond);
}

static void sql_match(cq_strbuf *sql, const char *name, const char *pat)
{
    char cond[256];
    snprintf(cond, sizeof cond, "lower(v.val) GLOB lower('%s')", pat);
    sql_any(sql, name, cond);
}

/* value OP c: numerically when both are numbers, else byte-wise as text. */
static void cmp_cond(char *cond, size_t cap, const char *op, const char *c)
{
    if (diff_is_num(c, NULL))
        snprintf(cond, cap,
                 "(v.num IS NOT NULL AND v.num %s %s) OR (v.num IS NULL AND v.val %s '%s')", op,
                 c, op, c);
    else
        snprintf(cond, cap, "v.val %s '%s'", op, c);
}

/* ---- search expressions */

/* A bare term (a whole token of _raw, case-insensitively, * a wildcard at
 * either end) or a quoted phrase (a substring of _raw, case-insensitively;
 * the phrases used start and end at token boundaries wherever they occur,
 * so substring and token-sequence readings agree). */
static void gen_term(diff_rng *r, cq_strbuf *spl, cq_strbuf *sql)
{
    static const char *const terms[] = {
        "alpha", "beta", "gamma", "ray", "delta", "x", "hello", "world", "zeta", "omega",
        "admin", "bob", "system", "node", "w1", "root", "svc", "ci", "web", "db", "abc",
        "10a", "x9", "id", "tags", "name", "u", "s", "n", "k1", "k10", "1", "0", "5", "9",
        "10", "007", "alp*", "*ta", "gam*", "*a*", "k*", "w*", "*9", "no", "alphabet"};
    static const char *const phrases[] = {"hello world", "gamma-ray", "delta.x", "system:node",
                                          "node:w2", "zeta:1", "svc-ci", "Hello World"};
    char t[64];
    if (diff_chance(r, 75)) {
        snprintf(t, sizeof t, "%s", terms[diff_pick(r, (int)(sizeof terms / sizeof terms[0]))]);
        flip_case(r, t);
        cq_strbuf_adds(spl, t);
        cq_strbuf_addf(sql, "EXISTS(SELECT 1 FROM tok WHERE tok.eid=e.eid AND tok.t GLOB "
                            "lower('%s'))", t);
    } else {
        snprintf(t, sizeof t, "%s", phrases[diff_pick(r, (int)(sizeof phrases / sizeof phrases[0]))]);
        flip_case(r, t);
        cq_strbuf_addf(spl, "\"%s\"", t);
        cq_strbuf_addf(sql, "instr(lower(e.raw), lower('%s')) > 0", t);
    }
}

static void gen_leaf(diff_rng *r, cq_strbuf *spl, cq_strbuf *sql)
{
    static const char *const consts[] = {"-1", "0", "2.5", "5", "9", "10", "50", "B",
                                         "b", "alpha", "M", "10a", "Abc", "k2", "x"};
    static const char *const ops[] = {"<", "<=", ">", ">="};
    const diff_field *f = any_field(r);
    const char *name = f->name;
    char pat[128], cond[512];
    if (diff_chance(r, 14)) {
        gen_term(r, spl, sql);
        return;
    }
    if (diff_chance(r, 4))
        name = bogus_names[diff_pick(r, 4)];
    int op = diff_pick(r, 100);
    if (op < 42) {                                      /* f=v */
        gen_pattern(r, f, pat, sizeof pat);
        cq_strbuf_addf(spl, "%s=", name);
        add_value(r, spl, pat);
        sql_match(sql, name, pat);
    } else if (op < 56) {                               /* f!=v */
        gen_pattern(r, f, pat, sizeof pat);
        cq_strbuf_addf(spl, "%s!=", name);
        add_value(r, spl, pat);
        cq_strbuf_adds(sql, "(");
        sql_has(sql, name);
        cq_strbuf_adds(sql, " AND NOT ");
        sql_match(sql, name, pat);
        cq_strbuf_adds(sql, ")");
    } else if (op < 66) {                               /* f IN (...) */
        int n = 1 + diff_pick(r, 4);
        cq_strbuf_addf(spl, "%s IN (", name);
        cq_strbuf_adds(sql, "(");
        for (int i = 0; i < n; i++) {
            gen_pattern(r, f, pat, sizeof pat);
            if (i) {
                cq_strbuf_adds(spl, diff_chance(r, 50) ? ", " : ",");
                cq_strbuf_adds(sql, " OR ");
            }
            add_value(r, spl, pat);
            sql_match(sql, name, pat);
        }
        cq_strbuf_adds(spl, ")");
        cq_strbuf_adds(sql, ")");
    } else if (op < 74) {                               /* f=* */
        cq_strbuf_addf(spl, "%s=*", name);
        sql_has(sql, name);
    } else {                                            /* f<c ... */
        const char *o = ops[diff_pick(r, 4)];
        const char *c = consts[diff_pick(r, (int)(sizeof consts / sizeof consts[0]))];
        cq_strbuf_addf(spl, "%s%s", name, o);
        add_value(r, spl, c);
        cmp_cond(cond, sizeof cond, o, c);
        sql_any(sql, name, cond);
    }
}

enum { P_AND = 1, P_OR = 2, P_NOT = 3, P_ATOM = 4 };

/* Appends a random search expression printed with the fewest parentheses
 * Splunk's precedence allows (and some extra); returns its precedence. */
static int gen_sexpr(diff_rng *r, int depth, cq_strbuf *spl, cq_strbuf *sql)
{
    int c = depth >= 3 ? 0 : diff_pick(r, 10);
    if (c < 5) {
        gen_leaf(r, spl, sql);
        return P_ATOM;
    }
    cq_strbuf cs = CQ_STRBUF_INIT, cq = CQ_STRBUF_INIT;
    if (c == 9) {                                       /* NOT x */
        int p = gen_sexpr(r, depth + 1, &cs, &cq);
        int paren = p < P_NOT || diff_chance(r, 10);
        cq_strbuf_addf(spl, paren ? "NOT (%s)" : "NOT %s", cq_strbuf_str(&cs));
        cq_strbuf_addf(sql, "NOT (%s)", cq_strbuf_str(&cq));
        cq_strbuf_free(&cs);
        cq_strbuf_free(&cq);
        return P_NOT;
    }
    int is_or = c >= 7, n = 2 + diff_pick(r, 2);
    cq_strbuf_adds(sql, "(");
    for (int i = 0; i < n; i++) {
        cq_strbuf_reset(&cs);
        cq_strbuf_reset(&cq);
        int p = gen_sexpr(r, depth + 1, &cs, &cq);
        if (i) {
            cq_strbuf_adds(spl, is_or ? " OR " : diff_chance(r, 50) ? " AND " : " ");
            cq_strbuf_adds(sql, is_or ? " OR " : " AND ");
        }
        /* OR binds tighter than AND: an AND under an OR needs parentheses */
        int paren = (is_or && p < P_OR) || diff_chance(r, 10);
        cq_strbuf_addf(spl, paren ? "(%s)" : "%s", cq_strbuf_str(&cs));
        cq_strbuf_addf(sql, "(%s)", cq_strbuf_str(&cq));
    }
    cq_strbuf_adds(sql, ")");
    cq_strbuf_free(&cs);
    cq_strbuf_free(&cq);
    return is_or ? P_OR : P_AND;
}

/* The search part of a query: the implicit first search, or `* | search`. */
static void gen_search(diff_rng *r, cq_strbuf *spl, cq_strbuf *where_sql)
{
    cq_strbuf cs = CQ_STRBUF_INIT;
    if (diff_chance(r, 8)) {
        cq_strbuf_adds(spl, "*");
        cq_strbuf_adds(where_sql, "1");
        return;
    }
    gen_sexpr(r, 0, &cs, where_sql);
    int form = diff_pick(r, 10);
    cq_strbuf_addf(spl, form < 7 ? "%s" : form < 9 ? "* | search %s" : "search %s",
                   cq_strbuf_str(&cs));
    cq_strbuf_free(&cs);
}

/* ---- where expressions (eval precedence: NOT, AND, OR) */

static const char *nonnum_value(diff_rng *r, const diff_field *f, char *buf, size_t cap)
{
    const char *v = f->pool[diff_pick(r, f->n_pool)];
    if (diff_is_num(v, NULL))
        v = "zz";
    snprintf(buf, cap, "%s", v);
    if (diff_chance(r, 25))
        flip_case(r, buf);
    return buf;
}

static void gen_wleaf(diff_rng *r, cq_strbuf *spl, cq_strbuf *sql)
{
    static const char *const nums[] = {"-1", "0", "2.5", "5", "9", "10", "50"};
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    static const char *const sqlops[] = {"=", "<>", "<", "<=", ">", ">="};
    char v[128], cond[512];
    int c = diff_pick(r, 100);
    if (c < 12) {                                       /* isnull / isnotnull */
        const diff_field *f = any_field(r);
        int isnull = diff_chance(r, 50);
        cq_strbuf_addf(spl, "%s(%s)", isnull ? "isnull" : "isnotnull", f->where_name);
        cq_strbuf_adds(sql, isnull ? "NOT " : "");
        sql_has(sql, f->name);
    } else if (c < 45) {                                /* f="v", f!="v" */
        const diff_field *f;
        do
            f = any_field(r);
        while (f->json_num);
        int ne = !f->mv && diff_chance(r, 35);
        nonnum_value(r, f, v, sizeof v);
        cq_strbuf_addf(spl, "%s%s\"%s\"", f->where_name, ne ? "!=" : "=", v);
        snprintf(cond, sizeof cond, "v.val %s '%s'", ne ? "<>" : "=", v);
        sql_any(sql, f->name, cond);
    } else if (c < 75) {                                /* f OP number */
        static const int numeric[] = {F_N, F_NS, F_K};
        const diff_field *f = &diff_fields[numeric[diff_pick(r, 3)]];
        int o = diff_pick(r, 6);
        const char *n = nums[diff_pick(r, (int)(sizeof nums / sizeof nums[0]))];
        cq_strbuf_addf(spl, "%s%s%s", f->where_name, ops[o], n);
        cmp_cond(cond, sizeof cond, sqlops[o], n);
        sql_any(sql, f->name, cond);
    } else if (c < 87) {                                /* string order */
        const diff_field *f = &diff_fields[diff_chance(r, 50) ? F_S : F_U];
        int o = 2 + diff_pick(r, 4);
        nonnum_value(r, f, v, sizeof v);
        cq_strbuf_addf(spl, "%s%s\"%s\"", f->where_name, ops[o], v);
        snprintf(cond, sizeof cond, "v.val %s '%s'", sqlops[o], v);
        sql_any(sql, f->name, cond);
    } else {                                            /* like() */
        static const int likeable[] = {F_S, F_NS, F_U, F_K};
        const diff_field *f = &diff_fields[likeable[diff_pick(r, 4)]];
        const char *src = f->pool[diff_pick(r, f->n_pool)];
        char pat[128], glob[128];
        size_t n = strlen(src), i = (size_t)diff_pick(r, (int)n + 1);
        switch (diff_pick(r, 3)) {
        case 0: snprintf(pat, sizeof pat, "%.*s%%", (int)i, src); break;
        case 1: snprintf(pat, sizeof pat, "%%%s", src + i); break;
        default:
            snprintf(pat, sizeof pat, "%s", src);
            if (n)
                pat[i < n ? i : n - 1] = '_';
            break;
        }
        if (diff_chance(r, 20))
            flip_case(r, pat);
        size_t k = 0;
        for (const char *p = pat; *p && k + 1 < sizeof glob; p++)
            glob[k++] = *p == '%' ? '*' : *p == '_' ? '?' : *p;
        glob[k] = '\0';
        cq_strbuf_addf(spl, "like(%s, \"%s\")", f->where_name, pat);
        snprintf(cond, sizeof cond, "v.val GLOB '%s'", glob);
        sql_any(sql, f->name, cond);
    }
}

enum { W_OR = 1, W_AND = 2, W_NOT = 3, W_ATOM = 4 };

static int gen_wexpr(diff_rng *r, int depth, cq_strbuf *spl, cq_strbuf *sql)
{
    int c = depth >= 2 ? 0 : diff_pick(r, 10);
    if (c < 5) {
        gen_wleaf(r, spl, sql);
        return W_ATOM;
    }
    cq_strbuf cs = CQ_STRBUF_INIT, cq = CQ_STRBUF_INIT;
    if (c == 9) {
        int p = gen_wexpr(r, depth + 1, &cs, &cq);
        cq_strbuf_addf(spl, p < W_NOT ? "NOT (%s)" : "NOT %s", cq_strbuf_str(&cs));
        cq_strbuf_addf(sql, "NOT (%s)", cq_strbuf_str(&cq));
        cq_strbuf_free(&cs);
        cq_strbuf_free(&cq);
        return W_NOT;
    }
    int is_or = c >= 7, n = 2 + diff_pick(r, 2);
    cq_strbuf_adds(sql, "(");
    for (int i = 0; i < n; i++) {
        cq_strbuf_reset(&cs);
        cq_strbuf_reset(&cq);
        int p = gen_wexpr(r, depth + 1, &cs, &cq);
        if (i) {
            cq_strbuf_adds(spl, is_or ? " OR " : " AND ");
            cq_strbuf_adds(sql, is_or ? " OR " : " AND ");
        }
        /* AND binds tighter than OR: an OR under an AND needs parentheses */
        int paren = (!is_or && p < W_AND) || diff_chance(r, 10);
        cq_strbuf_addf(spl, paren ? "(%s)" : "%s", cq_strbuf_str(&cs));
        cq_strbuf_addf(sql, "(%s)", cq_strbuf_str(&cq));
    }
    cq_strbuf_adds(sql, ")");
    cq_strbuf_free(&cs);
    cq_strbuf_free(&cq);
    return is_or ? W_OR : W_AND;
}

/* ---- commands */

/* SQL for the value of field name of event e (a multivalue field: its
 * values joined by newlines, as cquery's CSV prints them). */
static void sql_cell(cq_strbuf *sql, const diff_field *f)
{
    if (f->mv)
        cq_strbuf_addf(sql, "(SELECT group_concat(val, char(10)) FROM (SELECT val FROM v WHERE "
                            "v.eid=e.eid AND v.f='%s' ORDER BY pos))", f->name);
    else
        cq_strbuf_addf(sql, "(SELECT val FROM v WHERE v.eid=e.eid AND v.f='%s')", f->name);
}

/* Picks 1..max distinct fields into out (single-valued only if single). */
static int pick_fields(diff_rng *r, int max, int single, const diff_field **out)
{
    int n = 1 + diff_pick(r, max);
    for (int i = 0; i < n; i++) {
        const diff_field *f;
        int dup;
        do {
            f = single ? single_field(r) : any_field(r);
            dup = 0;
            for (int j = 0; j < i; j++)
                dup |= out[j] == f;
        } while (dup);
        out[i] = f;
    }
    return n;
}

/* `| table id f...` and the matching SELECT list; order is the SQL's ORDER
 * BY (and LIMIT) clause. */
static void gen_table(diff_rng *r, diff_query *q, const char *where, const char *order)
{
    const diff_field *f[3];
    int n = pick_fields(r, 3, 0, f), ren = diff_chance(r, 15);
    if (ren)
        cq_strbuf_addf(&q->spl, " | rename %s AS renamed", f[0]->name);
    cq_strbuf_adds(&q->spl, " | table id");
    cq_strbuf_adds(&q->header, "id");
    cq_strbuf_adds(&q->sql, "SELECT e.id");
    for (int i = 0; i < n; i++) {
        const char *name = ren && i == 0 ? "renamed" : f[i]->name;
        cq_strbuf_addf(&q->spl, " %s", name);
        cq_strbuf_addf(&q->header, ",%s", name);
        cq_strbuf_adds(&q->sql, ", ");
        sql_cell(&q->sql, f[i]);
    }
    cq_strbuf_addf(&q->sql, " FROM ev e WHERE %s %s", where, order);
}

static void gen_stats(diff_rng *r, diff_query *q, const char *where)
{
    const diff_field *a = any_field(r), *b = single_field(r), *g = any_field(r);
    cq_strbuf *s = &q->sql;
    int post = diff_chance(r, 25);          /* | search count OP N afterwards */
    cq_strbuf_addf(s, "WITH sel AS (SELECT e.eid FROM ev e WHERE %s) ", where);
    switch (diff_pick(r, 7)) {
    case 0:                                             /* stats count */
        cq_strbuf_adds(&q->spl, " | stats count");
        cq_strbuf_adds(&q->header, "count");
        cq_strbuf_adds(s, "SELECT * FROM (SELECT count(*) AS c FROM sel)");
        break;
    case 1:                                             /* stats count [as c] by a */
        if (diff_chance(r, 30)) {
            /* `search count...` afterwards would then name a missing field */
            post = 0;
            cq_strbuf_addf(&q->spl, " | stats count AS events by %s", a->name);
            cq_strbuf_addf(&q->header, "%s,events", a->name);
        } else {
            cq_strbuf_addf(&q->spl, " | stats count by %s", a->name);
            cq_strbuf_addf(&q->header, "%s,count", a->name);
        }
        cq_strbuf_addf(s, ", g AS (SELECT DISTINCT v.val AS k, v.eid FROM v JOIN sel USING (eid) "
                          "WHERE v.f='%s') SELECT * FROM (SELECT k, count(*) AS c FROM g GROUP BY k)",
                       a->name);
        break;
    case 2:                                             /* stats count dc(g) by a */
        if (diff_chance(r, 50)) {
            cq_strbuf_addf(&q->spl, " | stats count dc(%s) by %s", g->name, a->name);
            cq_strbuf_addf(&q->header, "%s,count,dc(%s)", a->name, g->name);
            cq_strbuf_addf(s, ", g AS (SELECT DISTINCT v.val AS k, v.eid FROM v JOIN sel USING "
                              "(eid) WHERE v.f='%s') SELECT * FROM (SELECT k, count(*) AS c, "
                              "(SELECT count(DISTINCT x.val) FROM v x JOIN g g2 ON x.eid=g2.eid "
                              "WHERE g2.k=g.k AND x.f='%s') FROM g GROUP BY k)", a->name, g->name);
            break;
        }
        /* values(): distinct, sorted byte-wise, one cell of lines */
        cq_strbuf_addf(&q->spl, " | stats count values(%s) by %s", g->name, a->name);
        cq_strbuf_addf(&q->header, "%s,count,values(%s)", a->name, g->name);
        cq_strbuf_addf(s, ", g AS (SELECT DISTINCT v.val AS k, v.eid FROM v JOIN sel USING (eid) "
                          "WHERE v.f='%s') SELECT * FROM (SELECT k, count(*) AS c, (SELECT "
                          "group_concat(val, char(10)) FROM (SELECT DISTINCT x.val AS val FROM v x "
                          "JOIN g g2 ON x.eid=g2.eid WHERE g2.k=g.k AND x.f='%s' ORDER BY x.val)) "
                          "FROM g GROUP BY k)", a->name, g->name);
        break;
    case 3:                                             /* stats count by b, a */
        if (a == b)
            a = &diff_fields[F_TAGS] == b ? &diff_fields[F_S] : &diff_fields[F_TAGS];
        cq_strbuf_addf(&q->spl, " | stats count by %s,%s%s", b->name, diff_chance(r, 50) ? " " : "",
                       a->name);
        cq_strbuf_addf(&q->header, "%s,%s,count", b->name, a->name);
        cq_strbuf_addf(s, ", g AS (SELECT DISTINCT x.val AS k1, y.val AS k2, sel.eid FROM sel "
                          "JOIN v x ON x.eid=sel.eid AND x.f='%s' JOIN v y ON y.eid=sel.eid AND "
                          "y.f='%s') SELECT * FROM (SELECT k1, k2, count(*) AS c FROM g GROUP BY k1, k2)",
                       b->name, a->name);
        break;
    case 4:                                             /* fillnull, then by */
        cq_strbuf_addf(&q->spl, " | fillnull value=NONE %s | stats count by %s", b->name,
                       b->name);
        cq_strbuf_addf(&q->header, "%s,count", b->name);
        cq_strbuf_addf(s, ", g AS (SELECT coalesce((SELECT val FROM v WHERE v.eid=sel.eid AND "
                          "v.f='%s'), 'NONE') AS k FROM sel) SELECT * FROM (SELECT k, count(*) "
                          "AS c FROM g GROUP BY k)", b->name);
        break;
    case 5:                                             /* eval lower(), then by */
        cq_strbuf_addf(&q->spl, " | eval x=lower(%s) | stats count by x", b->where_name);
        cq_strbuf_adds(&q->header, "x,count");
        cq_strbuf_addf(s, ", g AS (SELECT lower(v.val) AS k FROM sel JOIN v USING (eid) WHERE "
                          "v.f='%s') SELECT * FROM (SELECT k, count(*) AS c FROM g GROUP BY k)",
                       b->name);
        break;
    default:                                            /* stats count(b) dc(g) */
        post = 0;
        cq_strbuf_addf(&q->spl, " | stats count(%s) dc(%s)", b->name, g->name);
        cq_strbuf_addf(&q->header, "count(%s),dc(%s)", b->name, g->name);
        cq_strbuf_addf(s, "SELECT (SELECT count(*) FROM sel JOIN v USING (eid) WHERE v.f='%s'), "
                          "(SELECT count(DISTINCT v.val) FROM sel JOIN v USING (eid) WHERE "
                          "v.f='%s')", b->name, g->name);
        break;
    }
    if (post) {                                         /* a numeric search on count */
        static const char *const ops[] = {">", ">=", "<", "<=", "="};
        int o = diff_pick(r, 5), n = diff_pick(r, 4) ? diff_pick(r, 60) : diff_pick(r, 1000);
        cq_strbuf_addf(&q->spl, " | search count%s%d", ops[o], n);
        cq_strbuf_addf(s, " WHERE c %s %d", ops[o], n);
    }
}

/* top/rare with limit=0 and no percent: the counts of stats count by, with
 * the by-fields first; the order of equal counts is not Splunk's contract,
 * so rows compare sorted. */
static void gen_top(diff_rng *r, diff_query *q, const char *where)
{
    const diff_field *f = any_field(r), *by = diff_chance(r, 40) ? single_field(r) : NULL;
    if (by == f)
        by = NULL;
    cq_strbuf *s = &q->sql;
    cq_strbuf_addf(&q->spl, " | %s limit=0 showperc=%s %s", diff_chance(r, 50) ? "top" : "rare",
                   diff_chance(r, 50) ? "f" : "false", f->name);
    cq_strbuf_addf(s, "WITH sel AS (SELECT e.eid FROM ev e WHERE %s) ", where);
    if (by) {
        cq_strbuf_addf(&q->spl, " by %s", by->name);
        cq_strbuf_addf(&q->header, "%s,%s,count", by->name, f->name);
        cq_strbuf_addf(s, ", g AS (SELECT DISTINCT x.val AS k1, y.val AS k2, sel.eid FROM sel "
                          "JOIN v x ON x.eid=sel.eid AND x.f='%s' JOIN v y ON y.eid=sel.eid AND "
                          "y.f='%s') SELECT k1, k2, count(*) FROM g GROUP BY k1, k2",
                       by->name, f->name);
    } else {
        cq_strbuf_addf(&q->header, "%s,count", f->name);
        cq_strbuf_addf(s, ", g AS (SELECT DISTINCT v.val AS k, v.eid FROM v JOIN sel USING (eid) "
                          "WHERE v.f='%s') SELECT k, count(*) FROM g GROUP BY k", f->name);
    }
}

/* WITH sel AS (...): the matching events with their values of f[] as
 * columns a0, a1 (text) and n0, n1 (number or NULL). */
static void sql_sel_cols(cq_strbuf *s, const diff_field **f, int n, const char *where)
{
    cq_strbuf_adds(s, "WITH sel AS (SELECT e.eid, e.t, e.id");
    for (int i = 0; i < n; i++)
        cq_strbuf_addf(s, ", (SELECT val FROM v WHERE v.eid=e.eid AND v.f='%s') AS a%d, "
                          "(SELECT num FROM v WHERE v.eid=e.eid AND v.f='%s') AS n%d",
                       f[i]->name, i, f[i]->name, i);
    cq_strbuf_addf(s, " FROM ev e WHERE %s) ", where);
}

static void gen_dedup(diff_rng *r, diff_query *q, const char *where)
{
    const diff_field *f[2];
    int n = pick_fields(r, 2, 1, f);
    int keep = diff_chance(r, 25) ? 2 + diff_pick(r, 3) : 1, keepempty = diff_chance(r, 20);
    cq_strbuf *s = &q->sql;
    sql_sel_cols(s, f, n, where);
    cq_strbuf_adds(&q->spl, " | dedup");
    if (keep > 1)
        cq_strbuf_addf(&q->spl, " %d", keep);
    cq_strbuf_adds(&q->header, "id");
    cq_strbuf_adds(s, "SELECT id");
    for (int i = 0; i < n; i++) {
        cq_strbuf_addf(&q->spl, " %s", f[i]->name);
        cq_strbuf_addf(&q->header, ",%s", f[i]->name);
        cq_strbuf_addf(s, ", a%d", i);
    }
    if (keepempty)
        cq_strbuf_adds(&q->spl, " keepempty=true");
    cq_strbuf_adds(&q->spl, " | table id");
    for (int i = 0; i < n; i++)
        cq_strbuf_addf(&q->spl, " %s", f[i]->name);
    /* the first `keep` events of each combination in result order; an event
     * without one of the fields is dropped, or kept as it is (keepempty) */
    cq_strbuf_adds(s, " FROM sel s WHERE (1");
    for (int i = 0; i < n; i++)
        cq_strbuf_addf(s, " AND a%d IS NOT NULL", i);
    cq_strbuf_adds(s, " AND (SELECT count(*) FROM sel s2 WHERE s2.t > s.t");
    for (int i = 0; i < n; i++)
        cq_strbuf_addf(s, " AND s2.a%d = s.a%d", i, i);
    cq_strbuf_addf(s, ") < %d)", keep);
    if (keepempty)
        for (int i = 0; i < n; i++)
            cq_strbuf_addf(s, " OR a%d IS NULL", i);
    cq_strbuf_adds(s, " ORDER BY t DESC");
}

static void gen_sort(diff_rng *r, diff_query *q, const char *where)
{
    const diff_field *f[2];
    int desc[2], n = pick_fields(r, 2, 1, f);
    int limit = 1 + diff_pick(r, 40), form = diff_pick(r, 3);
    cq_strbuf *s = &q->sql;
    sql_sel_cols(s, f, n, where);
    cq_strbuf_adds(&q->spl, " | sort ");
    if (form == 1)
        cq_strbuf_addf(&q->spl, "%d ", limit);
    else if (form == 2)
        cq_strbuf_adds(&q->spl, "0 ");
    for (int i = 0; i < n; i++) {
        desc[i] = diff_chance(r, 40);
        cq_strbuf_addf(&q->spl, "%s%s%s", i ? ", " : "",
                       desc[i] ? "-" : diff_chance(r, 20) ? "+" : "", f[i]->name);
    }
    if (form != 1)
        cq_strbuf_addf(&q->spl, " | head %d", limit);
    cq_strbuf_adds(&q->spl, " | table id");
    cq_strbuf_adds(&q->header, "id");
    cq_strbuf_adds(s, "SELECT id");
    for (int i = 0; i < n; i++) {
        cq_strbuf_addf(&q->spl, " %s", f[i]->name);
        cq_strbuf_addf(&q->header, ",%s", f[i]->name);
        cq_strbuf_addf(s, ", a%d", i);
    }
    /* missing last either way; numbers before strings (after them when
     * descending); then by number or by bytes; ties keep result order */
    cq_strbuf_adds(s, " FROM sel ORDER BY ");
    for (int i = 0; i < n; i++) {
        const char *d = desc[i] ? " DESC" : "";
        cq_strbuf_addf(s, "(a%d IS NULL), (n%d IS NULL)%s, n%d%s, "
                          "CASE WHEN n%d IS NULL THEN a%d END%s, ", i, i, d, i, d, i, i, d);
    }
    cq_strbuf_addf(s, "t DESC LIMIT %d", limit);
}

void diff_make_query(uint64_t seed, int qno, diff_query *q)
{
    diff_rng r = {seed * 0x100000001b3ULL ^ ((uint64_t)qno + 1) * 0x9e3779b97f4a7c15ULL};
    diff_next(&r);
    memset(q, 0, sizeof *q);
    cq_strbuf where = CQ_STRBUF_INIT;
    gen_search(&r, &q->spl, &where);
    int k = diff_pick(&r, 100);
    q->kind = k < 20 ? DIFF_TABLE : k < 42 ? DIFF_STATS : k < 55 ? DIFF_DEDUP
            : k < 72 ? DIFF_SORT : k < 85 ? DIFF_WHERE : k < 90 ? DIFF_HEAD
            : k < 96 ? DIFF_TOP : DIFF_TAIL;
    q->ordered = q->kind != DIFF_STATS && q->kind != DIFF_TOP;
    switch (q->kind) {
    case DIFF_TABLE:
        gen_table(&r, q, cq_strbuf_str(&where), "ORDER BY e.t DESC");
        break;
    case DIFF_STATS:
        gen_stats(&r, q, cq_strbuf_str(&where));
        break;
    case DIFF_DEDUP:
        gen_dedup(&r, q, cq_strbuf_str(&where));
        break;
    case DIFF_SORT:
        gen_sort(&r, q, cq_strbuf_str(&where));
        break;
    case DIFF_WHERE: {
        cq_strbuf ws = CQ_STRBUF_INIT, wq = CQ_STRBUF_INIT;
        gen_wexpr(&r, 0, &ws, &wq);
        cq_strbuf_addf(&q->spl, " | where %s", cq_strbuf_str(&ws));
        cq_strbuf_addf(&where, " AND (%s)", cq_strbuf_str(&wq));
        gen_table(&r, q, cq_strbuf_str(&where), "ORDER BY e.t DESC");
        cq_strbuf_free(&ws);
        cq_strbuf_free(&wq);
        break;
    }
    case DIFF_TOP:
        gen_top(&r, q, cq_strbuf_str(&where));
        break;
    case DIFF_TAIL: {
        /* tail: the last N results (the oldest), the last one first */
        char lim[32];
        int n = 1 + diff_pick(&r, 30);
        snprintf(lim, sizeof lim, "ORDER BY e.t ASC LIMIT %d", n);
        cq_strbuf_addf(&q->spl, " | tail %d", n);
        gen_table(&r, q, cq_strbuf_str(&where), lim);
        break;
    }
    default: {
        char lim[32];
        int n = 1 + diff_pick(&r, 30);
        snprintf(lim, sizeof lim, "ORDER BY e.t DESC LIMIT %d", n);
        cq_strbuf_addf(&q->spl, " | head %d", n);
        gen_table(&r, q, cq_strbuf_str(&where), lim);
        break;
    }
    }
    cq_strbuf_free(&where);
}

void diff_query_free(diff_query *q)
{
    cq_strbuf_free(&q->spl);
    cq_strbuf_free(&q->sql);
    cq_strbuf_free(&q->header);
}

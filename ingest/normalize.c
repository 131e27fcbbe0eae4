/*
 * normalize.c - applies sourcetypes.conf to records: format detection,
 * timestamps, and the [rule] stanzas that add the common fields (action,
 * command, user, src_ip, exec_command, ...).
 *
 * Every decision about what a log line means lives in the conf file; this
 * file only evaluates conditions and performs the few generic actions the
 * format offers (set, add, copy, urlparams, json, kv, drop).
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

#define MAX_RE_CONDS 32     /* regex conditions per rule whose groups are kept */

/* Match data is per thread (ingest parses on several): big enough for re. */
static _Thread_local pcre2_match_data *tl_md;
static _Thread_local uint32_t tl_pairs;

pcre2_match_data *cq_md_for(const pcre2_code *re)
{
    uint32_t n = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n);
    if (!tl_md || tl_pairs < n + 1) {
        if (tl_md)
            pcre2_match_data_free(tl_md);
        tl_pairs = n + 1 > 32 ? n + 1 : 32;
        tl_md = pcre2_match_data_create(tl_pairs, NULL);
    }
    return tl_md;
}

void cq_md_release(void)
{
    if (tl_md)
        pcre2_match_data_free(tl_md);
    tl_md = NULL;
    tl_pairs = 0;
}

static int name_eq(const cq_kv *kv, const char *name, size_t len)
{
    return kv->name_len == len && memcmp(kv->name, name, len) == 0;
}

static void remove_field(cq_record *r, const char *name)
{
    size_t len = strlen(name), j = 0;
    for (size_t i = 0; i < r->n_kv; i++)
        if (!name_eq(&r->kv[i], name, len))
            r->kv[j++] = r->kv[i];
    r->n_kv = j;
}

static int has_value(const cq_record *r, const char *name, const char *v, size_t vlen)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < r->n_kv; i++)
        if (name_eq(&r->kv[i], name, len) && r->kv[i].val_len == vlen &&
            memcmp(r->kv[i].val, v, vlen) == 0)
            return 1;
    return 0;
}

/* Does some value of k->field match k->re?  Sets *subj to the matching value. */
static int re_any(const cq_cond *k, const cq_record *r, const cq_kv **subj)
{
    size_t len = strlen(k->field);
    for (size_t i = 0; i < r->n_kv; i++) {
        if (!name_eq(&r->kv[i], k->field, len))
            continue;
        int rc = pcre2_match(k->re, (PCRE2_SPTR)r->kv[i].val, r->kv[i].val_len, 0,
                             PCRE2_NO_UTF_CHECK, cq_md_for(k->re), NULL);
        if (rc > 0) {
            *subj = &r->kv[i];
            return 1;
        }
    }
    return 0;
}

static int eq_any(const cq_cond *k, const cq_record *r, int *present)
{
    size_t len = strlen(k->field);
    *present = 0;
    for (size_t i = 0; i < r->n_kv; i++) {
        if (!name_eq(&r->kv[i], k->field, len))
            continue;
        *present = 1;
        for (size_t a = 0; a < k->n_alts; a++)
            if (strlen(k->alts[a]) == r->kv[i].val_len &&
                !memcmp(k->alts[a], r->kv[i].val, r->kv[i].val_len))
                return 1;
    }
    return 0;
}

static int cond_eval(const cq_cond *k, const cq_record *r, const cq_kv **subj)
{
    int present;
    switch (k->op) {
    case CQ_COND_EQ:
        return eq_any(k, r, &present);
    case CQ_COND_NE:
        return !eq_any(k, r, &present) && present;
    case CQ_COND_EXISTS:
        return cq_record_get(r, k->field) != NULL;
    case CQ_COND_MISSING:
        return cq_record_get(r, k->field) == NULL;
    case CQ_COND_RE:
        return re_any(k, r, subj);
    case CQ_COND_NRE:
        return !re_any(k, r, subj);
    }
    return 0;
}

int cq_cond_holds(const cq_conf *c, const cq_cond *cond, const cq_record *r)
{
    (void)c;
    const cq_kv *subj;
    return cond_eval(cond, r, &subj);
}

int cq_format_detect(const cq_conf *c, const cq_format *f, const cq_record *r)
{
    for (size_t i = 0; i < f->n_detects; i++) {
        size_t k = 0;
        while (k < f->detects[i].n_conds && cq_cond_holds(c, &f->detects[i].conds[k], r))
            k++;
        if (k == f->detects[i].n_conds)
            return 1;
    }
    return 0;
}

/* Epoch number with an optional fraction, in units of 10^-digits seconds. */
static int epoch_value(const char *s, size_t len, int unit_digits, int64_t *us)
{
    size_t i = 0;
    int neg = len && s[0] == '-';
    i += (size_t)neg;
    int64_t v = 0, frac_us = 0;
    if (i == len)
        return -1;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > INT64_MAX / 10 - 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        int64_t scale = 100000;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
            frac_us += (s[i] - '0') * scale;
    }
    if (i != len)
        return -1;
    /* v is in 10^-unit_digits s; convert to microseconds. */
    int64_t r;
    if (unit_digits <= 6) {
        int64_t mul = 1, div = 1;
        for (int d = unit_digits; d < 6; d++)
            mul *= 10;
        for (int d = 0; d < unit_digits; d++)
            div *= 10;
        if (v > INT64_MAX / mul)
            return -1;
        r = v * mul + frac_us / div;
    } else {
        r = v / 1000;
    }
    *us = neg ? -r : r;
    return 0;
}

int cq_time_value(const char *s, size_t len, int fmt, int64_t *us)
{
    switch (fmt) {
    case CQ_TF_EPOCH_S:
        return epoch_value(s, len, 0, us);
    case CQ_TF_EPOCH_MS:
        return epoch_value(s, len, 3, us);
    case CQ_TF_EPOCH_US:
        return epoch_value(s, len, 6, us);
    case CQ_TF_EPOCH_NS:
        return epoch_value(s, len, 9, us);
    default:
        return cq_time_parse_iso(s, len, us);
    }
}

int cq_format_time(const cq_format *f, const cq_record *r, int64_t *us)
{
    for (size_t i = 0; i < f->n_times; i++) {
        const cq_kv *kv = cq_record_get(r, f->times[i].field);
        if (kv && !cq_time_value(kv->val, kv->val_len, f->times[i].fmt, us))
            return 0;
    }
    return -1;
}

void cq_url_decode(cq_strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        const char *h1, *h2;
        if (s[i] == '+') {
            cq_strbuf_addc(sb, ' ');
        } else if (s[i] == '%' && i + 2 < len && s[i + 1] && s[i + 2] &&
                   (h1 = strchr(hex, s[i + 1] | 0x20)) && (h2 = strchr(hex, s[i + 2] | 0x20))) {
            cq_strbuf_addc(sb, (char)((h1 - hex) << 4 | (h2 - hex)));
            i += 2;
        } else {
            cq_strbuf_addc(sb, s[i]);
        }
    }
}

/* Expands $field$ references of tpl from r into sb; -1 when a field is absent. */
static int expand(const char *tpl, const cq_record *r, cq_strbuf *sb)
{
    cq_strbuf_reset(sb);
    for (const char *p = tpl; *p; p++) {
        if (*p != '$') {
            cq_strbuf_addc(sb, *p);
            continue;
        }
        const char *end = strchr(p + 1, '$');
        if (!end) {
            cq_strbuf_addc(sb, '$');
            continue;
        }
        if (end == p + 1) {
            cq_strbuf_addc(sb, '$');
        } else {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
            const cq_kv *kv = cq_record_get(r, name);
            if (!kv)
                return -1;
            cq_strbuf_add(sb, kv->val, kv->val_len);
        }
        p = end;
    }
    return 0;
}

/* copy: every value of the first present source field. */
static void act_copy(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    char name[256];
    for (const char *p = a->arg; *p; ) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *b = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (p == b)
            break;
        snprintf(name, sizeof name, "%.*s", (int)(p - b), b);
        size_t len = strlen(name), n = 0;
        /* Collect first: dst may be src, and adding may move src->kv. */
        cq_strbuf_reset(sb);
        for (size_t i = 0; i < src->n_kv; i++)
            if (name_eq(&src->kv[i], name, len)) {
                cq_strbuf_add(sb, &src->kv[i], sizeof src->kv[i]);
                n++;
            }
        if (!n)
            continue;
        cq_kv *vals = cq_xmalloc(n * sizeof *vals);
        memcpy(vals, sb->buf, n * sizeof *vals);
        remove_field(dst, a->dst);
        for (size_t i = 0; i < n; i++)
            cq_record_add(dst, a->dst, strlen(a->dst), vals[i].val, vals[i].val_len);
        free(vals);
        return;
    }
}

/* join: the values of field arg joined by spaces. */
static void act_join(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    size_t len = strlen(a->arg), n = 0;
    cq_strbuf_reset(sb);
    for (size_t i = 0; i < src->n_kv; i++)
        if (name_eq(&src->kv[i], a->arg, len)) {
            if (n++)
                cq_strbuf_addc(sb, ' ');
            cq_strbuf_add(sb, src->kv[i].val, src->kv[i].val_len);
        }
    if (n)
        cq_record_set(dst, a->dst, sb->buf, sb->len);
}

/* urlparams: the decoded values of query parameter arg2 of field arg. */
static void act_urlparams(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    const cq_kv *kv = cq_record_get(src, a->arg);
    if (!kv)
        return;
    const char *q = memchr(kv->val, '?', kv->val_len), *end = kv->val + kv->val_len;
    size_t plen = strlen(a->arg2), n = 0;
    cq_strbuf_reset(sb);
    for (const char *p = q ? q + 1 : end; p < end; ) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > plen && !memcmp(p, a->arg2, plen) && p[plen] == '=') {
            if (n++)
                cq_strbuf_addc(sb, ' ');
            cq_url_decode(sb, p + plen + 1, (size_t)(e - p - plen - 1));
        }
        p = e + 1;
    }
    if (n)
        cq_record_set(dst, a->dst, sb->buf, sb->len);
}

/* json: the values of key arg2 in the JSON object held by field arg. */
static void act_json(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    const cq_kv *kv = cq_record_get(src, a->arg);
    if (!kv)
        return;
    cq_record tmp;
    cq_record_init(&tmp);
    char err[160];
    if (!cq_json_flatten(kv->val, kv->val_len, "", &tmp, sb, err, sizeof err)) {
        size_t len = strlen(a->arg2), n = 0;
        cq_strbuf_reset(sb);
        for (size_t i = 0; i < tmp.n_kv; i++)
            if (name_eq(&tmp.kv[i], a->arg2, len)) {
                if (n++)
                    cq_strbuf_addc(sb, ' ');
                cq_strbuf_add(sb, tmp.kv[i].val, tmp.kv[i].val_len);
            }
        if (n)
            cq_record_set(dst, a->dst, sb->buf, sb->len);
    }
    cq_record_free(&tmp);
}

static void act_run(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    char err[160];
    const cq_kv *kv;
    switch (a->op) {
    case CQ_ACT_SET:
        if (!expand(a->arg, src, sb))
            cq_record_set(dst, a->dst, sb->len ? sb->buf : "", sb->len);
        break;
    case CQ_ACT_ADD:
        if (!expand(a->arg, src, sb) && !has_value(dst, a->dst, sb->len ? sb->buf : "", sb->len))
            cq_record_add(dst, a->dst, strlen(a->dst), sb->len ? sb->buf : "", sb->len);
        break;
    case CQ_ACT_COPY:
        act_copy(a, src, dst, sb);
        break;
    case CQ_ACT_JOIN:
        act_join(a, src, dst, sb);
        break;
    case CQ_ACT_URLPARAMS:
        act_urlparams(a, src, dst, sb);
        break;
    case CQ_ACT_JSON:
        act_json(a, src, dst, sb);
        break;
    case CQ_ACT_KV:
        if ((kv = cq_record_get(src, a->arg)))
            cq_kv_parse(kv->val, kv->val_len, dst, sb, err, sizeof err);
        break;
    case CQ_ACT_DROP:
        remove_field(dst, a->arg);
        break;
    }
}

/* Adds the named groups of regex condition k (matched against subj). */
static void add_groups(const cq_cond *k, const cq_kv *subj, cq_record *cur, cq_record *dst)
{
    uint32_t count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMECOUNT, &count);
    if (!count)
        return;
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMETABLE, &table);
    /* Match again: another condition may have reused nothing, but be exact. */
    pcre2_match_data *md = cq_md_for(k->re);
    if (pcre2_match(k->re, (PCRE2_SPTR)subj->val, subj->val_len, 0, PCRE2_NO_UTF_CHECK,
                    md, NULL) <= 0)
        return;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * entry;
        int g = (e[0] << 8) | e[1];
        const char *name = (const char *)e + 2;
        if (ov[2 * g] == PCRE2_UNSET)
            continue;
        cq_record *to = name[0] == '_' ? cur : dst;
        cq_record_set(to, name, subj->val + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
}

static int applies(const cq_rule *ru, const cq_record *r)
{
    if (!ru->n_sts)
        return 1;
    for (size_t i = 0; i < ru->n_sts; i++)
        if (r->sourcetype && (ru->sts[i] == r->sourcetype || !strcmp(ru->sts[i], r->sourcetype)))
            return 1;
    return 0;
}

/* Removes the scratch groups (names starting with '_') of k's regex from r. */
static void drop_scratch(const cq_cond *k, cq_record *r)
{
    uint32_t count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        const char *name = (const char *)table + (size_t)i * entry + 2;
        if (name[0] == '_')
            remove_field(r, name);
    }
}

/* The event a rule writes to: this one, or the previous one for `previous` rules. */
static cq_record *target(const cq_rule *ru, cq_record *r, cq_record *prev,
                         const unsigned char *prev_matched)
{
    if (!ru->n_prev)
        return r;
    if (!prev || !prev_matched)
        return NULL;
    for (size_t i = 0; i < ru->n_prev; i++)
        if (prev_matched[ru->prev[i]])
            return prev;
    return NULL;
}

void cq_normalize(const cq_conf *c, cq_record *r, unsigned char *matched,
                  cq_record *prev, const unsigned char *prev_matched,
                  cq_strbuf *scratch, int *prev_hit)
{
    cq_kv subj[MAX_RE_CONDS];   /* copies: adding fields may move r->kv */
    memset(matched, 0, c->n_rules);
    for (size_t i = 0; i < c->n_rules; i++) {
        const cq_rule *ru = &c->rules[i];
        cq_record *dst;
        if (!applies(ru, r))
            continue;
        if (ru->n_prev && !prev && prev_hit) {
            /* No previous event here: would the rule have written to one? */
            size_t k = 0;
            const cq_kv *sj;
            while (k < ru->n_conds && cond_eval(&ru->conds[k], r, &sj))
                k++;
            if (k == ru->n_conds)
                *prev_hit = 1;
            continue;
        }
        if (!(dst = target(ru, r, prev, prev_matched)))
            continue;
        size_t k = 0;
        for (; k < ru->n_conds; k++) {
            const cq_kv *sj = NULL;
            if (!cond_eval(&ru->conds[k], r, &sj))
                break;
            if (k < MAX_RE_CONDS && sj)
                subj[k] = *sj;
        }
        if (k < ru->n_conds)
            continue;
        matched[i] = 1;
        /* Groups are added after every condition held, so a failed rule adds nothing. */
        for (k = 0; k < ru->n_conds && k < MAX_RE_CONDS; k++)
            if (ru->conds[k].op == CQ_COND_RE)
                add_groups(&ru->conds[k], &subj[k], r, dst);
        for (size_t a = 0; a < ru->n_acts; a++)
            act_run(&ru->acts[a], r, dst, scratch);
        for (k = 0; k < ru->n_conds; k++)
            if (ru->conds[k].op == CQ_COND_RE)
                drop_scratch(&ru->conds[k], r);
    }
}

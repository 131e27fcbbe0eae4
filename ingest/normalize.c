/*
 * normalize.c - applies sourcetypes.conf to records: format detection,
 * timestamps, and the [rule] stanzas that add the common fields (action,
 * command, user, src_ip, exec_command, ...).
 *
 * Every decision about what a log line means lives in the conf file; this
 * file only evaluates conditions and performs the few generic actions the
 * format offers (set, add, copy, urlparams, json, kv, drop).  `after` rules
 * ask after.c whether an earlier event pairs with this one.
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
    while (j < r->n_kv && !name_eq(&r->kv[j], name, len))
        j++;                    /* usually absent: nothing to move */
    for (size_t i = j; i < r->n_kv; i++)
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

/* First field named name[0..len), or NULL (cq_record_get without strlen). */
static const cq_kv *get_n(const cq_record *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n_kv; i++)
        if (name_eq(&r->kv[i], name, len))
            return &r->kv[i];
    return NULL;
}

/*
 * The fields of one event indexed by the conf's interned names (the names
 * conditions test): head[slot] is the first field with that name, next[i]
 * the following one (-1 ends).  Built once per event and again only after a
 * rule changed the event, instead of scanning every field for every
 * condition.  Events with more fields than FIDX_MAX_KV, or a conf with more
 * names than FIDX_MAX_NAMES, are scanned as before.
 */
#define FIDX_MAX_KV 1024
#define FIDX_MAX_NAMES 512
#define FIDX_MAX_MEMO 512

typedef struct fidx {
    const cq_conf *c;
    const cq_record *r;
    int valid;              /* 1: matches r's fields; 0: check them (a rule ran) */
    int off;                /* r is too big, or c has too many names: scan */
    size_t n;               /* fields indexed: r->kv[0..n) */
    const char *last;       /* kv[n - 1].name when indexed (unique per add) */
    int32_t head[FIDX_MAX_NAMES], tail[FIDX_MAX_NAMES];
    int32_t next[FIDX_MAX_KV];
    /* Results of = / != tests (cq_cond.memo) while the fields stay as they
     * are: stamp << 2 | present << 1 | hit, valid when stamp matches. */
    size_t n_memo;          /* 0: no memo (one-off tests) */
    uint32_t stamp;
    uint32_t memo[FIDX_MAX_MEMO];
} fidx;

/* Indexes r->kv[x->n..n_kv), keeping each chain in field order. */
static void fidx_extend(fidx *x)
{
    const cq_record *r = x->r;
    for (size_t i = x->n; i < r->n_kv; i++) {
        const cq_kv *kv = &r->kv[i];
        x->next[i] = -1;
        if (!cq_conf_name_maybe(x->c, kv->name, kv->name_len))
            continue;
        int s = cq_conf_name_slot(x->c, kv->name, kv->name_len);
        if (s < 0)
            continue;
        if (x->head[s] < 0)
            x->head[s] = (int32_t)i;
        else
            x->next[x->tail[s]] = (int32_t)i;
        x->tail[s] = (int32_t)i;
    }
    x->n = r->n_kv;
    x->last = x->n ? r->kv[x->n - 1].name : NULL;
}

/* Brings the index up to date with r.  Rules only append fields and remove
 * them keeping the others in order, and every add copies its name, so a
 * removal among the indexed fields always changes which field is at n - 1:
 * if it is still there, the fields were only appended to and are added to
 * the index; anything else rebuilds it. */
static void fidx_build(fidx *x)
{
    const cq_record *r = x->r;
    x->valid = 1;
    x->off = r->n_kv > FIDX_MAX_KV || x->c->n_names > FIDX_MAX_NAMES;
    if (x->off)
        return;
    if (!x->n || x->n > r->n_kv || r->kv[x->n - 1].name != x->last) {
        for (size_t s = 0; s < x->c->n_names; s++)
            x->head[s] = -1;
        x->n = 0;
    }
    fidx_extend(x);
}

/* Index of the first field in slot, -1 when absent; -2: scan (x->off). */
static int32_t fidx_first(fidx *x, int slot)
{
    if (!x->valid)
        fidx_build(x);
    return x->off ? -2 : x->head[slot];
}

/* Calls through the fields named name[0..len) (slot: its conf slot):
 * i = first; i >= 0; i = next(i). */
#define FOR_NAME(x, slot, name, len, i)                                                     \
    for (int32_t i##_f = fidx_first(x, slot), i = i##_f == -2 ? 0 : i##_f;                  \
         i##_f == -2 ? (size_t)i < (x)->r->n_kv : i >= 0;                                   \
         i = i##_f == -2 ? i + 1 : (x)->next[i])                                            \
        if (i##_f != -2 || name_eq(&(x)->r->kv[i], name, len))

/* Calls through the fields k tests. */
#define FOR_FIELD(x, k, i) FOR_NAME(x, (k)->slot, (k)->field, (k)->field_len, i)

/* Does some value of k->field match k->re?  Sets *subj to the matching value. */
static int re_any(fidx *x, const cq_cond *k, const cq_kv **subj)
{
    const cq_record *r = x->r;
    FOR_FIELD(x, k, i) {
        int rc = pcre2_match(k->re, (PCRE2_SPTR)r->kv[i].val, r->kv[i].val_len, 0,
                             PCRE2_NO_UTF_CHECK, cq_md_for(k->re), NULL);
        if (rc > 0) {
            *subj = &r->kv[i];
            return 1;
        }
    }
    return 0;
}

static int eq_any(fidx *x, const cq_cond *k, int *present)
{
    const cq_record *r = x->r;
    *present = 0;
    FOR_FIELD(x, k, i) {
        *present = 1;
        for (size_t a = 0; a < k->n_alts; a++)
            if (k->alt_lens[a] == r->kv[i].val_len &&
                !memcmp(k->alts[a], r->kv[i].val, r->kv[i].val_len))
                return 1;
    }
    return 0;
}

/* eq_any, remembered for k's test until the event changes (x->stamp). */
static int eq_memo(fidx *x, const cq_cond *k, int *present)
{
    if (k->memo < 0 || (size_t)k->memo >= x->n_memo)
        return eq_any(x, k, present);
    uint32_t m = x->memo[k->memo];
    if (m >> 2 != x->stamp) {
        int hit = eq_any(x, k, present);
        m = x->stamp << 2 | (uint32_t)*present << 1 | (uint32_t)hit;
        x->memo[k->memo] = m;
    }
    *present = (int)(m >> 1 & 1);
    return (int)(m & 1);
}

static int exists(fidx *x, const cq_cond *k)
{
    FOR_FIELD(x, k, i)
        return 1;
    return 0;
}

static int cond_eval(fidx *x, const cq_cond *k, const cq_kv **subj)
{
    int present;
    switch (k->op) {
    case CQ_COND_EQ:
        return eq_memo(x, k, &present);
    case CQ_COND_NE:
        return !eq_memo(x, k, &present) && present;
    case CQ_COND_EXISTS:
        return exists(x, k);
    case CQ_COND_MISSING:
        return !exists(x, k);
    case CQ_COND_RE:
        return re_any(x, k, subj);
    case CQ_COND_NRE:
        return !re_any(x, k, subj);
    }
    return 0;
}

int cq_cond_holds(const cq_conf *c, const cq_cond *cond, const cq_record *r)
{
    fidx x;                     /* one test: scan (no index built) */
    x.c = c;
    x.r = r;
    x.valid = 1;
    x.off = 1;
    x.n_memo = 0;
    const cq_kv *subj;
    return cond_eval(&x, cond, &subj);
}

int cq_log_format_detect(const cq_conf *c, const cq_log_format *f, const cq_record *r)
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

int cq_log_format_time(const cq_log_format *f, const cq_record *r, int64_t *us)
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
            const cq_kv *kv = get_n(r, p + 1, (size_t)(end - p - 1));
            if (!kv)
                return -1;
            cq_strbuf_add(sb, kv->val, kv->val_len);
        }
        p = end;
    }
    return 0;
}

/* copy: every value of the first present source field.  x indexes src. */
static void act_copy(const cq_action *a, fidx *x, cq_record *dst, cq_strbuf *sb)
{
    const cq_record *src = x->r;
    for (size_t w = 0; w < a->n_srcs; w++) {
        const char *name = a->srcs[w];
        size_t len = strlen(name), n = 0;
        /* Collect first: dst may be src, and adding may move src->kv. */
        cq_strbuf_reset(sb);
        FOR_NAME(x, a->src_slots[w], name, len, i) {
            cq_strbuf_add(sb, &src->kv[i], sizeof src->kv[i]);
            n++;
        }
        if (!n)
            continue;
        /* Values stay put (the record's arena); only src->kv may move. */
        const cq_kv *vals = (const cq_kv *)(void *)sb->buf;
        size_t dlen = strlen(a->dst);
        /* The index (in sync: nothing changed since FOR_NAME) tells when
         * src has no dst to remove, the usual case. */
        if (dst != src || x->off || x->head[a->dst_slot] >= 0)
            remove_field(dst, a->dst);
        for (size_t i = 0; i < n; i++)
            cq_record_add(dst, a->dst, dlen, vals[i].val, vals[i].val_len);
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

/* copytree F = G: each field G.x (or G{}...) of src is also dst's F.x, so a
 * subtree keeps its shape under another name (GKE's protoPayload.request
 * is the requestObject of an audit event). */
static void act_copytree(const cq_action *a, cq_record *src, cq_record *dst, cq_strbuf *sb)
{
    size_t glen = strlen(a->arg), n = src->n_kv;
    for (size_t i = 0; i < n; i++) {
        const cq_kv *kv = &src->kv[i];  /* by index: dst may be src, and grow */
        if (kv->name_len <= glen || memcmp(kv->name, a->arg, glen) ||
            (kv->name[glen] != '.' && kv->name[glen] != '{'))
            continue;
        cq_strbuf_reset(sb);
        cq_strbuf_adds(sb, a->dst);
        cq_strbuf_add(sb, kv->name + glen, kv->name_len - glen);
        const char *v = kv->val;
        uint32_t vlen = kv->val_len;
        cq_record_add(dst, sb->buf, sb->len, v, vlen);
    }
}

/* x indexes src; an action that changes src leaves x to be checked again. */
static void act_run(const cq_action *a, fidx *x, cq_record *src, cq_record *dst,
                    cq_strbuf *sb)
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
        act_copy(a, x, dst, sb);
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
    case CQ_ACT_COPYTREE:
        act_copytree(a, src, dst, sb);
        break;
    }
}

void cq_set_groups(const pcre2_code *re, pcre2_match_data *md, const char *s, cq_record *r,
                   cq_record *scratch)
{
    uint32_t count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    if (!count)
        return;
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * entry;
        int g = (e[0] << 8) | e[1];
        const char *name = (const char *)e + 2;
        cq_record *to = name[0] == '_' ? scratch : r;
        if (to && ov[2 * g] != PCRE2_UNSET)
            cq_record_set(to, name, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
}

/* Adds the named groups of regex condition k (matched against subj). */
static void add_groups(const cq_cond *k, const cq_kv *subj, cq_record *cur, cq_record *dst)
{
    uint32_t count;
    pcre2_pattern_info(k->re, PCRE2_INFO_NAMECOUNT, &count);
    if (!count)
        return;
    /* Match again: another condition may have reused nothing, but be exact. */
    pcre2_match_data *md = cq_md_for(k->re);
    if (pcre2_match(k->re, (PCRE2_SPTR)subj->val, subj->val_len, 0, PCRE2_NO_UTF_CHECK,
                    md, NULL) > 0)
        cq_set_groups(k->re, md, subj->val, dst, cur);
}

/* Index of r's sourcetype in c->st_rules: its canonical name is usually the
 * conf's own pointer; n_sts when it has none the conf knows. */
static size_t st_group(const cq_conf *c, const char *st)
{
    if (!st)
        return c->n_sts;
    for (size_t i = 0; i < c->n_sts; i++)
        if (c->sts[i].name == st)
            return i;
    for (size_t i = 0; i < c->n_sts; i++)
        if (!strcmp(c->sts[i].name, st))
            return i;
    return c->n_sts;
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
                  cq_strbuf *scratch, int *prev_hit, cq_after *after)
{
    cq_kv subj[MAX_RE_CONDS];   /* copies: adding fields may move r->kv */
    fidx x;                     /* ~20 KB: set the header only, not the arrays */
    x.c = c;
    x.r = r;
    x.valid = 0;
    x.n = 0;
    x.n_memo = c->n_memo <= FIDX_MAX_MEMO ? c->n_memo : 0;
    x.stamp = 1;
    memset(x.memo, 0, x.n_memo * sizeof *x.memo);
    size_t g = st_group(c, r->sourcetype);
    const int *rules = c->st_rules[g];
    memset(matched, 0, c->n_rules);
    if (after)
        cq_after_see(after, c, r->time_us);
    for (size_t n = 0; n < c->n_st_rules[g]; n++) {
        size_t i = (size_t)rules[n];
        const cq_rule *ru = &c->rules[i];
        cq_record *dst;
        if (ru->n_prev && !prev && prev_hit) {
            /* No previous event here: would the rule have written to one? */
            size_t k = 0;
            const cq_kv *sj;
            while (k < ru->n_conds && cond_eval(&x, &ru->conds[k], &sj))
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
            if (!cond_eval(&x, &ru->conds[k], &sj))
                break;
            if (k < MAX_RE_CONDS && sj)
                subj[k] = *sj;
        }
        if (k < ru->n_conds)
            continue;
        /* Last, as it closes the earlier event it pairs r with. */
        if (ru->n_after && (!after || !cq_after_take(after, ru, r)))
            continue;
        matched[i] = 1;
        /* Groups are added after every condition held, so a failed rule adds nothing. */
        for (k = 0; k < ru->n_conds && k < MAX_RE_CONDS; k++)
            if (ru->conds[k].op == CQ_COND_RE)
                add_groups(&ru->conds[k], &subj[k], r, dst);
        for (size_t a = 0; a < ru->n_acts; a++) {
            x.valid = 0;        /* groups or earlier actions may have changed r */
            act_run(&ru->acts[a], &x, r, dst, scratch);
        }
        for (k = 0; k < ru->n_conds; k++)
            if (ru->conds[k].op == CQ_COND_RE)
                drop_scratch(&ru->conds[k], r);
        x.valid = 0;            /* the rule may have changed r's fields */
        x.stamp++;
    }
    if (after && c->n_after)
        cq_after_push(after, c, r, matched);
}

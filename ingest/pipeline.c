#define _GNU_SOURCE /* memmem */
/*
 * pipeline.c - the lines of one input into normalized records.
 *
 * A line that starts with '{' or '[' is JSON: one object per line, or a
 * document spread over several lines (kubectl -o json, EventList), or a list
 * whose items are the events.  Anything else is key=value text (logrus).
 * Each event is matched against the [format] stanzas of sourcetypes.conf
 * (the format of the previous event first, since files rarely mix), timed,
 * normalized, and given to the sink one event late: a `previous` rule (the
 * dockerd `form data:` line that completes its `Calling POST .../exec` line)
 * may still add fields to it.
 */
#include "ingest/ingest_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cq_pipe_init(cq_pipe *p, cq_ingest *g, const char *source, cq_ingest_sink sink, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->g = g;
    p->source = source;
    p->fmt = -1;
    p->sink = sink;
    p->sink_ctx = ctx;
    for (int i = 0; i < 2; i++) {
        cq_record_init(&p->rec[i]);
        p->matched[i] = cq_xcalloc(g->conf->n_rules + 1, 1);
    }
    p->per_st = cq_xcalloc(g->conf->n_sts + 1, sizeof *p->per_st);
    cq_record_init(&p->probe_rec);
    cq_record_init(&p->env);
    cq_after_init(&p->after, g->conf);
}

void cq_pipe_free(cq_pipe *p)
{
    for (int i = 0; i < 2; i++) {
        cq_record_free(&p->rec[i]);
        free(p->matched[i]);
    }
    free(p->per_st);
    cq_record_free(&p->probe_rec);
    cq_record_free(&p->env);
    cq_after_free(&p->after);
    cq_strbuf_free(&p->scratch);
    cq_strbuf_free(&p->scratch2);
    cq_strbuf_free(&p->doc);
    cq_strbuf_free(&p->msgs);
    cq_strbuf_free(&p->fix);
}

void cq_pipe_malformed(cq_pipe *p, unsigned long long line_no, const char *fmt, ...)
{
    cq_ingest *g = p->g;
    p->n_malformed++;
    if (p->defer) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        uint64_t ln = line_no;
        uint32_t len = n < 0 ? 0 : n >= (int)sizeof msg ? (uint32_t)sizeof msg - 1 : (uint32_t)n;
        cq_strbuf_add(&p->msgs, &ln, sizeof ln);
        cq_strbuf_add(&p->msgs, &len, sizeof len);
        cq_strbuf_add(&p->msgs, msg, len);
        return;
    }
    g->st.n_malformed++;
    if (!g->o.err || (!g->o.verbose && g->n_shown >= CQ_SHOW_MALFORMED))
        return;
    g->n_shown++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(g->o.err, "%s:%llu: ", p->source, p->base + line_no);
    vfprintf(g->o.err, fmt, ap);
    fputc('\n', g->o.err);
    va_end(ap);
}

void cq_pipe_flush_msgs(cq_pipe *p)
{
    cq_ingest *g = p->g;
    if (!p->msgs.len)
        return;     /* msgs.buf is NULL until the first message (NULL + 0 is UB) */
    const char *m = p->msgs.buf, *end = m + p->msgs.len;
    while (m < end) {
        uint64_t ln;
        uint32_t len;
        memcpy(&ln, m, sizeof ln);
        memcpy(&len, m + sizeof ln, sizeof len);
        const char *text = m + sizeof ln + sizeof len;
        g->st.n_malformed++;
        if (g->o.err && (g->o.verbose || g->n_shown < CQ_SHOW_MALFORMED)) {
            g->n_shown++;
            fprintf(g->o.err, "%s:%llu: %.*s\n", p->source, p->base + ln, (int)len, text);
        }
        m = text + len;
    }
    cq_strbuf_reset(&p->msgs);
}

void cq_pipe_emit_prev(cq_pipe *p)
{
    if (!p->have_prev)
        return;
    p->have_prev = 0;
    cq_record *r = &p->rec[!p->cur];
    if (!p->failed && p->sink(p->sink_ctx, r))
        p->failed = 1;
    int st = r->sourcetype ? cq_conf_find_st(p->g->conf, r->sourcetype) : -1;
    p->per_st[st < 0 ? p->g->conf->n_sts : (size_t)st]++;
    p->n_records++;
}

static const char *st_name(const cq_pipe *p, const cq_log_format *f)
{
    if (p->g->forced_name)
        return p->g->forced_name;
    return f ? p->g->conf->sts[f->st].name : NULL;
}

/* The current event is parsed: time, host, rules, then it waits for the next. */
/* Returns 1 (and reports the line as malformed) when the event has more
 * values than CQ_MAX_RECORD_VALUES: under the line limit, 8 lines of 715k
 * JSON keys each took 7.6 GB on their way into column blocks. */
static int too_many_values(cq_pipe *p, const cq_record *r, unsigned long long line_no)
{
    if (r->n_kv <= CQ_MAX_RECORD_VALUES)
        return 0;
    cq_pipe_malformed(p, line_no, "more than %d fields and values in one event",
                      CQ_MAX_RECORD_VALUES);
    return 1;
}

/* Returns 1 when the event was malformed after all (too many values). */
static int finish_event(cq_pipe *p, const cq_log_format *f, const char *raw, size_t raw_len,
                        unsigned long long line_no)
{
    cq_ingest *g = p->g;
    cq_record *r = &p->rec[p->cur];
    char err[160];
    (void)g;
    r->sourcetype = st_name(p, f);
    r->source = p->source;
    if (f && f->kv_field) {
        const cq_kv *kv = cq_record_get(r, f->kv_field);
        if (kv)                         /* not logfmt: keep the message as it is */
            cq_kv_parse(kv->val, kv->val_len, r, &p->scratch2, err, sizeof err);
    }
    if (too_many_values(p, r, line_no))
        return 1;
    if (f && f->host) {
        const cq_kv *kv = cq_record_get(r, f->host);
        /* A C string, and values may point into _raw: copied. */
        r->host = kv ? cq_arena_strndup(&r->arena, kv->val, kv->val_len) : NULL;
    }
    if (!f || cq_log_format_time(f, r, &r->time_us)) {
        r->time_us = CQ_TIME_NONE;      /* the writer gives it the ingest time: say so */
        if (!p->n_no_time++)
            p->no_time_first = p->base + line_no;
    }
    if (r->raw != raw)                  /* JSON events have theirs already */
        cq_record_set_raw(r, raw, raw_len);
    int *hit = p->first_finished ? NULL : &p->first_prev_hit;
    p->first_finished = 1;
    cq_normalize(g->conf, r, p->matched[p->cur], p->have_prev ? &p->rec[!p->cur] : NULL,
                 p->matched[!p->cur], &p->scratch, hit, &p->after);
    cq_pipe_emit_prev(p);
    p->cur = !p->cur;
    p->have_prev = 1;
    return 0;
}

/* Picks the format of r among formats of `type`: the last one used first. */
static const cq_log_format *pick_format(cq_pipe *p, int type, const cq_record *r)
{
    const cq_conf *c = p->g->conf;
    if (p->fmt >= 0 && c->fmts[p->fmt].type == type && cq_log_format_detect(c, &c->fmts[p->fmt], r))
        return &c->fmts[p->fmt];
    for (size_t i = 0; i < c->n_fmts; i++) {
        const cq_log_format *f = &c->fmts[i];
        if (f->type != type || f->split || (p->g->forced_st >= 0 && f->st != p->g->forced_st))
            continue;               /* a split format takes documents (split_doc), not events */
        if (cq_log_format_detect(c, f, r)) {
            if (!p->probe_done) {
                p->probe_done = 1;
                p->first_type = type;
                p->first_fmt = (int)i;
                p->first_mask = 0;
                for (size_t k = i; k < c->n_fmts && k < 64; k++)
                    if (c->fmts[k].type == type && !c->fmts[k].split &&
                        cq_log_format_detect(c, &c->fmts[k], r))
                        p->first_mask |= 1ull << k;
            }
            p->fmt = (int)i;
            return f;
        }
    }
    return NULL;
}

/* The format of an event inside an envelope (fields r->kv[base..]), among
 * the JSON formats not in `used` (the envelopes around it), in file order.
 * The pipe's last format and its first-pick probe stay the outermost's. */
static const cq_log_format *pick_inner(const cq_pipe *p, const cq_record *r, size_t base,
                                       uint64_t used)
{
    const cq_conf *c = p->g->conf;
    cq_record view = *r;            /* read-only: only the inner event's fields */
    view.kv = r->kv + base;
    view.n_kv = r->n_kv - base;
    for (size_t i = 0; i < c->n_fmts; i++) {
        const cq_log_format *f = &c->fmts[i];
        if (f->type != CQ_FMT_JSON || f->split || (used >> i & 1) ||
            (p->g->forced_st >= 0 && f->st != p->g->forced_st))
            continue;
        if (cq_log_format_detect(c, f, &view))
            return f;
    }
    return NULL;
}

/* Any format of the forced sourcetype with this type, for events that fit none. */
static const cq_log_format *forced_format(const cq_pipe *p, int type)
{
    const cq_conf *c = p->g->conf;
    for (size_t i = 0; i < c->n_fmts; i++)
        if (c->fmts[i].type == type && c->fmts[i].st == p->g->forced_st)
            return &c->fmts[i];
    return NULL;
}

/* Flattens the JSON object s into the current event (reset first), its
 * _raw s; bad UTF-8 is repaired.  Returns 0, or 1 when reported malformed. */
static int flatten_event(cq_pipe *p, const char *s, size_t len, unsigned long long line_no,
                         size_t *raw_len)
{
    cq_record *r = &p->rec[p->cur];
    char err[200];
    cq_record_reset(r);
    cq_record_set_raw(r, s, len);
    *raw_len = len;
    if (!cq_json_flatten_raw(r, &p->scratch, err, sizeof err))
        return 0;
    /* Invalid UTF-8 or a lone surrogate must not cost the event: retry
     * with them replaced (only on failure, so valid text pays nothing). */
    size_t n_fixed = cq_json_repair(s, len, &p->fix);
    cq_record_reset(r);
    if (n_fixed) {
        *raw_len = p->fix.len;
        cq_record_set_raw(r, p->fix.buf, p->fix.len);
    }
    if (!n_fixed || cq_json_flatten_raw(r, &p->scratch, err, sizeof err)) {
        cq_pipe_malformed(p, line_no, "%s", err);
        return 1;
    }
    p->n_fixed_events++;
    p->n_fixed += n_fixed;
    return 0;
}

/* Fields F.x of an object-valued unwrap field F become x, moved after the
 * others (the inner event's fields come last, where pick_inner looks). */
static size_t lift_object(cq_record *r, const char *field)
{
    size_t flen = strlen(field), n = 0, k = 0;
    cq_kv *in = cq_xmalloc((r->n_kv + 1) * sizeof *in);
    for (size_t i = 0; i < r->n_kv; i++) {
        cq_kv *kv = &r->kv[i];
        if (kv->name_len > flen + 1 && !memcmp(kv->name, field, flen) && kv->name[flen] == '.') {
            in[n] = *kv;
            in[n].name += flen + 1;
            in[n++].name_len -= (uint32_t)flen + 1;
        } else {
            r->kv[k++] = *kv;
        }
    }
    memcpy(r->kv + k, in, n * sizeof *in);
    free(in);
    return k;
}

/*
 * f's unwrap field of the current event holds the inner event: its fields
 * are added after the envelope's, and *base is where they start.  Returns
 * 0; 1 when the field holds no JSON object (f does not apply after all);
 * -1 when the event was reported malformed.
 */
static int unwrap_event(cq_pipe *p, const cq_log_format *f, unsigned long long line_no,
                        size_t *base)
{
    cq_record *r = &p->rec[p->cur];
    const cq_kv *kv = cq_record_get(r, f->unwrap);
    char err[200];
    if (!kv) {                      /* an object: its fields are there, named F.x */
        size_t k = lift_object(r, f->unwrap);
        if (k == r->n_kv)
            return 1;
        *base = k;
        return 0;
    }
    size_t i = 0;
    while (i < kv->val_len && strchr(" \t\r\n", kv->val[i]))
        i++;
    if (i == kv->val_len || kv->val[i] != '{')
        return 1;                   /* text, not an event: not this format */
    size_t max = p->g->conf->max_unwrap ? p->g->conf->max_unwrap : p->g->conf->max_line;
    if (kv->val_len > max) {
        cq_pipe_malformed(p, line_no, "the event in %s ([format %s]) is longer than %zu bytes "
                          "(max_unwrap_bytes)", f->unwrap, f->name, max);
        return -1;
    }
    *base = r->n_kv;
    /* kv's value lives in the record's arena or _raw, which adding fields
     * does not move; the kv array itself may move, so keep the value. */
    const char *v = kv->val;
    size_t vlen = kv->val_len;
    if (cq_json_flatten(v, vlen, "", r, &p->scratch, err, sizeof err)) {
        cq_pipe_malformed(p, line_no, "the event in %s ([format %s]): %s", f->unwrap, f->name, err);
        return -1;
    }
    return 0;
}

/* Adds the fields of the document around a split element. */
static void add_env(cq_pipe *p)
{
    cq_record *r = &p->rec[p->cur];
    for (size_t i = 0; p->has_env && i < p->env.n_kv; i++)
        cq_record_add(r, p->env.kv[i].name, p->env.kv[i].name_len, p->env.kv[i].val,
                      p->env.kv[i].val_len);
}

/* One JSON object: an event, or an envelope around one.  Returns 1 if malformed. */
static int json_event(cq_pipe *p, const char *s, size_t len, unsigned long long line_no)
{
    size_t raw_len;
    if (flatten_event(p, s, len, line_no, &raw_len))
        return 1;
    add_env(p);
    cq_record *r = &p->rec[p->cur];
    const cq_log_format *f = pick_format(p, CQ_FMT_JSON, r), *outer = NULL;
    uint64_t used = 0;
    size_t base = 0;
    int depth = 0;
    while (f && f->unwrap) {
        size_t nb = base;
        int rc = unwrap_event(p, f, line_no, &nb);
        if (rc < 0)
            return 1;
        used |= 1ull << (f - p->g->conf->fmts);
        if (rc == 0) {
            if (++depth > CQ_MAX_ENVELOPES) {
                cq_pipe_malformed(p, line_no, "envelopes nested more than %d deep (unwrap of "
                                  "[format %s])", CQ_MAX_ENVELOPES, f->name);
                return 1;
            }
            base = nb;
            outer = f;
        }
        f = pick_inner(p, r, base, used);
        if (!f && rc == 0) {
            cq_pipe_malformed(p, line_no, "unknown format: the JSON object in %s ([format %s]) "
                              "is one no [format] of sourcetypes.conf detects",
                              outer->unwrap, outer->name);
            return 1;
        }
    }
    if (too_many_values(p, r, line_no))
        return 1;
    if (!f && p->g->forced_st < 0) {
        cq_pipe_malformed(p, line_no, "unknown format: a JSON object that no [format] of "
                                      "sourcetypes.conf detects");
        return 1;
    }
    return finish_event(p, f ? f : forced_format(p, CQ_FMT_JSON), r->raw, raw_len, line_no);
}

typedef struct item_ctx {
    cq_pipe *p;
    unsigned long long line_no;
    int bad;
} item_ctx;

static void list_item(void *ctx, const char *item, size_t len)
{
    item_ctx *ic = ctx;
    ic->bad |= json_event(ic->p, item, len, ic->line_no);
}

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Does s[0..len) contain "items" (with its quotes)?  memmem, but 16
 * positions at a time: a '"' with 'i' after it and '"' six bytes on. */
static int has_items_key(const char *s, size_t len)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), ci = _mm_set1_epi8('i');
    for (; i + 16 + 6 <= len; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 6));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(b, ci)), _mm_cmpeq_epi8(c, q)));
        for (; m; m &= m - 1)
            if (!memcmp(s + i + __builtin_ctz(m), "\"items\"", 7))
                return 1;
    }
#endif
    return len - i >= 7 && memmem(s + i, len - i, "\"items\"", 7) != NULL;
}

/* Does s[0..len) contain "name" (with its quotes)? */
static int has_key(const char *s, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (const char *q = s, *end = s + len; (q = memmem(q, (size_t)(end - q), name, n)); q += n)
        if (q > s && q[-1] == '"' && q + n < end && q[n] == '"')
            return 1;
    return 0;
}

/*
 * A document that a format's `split` member holds the events of: the
 * document's other members (its envelope) are detected with the format's
 * detect lines and added to each element's event.  Returns -1 when no split
 * format takes s, else the number of bad elements (0 or more) or 1 when the
 * envelope itself was reported.
 */
static int split_doc(cq_pipe *p, const char *s, size_t len, unsigned long long line_no)
{
    const cq_conf *c = p->g->conf;
    char err[200];
    for (size_t i = 0; i < c->n_fmts; i++) {
        const cq_log_format *f = &c->fmts[i];
        if (!f->split || (p->g->forced_st >= 0 && f->st != p->g->forced_st) ||
            !has_key(s, len, f->split))
            continue;
        cq_record_reset(&p->env);
        if (cq_json_flatten_skip(s, len, f->split, &p->env, &p->scratch, err, sizeof err))
            return -1;              /* not valid JSON: the caller reports it */
        if (f->n_detects && !cq_log_format_detect(c, f, &p->env))
            continue;
        if (p->env.n_kv > CQ_MAX_RECORD_VALUES) {
            cq_pipe_malformed(p, line_no, "more than %d fields and values around the %s "
                              "of [format %s]", CQ_MAX_RECORD_VALUES, f->split, f->name);
            return 1;
        }
        item_ctx ic = {p, line_no, 0};
        p->has_env = 1;
        long n = cq_json_member_items(s, len, f->split, list_item, &ic);
        p->has_env = 0;
        if (n >= 0)
            return ic.bad;
    }
    return -1;
}

/* A whole JSON text: a list of events, or one event. */
static int json_doc(cq_pipe *p, const char *s, size_t len, unsigned long long line_no)
{
    item_ctx ic = {p, line_no, 0};
    int bad = split_doc(p, s, len, line_no);
    if (bad >= 0)
        return bad;
    /* Only list documents mention "items" (or start with '['): skip the pre-scan otherwise. */
    int maybe_list = len && (s[0] == '[' || has_items_key(s, len));
    if (maybe_list && cq_json_list_items(s, len, list_item, &ic) >= 0)
        return ic.bad;
    return json_event(p, s, len, line_no);
}

/* Bytes of the format's `strip` prefix at the start of s (0: none); its
 * named groups are added to r. */
static size_t strip_len(const cq_log_format *f, const char *s, size_t len, cq_record *r)
{
    if (!f->strip.re)
        return 0;
    pcre2_match_data *md = cq_md_for(f->strip.re);
    if (pcre2_match(f->strip.re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, NULL) <= 0)
        return 0;
    cq_set_groups(f->strip.re, md, s, r, NULL);     /* a format has no use for scratch */
    return pcre2_get_ovector_pointer(md)[1];
}

/* First kv pick of the pipe: which kv formats would have taken the line. */
static void probe_kv(cq_pipe *p, int chosen, const char *s, size_t len)
{
    const cq_conf *c = p->g->conf;
    char err[160];
    p->probe_done = 1;
    p->first_type = CQ_FMT_KV;
    p->first_fmt = chosen;
    p->first_mask = 0;
    for (size_t k = 0; k < c->n_fmts && k < 64; k++) {
        const cq_log_format *f = &c->fmts[k];
        if (f->type != CQ_FMT_KV || (p->g->forced_st >= 0 && f->st != p->g->forced_st))
            continue;
        cq_record_reset(&p->probe_rec);
        size_t off = strip_len(f, s, len, &p->probe_rec);
        if (!cq_kv_parse(s + off, len - off, &p->probe_rec, &p->scratch2, err, sizeof err) &&
            (cq_log_format_detect(c, f, &p->probe_rec) || p->g->forced_st >= 0))
            p->first_mask |= 1ull << k;
    }
}

static void count_fixed(cq_pipe *p, size_t n_fixed)
{
    p->n_fixed_events += n_fixed > 0;
    p->n_fixed += n_fixed;
}

/* Key=value text: strip the prefix, split pairs, detect. */
static int kv_line(cq_pipe *p, const char *s, size_t len)
{
    const cq_conf *c = p->g->conf;
    cq_record *r = &p->rec[p->cur];
    char err[160] = "", kverr[160];
    int parsed = 0;
    size_t n_fixed = 0;
    if (!cq_utf8_valid(s, len)) {       /* kept, the bad bytes replaced */
        n_fixed = cq_utf8_repair(s, len, &p->fix);
        s = p->fix.buf;
        len = p->fix.len;
    }
    int first = p->fmt >= 0 && c->fmts[p->fmt].type == CQ_FMT_KV ? p->fmt : -1;
    for (int i = first >= 0 ? -1 : 0; i < (int)c->n_fmts; i++) {
        int fi = i < 0 ? first : i;
        const cq_log_format *f = &c->fmts[fi];
        if (f->type != CQ_FMT_KV || (i >= 0 && fi == first) ||
            (p->g->forced_st >= 0 && f->st != p->g->forced_st))
            continue;
        cq_record_reset(r);
        size_t off = strip_len(f, s, len, r);
        if (cq_kv_parse(s + off, len - off, r, &p->scratch, kverr, sizeof kverr)) {
            if (strncmp(kverr, "no key", 6))
                snprintf(err, sizeof err, "%s", kverr);   /* a kv line, but broken */
            continue;
        }
        parsed = 1;
        if (cq_log_format_detect(c, f, r) || p->g->forced_st >= 0) {
            if (!p->probe_done)
                probe_kv(p, fi, s, len);
            p->fmt = fi;
            count_fixed(p, n_fixed);
            return finish_event(p, f, s, len, p->line_no);
        }
    }
    if (p->g->forced_st >= 0) {             /* forced: keep the line, without fields */
        cq_record_reset(r);
        count_fixed(p, n_fixed);
        return finish_event(p, NULL, s, len, p->line_no);
    }
    cq_pipe_malformed(p, p->line_no, "%s", err[0] ? err
                      : parsed ? "unknown format: key=value text that no [format] of "
                                 "sourcetypes.conf detects"
                               : "unknown format: neither JSON nor key=value text");
    return 1;
}

/* A line inside a multi-line JSON document.  Returns 1 if it ended malformed. */
static int doc_line(cq_pipe *p, const char *s, size_t len)
{
    cq_ingest *g = p->g;
    if (p->in_doc == 1 && p->doc.len + len + 1 > g->conf->max_line) {
        cq_pipe_malformed(p, p->doc_line, "JSON document longer than %zu bytes",
                          g->conf->max_line);
        cq_strbuf_reset(&p->doc);
        p->in_doc = 2;                  /* reported: only track its depth to its end */
    }
    if (p->in_doc == 1) {
        cq_strbuf_add(&p->doc, s, len);
        cq_strbuf_addc(&p->doc, '\n');
    }
    cq_json_depth_feed(&p->depth, s, len);
    if (p->depth.depth > 0)
        return 0;
    int bad = p->in_doc == 1 ? json_doc(p, p->doc.buf, p->doc.len, p->doc_line) : 0;
    p->in_doc = 0;
    cq_strbuf_reset(&p->doc);
    return bad;
}

int cq_pipe_line(cq_pipe *p, const char *s, size_t len)
{
    p->line_no++;
    if (len && s[len - 1] == '\r')
        len--;
    if (p->in_doc) {
        /* A new document at column 0 while one is open: the open one was cut short. */
        if (len && s[0] == '{') {
            cq_pipe_malformed(p, p->doc_line, "truncated JSON document");
            p->in_doc = 0;
            cq_strbuf_reset(&p->doc);
        } else {
            return doc_line(p, s, len);
        }
    }
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == len)
        return 0;                       /* blank lines are not events */
    if (memchr(s, '\0', len)) {        /* no log format writes NUL; even a forced one */
        cq_pipe_malformed(p, p->line_no, "NUL byte in the line");
        return 1;
    }
    if (s[i] != '{' && s[i] != '[')
        return kv_line(p, s, len);
    /* A one-line document ends with its closing bracket: parse it without a depth pass. */
    size_t e = len;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    if (s[e - 1] == '}' || s[e - 1] == ']')
        return json_doc(p, s + i, len - i, p->line_no);
    memset(&p->depth, 0, sizeof p->depth);
    cq_json_depth_feed(&p->depth, s + i, len - i);
    if (p->depth.depth > 0) {           /* the document continues on the next lines */
        p->in_doc = 1;
        p->doc_line = p->line_no;
        cq_strbuf_reset(&p->doc);
        cq_strbuf_add(&p->doc, s + i, len - i);
        cq_strbuf_addc(&p->doc, '\n');
        return 0;
    }
    return json_doc(p, s + i, len - i, p->line_no);
}

void cq_pipe_finish(cq_pipe *p)
{
    if (p->in_doc) {
        cq_pipe_malformed(p, p->doc_line, "truncated JSON document at end of input");
        p->in_doc = 0;
        cq_strbuf_reset(&p->doc);
    }
    cq_pipe_emit_prev(p);
}

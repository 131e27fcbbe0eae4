/*
 * flatten.c - JSON text straight into Splunk-style fields.
 *
 * A small recursive-descent parser that emits (name, value) pairs while it
 * reads, instead of building a tree and walking it (jansson's tree costs
 * about as much as the whole ingest budget).  Names follow Splunk's automatic
 * JSON extraction: nested keys joined with ".", array elements marked "{}"
 * (so an array of scalars is one multivalue field, user.groups{}); numbers
 * are kept as written, true/false as those words; null and empty containers
 * add nothing.  Strings are unescaped and checked to be valid UTF-8.
 * It does not know about any log format.
 */
#include "ingest/ingest_int.h"

#include <stdarg.h>
#include <string.h>

#define MAX_DEPTH 256

typedef struct jp {
    const char *p, *end, *start;
    cq_record *r;           /* NULL: validate and skip only */
    cq_strbuf *name;        /* the current field name */
    cq_strbuf val;          /* unescaped string value */
    char *err;
    size_t errlen;
    int failed;
    int ref;                /* the text is the record's own _raw: values point into it */
    const char *skip;       /* a top-level member left out (cq_json_flatten_skip), or NULL */
} jp;

/* One field: values taken from the text are referenced when it is _raw. */
static void emit(jp *j, size_t name_len, const char *v, size_t n, int from_text)
{
    if (from_text && j->ref)
        cq_record_add_ref(j->r, j->name->buf, name_len, v, n);
    else
        cq_record_add(j->r, j->name->buf, name_len, v, n);
}

static int fail(jp *j, const char *fmt, ...)
{
    if (!j->failed) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (j->err)
            snprintf(j->err, j->errlen, "invalid JSON at byte %zu: %s",
                     (size_t)(j->p - j->start) + 1, msg);
        j->failed = 1;
    }
    return -1;
}

static void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* Length of the UTF-8 sequence at p (first byte >= 0x80), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

int cq_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_seq(p, end);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD in UTF-8 */

size_t cq_utf8_repair(const char *s, size_t len, cq_strbuf *out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t n_bad = 0;
    cq_strbuf_reset(out);
    while (p < end) {
        size_t n = *p < 0x80 ? 1 : utf8_seq(p, end);
        if (n) {
            cq_strbuf_add(out, (const char *)p, n);
            p += n;
        } else {
            cq_strbuf_add(out, REPLACEMENT, 3);
            p++;
            n_bad++;
        }
    }
    return n_bad;
}

/* The value of the 4 hex digits at p, or -1. */
static long hex4_at(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (c | 0x20) - 'a' + 10;
        else
            return -1;
    }
    return v;
}

size_t cq_json_repair(const char *s, size_t len, cq_strbuf *out)
{
    cq_strbuf bytes = CQ_STRBUF_INIT;
    size_t n_bad = cq_utf8_repair(s, len, &bytes);
    const char *p = bytes.buf ? bytes.buf : "", *end = p + bytes.len;
    cq_strbuf_reset(out);
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) {
            cq_strbuf_add(out, p, (size_t)(end - p));
            break;
        }
        cq_strbuf_add(out, p, (size_t)(bs - p));
        long cp = end - bs >= 6 && bs[1] == 'u' ? hex4_at(bs + 2) : -1;
        if (cp < 0xD800 || cp > 0xDFFF) {   /* any other escape: both bytes as they are */
            cq_strbuf_add(out, bs, end - bs >= 2 ? 2 : 1);
            p = bs + (end - bs >= 2 ? 2 : 1);
            continue;
        }
        long lo = cp <= 0xDBFF && end - bs >= 12 && bs[6] == '\\' && bs[7] == 'u'
                  ? hex4_at(bs + 8) : -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {     /* a whole pair */
            cq_strbuf_add(out, bs, 12);
            p = bs + 12;
        } else {
            cq_strbuf_adds(out, "\\ufffd");
            p = bs + 6;
            n_bad++;
        }
    }
    cq_strbuf_free(&bytes);
    return n_bad;
}

void cq_utf8_put(cq_strbuf *sb, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    cq_strbuf_add(sb, b, n);
}

static int hex4(jp *j, unsigned *out)
{
    unsigned v = 0;
    if (j->end - j->p < 4)
        return fail(j, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (unsigned)((c | 0x20) - 'a' + 10);
        else
            return fail(j, "bad \\u escape");
    }
    *out = v;
    return 0;
}

static int escape(jp *j, cq_strbuf *sb)
{
    if (j->p >= j->end)
        return fail(j, "unterminated string");
    char c = *j->p++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        cq_strbuf_addc(sb, to[k - from]);
        return 0;
    }
    if (c != 'u')
        return fail(j, "bad escape \\%c", c);
    unsigned cp, lo;
    if (hex4(j, &cp))
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
            return fail(j, "lone surrogate in \\u escape");
        j->p += 2;
        if (hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return fail(j, "bad surrogate pair");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(j, "lone surrogate in \\u escape");
    }
    cq_utf8_put(sb, cp);
    return 0;
}

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Advances p to the first '"', '\\', control byte or non-ASCII byte before
 * end (or to end): 16 bytes at a time where the text allows. */
static inline const char *plain_run(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed: bytes >= 0x80 are negative, so x < 0x20 catches both */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        p++;
    }
    return p;
}

/* Reads a string (j->p after the opening quote), appending it to sb. */
static int string(jp *j, cq_strbuf *sb)
{
    for (;;) {
        const char *run = j->p;
        j->p = plain_run(j->p, j->end);
        if (sb)
            cq_strbuf_add(sb, run, (size_t)(j->p - run));
        if (j->p >= j->end)
            return fail(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(j, "control character in string");
        if (c == '\\') {
            j->p++;
            cq_strbuf tmp = CQ_STRBUF_INIT;
            if (escape(j, sb ? sb : &tmp)) {
                cq_strbuf_free(&tmp);
                return -1;
            }
            cq_strbuf_free(&tmp);
            continue;
        }
        size_t n = utf8_seq((const unsigned char *)j->p, (const unsigned char *)j->end);
        if (!n)
            return fail(j, "invalid UTF-8");
        if (sb)
            cq_strbuf_add(sb, j->p, n);
        j->p += n;
    }
}

static int number(jp *j, size_t name_len)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    const char *d = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    if (j->p == d || (*d == '0' && j->p - d > 1))
        return fail(j, "bad number");
    if (j->p < j->end && *j->p == '.') {
        d = ++j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
        if (j->p == d)
            return fail(j, "bad number");
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        d = j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
        if (j->p == d)
            return fail(j, "bad number");
    }
    if (j->r)
        emit(j, name_len, s, (size_t)(j->p - s), 1);
    return 0;
}

static int literal(jp *j, const char *word, size_t name_len, int emit_it)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return fail(j, "unexpected character '%c'", *j->p);
    if (emit_it && j->r)
        cq_record_add_ref(j->r, j->name->buf, name_len, word, n);     /* a literal */
    j->p += n;
    return 0;
}

static int value(jp *j, size_t name_len, int depth);

/* Sets the name to name[0..name_len) + "." + key; returns the new length. */
static int object(jp *j, size_t name_len, int depth)
{
    j->p++;                         /* '{' */
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (j->p >= j->end || *j->p != '"')
            return fail(j, j->p >= j->end ? "truncated object" : "expected a key");
        j->p++;
        j->name->len = name_len;
        if (name_len)
            cq_strbuf_addc(j->name, '.');
        if (string(j, j->r ? j->name : NULL))
            return -1;
        size_t key_len = j->name->len;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':')
            return fail(j, j->p >= j->end ? "truncated object" : "expected ':'");
        j->p++;
        cq_record *r = j->r;
        if (!depth && j->skip && r && key_len == strlen(j->skip) &&
            !memcmp(j->name->buf, j->skip, key_len))
            j->r = NULL;            /* the member left out: checked, not added */
        int rc = value(j, key_len, depth + 1);
        j->r = r;
        if (rc)
            return -1;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            return 0;
        }
        return fail(j, j->p >= j->end ? "truncated object" : "expected ',' or '}'");
    }
}

static int array(jp *j, size_t name_len, int depth)
{
    j->p++;                         /* '[' */
    j->name->len = name_len;
    cq_strbuf_add(j->name, "{}", 2);
    size_t el_len = j->name->len;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        j->name->len = el_len;
        j->name->buf[el_len] = '\0';
        if (value(j, el_len, depth + 1))
            return -1;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        return fail(j, j->p >= j->end ? "truncated array" : "expected ',' or ']'");
    }
}

static int value(jp *j, size_t name_len, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(j, "nested more than %d levels", MAX_DEPTH);
    skip_ws(j);
    if (j->p >= j->end)
        return fail(j, "truncated value");
    switch (*j->p) {
    case '{':
        return object(j, name_len, depth);
    case '[':
        return array(j, name_len, depth);
    case '"': {
        j->p++;
        /* Most values have no escape and no non-ASCII byte: taken from the
         * text as they are, without a copy into j->val. */
        const char *run = j->p, *q = plain_run(j->p, j->end);
        if (q < j->end && *q == '"') {
            j->p = q + 1;
            if (j->r)
                emit(j, name_len, run, (size_t)(q - run), 1);
            return 0;
        }
        cq_strbuf_reset(&j->val);
        if (string(j, j->r ? &j->val : NULL))
            return -1;
        if (j->r)
            cq_record_add(j->r, j->name->buf, name_len, j->val.len ? j->val.buf : "",
                          j->val.len);
        return 0;
    }
    case 't':
        return literal(j, "true", name_len, 1);
    case 'f':
        return literal(j, "false", name_len, 1);
    case 'n':
        return literal(j, "null", name_len, 0);
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return number(j, name_len);
        return fail(j, "unexpected character '%c'", *j->p);
    }
}

static void jp_init(jp *j, const char *s, size_t len, cq_record *r, cq_strbuf *name,
                    char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->p = j->start = s;
    j->end = s + len;
    j->r = r;
    j->name = name;
    j->err = err;
    j->errlen = errlen;
}

static int flatten(jp *j, const char *prefix, cq_strbuf *scratch)
{
    cq_strbuf_reset(scratch);
    cq_strbuf_adds(scratch, prefix ? prefix : "");
    size_t plen = scratch->len;
    int rc;
    skip_ws(j);
    if (j->p >= j->end || *j->p != '{')
        rc = fail(j, j->p >= j->end ? "empty document" : "not a JSON object");
    else
        rc = object(j, plen, 0);
    if (!rc) {
        skip_ws(j);
        if (j->p < j->end)
            rc = fail(j, "text after the JSON object");
    }
    cq_strbuf_free(&j->val);
    return rc;
}

int cq_json_flatten(const char *s, size_t len, const char *prefix, cq_record *r,
                    cq_strbuf *scratch, char *err, size_t errlen)
{
    jp j;
    jp_init(&j, s, len, r, scratch, err, errlen);
    return flatten(&j, prefix, scratch);
}

int cq_json_flatten_raw(cq_record *r, cq_strbuf *scratch, char *err, size_t errlen)
{
    jp j;
    jp_init(&j, r->raw, r->raw_len, r, scratch, err, errlen);
    j.ref = 1;
    return flatten(&j, "", scratch);
}

int cq_json_flatten_skip(const char *s, size_t len, const char *skip, cq_record *r,
                         cq_strbuf *scratch, char *err, size_t errlen)
{
    jp j;
    jp_init(&j, s, len, r, scratch, err, errlen);
    j.skip = skip;
    return flatten(&j, "", scratch);
}

/* Skips one value, returning its start in *vs (after whitespace). */
static int skip_value(jp *j, const char **vs)
{
    skip_ws(j);
    *vs = j->p;
    return value(j, 0, 0);
}

static long each_element(jp *j, cq_json_item_fn fn, void *ctx)
{
    long n = 0;
    j->p++;                         /* '[' */
    skip_ws(j);
    if (j->p < j->end && *j->p == ']')
        return 0;
    for (;;) {
        const char *vs;
        if (skip_value(j, &vs))
            return -1;
        fn(ctx, vs, (size_t)(j->p - vs));
        n++;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return j->p < j->end && *j->p == ']' ? n : -1;
    }
}

/* Reads the next member of an object (j->p after '{' or after a member and
 * its comma): 1 with its value at *vs, ending at j->p, and in *which the
 * index of its name in the NULL-terminated `names` (-1: none of them; read
 * before the value, whose strings reuse j->name); 0 at the closing '}'; -1
 * when malformed. */
static int next_member(jp *j, const char *const *names, int *which, const char **vs)
{
    skip_ws(j);
    if (j->p < j->end && *j->p == '}')
        return 0;
    if (j->p >= j->end || *j->p != '"')
        return -1;
    j->p++;
    cq_strbuf_reset(j->name);
    if (string(j, j->name))
        return -1;
    const char *name = j->name->buf ? j->name->buf : "";
    *which = -1;
    for (int i = 0; names[i] && *which < 0; i++)
        if (!strcmp(name, names[i]))
            *which = i;
    skip_ws(j);
    if (j->p >= j->end || *j->p++ != ':')
        return -1;
    return skip_value(j, vs) ? -1 : 1;
}

/* Finds the "kind" and "items" members of a top-level object. */
static int list_members(jp *j, const char **items, int *is_list)
{
    static const char *const names[] = {"kind", "items", NULL};
    const char *vs;
    int r, which;
    j->p++;
    while ((r = next_member(j, names, &which, &vs)) > 0) {
        size_t vl = (size_t)(j->p - vs);
        if (which == 1 && *vs == '[')
            *items = vs;
        if (which == 0 && vl >= 6 && !memcmp(vs + vl - 5, "List\"", 5))
            *is_list = 1;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',')
            j->p++;
    }
    return r;
}

long cq_json_list_items(const char *s, size_t len, cq_json_item_fn fn, void *ctx)
{
    cq_strbuf name = CQ_STRBUF_INIT;
    jp j;
    jp_init(&j, s, len, NULL, &name, NULL, 0);
    long n = -1;
    skip_ws(&j);
    if (j.p < j.end && *j.p == '[') {
        n = each_element(&j, fn, ctx);
    } else if (j.p < j.end && *j.p == '{') {
        const char *items = NULL;
        int is_list = 0;
        if (!list_members(&j, &items, &is_list) && is_list && items) {
            j.p = items;
            n = each_element(&j, fn, ctx);
        }
    }
    cq_strbuf_free(&name);
    cq_strbuf_free(&j.val);
    return n;
}

/* Finds the array value of the top-level member `member` (j->p after '{'). */
static const char *member_array(jp *j, const char *member)
{
    const char *const names[] = {member, NULL};
    const char *found = NULL, *vs;
    int r, which;
    while ((r = next_member(j, names, &which, &vs)) > 0) {
        if (which == 0)
            found = *vs == '[' ? vs : NULL;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',')
            j->p++;
        else if (j->p >= j->end || *j->p != '}')
            return NULL;
    }
    return r == 0 ? found : NULL;
}

long cq_json_member_items(const char *s, size_t len, const char *member, cq_json_item_fn fn,
                          void *ctx)
{
    cq_strbuf name = CQ_STRBUF_INIT;
    jp j;
    jp_init(&j, s, len, NULL, &name, NULL, 0);
    long n = -1;
    skip_ws(&j);
    if (j.p < j.end && *j.p == '{') {
        j.p++;
        const char *items = member_array(&j, member);
        if (items) {
            j.p = items;
            n = each_element(&j, fn, ctx);
        }
    }
    cq_strbuf_free(&name);
    cq_strbuf_free(&j.val);
    return n;
}

void cq_json_depth_feed(cq_json_depth *d, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (d->in_str) {
            if (d->esc)
                d->esc = 0;
            else if (c == '\\')
                d->esc = 1;
            else if (c == '"')
                d->in_str = 0;
        } else if (c == '"') {
            d->in_str = 1;
        } else if (c == '{' || c == '[') {
            d->depth++;
        } else if (c == '}' || c == ']') {
            d->depth--;
        }
    }
}

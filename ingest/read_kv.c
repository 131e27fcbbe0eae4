/*
 * read_kv.c - logrus / logfmt text: `time="..." level=debug msg="..." k=v`.
 *
 * dockerd writes its log with logrus's text formatter: pairs separated by
 * spaces, values double-quoted (Go %q escapes) when they hold spaces, quotes
 * or '='.  This file only splits pairs; which pairs make a docker:daemon
 * event is said by sourcetypes.conf.
 */
#include "ingest/ingest_int.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One Go escape at s[*i] (after the backslash), appended to sb. */
static void go_escape(const char *s, size_t len, size_t *i, cq_strbuf *sb)
{
    static const char from[] = "abfnrtv\\\"'", to[] = "\a\b\f\n\r\t\v\\\"'";
    char c = s[*i];
    const char *k = strchr(from, c);
    if (c && k) {
        cq_strbuf_addc(sb, to[k - from]);
        (*i)++;
        return;
    }
    if (c == 'x' && *i + 2 < len && hexval(s[*i + 1]) >= 0 && hexval(s[*i + 2]) >= 0) {
        cq_strbuf_addc(sb, (char)(hexval(s[*i + 1]) << 4 | hexval(s[*i + 2])));
        *i += 3;
        return;
    }
    /* \u and anything unknown are kept as written: rare, and still searchable. */
    cq_strbuf_addc(sb, '\\');
}

/* Reads a quoted value starting after the quote; returns -1 if unterminated. */
static int quoted(const char *s, size_t len, size_t *i, cq_strbuf *sb)
{
    cq_strbuf_reset(sb);
    while (*i < len) {
        size_t run = *i;
        while (*i < len && s[*i] != '"' && s[*i] != '\\')
            (*i)++;
        cq_strbuf_add(sb, s + run, *i - run);
        if (*i >= len)
            break;
        if (s[(*i)++] == '"')
            return 0;
        if (*i >= len)
            break;
        go_escape(s, len, i, sb);
    }
    return -1;
}

int cq_kv_parse(const char *s, size_t len, cq_record *r, cq_strbuf *scratch,
                char *err, size_t errlen)
{
    size_t i = 0, n_pairs = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= len)
            break;
        size_t ks = i;
        while (i < len && s[i] != '=' && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t ke = i;
        if (i < len && s[i] == '=' && ke == ks) {
            i++;                            /* "=x": no key; step past the '=' */
            continue;
        }
        if (i >= len || s[i] != '=')
            continue;                       /* a bare word: not a pair, skipped */
        i++;
        if (i < len && s[i] == '"') {
            i++;
            if (quoted(s, len, &i, scratch)) {
                snprintf(err, errlen, "unterminated quoted value of \"%.*s\"",
                         (int)(ke - ks), s + ks);
                return -1;
            }
            cq_record_add(r, s + ks, ke - ks, scratch->len ? scratch->buf : "", scratch->len);
        } else {
            size_t vs = i;
            while (i < len && s[i] != ' ' && s[i] != '\t')
                i++;
            cq_record_add(r, s + ks, ke - ks, s + vs, i - vs);
        }
        n_pairs++;
    }
    if (!n_pairs) {
        snprintf(err, errlen, "no key=value pairs");
        return -1;
    }
    return 0;
}

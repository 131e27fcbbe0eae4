/* cfgfile.c - the pieces of reading a config file (see cfgfile.h). */
#include "common/cfgfile.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int cq_cfg_read_file(const char *path, size_t max, cq_strbuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CQ_CFG_CANNOT_OPEN;
    int rc = cq_cfg_read_stream(f, max, out);
    fclose(f);
    return rc;
}

int cq_cfg_read_stream(FILE *f, size_t max, cq_strbuf *out)
{
    cq_strbuf_reset(out);
    cq_strbuf_add(out, "", 0);      /* a text even for an empty file */
    char buf[16384];
    size_t n;
    /* Stops at the first read past max, not at the end of a huge file. */
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && (!max || out->len <= max))
        cq_strbuf_add(out, buf, n);
    if (ferror(f))
        return CQ_CFG_READ_FAILED;
    return max && out->len > max ? CQ_CFG_TOO_BIG : CQ_CFG_READ_OK;
}

char *cq_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int cq_cfg_pair(char *s, int sep, char **key, char **val)
{
    char *at = strchr(s, sep);
    if (!at)
        return -1;
    *at = '\0';
    *key = cq_trim(s);
    *val = cq_trim(at + 1);
    return 0;
}

char *cq_cfg_stanza(char *line)
{
    size_t n = strlen(line);
    if (!n || line[n - 1] != ']')
        return NULL;
    line[n - 1] = '\0';
    return cq_trim(line + 1);
}

void cq_cfg_init(cq_cfg_reader *r, const char *text, size_t len, unsigned flags)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    r->len = len;
    r->flags = flags;
    r->next_line = 1;
}

/* Length of the physical line s[0..l) without its '\r's. */
static size_t strip_cr(const cq_cfg_reader *r, const char *s, size_t l)
{
    if (r->flags & CQ_CFG_ONE_CR)
        return l && s[l - 1] == '\r' ? l - 1 : l;
    while (l && s[l - 1] == '\r')
        l--;
    return l;
}

/* Reads one logical line into r->buf; returns 0 at the end of the text. */
static int logical_line(cq_cfg_reader *r)
{
    int pieces = 0;
    cq_strbuf_reset(&r->buf);
    while (r->pos < r->len) {
        const char *s = r->text + r->pos;
        const char *nl = memchr(s, '\n', r->len - r->pos);
        size_t l = nl ? (size_t)(nl - s) : r->len - r->pos;
        r->pos += l + (nl != NULL);
        /* The line starts where its text does: an empty piece that only
         * continues (a lone '\' without KEEP_BREAKS) does not count. */
        if (!r->buf.len)
            r->line = r->next_line;
        r->next_line++;
        pieces++;
        l = strip_cr(r, s, l);
        if (!l || s[l - 1] != '\\') {
            cq_strbuf_add(&r->buf, s, l);
            return 1;
        }
        cq_strbuf_add(&r->buf, s, l - 1);
        if (r->flags & CQ_CFG_KEEP_BREAKS)
            cq_strbuf_addc(&r->buf, '\n');
    }
    return pieces && (r->flags & CQ_CFG_KEEP_CUT);
}

char *cq_cfg_next(cq_cfg_reader *r)
{
    while (logical_line(r)) {
        char *s = cq_trim(r->buf.buf);
        if (*s && *s != '#' && *s != ';')
            return s;
    }
    return NULL;
}

void cq_cfg_done(cq_cfg_reader *r)
{
    cq_strbuf_free(&r->buf);
}

/* spl_file.c - reading saved analytics. */
#include "cli/spl_file.h"
#include "common/arena.h"
#include "common/cfgfile.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPL_BYTES (4u << 20)

/* Reads path into text (the caller frees it, on error too); -1 puts the
 * message in err. */
static int read_all(const char *path, cq_strbuf *text, char *err, size_t errlen)
{
    int rc = strcmp(path, "-") ? cq_cfg_read_file(path, MAX_SPL_BYTES, text)
                               : cq_cfg_read_stream(stdin, MAX_SPL_BYTES, text);
    if (!strcmp(path, "-"))
        path = "stdin";
    if (rc == CQ_CFG_CANNOT_OPEN)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    else if (rc)
        snprintf(err, errlen, "%s: %s", path,
                 rc == CQ_CFG_READ_FAILED ? "read error" : "longer than 4 MiB");
    return rc ? -1 : 0;
}

static void add_header(cq_spl_file *f, const char *key, const char *value)
{
    f->headers = cq_xrealloc(f->headers, (f->n_headers + 1) * sizeof *f->headers);
    f->headers[f->n_headers].key = cq_xstrdup(key);
    f->headers[f->n_headers].value = cq_xstrdup(value);
    f->n_headers++;
}

/* Appends a continuation line to the last header. */
static void continue_header(cq_spl_file *f, const char *more)
{
    cq_spl_header *h = &f->headers[f->n_headers - 1];
    size_t a = strlen(h->value), b = strlen(more);
    h->value = cq_xrealloc(h->value, a + b + 2);
    h->value[a] = ' ';
    memcpy(h->value + a + 1, more, b + 1);
}

/* Parses one "#" line (without the "#"); returns -1 when malformed. */
static int header_line(cq_spl_file *f, char *body)
{
    if (!strncmp(body, "  ", 2) && f->n_headers) {
        char *more = cq_trim(body);
        if (*more)
            continue_header(f, more);
        return 0;
    }
    char *key, *value;
    if (cq_cfg_pair(body, ':', &key, &value))
        return *cq_trim(body) ? -1 : 0;   /* a bare "#" line is a blank */
    for (char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return -1;
    if (!*key)
        return -1;
    add_header(f, key, value);
    return 0;
}

static int load(const char *path, int analytic, cq_spl_file **out, char *err, size_t errlen)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    if (read_all(path, &sb, err, errlen)) {
        cq_strbuf_free(&sb);
        return -1;
    }
    char *text = sb.buf;
    cq_spl_file *f = cq_xcalloc(1, sizeof *f);
    f->path = cq_xstrdup(strcmp(path, "-") ? path : "stdin");
    char *p = text;
    unsigned line = 0;
    while (*p == '#' || *p == '\n' || *p == '\r') {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        if (*p == '#' && header_line(f, p + 1) && analytic) {
            snprintf(err, errlen, "%s:%u: expected \"# key: value\" in the header", path, line);
            goto fail;
        }
        if (!nl) {
            p += strlen(p);
            break;
        }
        p = nl + 1;
    }
    f->line_base = line;
    size_t qlen = strlen(p);
    while (qlen && isspace((unsigned char)p[qlen - 1]))
        qlen--;
    if (!qlen) {
        snprintf(err, errlen, "%s: no query%s", f->path, f->n_headers ? " after the header" : "");
        goto fail;
    }
    f->query = cq_xmalloc(qlen + 1);
    memcpy(f->query, p, qlen);
    f->query[qlen] = '\0';
    f->query_len = qlen;
    if (analytic && (!cq_spl_get(f, "id") || !cq_spl_get(f, "title"))) {
        snprintf(err, errlen, "%s: the header needs \"# id:\" and \"# title:\" lines", path);
        goto fail;
    }
    free(text);
    *out = f;
    return 0;
fail:
    free(text);
    cq_spl_free(f);
    *out = NULL;
    return -1;
}

int cq_spl_load(const char *path, cq_spl_file **out, char *err, size_t errlen)
{
    return load(path, 1, out, err, errlen);
}

int cq_spl_load_query(const char *path, cq_spl_file **out, char *err, size_t errlen)
{
    return load(path, 0, out, err, errlen);
}

const char *cq_spl_get(const cq_spl_file *f, const char *key)
{
    for (size_t i = 0; i < f->n_headers; i++)
        if (!strcmp(f->headers[i].key, key))
            return f->headers[i].value;
    return NULL;
}

void cq_spl_free(cq_spl_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_headers; i++) {
        free(f->headers[i].key);
        free(f->headers[i].value);
    }
    free(f->headers);
    free(f->query);
    free(f->path);
    free(f);
}

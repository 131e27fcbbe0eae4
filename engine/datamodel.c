/*
 * datamodel.c - reads datamodels.conf into cq_datamodels and finds
 * datasets and fields in it (see datamodel.h; data/datamodels.conf
 * documents the syntax for users).  It parses the constraint searches and
 * field expressions once, with the query language's own parser, so a bad
 * one is an error at its line; it plans and runs nothing.
 */
#include "engine/datamodel.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgfile.h"
#include "common/strbuf.h"
#include "grammar/parse.h"
#include "grammar/resolve.h"

void cq_datamodels_init(cq_datamodels *m, cq_arena *a)
{
    m->arena = a;
    m->head = NULL;
}

static int conf_error(cq_diag *d, const char *source, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int conf_error(cq_diag *d, const char *source, int line, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cq_diag_set(d, CQ_SPAN_NONE, "%s:%d: %s", source, line, msg);
}

/* Names of models and datasets: letters, digits, '_' (CIM's). */
static int good_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

/* Field names may also have dots inside (CIM's Risk model:
 * annotations.mitre_attack.mitre_tactic_id). */
static int good_field(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

/*
 * Parses `prefix` + text with the query parser and resolves it; returns the
 * first command, or NULL with an error at source:line that quotes the
 * parser's message and where in the value it points.
 */
static const cq_ast *parse_piece(cq_datamodels *m, const char *prefix, const char *text,
                                 const char *what, const char *source, int line, cq_diag *d)
{
    size_t plen = strlen(prefix);
    const char *full = cq_arena_printf(m->arena, "%s%s", prefix, text);
    cq_diag pd;
    cq_diag_init(&pd);
    cq_ast *pipe = NULL;
    if (cq_parse(m->arena, full, strlen(full), &pipe, &pd) == 0 && pipe->n_kids != 1)
        cq_diag_set(&pd, CQ_SPAN_NONE, "expected one %s, found a pipeline", what);
    if (!pd.set)
        cq_resolve(pipe, &pd);
    if (!pd.set)
        return pipe->kids;
    unsigned col = pd.span.start != UINT32_MAX && pd.span.start >= plen ? pd.span.start - (unsigned)plen + 1 : 1;
    conf_error(d, source, line, "bad %s: %s (at character %u of \"%s\")", what, pd.msg, col,
               text);
    return NULL;
}

/* val with each run of white space made one space (a constraint continued
 * over lines reads as one line in explain). */
static const char *squash(cq_arena *a, const char *val)
{
    char *s = cq_arena_strdup(a, val), *w = s;
    for (const char *r = s; *r; r++)
        if (!isspace((unsigned char)*r) || (w > s && w[-1] != ' '))
            *w++ = isspace((unsigned char)*r) ? ' ' : *r;
    *w = '\0';
    return s;
}

static cq_dm_dataset *find_exact(const cq_datamodels *m, const char *model, const char *name)
{
    for (cq_dm_dataset *ds = m->head; ds; ds = ds->next)
        if (!strcmp(ds->model, model) && !strcmp(ds->name, name))
            return ds;
    return NULL;
}

/* "[Model.Dataset]": finds or makes the dataset. */
static cq_dm_dataset *stanza(cq_datamodels *m, char *line, const char *source, int ln,
                             cq_diag *d)
{
    char *name = cq_cfg_stanza(line);
    if (!name) {
        conf_error(d, source, ln, "expected \"]\" at the end of the stanza name");
        return NULL;
    }
    char *dot = strchr(name, '.');
    if (!dot || !good_name(name, (size_t)(dot - name)) || !good_name(dot + 1, strlen(dot + 1))) {
        conf_error(d, source, ln, "bad stanza [%s]: expected [Model.Dataset]", name);
        return NULL;
    }
    *dot = '\0';
    cq_dm_dataset *ds = find_exact(m, name, dot + 1);
    if (!ds) {
        ds = cq_arena_calloc(m->arena, sizeof *ds);
        ds->model = cq_arena_strdup(m->arena, name);
        ds->name = cq_arena_strdup(m->arena, dot + 1);
        cq_dm_dataset **tail = &m->head;
        while (*tail)
            tail = &(*tail)->next;
        *tail = ds;
    }
    ds->file = cq_arena_strdup(m->arena, source);
    ds->line = ln;
    return ds;
}

static cq_dm_field *own_field(cq_dm_dataset *ds, const char *name)
{
    for (cq_dm_field *f = ds->fields; f; f = f->next)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static cq_dm_field *add_field(cq_datamodels *m, cq_dm_dataset *ds, const char *name)
{
    cq_dm_field *f = own_field(ds, name);
    if (f)
        return f;
    f = cq_arena_calloc(m->arena, sizeof *f);
    f->name = cq_arena_strdup(m->arena, name);
    cq_dm_field **tail = &ds->fields;
    while (*tail)
        tail = &(*tail)->next;
    *tail = f;
    return f;
}

/* "fields = a b, c": names separated by spaces or commas. */
static int fields_list(cq_datamodels *m, cq_dm_dataset *ds, char *val, const char *source,
                       int ln, cq_diag *d)
{
    for (char *tok = strtok(val, " \t,"); tok; tok = strtok(NULL, " \t,")) {
        if (!good_field(tok))
            return conf_error(d, source, ln, "bad field name \"%s\"", tok);
        add_field(m, ds, tok);
    }
    return 0;
}

static int pair(cq_datamodels *m, cq_dm_dataset *ds, char *line, const char *source, int ln,
                cq_diag *d)
{
    char *key, *val;
    if (cq_cfg_pair(line, '=', &key, &val))
        return conf_error(d, source, ln, "expected \"key = value\", found \"%s\"", line);
    if (!ds)
        return conf_error(d, source, ln, "\"%s\" outside a [Model.Dataset] stanza", key);
    if (!strcmp(key, "constraint")) {
        ds->constraint_text = *val ? squash(m->arena, val) : NULL;
        ds->constraint = NULL;
        if (!*val)
            return 0;
        const cq_ast *cmd = parse_piece(m, "search ", val, "constraint", source, ln, d);
        if (!cmd)
            return -1;
        ds->constraint = cmd->kids;
        return 0;
    }
    if (!strcmp(key, "parent")) {
        if (*val && !good_name(val, strlen(val)))
            return conf_error(d, source, ln, "bad parent \"%s\"", val);
        ds->parent_name = *val ? cq_arena_strdup(m->arena, val) : NULL;
        return 0;
    }
    if (!strcmp(key, "fields"))
        return fields_list(m, ds, val, source, ln, d);
    if (!strncmp(key, "eval.", 5)) {
        const char *name = key + 5;
        if (!good_field(name))
            return conf_error(d, source, ln, "bad field name \"%s\"", name);
        if (!*val)
            return conf_error(d, source, ln, "eval.%s needs an expression", name);
        const char *prefix = cq_arena_printf(m->arena, "| eval %s=", name);
        const cq_ast *cmd = parse_piece(m, prefix, val, "expression", source, ln, d);
        if (!cmd)
            return -1;
        add_field(m, ds, name)->expr = cmd->kids->kids;
        return 0;
    }
    if (!strcmp(key, "description"))
        return 0;
    return conf_error(d, source, ln, "unknown key \"%s\"", key);
}

int cq_datamodels_parse(cq_datamodels *m, const char *text, size_t len, const char *source,
                        cq_diag *d)
{
    cq_cfg_reader r;
    cq_cfg_init(&r, text, len, 0);
    cq_dm_dataset *ds = NULL;
    char *line;
    int rc = 0;
    while (rc == 0 && (line = cq_cfg_next(&r))) {
        if (*line == '[')
            rc = (ds = stanza(m, line, source, r.line, d)) ? 0 : -1;
        else
            rc = pair(m, ds, line, source, r.line, d);
    }
    cq_cfg_done(&r);
    return rc;
}

int cq_datamodels_load(cq_datamodels *m, const char *path, cq_diag *d)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    int rc = cq_cfg_read_file(path, 0, &sb);
    if (rc == CQ_CFG_CANNOT_OPEN)
        rc = cq_diag_set(d, CQ_SPAN_NONE, "cannot read data model file %s: %s", path,
                         strerror(errno));
    else if (rc)
        rc = cq_diag_set(d, CQ_SPAN_NONE, "cannot read data model file %s", path);
    else
        rc = cq_datamodels_parse(m, sb.buf, sb.len, path, d);
    cq_strbuf_free(&sb);
    return rc;
}

int cq_datamodels_link(cq_datamodels *m, cq_diag *d)
{
    for (cq_dm_dataset *ds = m->head; ds; ds = ds->next) {
        ds->parent = NULL;
        if (ds->parent_name) {
            const cq_dm_dataset *p = find_exact(m, ds->model, ds->parent_name);
            if (!p)
                return conf_error(d, ds->file, ds->line,
                                  "parent \"%s\" of %s.%s is not a dataset of %s",
                                  ds->parent_name, ds->model, ds->name, ds->model);
            ds->parent = p;
        }
    }
    /* Paths, root first; a chain longer than the number of datasets loops. */
    size_t n = 0;
    for (cq_dm_dataset *ds = m->head; ds; ds = ds->next)
        n++;
    for (cq_dm_dataset *ds = m->head; ds; ds = ds->next) {
        size_t depth = 0;
        for (const cq_dm_dataset *p = ds->parent; p; p = p->parent)
            if (++depth > n)
                return conf_error(d, ds->file, ds->line, "%s.%s is its own ancestor",
                                  ds->model, ds->name);
    }
    for (cq_dm_dataset *ds = m->head; ds; ds = ds->next) {
        cq_strbuf sb = CQ_STRBUF_INIT;
        const cq_dm_dataset *chain[64];
        size_t k = 0;
        for (const cq_dm_dataset *p = ds; p && k < 64; p = p->parent)
            chain[k++] = p;
        while (k--) {
            cq_strbuf_adds(&sb, chain[k]->name);
            if (k)
                cq_strbuf_addc(&sb, '.');
        }
        ds->path = cq_arena_strdup(m->arena, cq_strbuf_str(&sb));
        cq_strbuf_free(&sb);
    }
    return 0;
}

int cq_dm_has_model(const cq_datamodels *m, const char *model)
{
    for (const cq_dm_dataset *ds = m->head; ds; ds = ds->next)
        if (!strcmp(ds->model, model))
            return 1;
    return 0;
}

const cq_dm_dataset *cq_dm_find(const cq_datamodels *m, const char *model, const char *name,
                                size_t *n_roots)
{
    const cq_dm_dataset *first = NULL;
    size_t roots = 0;
    for (const cq_dm_dataset *ds = m->head; ds; ds = ds->next) {
        if (strcmp(ds->model, model))
            continue;
        if (!name && !ds->parent) {
            roots++;
            if (!first)
                first = ds;
        }
        if (name && (!strcmp(ds->name, name) || (ds->path && !strcmp(ds->path, name))))
            return ds;
    }
    if (n_roots)
        *n_roots = roots;
    return first;
}

const cq_dm_field *cq_dm_field_find(const cq_dm_dataset *ds, const char *name,
                                    const cq_dm_dataset **owner)
{
    for (; ds; ds = ds->parent)
        for (const cq_dm_field *f = ds->fields; f; f = f->next)
            if (!strcmp(f->name, name)) {
                if (owner)
                    *owner = ds;
                return f;
            }
    return NULL;
}

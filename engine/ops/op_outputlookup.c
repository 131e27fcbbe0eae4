/*
 * op_outputlookup.c - writing results to a CSV lookup table:
 *
 *   outputlookup [append=BOOL] [create_empty=BOOL] [override_if_empty=BOOL]
 *                [max=N] TABLE
 *   outputcsv [append=BOOL] [create_empty=BOOL] [override_if_empty=BOOL] FILE
 *
 * The results pass through unchanged; when they end, the first max of them
 * (default: all) are written to TABLE in the lookup directory, under the
 * same name rule as reading (cq_lookup_name: a plain file name, ".csv"
 * added), so `| inputlookup TABLE` and `| lookup TABLE` read them back.
 * Splunk's outputcsv writes to its dispatch directory; cquery has none, so
 * outputcsv writes to the lookup directory too.
 *
 * Columns: every field of the results, in their order, but for the fields
 * that start with "__" (Splunk's internal ones).  Cells are RFC 4180 CSV as
 * the reader expects: quoted when they hold a comma, a quote, a newline or
 * a carriage return, quotes doubled; a multivalue cell is its values joined
 * with newlines (as Splunk writes them); a missing value is an empty cell.
 *
 * append=true adds the rows to an existing table under its header: fields
 * the header lacks are dropped (Splunk: "only emits the fields that are
 * present in the header"); without a table it is written new.  With no
 * results: override_if_empty=false (default true) leaves the table as it
 * is; else create_empty=true (the default) writes an empty file and
 * create_empty=false removes the table.
 *
 * Safety: the table is written to a new file in the lookup directory,
 * opened with O_CREAT|O_EXCL|O_NOFOLLOW (so no symbolic link or existing
 * file is followed), and renamed over the table only when complete; a table
 * that is a symbolic link or not a regular file is refused, never replaced.
 */
#include "engine/ops/op_rows.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct out_cfg {
    const char *cmd;            /* "outputlookup" or "outputcsv" */
    const char *dir;            /* the lookup directory */
    const char *file;           /* the table's file name in it */
    const char *name;           /* as the user wrote it */
    cq_span at;                 /* the table name, for errors */
    int append, create_empty, override_if_empty;
    size_t max;                 /* rows written at most; SIZE_MAX: all */
} out_cfg;

static int bool_opt(const cq_ast *k, int *out, cq_diag *d)
{
    int v = cq_ast_truth(k->kids);
    if (v < 0)
        return cq_diag_set(d, k->span, "%s= takes true or false", k->name);
    *out = v;
    return 0;
}

static int prepare_out(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                       cq_diag *d)
{
    out_cfg *c = cq_arena_calloc(a, sizeof *c);
    c->cmd = cmd->name;
    c->create_empty = c->override_if_empty = 1;
    c->max = SIZE_MAX;
    const cq_ast *arg = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_ARG) {
            arg = k;
        } else if (k->kind != CQ_AST_OPTION) {
            continue;
        } else if (!strcmp(k->name, "append")) {
            if (bool_opt(k, &c->append, d))
                return -1;
        } else if (!strcmp(k->name, "create_empty")) {
            if (bool_opt(k, &c->create_empty, d))
                return -1;
        } else if (!strcmp(k->name, "override_if_empty")) {
            if (bool_opt(k, &c->override_if_empty, d))
                return -1;
        } else if (!strcmp(k->name, "max")) {
            int64_t n = cq_ast_whole(k->kids);
            if (n < 0)
                return cq_diag_set(d, k->span, "max= takes a whole number of rows");
            c->max = (size_t)n;
        } else if (!strcmp(k->name, "singlefile") || !strcmp(k->name, "createinapp")) {
            continue;   /* one file, in the one lookup directory, anyway */
        } else {
            return cq_diag_set(d, k->span, "not supported yet: %s %s=", cmd->name, k->name);
        }
    }
    if (!arg)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "%s needs a table name", cmd->name);
    if (cq_lookup_name(a, arg, o, &c->file, d))
        return -1;
    c->dir = o->lookups;
    c->name = arg->text;
    c->at = arg->span;
    *cfg = c;
    return 0;
}

int cq_prepare_outputlookup(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                            cq_diag *d)
{
    return prepare_out(a, cmd, o, cfg, d);
}

/* ------------------------------------------------------------ writing */

static void put_cell(cq_strbuf *b, const char *p, size_t n)
{
    if (!memchr(p, ',', n) && !memchr(p, '"', n) && !memchr(p, '\n', n) &&
        !memchr(p, '\r', n)) {
        cq_strbuf_add(b, p, n);
        return;
    }
    cq_strbuf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            cq_strbuf_addc(b, '"');
        cq_strbuf_addc(b, p[i]);
    }
    cq_strbuf_addc(b, '"');
}

/* Writes all of b to fd.  Returns 0 or -1 (errno set). */
static int write_all(int fd, const cq_strbuf *b)
{
    for (size_t off = 0; off < b->len;) {
        ssize_t n = write(fd, b->buf + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

typedef struct out_op {
    cq_block_op k;
    cq_arena scratch;
} out_op;

/* What is at path: 0 nothing, 1 a regular file, -1 anything else (diag). */
static int existing(const out_cfg *c, const char *path, cq_diag *d)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0
                               : cq_diag_set(d, c->at, "%s: cannot check %s: %s", c->cmd, path,
                                             strerror(errno));
    if (S_ISLNK(st.st_mode))
        return cq_diag_set(d, c->at, "%s: %s is a symbolic link; cquery does not write "
                           "through one", c->cmd, path);
    if (!S_ISREG(st.st_mode))
        return cq_diag_set(d, c->at, "%s: %s is not a regular file", c->cmd, path);
    return 1;
}

/* The rows to write as CSV text into b: the existing table's (append),
 * then the results'. */
static int table_text(out_op *o, int exists, cq_strbuf *b, cq_diag *d)
{
    const out_cfg *c = o->k.cfg;
    const cq_rowstore *rs = o->k.rows;
    cq_lookup_table *old = NULL;
    if (c->append && exists && cq_lookup_read(&o->scratch, c->dir, c->file, c->name, c->at,
                                              &old, d))
        return -1;
    /* the columns: the old header, else the results' fields */
    uint32_t n_cols = 0;
    uint32_t *ids = cq_arena_alloc(&o->scratch,
                                   ((old ? old->n_cols : rs->n_names) + 1) * sizeof *ids);
    if (old) {
        for (uint32_t i = 0; i < old->n_cols; i++)
            ids[n_cols++] = cq_rows_find(rs, old->cols[i]);
    } else {
        for (uint32_t i = 0; i < rs->n_names; i++)
            if (strncmp(rs->names[i], "__", 2))
                ids[n_cols++] = i;
    }
    if (!n_cols && !old)
        return 0;       /* results without a field: an empty file */
    for (uint32_t i = 0; i < n_cols; i++) {
        const char *name = old ? old->cols[i] : rs->names[ids[i]];
        if (i)
            cq_strbuf_addc(b, ',');
        put_cell(b, name, strlen(name));
    }
    cq_strbuf_addc(b, '\n');
    for (size_t r = 0; old && r < old->n_rows; r++) {
        for (uint32_t i = 0; i < old->n_cols; i++) {
            cq_sv v = old->cells[r * old->n_cols + i];
            if (i)
                cq_strbuf_addc(b, ',');
            if (v.p)
                put_cell(b, v.p, v.len);
        }
        cq_strbuf_addc(b, '\n');
    }
    size_t n_rows = rs->n_rows < c->max ? rs->n_rows : c->max;
    cq_strbuf cell = CQ_STRBUF_INIT;
    for (size_t r = 0; r < n_rows; r++) {
        for (uint32_t i = 0; i < n_cols; i++) {
            if (i)
                cq_strbuf_addc(b, ',');
            const cq_rcell *v = ids[i] == CQ_ROWS_NONE ? NULL : cq_row_cell(&rs->rows[r], ids[i]);
            if (!v)
                continue;
            cq_strbuf_reset(&cell);
            for (uint32_t k = 0; k < v->n_vals; k++) {
                cq_sv s = cq_rcell_text(v, k, &o->scratch);
                if (k)
                    cq_strbuf_addc(&cell, '\n');
                cq_strbuf_add(&cell, s.p, s.len);
            }
            put_cell(b, cell.buf ? cell.buf : "", cell.len);
        }
        cq_strbuf_addc(b, '\n');
    }
    cq_strbuf_free(&cell);
    return 0;
}

/* Writes text to a new file in dir, then renames it to path. */
static int replace_file(const out_cfg *c, const char *dir, const char *path, const cq_strbuf *text,
                        cq_diag *d)
{
    char tmp[PATH_MAX];
    int fd = -1;
    for (unsigned i = 0; fd < 0 && i < 100; i++) {
        snprintf(tmp, sizeof tmp, "%s/.%s.%ld.%u.%ld.tmp", dir, c->file, (long)getpid(), i,
                 (long)time(NULL));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return cq_diag_set(d, c->at, "%s: cannot create a file in %s: %s", c->cmd, dir,
                           strerror(errno));
    int rc = write_all(fd, text);
    int err = errno;
    if (close(fd) && !rc) {
        rc = -1;
        err = errno;
    }
    if (!rc && rename(tmp, path)) {
        rc = -1;
        err = errno;
    }
    if (rc) {
        unlink(tmp);
        return cq_diag_set(d, c->at, "%s: cannot write %s: %s", c->cmd, path, strerror(err));
    }
    return 0;
}

static int out_done(cq_block_op *k)
{
    out_op *o = (out_op *)k;
    const out_cfg *c = k->cfg;
    cq_diag *d = k->base.ctx->diag;
    char dir[PATH_MAX], path[PATH_MAX + 256];
    if (!realpath(c->dir, dir))
        return cq_diag_set(d, c->at, "%s: cannot use the lookup directory %s: %s", c->cmd,
                           c->dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s", dir, c->file);
    int exists = existing(c, path, d);
    if (exists < 0)
        return -1;
    if (!k->rows->n_rows) {
        if (!c->override_if_empty || (c->append && exists))
            return 0;
        if (!c->create_empty) {
            if (exists && unlink(path))
                return cq_diag_set(d, c->at, "%s: cannot remove %s: %s", c->cmd, path,
                                   strerror(errno));
            return 0;
        }
        cq_strbuf none = CQ_STRBUF_INIT;
        return replace_file(c, dir, path, &none, d);
    }
    cq_strbuf text = CQ_STRBUF_INIT;
    int rc = table_text(o, exists, &text, d);
    if (!rc)
        rc = replace_file(c, dir, path, &text, d);
    cq_strbuf_free(&text);
    cq_arena_reset(&o->scratch);
    return rc;
}

static void out_free(cq_block_op *k)
{
    cq_arena_free(&((out_op *)k)->scratch);
}

cq_oper *cq_open_outputlookup(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    out_op *o = cq_block_new(sizeof *o, out_done, out_free, cfg, child, ctx);
    cq_arena_init(&o->scratch);
    return &o->k.base;
}

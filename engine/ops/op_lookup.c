/*
 * op_lookup.c - CSV lookup tables: `| lookup` and `| inputlookup`.
 *
 *   lookup TABLE f [AS event_f] ... [OUTPUT|OUTPUTNEW out [AS event_out] ...]
 *       adds the table's columns to each result whose event_f values equal
 *       the table's f values (exact and case-sensitive: Splunk's default
 *       case_sensitive_match for CSV lookups).  Several matching rows give
 *       multivalue fields (up to 1,000 rows, Splunk's max_matches).  Without
 *       an OUTPUT list every other column of the table is output.  OUTPUT
 *       sets the fields (and clears them where nothing matches); OUTPUTNEW
 *       only fills fields the result does not have.
 *   | inputlookup [append=BOOL] [start=N] [max=N] TABLE [options] [where SEARCH]
 *       the table's rows (columns in header order): rows start.. of the
 *       file (0-based), at most max of them, then filtered by the search
 *       expression.  Later in a pipeline (append=true) the planner makes it
 *       an append of the same command (engine/planner.c).
 *
 * Tables are RFC 4180 CSV files with a header row, read when the query is
 * compiled, and only from the lookup directory (--lookups, $CQUERY_LOOKUPS,
 * else the data directory's lookups/): a name is a plain file name (letters,
 * digits, ".", "_", "-"; ".csv" added when missing); "/", "..", absolute
 * paths and symbolic links that leave the directory are rejected.  An
 * empty cell is a missing value.  Header names lose the spaces and tabs
 * around them (`EventCode, Description`); cells keep theirs.
 */
#include "engine/op.h"
#include "engine/expr/eval.h"
#include "engine/expr/match.h"
#include "engine/ops/op_rows.h"
#include "common/strbuf.h"
#include "common/strmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TABLE_BYTES (256u << 20)    /* a lookup table larger than this is refused */
#define MAX_MATCHES 1000                /* Splunk's max_matches */

typedef cq_lookup_table lk_table;

/* -------------------------------------------------------------- files */

static int name_ok(const char *name)
{
    if (!*name || name[0] == '.' || strstr(name, ".."))
        return 0;
    for (const char *p = name; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
              ('0' <= *p && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* Reads the whole table file into a fresh malloc'd buffer. */
static char *read_table_file(const char *dir, const char *file, size_t *len, const char *name,
                             cq_span at, cq_diag *d)
{
    char path[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!realpath(dir, real_dir))
        return cq_diag_set(d, at, "cannot read the lookup directory %s: %s", dir,
                           strerror(errno)), NULL;
    if (!realpath(path, real_file)) {
        cq_diag_set(d, at, "unknown lookup table \"%s\": no %s in %s", name, file, dir);
        return NULL;
    }
    size_t dl = strlen(real_dir);
    if (strncmp(real_file, real_dir, dl) || real_file[dl] != '/') {
        cq_diag_set(d, at, "lookup table \"%s\" is outside the lookup directory %s", name, dir);
        return NULL;
    }
    int fd = open(real_file, O_RDONLY | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        cq_diag_set(d, at, "cannot read lookup table %s: %s", path,
                    fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > MAX_TABLE_BYTES) {
        close(fd);
        cq_diag_set(d, at, "lookup table %s is larger than %u MB", path, MAX_TABLE_BYTES >> 20);
        return NULL;
    }
    char *buf = cq_xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* ---------------------------------------------------------------- CSV */

typedef struct csv {
    const char *s;
    size_t len, pos;
    unsigned line;
} csv;

/* Reads one field into a (unquoted).  *end_row: the field ended its row.
 * Returns 0, or -1 on a bad quote. */
static int csv_field(csv *c, cq_arena *a, cq_sv *out, int *end_row)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    int rc = 0;
    if (c->pos < c->len && c->s[c->pos] == '"') {
        c->pos++;
        for (;;) {
            if (c->pos >= c->len) {
                rc = -1;        /* unterminated quote */
                break;
            }
            char ch = c->s[c->pos++];
            if (ch == '"') {
                if (c->pos < c->len && c->s[c->pos] == '"') {
                    cq_strbuf_addc(&sb, '"');
                    c->pos++;
                    continue;
                }
                break;
            }
            if (ch == '\n')
                c->line++;
            cq_strbuf_addc(&sb, ch);
        }
        if (!rc && c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
            c->s[c->pos] != '\r')
            rc = -1;            /* text after a closing quote */
    } else {
        while (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
               c->s[c->pos] != '\r')
            cq_strbuf_addc(&sb, c->s[c->pos++]);
    }
    if (c->pos < c->len && c->s[c->pos] == '\r')
        c->pos++;
    *end_row = c->pos >= c->len || c->s[c->pos] == '\n';
    if (c->pos < c->len)
        c->pos++;       /* the ',' or '\n' */
    if (*end_row)
        c->line++;
    *out = sb.len ? (cq_sv){cq_arena_strndup(a, sb.buf, sb.len), (uint32_t)sb.len}
                  : (cq_sv){NULL, 0};
    cq_strbuf_free(&sb);
    return rc;
}

/* A header field: as csv_field, without the blanks around it, so that a
 * header written `EventCode, Description` names the column Description
 * (spaces are never part of a column name a lookup could match). */
static int csv_header_field(csv *c, cq_arena *a, cq_sv *out, int *end_row)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
    if (csv_field(c, a, out, end_row))
        return -1;
    uint32_t n = out->len;
    while (n && (out->p[n - 1] == ' ' || out->p[n - 1] == '\t'))
        n--;
    if (n != out->len)
        *out = n ? (cq_sv){cq_arena_strndup(a, out->p, n), n} : (cq_sv){NULL, 0};
    return 0;
}

/* Parses the CSV text into t (memory from a). */
static int parse_csv(const char *text, size_t len, cq_arena *a, lk_table *t, cq_span at,
                     cq_diag *d)
{
    csv c = {text, len, 0, 1};
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
        c.pos = 3;      /* a UTF-8 byte order mark */
    size_t cap = 16, n = 0, cap_cells = 256, n_cells = 0;
    const char **cols = cq_xmalloc(cap * sizeof *cols);
    cq_sv *cells = cq_xmalloc(cap_cells * sizeof *cells);
    int end = 0, rc = 0;
    while (!end && c.pos < c.len) {
        cq_sv v;
        unsigned line = c.line;
        if (csv_header_field(&c, a, &v, &end) || !v.p) {
            rc = cq_diag_set(d, at, "lookup table %s: line %u: %s", t->path, line,
                             v.p ? "bad quoting" : "empty column name in the header");
            goto done;
        }
        if (n == cap)
            cols = cq_xrealloc(cols, (cap *= 2) * sizeof *cols);
        cols[n++] = v.p;
    }
    if (!n) {
        rc = cq_diag_set(d, at, "lookup table %s is empty (it needs a header row)", t->path);
        goto done;
    }
    while (c.pos < c.len) {
        if (c.s[c.pos] == '\n' || (c.s[c.pos] == '\r' && c.pos + 1 < c.len &&
                                   c.s[c.pos + 1] == '\n')) {
            c.pos += c.s[c.pos] == '\r' ? 2 : 1;     /* blank line */
            c.line++;
            continue;
        }
        if (n_cells + n > cap_cells) {
            while (n_cells + n > cap_cells)
                cap_cells *= 2;
            cells = cq_xrealloc(cells, cap_cells * sizeof *cells);
        }
        size_t k = 0;
        unsigned line = c.line;
        end = 0;
        while (!end) {
            cq_sv v;
            if (csv_field(&c, a, &v, &end)) {
                rc = cq_diag_set(d, at, "lookup table %s: line %u: bad quoting", t->path, line);
                goto done;
            }
            if (k < n)
                cells[n_cells + k] = v;
            k++;
        }
        for (; k < n; k++)
            cells[n_cells + k] = (cq_sv){NULL, 0};
        n_cells += n;
    }
    t->n_cols = (uint32_t)n;
    t->cols = cq_arena_alloc(a, n * sizeof *t->cols);
    memcpy(t->cols, cols, n * sizeof *cols);
    t->n_rows = n_cells / n;
    t->cells = cq_arena_alloc(a, (n_cells + 1) * sizeof *t->cells);
    if (n_cells)
        memcpy(t->cells, cells, n_cells * sizeof *cells);
done:
    free(cols);
    free(cells);
    return rc;
}

int cq_lookup_name(cq_arena *a, const cq_ast *arg, const cq_plan_opts *o, const char **file,
                   cq_diag *d)
{
    const char *name = arg->text;
    if (!name_ok(name)) {
        cq_diag_set(d, arg->span, "bad lookup table name \"%s\"", name);
        cq_diag_hint(d, "tables are read and written only in the lookup directory: give a"
                        " file name without \"/\" or \"..\", e.g. users.csv");
        return -1;
    }
    if (!o->lookups) {
        cq_diag_set(d, arg->span, "no lookup directory for table \"%s\"", name);
        cq_diag_hint(d, "use --lookups DIR or set CQUERY_LOOKUPS");
        return -1;
    }
    size_t nl = strlen(name);
    *file = nl > 4 && !strcmp(name + nl - 4, ".csv") ? name : cq_arena_printf(a, "%s.csv", name);
    return 0;
}

int cq_lookup_read(cq_arena *a, const char *dir, const char *file, const char *name, cq_span at,
                   cq_lookup_table **out, cq_diag *d)
{
    size_t len;
    char *text = read_table_file(dir, file, &len, name, at, d);
    if (!text)
        return -1;
    lk_table *t = cq_arena_calloc(a, sizeof *t);
    t->path = cq_arena_printf(a, "%s/%s", dir, file);
    int rc = parse_csv(text, len, a, t, at, d);
    free(text);
    *out = t;
    return rc;
}

/* Loads table `name` (an ARG node) from the lookup directory. */
static int load_table(cq_arena *a, const cq_ast *arg, const cq_plan_opts *o, lk_table **out,
                      cq_diag *d)
{
    const char *file;
    if (cq_lookup_name(a, arg, o, &file, d))
        return -1;
    return cq_lookup_read(a, o->lookups, file, arg->text, arg->span, out, d);
}

static int table_col(const lk_table *t, const char *name)
{
    for (uint32_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i], name))
            return (int)i;
    return -1;
}

/* --------------------------------------------------------- inputlookup */

typedef struct input_cfg {
    const lk_table *t;
    const cq_ast *where;
    size_t start;           /* first row read (0-based) */
    size_t end;             /* past the last row read: start + max, at most n_rows */
} input_cfg;

/* start= or max=: a whole number into *out. */
static int count_opt(const cq_ast *k, size_t *out, cq_diag *d)
{
    const char *v = k->kids && k->kids->text ? k->kids->text : "";
    double n;
    if (!cq_parse_num(v, strlen(v), &n) || n < 0 || n > 1e15 || n != (double)(uint64_t)n)
        return cq_diag_set(d, k->span, "inputlookup %s= takes a whole number, not \"%s\"",
                           k->name, v);
    *out = (size_t)n;
    return 0;
}

/* The options, in any order around the table name.  append=true as the
 * first command means the same as without it (the planner turns a later
 * inputlookup append=true into an append). */
static int input_options(const cq_ast *cmd, input_cfg *c, size_t *max, cq_diag *d)
{
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_OPTION)
            continue;
        if (!strcmp(k->name, "where")) {
            c->where = k->kids;
        } else if (!strcmp(k->name, "append")) {
            if (cq_ast_truth(k->kids) < 0)
                return cq_diag_set(d, k->span, "inputlookup append= takes true or false");
        } else if (!strcmp(k->name, "start") || !strcmp(k->name, "max")) {
            if (count_opt(k, !strcmp(k->name, "start") ? &c->start : max, d))
                return -1;
        } else {
            return cq_diag_set(d, k->span, "not supported yet: inputlookup %s=", k->name);
        }
    }
    return 0;
}

int cq_prepare_inputlookup(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                           cq_diag *d)
{
    input_cfg *c = cq_arena_calloc(a, sizeof *c);
    size_t max = SIZE_MAX;
    const cq_ast *arg = NULL;
    for (const cq_ast *k = cmd->kids; k; k = k->next)
        if (k->kind == CQ_AST_ARG)
            arg = k;
    if (input_options(cmd, c, &max, d))
        return -1;
    if (!arg)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "inputlookup needs a table name");
    if (c->where && cq_filter_check(c->where, -1, d))
        return -1;
    lk_table *t;
    if (load_table(a, arg, o, &t, d))
        return -1;
    c->t = t;
    /* start= and max= count rows of the file, before where filters them */
    c->start = c->start < t->n_rows ? c->start : t->n_rows;
    c->end = max < t->n_rows - c->start ? c->start + max : t->n_rows;
    *cfg = c;
    return 0;
}

typedef struct input_op {
    cq_oper base;
    const input_cfg *cfg;
    size_t pos;
    cq_arena arena;
    cq_batch out;
    uint16_t in[CQ_BATCH_ROWS], sel[CQ_BATCH_ROWS];
} input_op;

static int input_next(cq_oper *op, cq_batch **out)
{
    input_op *p = (input_op *)op;
    const lk_table *t = p->cfg->t;
    size_t end = p->cfg->end;
    while (p->pos < end) {
        cq_arena_reset(&p->arena);
        cq_batch_clear(&p->out);
        uint32_t n = end - p->pos < CQ_BATCH_ROWS ? (uint32_t)(end - p->pos) : CQ_BATCH_ROWS;
        for (uint32_t c = 0; c < t->n_cols; c++) {
            cq_sv *v = cq_arena_alloc(&p->arena, (n + 1) * sizeof *v);
            for (uint32_t r = 0; r < n; r++)
                v[r] = t->cells[(p->pos + r) * t->n_cols + c];
            cq_col col = {.kind = CQ_COL_STR, .n_rows = n, .strs = v};
            cq_batch_put(&p->out, t->cols[c], &col);
        }
        p->pos += n;
        p->out.n_rows = p->out.n_sel = n;
        if (p->cfg->where) {
            for (uint32_t r = 0; r < n; r++)
                p->in[r] = (uint16_t)r;
            uint32_t k = cq_filter_search(p->cfg->where, &p->out, p->in, n, p->sel, &p->arena);
            if (!k)
                continue;
            p->out.sel = p->sel;
            p->out.n_sel = k;
        }
        *out = &p->out;
        return 1;
    }
    return 0;
}

cq_oper *cq_open_inputlookup(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    input_op *p = cq_oper_new(sizeof *p, input_next, NULL, child, ctx);
    p->cfg = cfg;
    p->pos = p->cfg->start;
    cq_oper_out(&p->base, &p->arena, &p->out);
    return &p->base;
}

/* -------------------------------------------------------------- lookup */

typedef struct lk_out {
    int col;                /* table column */
    const char *field;      /* event field written */
} lk_out;

typedef struct lookup_cfg {
    const lk_table *t;
    int *in_cols;           /* table columns matched ... */
    const char **in_fields; /* ... against these event fields */
    size_t n_in;
    lk_out *outs;
    size_t n_outs;
    int output_new;         /* OUTPUTNEW */
} lookup_cfg;

static void key_add(cq_strbuf *k, cq_sv v)
{
    cq_strbuf_add(k, v.p, v.len);
    cq_strbuf_addc(k, '\x1f');
}

typedef struct lookup_op {
    cq_oper base;
    const lookup_cfg *cfg;
    cq_strmap map;          /* key -> first table row; next[] chains the rest */
    uint32_t *next;
    cq_arena keys;          /* the map's keys */
    cq_arena arena;         /* output, reset per batch */
    cq_batch view;          /* the child's batch with the output columns added */
    cq_bcol *cols;
    uint32_t cap;
} lookup_op;

/* Indexes the table by the matched columns (rows with an empty one are
 * never matched); rows with the same key stay in table order. */
static void index_table(lookup_op *l)
{
    const lookup_cfg *c = l->cfg;
    const lk_table *t = c->t;
    l->next = cq_xmalloc((t->n_rows + 1) * sizeof *l->next);
    uint32_t *last = cq_xcalloc(t->n_rows + 1, sizeof *last);
    cq_strbuf k = CQ_STRBUF_INIT;
    for (size_t r = 0; r < t->n_rows; r++) {
        l->next[r] = UINT32_MAX;
        cq_strbuf_reset(&k);
        int ok = 1;
        for (size_t i = 0; i < c->n_in && ok; i++) {
            cq_sv v = t->cells[r * t->n_cols + (size_t)c->in_cols[i]];
            ok = v.p != NULL;
            key_add(&k, v);
        }
        if (!ok)
            continue;
        uint32_t first = (uint32_t)r;
        char *kc = cq_arena_strndup(&l->keys, cq_strbuf_str(&k), k.len);
        if (cq_strmap_upsert(&l->map, kc, k.len, &first)) {
            l->next[last[first]] = (uint32_t)r;
            last[first] = (uint32_t)r;
        } else {
            last[r] = (uint32_t)r;
        }
    }
    cq_strbuf_free(&k);
    free(last);
}

int cq_prepare_lookup(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                      cq_diag *d)
{
    lookup_cfg *c = cq_arena_calloc(a, sizeof *c);
    const cq_ast *arg = NULL, *output = NULL;
    size_t n = cmd->n_kids + 1;
    c->in_cols = cq_arena_alloc(a, n * sizeof *c->in_cols);
    c->in_fields = cq_arena_alloc(a, n * sizeof *c->in_fields);
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_ARG)
            arg = k;
        else if (k->kind == CQ_AST_OPTION && (!strcmp(k->name, "output") ||
                                              !strcmp(k->name, "outputnew")))
            output = k;
        else if (k->kind == CQ_AST_OPTION && (!strcmp(k->name, "local") ||
                                              !strcmp(k->name, "update"))) {
            /* The table is read afresh by every query, on this machine: true
             * or false, they change nothing. */
            if (cq_ast_truth(k->kids) < 0)
                return cq_diag_set(d, k->span, "lookup %s= takes true or false", k->name);
        } else if (k->kind == CQ_AST_OPTION) {
            return cq_diag_set(d, k->span, "not supported yet: lookup %s=", k->name);
        }
    }
    if (!arg)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "lookup needs a table name");
    lk_table *t;
    if (load_table(a, arg, o, &t, d))
        return -1;
    c->t = t;
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind != CQ_AST_FIELD)
            continue;
        int col = table_col(t, k->name);
        if (col < 0)
            return cq_diag_set(d, k->span, "lookup table %s has no column \"%s\"", arg->text,
                               k->name);
        c->in_cols[c->n_in] = col;
        c->in_fields[c->n_in++] = k->alias ? k->alias : k->name;
    }
    if (!c->n_in)
        return cq_diag_set(d, arg->span, "lookup needs a field to match after the table name");
    c->outs = cq_arena_alloc(a, (t->n_cols + (output ? output->n_kids : 0) + 1) * sizeof *c->outs);
    if (output) {
        c->output_new = !strcmp(output->name, "outputnew");
        for (const cq_ast *k = output->kids; k; k = k->next) {
            int col = table_col(t, k->name);
            if (col < 0)
                return cq_diag_set(d, k->span, "lookup table %s has no column \"%s\"",
                                   arg->text, k->name);
            c->outs[c->n_outs++] = (lk_out){col, k->alias ? k->alias : k->name};
        }
    } else {
        for (uint32_t i = 0; i < t->n_cols; i++) {
            int matched = 0;
            for (size_t j = 0; j < c->n_in; j++)
                matched |= c->in_cols[j] == (int)i;
            if (!matched)
                c->outs[c->n_outs++] = (lk_out){(int)i, t->cols[i]};
        }
    }
    *cfg = c;
    return 0;
}

/* Matching table rows of batch row r into rows[] (at most MAX_MATCHES). */
static uint32_t find_rows(const lookup_op *l, const cq_batch *b, uint32_t r, uint32_t *rows,
                          cq_arena *a)
{
    const lookup_cfg *c = l->cfg;
    cq_strbuf k = CQ_STRBUF_INIT;
    uint32_t n = 0;
    const cq_col *first = cq_batch_get(b, c->in_fields[0]);
    /* One matched field: each of its values is looked up (multivalue). */
    uint32_t nv = first ? cq_col_nvals(first, r) : 0;
    if (c->n_in > 1 && nv > 1)
        nv = 1;
    for (uint32_t v = 0; v < nv && n < MAX_MATCHES; v++) {
        cq_strbuf_reset(&k);
        key_add(&k, cq_col_text(first, r, v, a));
        int ok = 1;
        for (size_t i = 1; i < c->n_in && ok; i++) {
            const cq_col *col = cq_batch_get(b, c->in_fields[i]);
            ok = col && cq_col_nvals(col, r) > 0;
            if (ok)
                key_add(&k, cq_col_text(col, r, 0, a));
        }
        uint32_t row;
        if (!ok || !cq_strmap_get(&l->map, cq_strbuf_str(&k), k.len, &row))
            continue;
        for (; row != UINT32_MAX && n < MAX_MATCHES; row = l->next[row])
            rows[n++] = row;
    }
    cq_strbuf_free(&k);
    return n;
}

/* Builds output column o over the batch's selected rows. */
static void out_col(lookup_op *l, const cq_batch *b, const lk_out *o, uint32_t **matches,
                    const uint32_t *n_matches)
{
    const lk_table *t = l->cfg->t;
    const cq_col *old = cq_batch_get(b, o->field);
    cq_arena *a = &l->arena;
    uint32_t *off = cq_arena_alloc(a, (b->n_rows + 1) * sizeof *off);
    size_t cap = b->n_sel + 16, k = 0;
    cq_sv *v = cq_arena_alloc(a, cap * sizeof *v);
    uint32_t next_sel = 0;
    for (uint32_t r = 0; r < b->n_rows; r++) {
        off[r] = (uint32_t)k;
        int selected = next_sel < b->n_sel && cq_batch_row(b, next_sel) == r;
        uint32_t keep = old ? cq_col_nvals(old, r) : 0;
        int use_old = !selected || (l->cfg->output_new && keep);
        size_t need = use_old ? keep : (selected ? n_matches[next_sel] : 0);
        if (k + need > cap) {
            cap = cap * 2 + need;
            cq_sv *nv = cq_arena_alloc(a, cap * sizeof *nv);
            memcpy(nv, v, k * sizeof *v);
            v = nv;
        }
        if (use_old) {
            for (uint32_t q = 0; q < keep; q++)
                v[k++] = cq_col_text(old, r, q, a);
        } else {
            for (uint32_t q = 0; q < n_matches[next_sel]; q++) {
                cq_sv s = t->cells[(size_t)matches[next_sel][q] * t->n_cols + (size_t)o->col];
                if (s.p)
                    v[k++] = s;
            }
        }
        if (selected)
            next_sel++;
    }
    off[b->n_rows] = (uint32_t)k;
    cq_col c = {.kind = CQ_COL_STR, .n_rows = b->n_rows, .strs = v, .row_off = off};
    cq_batch_put(&l->view, o->field, &c);
}

static int lookup_next(cq_oper *op, cq_batch **out)
{
    lookup_op *l = (lookup_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&l->arena);
    const lookup_cfg *c = l->cfg;
    /* A selection that is not in row order (newest-first readers) is
     * handled by visiting rows in selection order below. */
    uint32_t **matches = cq_arena_alloc(&l->arena, (b->n_sel + 1) * sizeof *matches);
    uint32_t *n_matches = cq_arena_alloc(&l->arena, (b->n_sel + 1) * sizeof *n_matches);
    uint32_t *tmp = cq_xmalloc(MAX_MATCHES * sizeof *tmp);
    for (uint32_t i = 0; i < b->n_sel; i++) {
        n_matches[i] = find_rows(l, b, cq_batch_row(b, i), tmp, &l->arena);
        matches[i] = cq_arena_alloc(&l->arena, (n_matches[i] + 1) * sizeof **matches);
        memcpy(matches[i], tmp, n_matches[i] * sizeof *tmp);
    }
    free(tmp);
    uint32_t need = b->n_cols + (uint32_t)c->n_outs;
    if (need > l->cap) {
        l->cap = need * 2;
        l->cols = cq_xrealloc(l->cols, l->cap * sizeof *l->cols);
    }
    l->view = *b;
    memcpy(l->cols, b->cols, b->n_cols * sizeof *b->cols);
    l->view.cols = l->cols;
    l->view.cap_cols = l->cap;
    /* out_col walks rows in order and selected rows in selection order:
     * give it an ascending selection (a permutation of the same rows). */
    int ascending = 1;
    for (uint32_t i = 1; i < b->n_sel && ascending; i++)
        ascending = cq_batch_row(b, i) > cq_batch_row(b, i - 1);
    if (!ascending) {
        /* Rows not in order: sort (row, matches) pairs by row for the
         * builder, keeping the batch's own selection for the output. */
        cq_batch asc = *b;
        uint16_t *sel = cq_arena_alloc(&l->arena, (b->n_rows + 1) * sizeof *sel);
        uint32_t **m2 = cq_arena_alloc(&l->arena, (b->n_sel + 1) * sizeof *m2);
        uint32_t *n2 = cq_arena_alloc(&l->arena, (b->n_sel + 1) * sizeof *n2);
        int32_t *pos = cq_arena_alloc(&l->arena, (b->n_rows + 1) * sizeof *pos);
        for (uint32_t r = 0; r < b->n_rows; r++)
            pos[r] = -1;
        for (uint32_t i = 0; i < b->n_sel; i++)
            pos[cq_batch_row(b, i)] = (int32_t)i;
        uint32_t k = 0;
        for (uint32_t r = 0; r < b->n_rows; r++)
            if (pos[r] >= 0) {
                sel[k] = (uint16_t)r;
                m2[k] = matches[pos[r]];
                n2[k++] = n_matches[pos[r]];
            }
        asc.sel = sel;
        for (size_t o = 0; o < c->n_outs; o++)
            out_col(l, &asc, &c->outs[o], m2, n2);
    } else {
        for (size_t o = 0; o < c->n_outs; o++)
            out_col(l, b, &c->outs[o], matches, n_matches);
    }
    *out = &l->view;
    return 1;
}

static void lookup_free(cq_oper *op)
{
    lookup_op *l = (lookup_op *)op;
    free(l->cols);
    free(l->next);
    cq_strmap_free(&l->map);
    cq_arena_free(&l->keys);
    cq_arena_free(&l->arena);
}

cq_oper *cq_open_lookup(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    lookup_op *l = cq_oper_new(sizeof *l, lookup_next, lookup_free, child, ctx);
    l->cfg = cfg;
    cq_arena_init(&l->arena);
    cq_arena_init(&l->keys);
    cq_strmap_init(&l->map);
    index_table(l);
    return &l->base;
}

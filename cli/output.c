/*
 * output.c - the result sinks.
 *
 * Rows are copied out of the batches (which live only until the next batch)
 * into the output's arena.  JSON streams row by row; table and CSV wait for
 * the end, because the columns of events are only known once every event
 * has been seen, and a table needs every width.
 */
#define _GNU_SOURCE         /* fopencookie */
#include "cli/output.h"
#include "cli/term.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/timeutil.h"
#include "common/num.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A value as the engine gave it: its length, not a NUL, ends it (a log
 * value may hold NUL bytes, and the writers print them escaped). */
typedef struct text {
    const char *p;
    size_t len;
} text;

typedef struct cell {
    uint32_t col;           /* index into columns */
    uint32_t n_vals;
    text *vals;
} cell;

typedef struct row {
    cell *cells;
    uint32_t n_cells;
} row;

struct cq_output {
    cq_sink sink;
    cq_out_format fmt;
    FILE *out;
    int tz;
    int fixed;              /* the query fixed the columns: keep their order */
    int csv_raw;            /* CSV: leave formula-like cells as they are */
    int tty;                /* out is a terminal: CSV escapes controls as the table does */
    unsigned term_cols;     /* table: fit the rows to this width (0: no limit) */
    unsigned term_rows;     /* table: page output longer than this (0: never) */
    cq_arena arena;
    cq_strmap col_ids;      /* name -> column index */
    char **cols;
    uint32_t n_cols, cap_cols;
    row *rows;
    uint64_t n_rows, cap_rows, n_seen;
    int64_t t_first, t_last;
    uint64_t keep_max;      /* JSON: rows written at most (0: all); the rest are counted */
    int collect_times;      /* keep each row's time in times[] */
    int64_t *times;
    size_t n_times, cap_times;
    char time_cols[96];     /* names of the time columns seen, ", "-separated */
    const char *tag_name;   /* JSON: a field put first in every row (hunt) */
    const char *tag_value;
};

int cq_out_format_parse(const char *s, cq_out_format *f)
{
    if (!strcmp(s, "table"))
        *f = CQ_FMT_TABLE;
    else if (!strcmp(s, "csv"))
        *f = CQ_FMT_CSV;
    else if (!strcmp(s, "json"))
        *f = CQ_FMT_JSON;
    else
        return -1;
    return 0;
}

static int visible(const char *name)
{
    return name[0] != '_' || !strcmp(name, "_time") || !strcmp(name, "_raw");
}

static uint32_t col_id(cq_output *o, const char *name)
{
    uint32_t id = o->n_cols;
    if (cq_strmap_get(&o->col_ids, name, strlen(name), &id))
        return id;
    if (o->n_cols == o->cap_cols) {
        o->cap_cols = o->cap_cols ? o->cap_cols * 2 : 32;
        o->cols = cq_xrealloc(o->cols, o->cap_cols * sizeof *o->cols);
    }
    char *copy = cq_arena_strdup(&o->arena, name);
    o->cols[o->n_cols] = copy;
    cq_strmap_upsert(&o->col_ids, copy, strlen(copy), &id);
    o->n_cols++;
    return id;
}

/* Text of value k of row r in column c (times formatted). */
/* _time made by a command (stats min(_time) as _time, eval _time=...) is
 * epoch seconds; it prints as a time all the same, as in Splunk. */
static int epoch_text(cq_output *o, const cq_col *c, uint32_t r, uint32_t k, text *out)
{
    double secs;
    if (c->kind == CQ_COL_NUM) {
        secs = c->nums[r];
    } else {
        cq_sv v = cq_col_text(c, r, k, &o->arena);
        if (!v.p || !cq_parse_num(v.p, v.len, &secs))
            return 0;
    }
    char buf[CQ_TIME_BUFLEN];
    size_t n = cq_time_format((int64_t)(secs * 1e6 + (secs < 0 ? -0.5 : 0.5)), o->tz, buf);
    *out = (text){cq_arena_strndup(&o->arena, buf, n), n};
    return 1;
}

static text cell_text(cq_output *o, const cq_col *c, uint32_t r, uint32_t k)
{
    if (c->kind == CQ_COL_TIME) {
        char buf[CQ_TIME_BUFLEN];
        size_t n = cq_time_format(c->times[r], o->tz, buf);
        return (text){cq_arena_strndup(&o->arena, buf, n), n};
    }
    cq_sv v = cq_col_text(c, r, k, &o->arena);
    size_t n = v.p ? v.len : 0;
    return (text){cq_arena_strndup(&o->arena, v.p ? v.p : "", n), n};
}

/* A column whose values are times: _time, or one of the names analytics
 * give the times of an aggregate (stats min(_time) as firstTime, first_time,
 * earliest, last_seen, ...), compared without case and underscores. */
static int time_column(const char *name)
{
    static const char *const names[] = {
        "firsttime", "lasttime", "firstseen", "lastseen", "earliest", "latest",
        "earliesttime", "latesttime", "starttime", "endtime", "mintime", "maxtime",
    };
    if (!strcmp(name, "_time"))
        return 1;
    char folded[24];
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '_')
            continue;
        if (n + 1 == sizeof folded)
            return 0;
        folded[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    folded[n] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(folded, names[i]))
            return 1;
    return 0;
}

/* The time in row r of c: a time column, epoch seconds (a number or its
 * text) or an ISO 8601 text (strftime's "%Y-%m-%dT%H:%M:%S%z").  0 or -1. */
static int value_time(cq_output *o, const cq_col *c, uint32_t r, int64_t *t)
{
    double secs;
    cq_sv v;
    if (c->kind == CQ_COL_TIME) {
        *t = c->times[r];
        return 0;
    }
    if (c->kind == CQ_COL_NUM) {
        if (c->nums[r] != c->nums[r])
            return -1;
        *t = (int64_t)(c->nums[r] * 1e6);
        return 0;
    }
    v = cq_col_text(c, r, 0, &o->arena);
    if (!v.p)
        return -1;
    if (cq_parse_num(v.p, v.len, &secs)) {
        *t = (int64_t)(secs * 1e6);
        return 0;
    }
    return cq_time_parse_iso(v.p, v.len, t);
}

/* Remembers that column name held times (for "times from first_time"). */
static void note_time_column(cq_output *o, const char *name)
{
    size_t len = strlen(o->time_cols), n = strlen(name);
    for (const char *p = o->time_cols; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, name, n))
            return;
        p += k + (p[k] ? 2 : 0);
    }
    if (len + n + 3 < sizeof o->time_cols)
        snprintf(o->time_cols + len, sizeof o->time_cols - len, "%s%s", len ? ", " : "", name);
}

/* Widens the range of times seen (any order: stats output is not sorted by
 * time) and lowers *row_t, the row's earliest time. */
static void note_time(cq_output *o, const char *name, const cq_col *c, uint32_t r,
                      int64_t *row_t)
{
    int64_t t;
    if (value_time(o, c, r, &t))
        return;
    note_time_column(o, name);
    if (o->t_first == INT64_MIN || t < o->t_first)
        o->t_first = t;
    if (o->t_last == INT64_MIN || t > o->t_last)
        o->t_last = t;
    if (t < *row_t)
        *row_t = t;
}

static void keep_time(cq_output *o, int64_t t)
{
    if (o->n_times == o->cap_times) {
        o->cap_times = o->cap_times ? o->cap_times * 2 : 1024;
        o->times = cq_xrealloc(o->times, o->cap_times * sizeof *o->times);
    }
    o->times[o->n_times++] = t;
}

static void take_row(cq_output *o, const cq_batch *b, uint32_t r, row *out)
{
    /* Fixed columns: every column the batch carries counts, even where this
     * row has no value, so the order is the query's, not the data's. */
    if (o->fixed)
        for (uint32_t i = 0; i < b->n_cols; i++)
            if (visible(b->cols[i].name))
                col_id(o, b->cols[i].name);
    out->cells = cq_arena_alloc(&o->arena, (b->n_cols + 1) * sizeof *out->cells);
    out->n_cells = 0;
    int64_t row_t = INT64_MAX;
    for (uint32_t i = 0; i < b->n_cols; i++) {
        const cq_bcol *bc = &b->cols[i];
        if (!visible(bc->name))
            continue;
        uint32_t nv = cq_col_nvals(&bc->col, r);
        if (!nv)
            continue;
        if (time_column(bc->name))
            note_time(o, bc->name, &bc->col, r, &row_t);
        cell *c = &out->cells[out->n_cells++];
        c->col = col_id(o, bc->name);
        c->n_vals = nv;
        c->vals = cq_arena_alloc(&o->arena, nv * sizeof *c->vals);
        for (uint32_t k = 0; k < nv; k++) {
            if (!strcmp(bc->name, "_time") && bc->col.kind != CQ_COL_TIME &&
                epoch_text(o, &bc->col, r, k, &c->vals[k]))
                continue;
            c->vals[k] = cell_text(o, &bc->col, r, k);
        }
    }
    if (o->collect_times && row_t != INT64_MAX)
        keep_time(o, row_t);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0..len) does
 * not start with one (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, or a truncated sequence).  *cp
 * receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD, so
 * that a JSON row always holds the rest of a value from a broken log line;
 * returns s itself when it is valid.  sb is scratch. */
static text valid_utf8(text t, cq_strbuf *sb)
{
    const char *s = t.p;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = t.len, i = 0;
    uint32_t cp;
    size_t n;
    while (i < len && (n = utf8_seq(p + i, len - i, &cp)))
        i += n;
    if (i == len)
        return t;
    cq_strbuf_reset(sb);
    cq_strbuf_add(sb, s, i);
    while (i < len) {
        if ((n = utf8_seq(p + i, len - i, &cp))) {
            cq_strbuf_add(sb, s + i, n);
            i += n;
        } else {
            cq_strbuf_adds(sb, "\xEF\xBF\xBD");
            i++;
        }
    }
    return (text){cq_strbuf_str(sb), sb->len};
}

static text text_of(const char *s)
{
    return (text){s, strlen(s)};
}

/* A JSON string of the whole value: a NUL in it becomes \u0000. */
static json_t *json_text(text t, cq_strbuf *sb)
{
    t = valid_utf8(t, sb);
    return json_stringn(t.p, t.len);
}

json_t *cq_out_json_text(const char *s, size_t len)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    json_t *j = json_text((text){s, len}, &sb);
    cq_strbuf_free(&sb);
    if (!j)
        cq_oom();
    return j;
}

static void json_row(cq_output *o, const row *rw)
{
    cq_strbuf sb = CQ_STRBUF_INIT, key = CQ_STRBUF_INIT;
    json_t *obj = json_object();
    if (o->tag_name)
        json_object_set_new(obj, o->tag_name, json_text(text_of(o->tag_value), &sb));
    for (uint32_t i = 0; i < rw->n_cells; i++) {
        const cell *c = &rw->cells[i];
        json_t *v;
        if (c->n_vals == 1) {
            v = json_text(c->vals[0], &sb);
        } else {
            v = json_array();
            for (uint32_t k = 0; k < c->n_vals; k++)
                json_array_append_new(v, json_text(c->vals[k], &sb));
        }
        text name = valid_utf8(text_of(o->cols[c->col]), &key);
        json_object_set_new(obj, name.p, v);
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (s) {
        fputs(s, o->out);
        fputc('\n', o->out);
        free(s);
    }
    json_decref(obj);
    cq_strbuf_free(&sb);
    cq_strbuf_free(&key);
}

static int out_batch(cq_sink *s, const cq_batch *b)
{
    cq_output *o = s->ctx;
    for (uint32_t i = 0; i < b->n_sel; i++) {
        row rw;
        take_row(o, b, cq_batch_row(b, i), &rw);
        o->n_seen++;
        if (o->fmt == CQ_FMT_JSON) {
            if (!o->keep_max || o->n_seen <= o->keep_max)
                json_row(o, &rw);
            cq_arena_reset(&o->arena);
            /* columns live in the arena too: forget them with it */
            cq_strmap_clear(&o->col_ids);
            o->n_cols = 0;
            continue;
        }
        if (o->n_rows == o->cap_rows) {
            o->cap_rows = o->cap_rows ? o->cap_rows * 2 : 256;
            o->rows = cq_xrealloc(o->rows, o->cap_rows * sizeof *o->rows);
        }
        o->rows[o->n_rows++] = rw;
    }
    return 0;
}

cq_output *cq_output_new(cq_out_format f, FILE *out, int tz_offset_s, int fixed_columns)
{
    cq_output *o = cq_xcalloc(1, sizeof *o);
    o->fmt = f;
    o->out = out;
    o->tz = tz_offset_s;
    o->t_first = o->t_last = INT64_MIN;
    cq_arena_init(&o->arena);
    cq_strmap_init(&o->col_ids);
    o->sink.batch = out_batch;
    o->sink.ctx = o;
    o->fixed = fixed_columns;
    o->tty = out && isatty(fileno(out));
    return o;
}

void cq_output_tag(cq_output *o, const char *name, const char *value)
{
    o->tag_name = name;
    o->tag_value = value;
}

void cq_output_csv_raw(cq_output *o, int raw)
{
    o->csv_raw = raw;
}

cq_sink *cq_output_sink(cq_output *o)
{
    return &o->sink;
}

void cq_output_keep(cq_output *o, uint64_t max_rows)
{
    o->keep_max = max_rows;
}

void cq_output_collect_times(cq_output *o)
{
    o->collect_times = 1;
}

int64_t *cq_output_take_times(cq_output *o, size_t *n)
{
    int64_t *t = o->times;
    *n = o->n_times;
    o->times = NULL;
    o->n_times = o->cap_times = 0;
    return t;
}

const char *cq_output_time_columns(const cq_output *o)
{
    return o->time_cols;
}

uint64_t cq_output_rows(const cq_output *o)
{
    return o->n_seen;
}

void cq_output_time_range(const cq_output *o, int64_t *first, int64_t *last)
{
    *first = o->t_first;
    *last = o->t_last;
}

/* Code points a terminal must not receive from a log: C0 controls, DEL, C1
 * controls (U+0080..U+009F, CSI among them) and the bidirectional overrides
 * and isolates that can make displayed text differ from its bytes. */
static int unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* Prints s as cq_put_safe does when out is not NULL, stopping before the
 * first character that would take the width past limit; returns the width
 * in characters (table columns are padded with it).  An escape (\\xNN) is
 * one character here: it is never cut in two. */
static size_t put_safe_upto(FILE *out, const char *s, size_t len, size_t limit)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_seq(p + i, len - i, &cp), cw;
        if (!n) {                       /* not UTF-8: the byte, escaped */
            cw = 4;
            if (w + cw > limit)
                break;
            if (out)
                fprintf(out, "\\x%02x", p[i]);
            n = 1;
        } else if (unsafe_cp(cp)) {
            cw = cp < 0x80 ? 4 : 6;
            if (w + cw > limit)
                break;
            if (out)
                fprintf(out, cp < 0x80 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
        } else {
            cw = 1;
            if (w + cw > limit)
                break;
            if (out)
                fwrite(p + i, 1, n, out);
        }
        w += cw;
        i += n;
    }
    return w;
}

static size_t put_safe(FILE *out, const char *s, size_t len)
{
    return put_safe_upto(out, s, len, SIZE_MAX);
}

size_t cq_put_cut(FILE *out, const char *s, size_t len, size_t width)
{
    if (put_safe(NULL, s, len) <= width)
        return put_safe(out, s, len);
    if (!width)
        return 0;
    size_t w = put_safe_upto(out, s, len, width - 1);
    fputs("\xE2\x80\xA6", out);   /* U+2026, the ellipsis */
    return w + 1;
}

void cq_put_row(FILE *out, const char *const *cell, const size_t *w, uint32_t n,
                uint32_t right)
{
    for (uint32_t j = 0; j < n; j++) {
        int r = (right >> j) & 1;
        size_t cw = cq_safe_width(cell[j], strlen(cell[j]));
        for (size_t k = cw; r && k < w[j]; k++)
            fputc(' ', out);
        size_t pw = cq_put_cut(out, cell[j], strlen(cell[j]), w[j]);
        for (size_t k = pw; !r && j + 1 < n && k < w[j]; k++)
            fputc(' ', out);
        if (j + 1 < n)
            fputs("  ", out);
    }
    fputc('\n', out);
}

void cq_put_safe(FILE *out, const char *s, size_t len)
{
    put_safe(out, s, len);
}

size_t cq_safe_width(const char *s, size_t len)
{
    return put_safe(NULL, s, len);
}

/* ---- a stream that escapes what it is given, for reports quoting logs ---- */

static ssize_t safe_write(void *cookie, const char *buf, size_t len)
{
    FILE *to = cookie;
    for (size_t i = 0; i < len;) {      /* newlines end report lines: keep them */
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        put_safe(to, buf + i, n);
        i += n;
        if (nl) {
            fputc('\n', to);
            i++;
        }
    }
    fflush(to);
    return (ssize_t)len;
}

static int safe_close(void *cookie)
{
    (void)cookie;
    return 0;
}

FILE *cq_safe_stream(FILE *to)
{
    cookie_io_functions_t io = {NULL, safe_write, NULL, safe_close};
    FILE *f = fopencookie(to, "w", io);
    if (!f)
        return to;
    /* whole lines at a time, so that a UTF-8 character is never split */
    setvbuf(f, NULL, _IOLBF, 1 << 16);
    return f;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Display order of the columns: as the query made them (table, stats: the
 * order they first appear in), or for events _time, the other fields by
 * name, then _raw (table format: _time, sourcetype, the normalized fields
 * present, _raw). */
static uint32_t *column_order(cq_output *o, uint32_t *n_out)
{
    uint32_t *ord = cq_arena_alloc(&o->arena, (o->n_cols + 1) * sizeof *ord), n = 0;
    uint8_t *used = cq_arena_calloc(&o->arena, o->n_cols + 1);
    char **sorted = cq_arena_alloc(&o->arena, (o->n_cols + 1) * sizeof *sorted);
    if (o->n_cols)      /* o->cols is NULL before the first column */
        memcpy(sorted, o->cols, o->n_cols * sizeof *sorted);
    qsort(sorted, o->n_cols, sizeof *sorted, str_cmp);
    uint32_t id;
#define TAKE(name) \
    do { \
        if (cq_strmap_get(&o->col_ids, (name), strlen(name), &id) && !used[id]) { \
            used[id] = 1; \
            ord[n++] = id; \
        } \
    } while (0)
    if (o->fixed) {
        for (uint32_t k = 0; k < o->n_cols; k++)   /* ids follow first appearance */
            TAKE(o->cols[k]);
    } else if (o->fmt == CQ_FMT_TABLE && o->term_cols) {
        /* On a terminal, Splunk's event view: when, what, where, and the
         * event itself cut to the width left. */
        static const char *const glance[] = {"_time", "sourcetype", "host", "_raw"};
        for (size_t i = 0; i < sizeof glance / sizeof glance[0]; i++)
            TAKE(glance[i]);
    } else if (o->fmt == CQ_FMT_TABLE) {
        /* A readable event view: the normalized fields that let one glance
         * compare Docker and Kubernetes hits, then the raw event. */
        static const char *const common[] = {
            "_time", "sourcetype", "host", "user", "src_ip", "action", "command", "namespace",
            "pod", "container", "container_id", "image", "exec_command", "_raw",
        };
        for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
            TAKE(common[i]);
    } else {
        TAKE("_time");
        for (uint32_t k = 0; k < o->n_cols; k++)
            if (strcmp(sorted[k], "_raw"))
                TAKE(sorted[k]);
        TAKE("_raw");
    }
#undef TAKE
    *n_out = n;
    return ord;
}

static const cell *find_cell(const row *rw, uint32_t col)
{
    for (uint32_t i = 0; i < rw->n_cells; i++)
        if (rw->cells[i].col == col)
            return &rw->cells[i];
    return NULL;
}

/* A plain decimal number (-5, +1.5e3): a spreadsheet reads it as that
 * number, so it is safe to leave alone even though it starts with - or +. */
static int is_number(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits && (*p == 'e' || *p == 'E')) {
        p += 1 + (p[1] == '-' || p[1] == '+');
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return digits && !*p;
}

/* Formula injection (OWASP, "CSV Injection"): a cell a spreadsheet would
 * run as a formula starts with =, +, -, @, tab or carriage return (a plain
 * number or a lone sign excepted). */
static int looks_like_formula(const char *s)
{
    if (!*s || !strchr("=+-@\t\r", *s))
        return 0;
    if ((*s == '-' || *s == '+') && !s[1])
        return 0;       /* a lone sign (fillnull value=-) is text everywhere */
    return !is_number(s);
}

/* Bytes of a CSV cell between its quotes.  To a terminal, controls are
 * escaped as in table output (newlines, which separate multivalues, kept);
 * to a file only a NUL, which most CSV readers stop at, becomes \x00. */
static void csv_bytes(FILE *out, const char *s, size_t len, int tty)
{
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (s + i)) : len - i;
        if (tty) {
            put_safe(out, s + i, n);
        } else {
            for (size_t k = 0; k < n; k++) {
                if (s[i + k])
                    fputc(s[i + k], out);
                else
                    fputs("\\x00", out);
            }
        }
        i += n;
        if (nl) {
            fputc('\n', out);
            i++;
        }
    }
}

void cq_csv_cell(FILE *out, const char *s, size_t len, int raw, int tty)
{
    int defuse = !raw && looks_like_formula(s);
    int quote = memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) ||
                memchr(s, '\n', len);
    if (quote)
        fputc('"', out);
    if (defuse)
        fputc('\'', out);
    for (size_t i = 0; i < len;) {
        const char *q = quote ? memchr(s + i, '"', len - i) : NULL;
        size_t n = q ? (size_t)(q - (s + i)) + 1 : len - i;
        csv_bytes(out, s + i, n, tty);
        if (q)
            fputc('"', out);    /* "" is a quote inside a quoted cell */
        i += n;
    }
    if (quote)
        fputc('"', out);
}

static void csv_field(const cq_output *o, const char *s, size_t len)
{
    cq_csv_cell(o->out, s, len, o->csv_raw, o->tty);
}

static void print_csv(cq_output *o, const uint32_t *ord, uint32_t n)
{
    if (!n)
        return;     /* no results: no output, as Splunk's export */
    for (uint32_t j = 0; j < n; j++) {
        if (j)
            fputc(',', o->out);
        csv_field(o, o->cols[ord[j]], strlen(o->cols[ord[j]]));
    }
    fputc('\n', o->out);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (uint64_t r = 0; r < o->n_rows; r++) {
        for (uint32_t j = 0; j < n; j++) {
            if (j)
                fputc(',', o->out);
            const cell *c = find_cell(&o->rows[r], ord[j]);
            if (!c)
                continue;
            cq_strbuf_reset(&sb);
            for (uint32_t k = 0; k < c->n_vals; k++) {
                if (k)
                    cq_strbuf_addc(&sb, '\n');  /* Splunk's multivalue cells */
                cq_strbuf_add(&sb, c->vals[k].p, c->vals[k].len);
            }
            csv_field(o, cq_strbuf_str(&sb), sb.len);
        }
        fputc('\n', o->out);
    }
    cq_strbuf_free(&sb);
}

/* Width in characters as cq_put_safe prints it. */
static size_t text_width(text t)
{
    return put_safe(NULL, t.p, t.len);
}

static size_t cell_width(const cell *c)
{
    size_t w = 0;
    for (uint32_t k = 0; k < c->n_vals; k++)
        w += text_width(c->vals[k]) + (k ? 2 : 0);
    return w;
}

/* Prints t cut to width characters, padded to width + 2 unless last. */
static void put_cell(FILE *out, text t, size_t width, int last)
{
    size_t w = cq_put_cut(out, t.p, t.len, width);
    if (last)
        return;
    for (; w < width + 2; w++)
        fputc(' ', out);
}

#define TABLE_MIN_WIDTH 8   /* a column is never cut narrower than this */

/* Cuts columns until the row fits `cols` characters: the last one alone
 * when that leaves it TABLE_MIN_WIDTH, else the widest ones, to the largest
 * cap such that every column at most cap wide fits, and no cap
 * below TABLE_MIN_WIDTH (past that, lines are wider than the terminal and
 * `less -S` scrolls them sideways). */
void cq_fit_widths(size_t *w, uint32_t n, unsigned cols)
{
    size_t budget = cols > 2 * (n - 1) ? cols - 2 * (n - 1) : 0, total = 0, widest = 0;
    for (uint32_t j = 0; j < n; j++) {
        total += w[j];
        widest = w[j] > widest ? w[j] : widest;
    }
    if (total <= budget)
        return;
    /* The last column (_raw in the event view) gives first: it is where a
     * reader expects the text to run on, and cutting it alone keeps the
     * times and names whole. */
    size_t rest = total - w[n - 1];
    if (n > 1 && rest + TABLE_MIN_WIDTH <= budget) {
        w[n - 1] = budget - rest;
        return;
    }
    size_t lo = TABLE_MIN_WIDTH, hi = widest;   /* the cap: largest that fits */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2, sum = 0;
        for (uint32_t j = 0; j < n; j++)
            sum += w[j] < mid ? w[j] : mid;
        if (sum <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    for (uint32_t j = 0; j < n; j++)
        w[j] = w[j] < lo ? w[j] : lo;
}

static void print_table(cq_output *o, FILE *out, const uint32_t *ord, uint32_t n)
{
    if (!o->n_rows || !n)
        return;     /* search says "(no results)" on stderr: a note, not a result */
    size_t *w = cq_arena_alloc(&o->arena, (n + 1) * sizeof *w);
    for (uint32_t j = 0; j < n; j++) {
        w[j] = text_width(text_of(o->cols[ord[j]]));
        for (uint64_t r = 0; r < o->n_rows; r++) {
            const cell *c = find_cell(&o->rows[r], ord[j]);
            if (c && cell_width(c) > w[j])
                w[j] = cell_width(c);
        }
    }
    if (o->term_cols)
        cq_fit_widths(w, n, o->term_cols);
    for (uint32_t j = 0; j < n; j++)
        put_cell(out, text_of(o->cols[ord[j]]), w[j], j + 1 == n);
    fputc('\n', out);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (uint64_t r = 0; r < o->n_rows; r++) {
        for (uint32_t j = 0; j < n; j++) {
            const cell *c = find_cell(&o->rows[r], ord[j]);
            cq_strbuf_reset(&sb);
            for (uint32_t k = 0; c && k < c->n_vals; k++) {
                if (k)
                    cq_strbuf_adds(&sb, ", ");
                cq_strbuf_add(&sb, c->vals[k].p, c->vals[k].len);
            }
            put_cell(out, (text){cq_strbuf_str(&sb), sb.len}, w[j], j + 1 == n);
        }
        fputc('\n', out);
    }
    cq_strbuf_free(&sb);
}

void cq_output_terminal(cq_output *o, unsigned cols, unsigned rows)
{
    o->term_cols = cols;
    o->term_rows = rows;
}

/* The table, through the pager when it is longer than the screen (the
 * header and a line for the pager's prompt included). */
static int finish_table(cq_output *o, const uint32_t *ord, uint32_t n)
{
    FILE *pager = o->term_rows && o->n_rows + 2 > o->term_rows ? cq_pager_open() : NULL;
    if (!pager) {
        print_table(o, o->out, ord, n);
        return 0;
    }
    print_table(o, pager, ord, n);
    return cq_pager_close(pager);
}

int cq_output_finish(cq_output *o)
{
    int rc = 0;
    if (o->fmt != CQ_FMT_JSON) {
        uint32_t n;
        uint32_t *ord = column_order(o, &n);
        if (o->fmt == CQ_FMT_CSV)
            print_csv(o, ord, n);
        else
            rc = finish_table(o, ord, n);
    }
    return fflush(o->out) || ferror(o->out) || rc ? -1 : 0;
}

void cq_output_free(cq_output *o)
{
    if (!o)
        return;
    free(o->rows);
    free(o->times);
    free(o->cols);
    cq_strmap_free(&o->col_ids);
    cq_arena_free(&o->arena);
    free(o);
}

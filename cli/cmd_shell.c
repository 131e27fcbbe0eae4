/*
 * cmd_shell.c - `cquery shell`: a prompt that runs queries one after another.
 *
 * On a terminal it reads with libedit's own API (histedit.h): it lets Tab
 * and Ctrl-X e be functions of ours, and Ctrl-C a key that drops the line,
 * which the readline emulation does not offer cleanly.  On any other input
 * it reads the same lines without prompts, so a file of queries is a
 * script.  Each query is compiled and run as `cquery search` runs it
 * (cq_cli_compile, cq_cli_search_run): the same output, the same caret
 * errors, after which the shell goes on.
 *
 * What completion offers comes from the tables (commands.def through
 * cq_cmd_def_table, functions.def through cq_fn_def_table) and from the
 * index (cq_index_fields, and a bounded query for a field's values), never
 * from a list of its own.
 */
#include "cli/cli.h"
#include "common/arena.h"
#include "common/strbuf.h"
#include "engine/batch.h"
#include "grammar/resolve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_QUERY (4u << 20)        /* a query at most 4 MiB, as -q FILE */
#define HISTORY_SIZE 1000           /* entries kept, in memory and in the file */
#define HISTORY_LINE (64u << 10)    /* longer queries are not kept in history */
#define MAX_VALUES 64               /* values of a field that Tab offers */
#define VALUE_SCAN "10000"          /* events read to find them */
#define MAX_LISTED 200              /* candidates listed when Tab is ambiguous */

static const char shell_usage[] =
    "usage: cquery shell [OPTIONS]\n"
    "\n"
    "An interactive prompt: type a query, Enter runs it and prints its results\n"
    "as `cquery search` does.  A line ending in | or \\, or with a quote, ( or [\n"
    "left open, continues on the next (prompt ...>); an empty line runs what is\n"
    "typed so far.  Tab completes commands after |, eval functions in eval and\n"
    "where, stats functions in stats, field names of the index, and a field's\n"
    "values after field=.  Ctrl-X e explains the query typed so far, Ctrl-C\n"
    "drops it (and stops a running query), Ctrl-D or .quit ends the shell.\n"
    "History: $CQUERY_HISTORY (empty: none), else ~/.cquery_history, the last\n"
    "1000 queries, created 0600.  Without a terminal on stdin, reads the same\n"
    "lines without prompts (a script); the exit status is that of the last\n"
    "query that failed, else 0.  .help lists the dot commands.\n"
    "\n"
    "  -i, --index PATH     index file (default $CQUERY_INDEX, else ./cquery.db)\n"
    "  -f, --format FMT     table (aligned, default), csv (header row) or json (JSON Lines)\n"
    "      --earliest T     only events at or after T (ISO 8601, epoch, -24h, -7d@d)\n"
    "      --latest T       only events before T; earliest=/latest= in the query win\n"
    "      --tz ZONE        zone for printed times (default $TZ, else UTC)\n"
    "      --timeout S      stop a query with an error after S seconds\n"
    "      --max-memory SIZE  stop a query once cquery needs more than SIZE\n"
    "      --csv-raw        CSV: print formula-like cells as they are\n"
    "      --lookups DIR    lookup tables for lookup/inputlookup\n"
    "      --subsearch-maxout N, --subsearch-maxtime S, --join-maxout N\n"
    "                       subsearch limits, as search takes them\n"
    "      --threads N      scan with at most N threads (default: one per CPU; 1-64)\n"
    "      --geoip-db PATH  iplocation's MaxMind DB file (repeatable)\n"
    "  -h, --help           this text\n";

static const char shell_help[] =
    "Enter runs the query; a line ending in | or \\, or an open quote, ( or [,\n"
    "continues it; an empty line runs what is typed so far.\n"
    "  .explain [QUERY]   the plan of QUERY (default: the last query); Ctrl-X e\n"
    "                     explains the query being typed\n"
    "  .format FMT        table, csv or json\n"
    "  .index PATH        query another index\n"
    "  .help              this text\n"
    "  .quit, .exit       end the shell (as Ctrl-D)\n"
    "Tab completes commands, functions, field names and values; Ctrl-C drops the\n"
    "line or stops a running query.\n";

/* Set by the SIGINT handler while a query runs, read by the engine's bound
 * check (cq_bounds.stop): a signal handler can reach nothing but a global. */
static volatile sig_atomic_t interrupted;

typedef struct words {
    char **v;
    size_t n, cap;
} words;

typedef struct shell {
    cq_run_opts o;
    char *index;            /* .index PATH (owned), or NULL: o.index as given */
    cq_strbuf query;        /* the lines of the query being typed */
    cq_strbuf last;         /* the last query run, for .explain */
    int status;             /* exit status: the last failure's, else 0 */
    int cancelled;          /* Ctrl-C at the prompt dropped the line */
    EditLine *el;           /* NULL without a terminal */
    History *hist;
    char *hist_path;        /* NULL: no history file */
    words fields;           /* the index's field names, read at the first Tab */
    int have_fields;
    char *values_of;        /* the field whose values are in `values` */
    words values;
} shell;

static void words_add(words *w, const char *s, size_t len, const char *suffix)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->v = cq_xrealloc(w->v, w->cap * sizeof *w->v);
    }
    size_t sl = strlen(suffix);
    char *p = cq_xmalloc(len + sl + 1);
    memcpy(p, s, len);
    memcpy(p + len, suffix, sl + 1);
    w->v[w->n++] = p;
}

static void words_clear(words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    w->n = 0;
}

static void words_free(words *w)
{
    words_clear(w);
    free(w->v);
    w->v = NULL;
    w->cap = 0;
}

/* ---- the lines of a query ------------------------------------------- */

enum { WHOLE, OPEN, GLUED };

/* Whether text is a whole query: OPEN when a quote, ``` comment, ( or [ is
 * left open or the last line ends with |; GLUED when it ends with a \ that
 * joins the next line (outside a quote). */
static int query_state(const char *s, size_t n)
{
    int in_str = 0, in_cmt = 0, depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_cmt) {
            if (i + 2 < n && !strncmp(s + i, "```", 3))
                in_cmt = 0, i += 2;
        } else if (in_str) {
            if (s[i] == '\\' && i + 1 < n)
                i++;
            else if (s[i] == '"')
                in_str = 0;
        } else if (s[i] == '"') {
            in_str = 1;
        } else if (i + 2 < n && !strncmp(s + i, "```", 3)) {
            in_cmt = 1, i += 2;
        } else if (s[i] == '(' || s[i] == '[') {
            depth++;
        } else if ((s[i] == ')' || s[i] == ']') && depth > 0) {
            depth--;
        }
    }
    if (in_str || in_cmt)
        return OPEN;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n && s[n - 1] == '\\')
        return GLUED;
    return depth > 0 || (n && s[n - 1] == '|') ? OPEN : WHOLE;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* ---- history -------------------------------------------------------- */

/* $CQUERY_HISTORY, else ~/.cquery_history; NULL (no history) when that is
 * empty or there is no home.  Owned by the caller. */
static char *history_path(void)
{
    const char *env = getenv("CQUERY_HISTORY");
    if (env)
        return *env ? cq_xstrdup(env) : NULL;
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%s/.cquery_history", home);
    return sb.buf;
}

/* Reads the history file, one query a line, never through a symbolic link
 * (a planted link is refused and the history is not kept). */
static void history_load(shell *sh)
{
    int fd = open(sh->hist_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
    if (!f) {
        if (errno != ENOENT) {
            cq_cli_error("%s: %s: history not kept", sh->hist_path,
                         errno == ELOOP ? "a symbolic link" : strerror(errno));
            free(sh->hist_path);
            sh->hist_path = NULL;
        }
        if (fd >= 0)
            close(fd);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    HistEvent ev;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (len && (size_t)len < HISTORY_LINE && !memchr(line, '\0', (size_t)len))
            history(sh->hist, &ev, H_ENTER, line);
    }
    free(line);
    fclose(f);
}

/* Writes the history to a new file beside it and renames that over it:
 * atomic, created 0600 (mkstemp), and a link at the name is replaced, not
 * followed. */
static void history_save(shell *sh)
{
    if (!sh->hist_path)
        return;
    cq_strbuf tmp = CQ_STRBUF_INIT;
    cq_strbuf_addf(&tmp, "%s.XXXXXX", sh->hist_path);
    int fd = mkstemp(tmp.buf);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (f) {
        HistEvent ev;
        for (int rc = history(sh->hist, &ev, H_LAST); rc != -1;
             rc = history(sh->hist, &ev, H_PREV))
            fprintf(f, "%s\n", ev.str);
        if (fclose(f) == 0 && rename(tmp.buf, sh->hist_path) == 0)
            fd = -1;
    }
    if (fd >= 0 && !f)
        close(fd);
    if (fd >= 0 || !f) {
        cq_cli_error("%s: cannot save the history: %s", sh->hist_path, strerror(errno));
        if (fd >= 0)
            unlink(tmp.buf);
        free(sh->hist_path);
        sh->hist_path = NULL;   /* said once */
    }
    cq_strbuf_free(&tmp);
}

/* One line of history per query: its lines joined by spaces. */
static void history_add(shell *sh, const char *text, size_t len)
{
    if (!sh->hist || len >= HISTORY_LINE || memchr(text, '\0', len))
        return;
    char *flat = cq_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        flat[i] = text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
    flat[len] = '\0';
    HistEvent ev;
    history(sh->hist, &ev, H_ENTER, flat);
    free(flat);
    history_save(sh);
}

/* ---- running -------------------------------------------------------- */

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupted)            /* a second Ctrl-C: the query did not stop */
        signal(SIGINT, SIG_DFL), raise(SIGINT);
    interrupted = 1;
    if (write(STDOUT_FILENO, "\n", 1) < 0)    /* the message below the ^C */
        return;
}

/* Compiles and runs (or explains) one query.  Ctrl-C stops a run; on a
 * terminal only, so that a script's Ctrl-C still ends the script. */
static void run_query(shell *sh, const char *text, size_t len, int explain)
{
    cq_query *q = cq_query_new(text, len, "query", 0);
    int rc = CQ_EXIT_OK;
    if (cq_cli_compile(q, &sh->o)) {
        rc = CQ_EXIT_USAGE;
    } else if (explain) {
        cq_query_explain(q, stdout);
    } else {
        struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESTART}, old;
        sigemptyset(&sa.sa_mask);
        interrupted = 0;
        if (sh->el)
            sigaction(SIGINT, &sa, &old);
        sh->o.bounds.stop = &interrupted;
        rc = cq_cli_search_run(q, &sh->o);
        if (sh->el)
            sigaction(SIGINT, &old, NULL);
    }
    cq_query_free(q);
    fflush(stdout);
    if (rc)
        sh->status = rc;
}

static void reset_index(shell *sh)
{
    words_clear(&sh->fields);
    sh->have_fields = 0;
    free(sh->values_of);
    sh->values_of = NULL;
    words_clear(&sh->values);
}

/* .index PATH: used from the next query on, if it opens. */
static void meta_index(shell *sh, const char *path)
{
    char err[600];
    cq_index *idx;
    if (!*path) {
        printf("%s\n", cq_cli_index_path(sh->o.index));
        return;
    }
    if (cq_index_open(path, CQ_INDEX_READ, &idx, err, sizeof err)) {
        cq_cli_error("%s", err);
        sh->status = CQ_EXIT_INPUT;
        return;
    }
    cq_index_close(idx);
    free(sh->index);
    sh->index = cq_xstrdup(path);
    sh->o.index = sh->index;
    reset_index(sh);
}

/* A line starting with "." when no query is being typed.  Returns 1 to end
 * the shell. */
static int meta(shell *sh, char *line)
{
    char *arg = line + strcspn(line, " \t");
    if (*arg)
        *arg++ = '\0';
    arg += strspn(arg, " \t");
    size_t n = strlen(arg);
    while (n && isspace((unsigned char)arg[n - 1]))
        arg[--n] = '\0';
    if (!strcmp(line, ".quit") || !strcmp(line, ".exit"))
        return 1;
    if (!strcmp(line, ".help")) {
        fputs(shell_help, stdout);
    } else if (!strcmp(line, ".format")) {
        if (cq_out_format_parse(arg, &sh->o.format)) {
            cq_cli_error(".format: expected table, csv or json, not \"%s\"", arg);
            sh->status = CQ_EXIT_USAGE;
        }
    } else if (!strcmp(line, ".index")) {
        meta_index(sh, arg);
    } else if (!strcmp(line, ".explain")) {
        if (*arg)
            run_query(sh, arg, n, 1);
        else if (sh->last.len)
            run_query(sh, sh->last.buf, sh->last.len, 1);
        else
            cq_cli_error(".explain: no query yet (.explain QUERY)");
    } else {
        cq_cli_error("unknown command \"%s\" (try .help)", line);
        sh->status = CQ_EXIT_USAGE;
    }
    fflush(stdout);
    return 0;
}

/* Runs the query typed so far and starts a new one. */
static void finish_query(shell *sh)
{
    cq_strbuf *q = &sh->query;
    if (!blank(q->buf, q->len)) {
        history_add(sh, q->buf, q->len);
        cq_strbuf_reset(&sh->last);
        cq_strbuf_add(&sh->last, q->buf, q->len);
        run_query(sh, q->buf, q->len, 0);
    }
    cq_strbuf_reset(q);
}

/* One line as typed or read, without its newline.  Returns 1 to end the
 * shell. */
static int feed_line(shell *sh, char *line, size_t len)
{
    cq_strbuf *q = &sh->query;
    if (!q->len) {
        size_t lead = 0;
        while (lead < len && isspace((unsigned char)line[lead]))
            lead++;
        if (lead == len || line[lead] == '#')   /* # comments, as in .spl files */
            return 0;
        if (line[lead] == '.') {
            if (sh->hist)
                history_add(sh, line + lead, len - lead);
            return meta(sh, line + lead);
        }
    } else if (blank(line, len)) {
        finish_query(sh);
        return 0;
    } else {
        cq_strbuf_addc(q, '\n');
    }
    if (q->len + len > MAX_QUERY) {
        cq_cli_error("the query is longer than %u MiB: dropped", MAX_QUERY >> 20);
        sh->status = CQ_EXIT_USAGE;
        cq_strbuf_reset(q);
        return 0;
    }
    cq_strbuf_add(q, line, len);
    switch (query_state(q->buf, q->len)) {
    case GLUED:
        while (isspace((unsigned char)q->buf[q->len - 1]))
            q->len--;
        q->buf[--q->len] = '\0';    /* the \ goes, the newline stays */
        break;
    case WHOLE:
        finish_query(sh);
        break;
    }
    return 0;
}

/* Reads one line of at most MAX_QUERY bytes into sb (longer ones are cut
 * there, with a message).  Returns -1 at the end of input. */
static int read_line(FILE *in, cq_strbuf *sb)
{
    cq_strbuf_reset(sb);
    int c, cut = 0;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (sb->len < MAX_QUERY)
            cq_strbuf_addc(sb, (char)c);
        else
            cut = 1;
    }
    if (cut)
        cq_cli_error("a line longer than %u MiB: cut there", MAX_QUERY >> 20);
    if (sb->len && sb->buf[sb->len - 1] == '\r')
        sb->buf[--sb->len] = '\0';
    return c == EOF && !sb->len ? -1 : 0;
}

static void run_script(shell *sh)
{
    cq_strbuf line = CQ_STRBUF_INIT;
    char empty[1] = "";
    while (read_line(stdin, &line) == 0)
        if (feed_line(sh, line.len ? line.buf : empty, line.len))
            break;
    if (sh->query.len)
        finish_query(sh);   /* the end of the file ends the last query */
    cq_strbuf_free(&line);
}

/* ---- completion ----------------------------------------------------- */

static shell *shell_of(EditLine *el)
{
    void *p = NULL;
    el_get(el, EL_CLIENTDATA, &p);
    return p;
}

/* The query typed so far and the current line up to the cursor. */
static void text_to_cursor(shell *sh, EditLine *el, cq_strbuf *t, int whole_line)
{
    const LineInfo *li = el_line(el);
    cq_strbuf_grow(t, 1);
    t->buf[t->len] = '\0';         /* a string even when nothing is typed */
    cq_strbuf_add(t, cq_strbuf_str(&sh->query), sh->query.len);
    if (sh->query.len)
        cq_strbuf_addc(t, '\n');
    const char *end = whole_line ? li->lastchar : li->cursor;
    cq_strbuf_add(t, li->buffer, (size_t)(end - li->buffer));
}

/* Whether a name or value from the logs may go into the edit line: no
 * control character, which the terminal would act on. */
static int printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return len > 0;
}

static void add_field(void *ctx, const char *name)
{
    if (printable(name, strlen(name)))
        words_add(ctx, name, strlen(name), "");
}

static words *index_fields(shell *sh)
{
    if (!sh->have_fields) {
        char err[600];
        cq_index *idx;
        sh->have_fields = 1;
        if (cq_index_open(cq_cli_index_path(sh->o.index), CQ_INDEX_READ, &idx, err, sizeof err))
            return &sh->fields;
        cq_index_fields(idx, add_field, &sh->fields);
        cq_index_close(idx);
    }
    return &sh->fields;
}

/* A value as typed after field=: bare when it is a plain word, else quoted. */
static void add_value(words *w, const char *v, size_t len)
{
    int plain = len > 0;
    for (size_t i = 0; i < len && plain; i++)
        plain = isalnum((unsigned char)v[i]) || strchr("_.:/@-", v[i]);
    if (plain) {
        words_add(w, v, len, " ");
        return;
    }
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addc(&sb, '"');
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '"' || v[i] == '\\')
            cq_strbuf_addc(&sb, '\\');
        cq_strbuf_addc(&sb, v[i]);
    }
    cq_strbuf_addc(&sb, '"');
    words_add(w, sb.buf, sb.len, " ");
    cq_strbuf_free(&sb);
}

typedef struct value_sink {
    cq_sink sink;
    const char *field;
    words *out;
    cq_arena arena;
} value_sink;

static int take_values(cq_sink *s, const cq_batch *b)
{
    value_sink *vs = s->ctx;
    const cq_col *c = cq_batch_get(b, vs->field);
    for (uint32_t i = 0; c && i < b->n_sel; i++) {
        cq_sv v = cq_col_text(c, cq_batch_row(b, i), 0, &vs->arena);
        if (v.p && printable(v.p, v.len))
            add_value(vs->out, v.p, v.len);
    }
    cq_arena_reset(&vs->arena);
    return 0;
}

/* The most common values of field among the first events that have it: a
 * query of the engine, bounded in events read and in time. */
static words *field_values(shell *sh, const char *field)
{
    if (sh->values_of && !strcmp(sh->values_of, field))
        return &sh->values;
    free(sh->values_of);
    sh->values_of = cq_xstrdup(field);
    words_clear(&sh->values);
    for (const char *p = field; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.:@-", *p))
            return &sh->values;     /* a name the query below cannot spell */
    cq_strbuf text = CQ_STRBUF_INIT;
    cq_strbuf_addf(&text, "%s=* | head " VALUE_SCAN " | stats count by %s | sort - count | head %d",
                   field, field, MAX_VALUES);
    cq_query *q = cq_query_new(text.buf, text.len, "query", 0);
    cq_run_opts o = sh->o;
    o.threads = 1;
    cq_index *idx = NULL;
    char err[600];
    value_sink vs = {{take_values, &vs}, field, &sh->values, {0}};
    cq_arena_init(&vs.arena);
    cq_query_opts qo = {o.earliest, o.latest, 0, NULL, o.lookups, &o.limits, 1, NULL, 0, o.tz};
    if (!cq_query_compile(q, &qo) &&
        !cq_index_open(cq_cli_index_path(o.index), CQ_INDEX_READ, &idx, err, sizeof err)) {
        q->bounds.timeout_s = 2;
        cq_query_run(q, idx, &vs.sink, NULL);
    }
    if (idx)
        cq_index_close(idx);
    cq_arena_free(&vs.arena);
    cq_query_free(q);
    cq_strbuf_free(&text);
    return &sh->values;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || strchr("_.:@-{}*$", c);
}

enum { C_NONE, C_COMMAND, C_SEARCH, C_EVAL, C_STATS, C_ARGS, C_VALUE };

typedef struct comp {
    int kind;
    size_t word;            /* where the word being completed starts */
    const cq_cmd_def *cmd;  /* the command of that part of the pipeline */
    char field[256];        /* C_VALUE: the field before = */
} comp;

/* Where the segment around the end of t starts (after its | or [), and
 * where an open quote starts (SIZE_MAX: none); -1 inside a comment. */
static int scan_segment(const char *t, size_t n, size_t *seg, size_t *quote)
{
    size_t stack[32];
    int depth = 0, in_str = 0;
    *seg = 0;
    *quote = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (in_str) {
            if (t[i] == '\\' && i + 1 < n)
                i++;
            else if (t[i] == '"')
                in_str = 0, *quote = SIZE_MAX;
        } else if (t[i] == '"') {
            in_str = 1, *quote = i;
        } else if (i + 2 < n && !strncmp(t + i, "```", 3)) {
            const char *e = strstr(t + i + 3, "```");
            if (!e || (size_t)(e - t) + 3 > n)
                return -1;
            i = (size_t)(e - t) + 2;
        } else if (t[i] == '[') {
            if (depth < 32)
                stack[depth] = *seg;
            depth++;
            *seg = i + 1;
        } else if (t[i] == ']' && depth > 0) {
            depth--;
            if (depth < 32)
                *seg = stack[depth];
        } else if (t[i] == '|') {
            *seg = i + 1;
        }
    }
    return 0;
}

/* What the word before the cursor is: a command, a field, a value ... */
static void find_context(const char *t, size_t n, comp *c)
{
    size_t seg, quote;
    memset(c, 0, sizeof *c);
    if (scan_segment(t, n, &seg, &quote))
        return;
    size_t w = n;
    if (quote != SIZE_MAX)
        w = quote;
    else
        while (w > seg && name_char(t[w - 1]))
            w--;
    c->word = w;
    size_t at = seg;
    while (at < n && isspace((unsigned char)t[at]))
        at++;
    size_t end = at;
    while (end < n && isalnum((unsigned char)t[end]))
        end++;
    if (w <= at && quote == SIZE_MAX) {
        c->kind = seg > 0 ? C_COMMAND : C_SEARCH;
        return;
    }
    char name[64] = "";
    if (end - at < sizeof name)
        for (size_t i = at; i < end; i++)
            name[i - at] = (char)tolower((unsigned char)t[i]);
    c->cmd = cq_cmd_def_find(name);
    if (!c->cmd && seg == 0)
        c->cmd = cq_cmd_def_find("search");    /* the implicit first search */
    if (!c->cmd)
        return;
    int eval = !strcmp(c->cmd->mode, "EVAL"), search = !strcmp(c->cmd->mode, "SEARCH");
    if (w > 0 && t[w - 1] == '=') {
        size_t fe = w - 1, fs;
        while (fe > seg && strchr("!<>", t[fe - 1]))
            fe--;
        for (fs = fe; fs > seg && name_char(t[fs - 1]); fs--)
            ;
        if (search && fe > fs && fe - fs < sizeof c->field) {
            memcpy(c->field, t + fs, fe - fs);
            c->kind = C_VALUE;
        } else if (eval) {
            c->kind = C_EVAL;
        }
        return;
    }
    if (quote != SIZE_MAX)
        return;
    if (eval)
        c->kind = C_EVAL;
    else if (search)
        c->kind = C_SEARCH;
    else if (!strcmp(c->cmd->grammar, "STATS") || !strcmp(c->cmd->grammar, "CHART") ||
             !strcmp(c->cmd->grammar, "TSTATS"))
        c->kind = C_STATS;
    else
        c->kind = C_ARGS;
}

static void add_functions(words *w, cq_fnkind kind)
{
    size_t n;
    const cq_fn_def *fn = cq_fn_def_table(&n);
    for (size_t i = 0; i < n; i++)
        if (fn[i].kind == kind && strcasecmp(fn[i].impl, "not_yet"))
            words_add(w, fn[i].name, strlen(fn[i].name), "(");
}

static void add_options(words *w, const cq_cmd_def *cmd)
{
    for (const char *p = cmd->options; *p;) {
        size_t len = strcspn(p, " ");
        if (len && *p != '*')
            words_add(w, p, len, "=");
        p += len + strspn(p + len, " ");
    }
}

static void add_all(words *w, const words *from)
{
    for (size_t i = 0; i < from->n; i++)
        words_add(w, from->v[i], strlen(from->v[i]), "");
}

/* Every word that may stand where the cursor is (prefix not yet applied). */
static void candidates(shell *sh, const comp *c, words *w)
{
    size_t n;
    const cq_cmd_def *cmd = cq_cmd_def_table(&n);
    switch (c->kind) {
    case C_COMMAND:
        for (size_t i = 0; i < n; i++)
            words_add(w, cmd[i].name, strlen(cmd[i].name), " ");
        break;
    case C_VALUE:
        add_all(w, field_values(sh, c->field));
        break;
    case C_EVAL:
        add_functions(w, CQ_FNKIND_EVAL);
        add_all(w, index_fields(sh));
        break;
    case C_STATS:
        add_functions(w, CQ_FNKIND_STATS);
        add_all(w, index_fields(sh));
        add_options(w, c->cmd);
        break;
    case C_ARGS:
        add_all(w, index_fields(sh));
        add_options(w, c->cmd);
        break;
    case C_SEARCH:
        add_all(w, index_fields(sh));
        break;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keeps the words that start with prefix (case-insensitively: commands and
 * values are), sorted, each once. */
static void filter(words *w, const char *prefix, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (!strncasecmp(w->v[i], prefix, len))
            w->v[k++] = w->v[i];
        else
            free(w->v[i]);
    }
    w->n = k;
    qsort(w->v, w->n, sizeof *w->v, by_name);
    k = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (k && !strcmp(w->v[k - 1], w->v[i]))
            free(w->v[i]);
        else
            w->v[k++] = w->v[i];
    }
    w->n = k;
}

/* Lists the words in columns below the line. */
static void list_words(const words *w)
{
    struct winsize ws;
    size_t width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
    size_t longest = 1;
    for (size_t i = 0; i < w->n && i < MAX_LISTED; i++)
        if (cq_safe_width(w->v[i], strlen(w->v[i])) > longest)
            longest = cq_safe_width(w->v[i], strlen(w->v[i]));
    size_t per_line = width / (longest + 2) ? width / (longest + 2) : 1;
    fputc('\n', stdout);
    for (size_t i = 0; i < w->n && i < MAX_LISTED; i++) {
        cq_put_safe(stdout, w->v[i], strlen(w->v[i]));
        if ((i + 1) % per_line == 0 || i + 1 == w->n || i + 1 == MAX_LISTED)
            fputc('\n', stdout);
        else
            printf("%*s", (int)(longest + 2 - cq_safe_width(w->v[i], strlen(w->v[i]))), "");
    }
    if (w->n > MAX_LISTED)
        printf("... and %zu more\n", w->n - MAX_LISTED);
    fflush(stdout);
}

/* Tab: the one word that fits, else as much as all share, else a list. */
static unsigned char key_complete(EditLine *el, int ch)
{
    (void)ch;
    shell *sh = shell_of(el);
    cq_strbuf t = CQ_STRBUF_INIT;
    text_to_cursor(sh, el, &t, 0);
    comp c;
    find_context(t.buf, t.len, &c);
    size_t line_start = t.len - (size_t)(el_line(el)->cursor - el_line(el)->buffer);
    unsigned char rc = CC_ERROR;
    if (c.kind == C_NONE || c.word < line_start) {
        cq_strbuf_free(&t);
        return rc;      /* nothing to offer, or the word began on an earlier line */
    }
    const char *word = t.buf + c.word;
    size_t wlen = t.len - c.word;
    words w = {0};
    candidates(sh, &c, &w);
    filter(&w, word, wlen);
    size_t common = w.n ? strlen(w.v[0]) : 0;
    for (size_t i = 1; i < w.n; i++)
        for (size_t k = 0; k < common; k++)
            if (tolower((unsigned char)w.v[i][k]) != tolower((unsigned char)w.v[0][k])) {
                common = k;
                break;
            }
    if (w.n == 1 || (w.n > 1 && common > wlen)) {
        char *ins = w.v[0];
        ins[common] = '\0';
        el_deletestr(el, (int)wlen);
        el_insertstr(el, ins);
        rc = CC_REFRESH;
    } else if (w.n > 1) {
        list_words(&w);
        rc = CC_REDISPLAY;
    }
    words_free(&w);
    cq_strbuf_free(&t);
    return rc;
}

/* Ctrl-X e: the plan of the query typed so far, then the line again. */
static unsigned char key_explain(EditLine *el, int ch)
{
    (void)ch;
    shell *sh = shell_of(el);
    cq_strbuf t = CQ_STRBUF_INIT;
    text_to_cursor(sh, el, &t, 1);
    fputc('\n', stdout);
    fflush(stdout);
    if (blank(cq_strbuf_str(&t), t.len))
        cq_cli_error("nothing to explain yet");
    else
        run_query(sh, t.buf, t.len, 1);
    cq_strbuf_free(&t);
    return CC_REDISPLAY;
}

/* Ctrl-C at the prompt: the line and the query typed so far are dropped. */
static unsigned char key_cancel(EditLine *el, int ch)
{
    (void)ch;
    const LineInfo *li = el_line(el);
    el_cursor(el, (int)(li->lastchar - li->cursor));
    el_deletestr(el, (int)(li->lastchar - li->buffer));
    shell_of(el)->cancelled = 1;
    fputs("^C", stdout);
    return CC_NEWLINE;
}

static char *prompt(EditLine *el)
{
    return shell_of(el)->query.len ? "   ...> " : "cquery> ";
}

static void open_editor(shell *sh)
{
    HistEvent ev;
    sh->hist = history_init();
    history(sh->hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(sh->hist, &ev, H_SETUNIQUE, 1);
    sh->hist_path = history_path();
    if (sh->hist_path)
        history_load(sh);
    sh->el = el_init("cquery", stdin, stdout, stderr);
    el_set(sh->el, EL_CLIENTDATA, sh);
    el_set(sh->el, EL_EDITOR, "emacs");
    el_set(sh->el, EL_SIGNAL, 1);
    el_set(sh->el, EL_PROMPT, prompt);
    el_set(sh->el, EL_HIST, history, sh->hist);
    el_set(sh->el, EL_ADDFN, "cq-complete", "complete a command, function, field or value",
           key_complete);
    el_set(sh->el, EL_ADDFN, "cq-explain", "explain the query typed so far", key_explain);
    el_set(sh->el, EL_ADDFN, "cq-cancel", "drop the query typed so far", key_cancel);
    el_source(sh->el, NULL);    /* ~/.editrc first, so our keys are the shell's */
    el_set(sh->el, EL_SETTY, "-d", "-isig", NULL);  /* Ctrl-C is a key while editing */
    el_set(sh->el, EL_BIND, "^I", "cq-complete", NULL);
    el_set(sh->el, EL_BIND, "^Xe", "cq-explain", NULL);
    el_set(sh->el, EL_BIND, "^C", "cq-cancel", NULL);
}

static void run_terminal(shell *sh)
{
    printf("cquery shell on %s: .help for help, Ctrl-D to quit\n", cq_cli_index_path(sh->o.index));
    for (;;) {
        int len;
        const char *got = el_gets(sh->el, &len);
        if (sh->cancelled) {        /* before EOF: the line it returns is empty */
            sh->cancelled = 0;
            fputc('\n', stdout);
            cq_strbuf_reset(&sh->query);
            continue;
        }
        if (!got || len <= 0) {
            fputc('\n', stdout);    /* Ctrl-D: end below the prompt */
            break;
        }
        char *line = cq_xmalloc((size_t)len + 1);
        memcpy(line, got, (size_t)len + 1);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        int quit = feed_line(sh, line, (size_t)len);
        free(line);
        if (quit)
            break;
    }
}

int cq_cmd_shell(int argc, char **argv)
{
    shell sh;
    memset(&sh, 0, sizeof sh);
    int first = cq_cli_run_opts_parse(argc, argv, &sh.o, shell_usage, 0);
    if (first <= 0)
        return first ? CQ_EXIT_USAGE : CQ_EXIT_OK;
    if (sh.o.follow.n_files) {
        cq_cli_error("shell: --follow is an option of search and hunt");
        return CQ_EXIT_USAGE;
    }
    if (sh.o.output || sh.o.fail_on_empty) {
        cq_cli_error("shell: %s is an option of search only", sh.o.output ? "-o" : "--fail-on-empty");
        return CQ_EXIT_USAGE;
    }
    if (isatty(STDIN_FILENO)) {
        open_editor(&sh);
        run_terminal(&sh);
        el_end(sh.el);
        history_end(sh.hist);
        sh.status = CQ_EXIT_OK;     /* a person saw each error as it came */
    } else {
        run_script(&sh);
    }
    reset_index(&sh);
    words_free(&sh.fields);
    words_free(&sh.values);
    free(sh.index);
    free(sh.hist_path);
    cq_strbuf_free(&sh.query);
    cq_strbuf_free(&sh.last);
    return sh.status;
}

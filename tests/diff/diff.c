/*
 * diff.c - runs the differential test: makes the events of a seed, writes
 * them as JSON lines for `cquery ingest --sourcetype _json` and loads the
 * same values into an in-memory SQLite database (tables ev and v, see
 * diff_gen.c), then asks each generated question of both and compares the
 * CSV answers.  cquery always runs as the real binary, one process per query.
 */
#include "tests/diff/diff.h"
#include "tests/diff/diff_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const kind_names[] = {"search|table", "stats", "dedup", "sort|head",
                                         "where", "head", "top/rare", "tail"};

const char *cq_diff_kind_name(int i)
{
    return i >= 0 && i < DIFF_N_KINDS ? kind_names[i] : NULL;
}

/* ---- the events */

#define DIFF_T0 1767225600      /* 2026-01-01T00:00:00Z: event i has _time T0 - i */

static int exec_sql(sqlite3 *db, const char *sql, FILE *log)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(log, "diff: sqlite: %s\n  in: %s\n", err ? err : "?", sql);
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/* Splunk's default breakers (segmenters.conf): major, then minor. */
static int is_breaker(char c)
{
    return c && strchr(" \t\r\n[]<>(){}|!;,'\"&?+" "/:=@.-$#%\\_", c) != NULL;
}

/* The tokens of raw (split at every breaker, lower case) into tok: a bare
 * search term matches an event that has it as a whole token. */
static void add_tokens(sqlite3_stmt *ins, int eid, const char *raw)
{
    char buf[256];
    while (*raw) {
        while (*raw && is_breaker(*raw))
            raw++;
        size_t n = 0;
        while (raw[n] && !is_breaker(raw[n]))
            n++;
        if (n && n < sizeof buf) {
            for (size_t i = 0; i < n; i++)
                buf[i] = (char)tolower((unsigned char)raw[i]);
            sqlite3_bind_int(ins, 1, eid);
            sqlite3_bind_text(ins, 2, buf, (int)n, SQLITE_TRANSIENT);
            sqlite3_step(ins);
            sqlite3_reset(ins);
        }
        raw += n;
    }
}

/* Writes the events of seed to path and loads them into db. */
static int make_events(uint64_t seed, int n, const char *path, sqlite3 *db, FILE *log)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(log, "diff: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (exec_sql(db, "CREATE TABLE ev(eid INTEGER PRIMARY KEY, t INTEGER, id TEXT, raw TEXT);"
                     "CREATE TABLE v(eid INTEGER, f TEXT, pos INTEGER, val TEXT, num REAL);"
                     "CREATE TABLE tok(eid INTEGER, t TEXT, PRIMARY KEY (eid, t));"
                     "BEGIN", log)) {
        fclose(f);
        return -1;
    }
    sqlite3_stmt *ins_ev = NULL, *ins_v = NULL, *ins_tok = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO ev VALUES (?, ?, ?, ?)", -1, &ins_ev, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO v VALUES (?, ?, ?, ?, ?)", -1, &ins_v, NULL);
    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO tok VALUES (?, ?)", -1, &ins_tok, NULL);
    diff_rng r = {seed};
    cq_strbuf line = CQ_STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%d", i);
        cq_strbuf_reset(&line);
        cq_strbuf_addf(&line, "{\"_time\":%d,\"id\":%d", DIFF_T0 - i, i);
        for (int fi = 0; fi < diff_n_fields; fi++) {
            const diff_field *fd = &diff_fields[fi];
            if (!diff_chance(&r, fd->present))
                continue;
            int picks[4], np = fd->mv ? 1 + diff_pick(&r, 3) : 1;
            for (int k = 0; k < np; k++) {          /* distinct values in an array */
                int dup;
                do {
                    picks[k] = diff_pick(&r, fd->n_pool);
                    dup = 0;
                    for (int j = 0; j < k; j++)
                        dup |= picks[j] == picks[k];
                } while (dup);
            }
            if (!strcmp(fd->name, "u.name"))
                cq_strbuf_adds(&line, ",\"u\":{\"name\":");
            else if (fd->mv)
                cq_strbuf_addf(&line, ",\"%.*s\":[", (int)(strlen(fd->name) - 2), fd->name);
            else
                cq_strbuf_addf(&line, ",\"%s\":", fd->name);
            for (int k = 0; k < np; k++) {
                const char *val = fd->pool[picks[k]];
                cq_strbuf_addf(&line, fd->json_num ? "%s%s" : "%s\"%s\"", k ? "," : "", val);
                double num;
                sqlite3_bind_int(ins_v, 1, i);
                sqlite3_bind_text(ins_v, 2, fd->name, -1, SQLITE_STATIC);
                sqlite3_bind_int(ins_v, 3, k);
                sqlite3_bind_text(ins_v, 4, val, -1, SQLITE_STATIC);
                if (diff_is_num(val, &num))
                    sqlite3_bind_double(ins_v, 5, num);
                else
                    sqlite3_bind_null(ins_v, 5);
                sqlite3_step(ins_v);
                sqlite3_reset(ins_v);
            }
            cq_strbuf_adds(&line, !strcmp(fd->name, "u.name") ? "}" : fd->mv ? "]" : "");
        }
        cq_strbuf_adds(&line, "}");
        fprintf(f, "%s\n", cq_strbuf_str(&line));
        sqlite3_bind_int(ins_ev, 1, i);
        sqlite3_bind_int(ins_ev, 2, DIFF_T0 - i);
        sqlite3_bind_text(ins_ev, 3, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_ev, 4, cq_strbuf_str(&line), -1, SQLITE_TRANSIENT);
        sqlite3_step(ins_ev);
        sqlite3_reset(ins_ev);
        add_tokens(ins_tok, i, cq_strbuf_str(&line));
    }
    cq_strbuf_free(&line);
    sqlite3_finalize(ins_ev);
    sqlite3_finalize(ins_v);
    sqlite3_finalize(ins_tok);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        fprintf(log, "diff: cannot write %s\n", path);
        return -1;
    }
    return exec_sql(db, "COMMIT; CREATE INDEX v_f ON v(f, eid); CREATE INDEX v_e ON v(eid, f);",
                    log);
}

/* ---- running cquery */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    cq_strbuf sb = CQ_STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        cq_strbuf_add(&sb, buf, n);
    fclose(f);
    return sb.buf ? sb.buf : strdup("");
}

/* Runs argv with stdout and stderr to files; returns the exit status, or
 * -1 if it could not run or died. */
static int run(char *const *argv, const char *out, const char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc)
        return -1;
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* ---- the oracle's answer as CSV */

static void csv_cell(cq_strbuf *sb, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        cq_strbuf_adds(sb, s);
        return;
    }
    cq_strbuf_addc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            cq_strbuf_addc(sb, '"');
        cq_strbuf_addc(sb, *s);
    }
    cq_strbuf_addc(sb, '"');
}

/* Runs q's SQL; appends the header and rows as CSV to out. */
static int sql_answer(sqlite3 *db, const diff_query *q, cq_strbuf *out, FILE *log)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, cq_strbuf_str(&q->sql), -1, &st, NULL) != SQLITE_OK) {
        fprintf(log, "diff: oracle SQL does not compile: %s\n  %s\n", sqlite3_errmsg(db),
                cq_strbuf_str(&q->sql));
        return -1;
    }
    cq_strbuf_addf(out, "%s\n", cq_strbuf_str(&q->header));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            if (i)
                cq_strbuf_addc(out, ',');
            csv_cell(out, t ? (const char *)t : "");
        }
        cq_strbuf_addc(out, '\n');
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fprintf(log, "diff: oracle SQL failed: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* ---- comparing */

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The end of the CSV record at p (a quoted cell may hold newlines). */
static char *record_end(char *p)
{
    int quoted = 0;
    for (; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            return p;
    }
    return NULL;
}

/* The header record, then the other records sorted (the rows of an
 * unordered answer). */
static char *sorted_copy(const char *text)
{
    char *dup = strdup(text), *p = dup, **lines = NULL;
    size_t n = 0, cap = 0;
    cq_strbuf out = CQ_STRBUF_INIT;
    char *nl = record_end(p);
    if (nl) {
        cq_strbuf_add(&out, p, (size_t)(nl - p) + 1);
        p = nl + 1;
    }
    while (*p) {
        nl = record_end(p);
        if (nl)
            *nl = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            lines = realloc(lines, cap * sizeof *lines);
        }
        lines[n++] = p;
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (n)
        qsort(lines, n, sizeof *lines, cmp_lines);
    for (size_t i = 0; i < n; i++)
        cq_strbuf_addf(&out, "%s\n", lines[i]);
    free(lines);
    free(dup);
    return out.buf ? out.buf : strdup("");
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Prints at most max lines of text, indented. */
static void print_clipped(FILE *log, const char *text, int max)
{
    int n = 0;
    const char *p = text;
    while (*p && n < max) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(log, "    %.*s\n", (int)len, p);
        p += len + (nl != NULL);
        n++;
    }
    if (*p)
        fprintf(log, "    ... (%d lines in all)\n", count_lines(text));
}

/* The first line where a and b differ (1-based), 0 if none. */
static int first_diff_line(const char *a, const char *b)
{
    int line = 1;
    for (; *a && *a == *b; a++, b++)
        line += *a == '\n';
    return *a == *b ? 0 : line;
}

static void report(const cq_diff_opts *o, int qno, const diff_query *q, const char *want,
                   const char *got, const char *err, int rc, int full)
{
    FILE *log = o->log;
    fprintf(log, "MISMATCH seed=%llu query=%d (%s, %s): reproduce with\n"
                 "  cquery-diff --seed %llu --events %d --query %d --keep\n"
                 "  query: %s\n",
            (unsigned long long)o->seed, qno, cq_diff_kind_name(q->kind),
            q->ordered ? "ordered" : "rows sorted", (unsigned long long)o->seed, o->n_events,
            qno, cq_strbuf_str(&q->spl));
    if (!full)
        return;
    if (rc)
        fprintf(log, "  cquery exit status %d: %s", rc, err);
    fprintf(log, "  first difference at line %d\n  oracle (SQLite):\n", first_diff_line(want, got));
    print_clipped(log, want, 25);
    fprintf(log, "  cquery:\n");
    print_clipped(log, got, 25);
    fprintf(log, "  oracle SQL: %s\n", cq_strbuf_str(&q->sql));
}

/* ---- the run */

static int ask(const cq_diff_opts *o, sqlite3 *db, const char *index, int qno,
               cq_diff_stats *st)
{
    diff_query q;
    diff_make_query(o->seed, qno, &q);
    if (o->verbose)
        fprintf(o->log, "query %d: %s\n", qno, cq_strbuf_str(&q.spl));
    cq_strbuf want = CQ_STRBUF_INIT;
    int ret = -1;
    if (sql_answer(db, &q, &want, o->log))
        goto done;
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/out.csv", o->workdir);
    snprintf(err, sizeof err, "%s/err.txt", o->workdir);
    /* --csv-raw: cells as they are; the default defuses cells a spreadsheet
     * would run as formulas, e.g. values() whose first line is "-2" */
    char *argv[] = {(char *)o->cquery, "search", "--format", "csv", "--csv-raw", "--index",
                    (char *)index, (char *)cq_strbuf_str(&q.spl), NULL};
    int rc = run(argv, out, err);
    char *got = slurp(out), *e = slurp(err);
    /* an empty answer: cquery prints no header, the oracle always does */
    if (!*got && count_lines(cq_strbuf_str(&want)) == 1)
        cq_strbuf_reset(&want);
    char *w = q.ordered ? strdup(cq_strbuf_str(&want)) : sorted_copy(cq_strbuf_str(&want));
    char *g = q.ordered ? strdup(got) : sorted_copy(got);
    st->asked++;
    st->by_kind[q.kind]++;
    st->rows += count_lines(w);
    st->fail_streak = rc != 0 ? st->fail_streak + 1 : 0;
    if (rc != 0 || strcmp(w, g)) {
        st->mismatches++;
        report(o, qno, &q, w, g, e, rc, st->mismatches <= o->max_report);
    }
    free(w);
    free(g);
    free(got);
    free(e);
    ret = 0;
done:
    cq_strbuf_free(&want);
    diff_query_free(&q);
    return ret;
}

int cq_diff_run(const cq_diff_opts *opts, cq_diff_stats *st)
{
    cq_diff_opts o = *opts;
    memset(st, 0, sizeof *st);
    if (!o.log)
        o.log = stderr;
    if (o.n_events <= 0) {
        diff_rng r = {o.seed ^ 0x5eedULL};
        o.n_events = 500 + diff_pick(&r, 4501);
    }
    if (access(o.cquery, X_OK)) {
        fprintf(o.log, "diff: cannot run %s\n", o.cquery);
        return -1;
    }
    if (mkdir(o.workdir, 0700) && errno != EEXIST) {
        fprintf(o.log, "diff: cannot create %s: %s\n", o.workdir, strerror(errno));
        return -1;
    }
    char events[4200], index[4200], out[4200], err[4200];
    snprintf(events, sizeof events, "%s/events.json", o.workdir);
    snprintf(index, sizeof index, "%s/index.db", o.workdir);
    snprintf(out, sizeof out, "%s/ingest.out", o.workdir);
    snprintf(err, sizeof err, "%s/ingest.err", o.workdir);
    sqlite3 *db = NULL;
    int ret = -1;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        goto done;
    if (make_events(o.seed, o.n_events, events, db, o.log))
        goto done;
    unlink(index);
    char *argv[] = {(char *)o.cquery, "ingest", "--quiet", "--sourcetype", "_json", "--index",
                    index, events, NULL};
    int rc = run(argv, out, err);
    if (rc != 0) {
        char *e = slurp(err);
        fprintf(o.log, "diff: ingest failed (%d): %s\n", rc, e);
        free(e);
        goto done;
    }
    ret = 0;
    for (int i = o.only_query >= 0 ? o.only_query : 0;
         i < (o.only_query >= 0 ? o.only_query + 1 : o.n_queries) && ret == 0; i++) {
        ret = ask(&o, db, index, i, st);
        if (st->fail_streak >= 10) {
            fprintf(o.log, "diff: cquery failed 10 times in a row; stopping (see above)\n");
            ret = -1;
        }
    }
done:
    sqlite3_close(db);
    if (!o.keep) {
        const char *files[] = {events, index, out, err};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
            unlink(files[i]);
        char p[4300];
        const char *extra[] = {"index.db-wal", "index.db-shm", "out.csv", "err.txt"};
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
            snprintf(p, sizeof p, "%s/%s", o.workdir, extra[i]);
            unlink(p);
        }
        rmdir(o.workdir);
    } else {
        fprintf(o.log, "diff: kept %s (events.json, index.db)\n", o.workdir);
    }
    return ret;
}

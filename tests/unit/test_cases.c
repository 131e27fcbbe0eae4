/*
 * test_cases.c - data-driven regression cases, one directory each:
 *
 *   tests/cases/<area>/<name>/
 *     query.spl      the query; leading "#" lines say what the case checks
 *     args           optional: extra flags for `cquery search` (one line;
 *                    {index}, {srcdir} and {case} are replaced)
 *     cmd            optional: the whole cquery command line instead of
 *                    `search --format csv ARGS QUERY` ({index}, {srcdir} and
 *                    {case} are replaced); several lines are several
 *                    commands run in turn (`forget`, then `search`), their
 *                    outputs one after the other, the exit status the first
 *                    one's that was not 0; lines starting with # are comments
 *     input/         log files, ingested into a fresh index first
 *     expected.out   exact stdout
 *     expected.err   for a failing case: exact stderr; exit status must be 2
 *                    (with expected.out too: both, exit status 0, e.g. a
 *                    note that a limit cut the results).  Without it,
 *                    stderr must be empty: notes are behaviour too.
 *     expected.plan  optional: `cquery explain --threads 2` output
 *     expected.rc    optional: the exit status (default 0 or 1; 2 with expected.err,
 *                    0 with both expected files)
 *     stdin          optional: what cquery reads on stdin (else /dev/null)
 *
 * Every case runs the real binary ($CQUERY_BIN), with iplocation's
 * database the made-up one of tests/fixtures/geoip (check_main.c).
 * CQ_UPDATE_EXPECTED=1
 * rewrites the expected files (review the diff before committing).
 */
#include "tests/unit/suites.h"
#include "common/strbuf.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


#define MAX_CASES 4096

static char *cases[MAX_CASES];
static int n_cases;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A case is a directory holding query.spl or cmd. */
static void find_cases(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/query.spl", dir);
    char c[4096];
    snprintf(c, sizeof c, "%s/cmd", dir);
    if (exists(p) || exists(c)) {
        if (n_cases < MAX_CASES)
            cases[n_cases++] = strdup(dir);
        return;
    }
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "input"))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (is_dir(p))
            find_cases(p);
    }
    closedir(d);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* The query without its leading comment lines and trailing newlines. */
static char *read_query(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/query.spl", dir);
    char *text = test_slurp(p, NULL);
    if (!text)
        return NULL;
    char *q = text;
    while (*q == '#') {
        char *nl = strchr(q, '\n');
        q = nl ? nl + 1 : q + strlen(q);
    }
    char *out = strdup(q);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    free(text);
    return out;
}

/* Splits a line into words (no quoting: args files are simple flags). */
static int split_words(char *line, char **argv, int max)
{
    int n = 0;
    for (char *w = strtok(line, " \t\r\n"); w && n < max; w = strtok(NULL, " \t\r\n"))
        argv[n++] = w;
    return n;
}

/* Appends file from to file to. */
static void append_file(const char *to, const char *from)
{
    size_t n;
    char *text = test_slurp(from, &n);
    FILE *f = fopen(to, "ab");
    ck_assert_msg(f && text, "cannot append %s to %s", from, to);
    fwrite(text, 1, n, f);
    fclose(f);
    free(text);
}

/* Runs argv with stdout/stderr to files; returns the exit status. */
static int run(char **argv, const char *out, const char *err)
{
    return test_wait(test_spawn(argv, out, err));
}

static const char *bin(void)
{
    return test_env("CQUERY_BIN");
}

static void ingest_inputs(const char *dir, const char *index, const char *tmp)
{
    char input[4096];
    snprintf(input, sizeof input, "%s/input", dir);
    if (!is_dir(input))
        return;
    char *argv[] = {(char *)bin(), "ingest", "--quiet", "--index", (char *)index, input, NULL};
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/ingest.out", tmp);
    snprintf(err, sizeof err, "%s/ingest.err", tmp);
    int rc = run(argv, out, err);
    char *e = test_slurp(err, NULL);
    ck_assert_msg(rc == 0, "%s: ingest failed (%d): %s", dir, rc, e ? e : "");
    free(e);
}

/* Replaces {index}, {srcdir} and {case} in word w. */
static char *subst(const char *w, const char *index, const char *dir)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    while (*w) {
        if (!strncmp(w, "{index}", 7)) {
            cq_strbuf_adds(&sb, index);
            w += 7;
        } else if (!strncmp(w, "{srcdir}", 8)) {
            cq_strbuf_adds(&sb, test_srcdir());
            w += 8;
        } else if (!strncmp(w, "{case}", 6)) {
            cq_strbuf_adds(&sb, dir);
            w += 6;
        } else {
            cq_strbuf_addc(&sb, *w++);
        }
    }
    return sb.buf;
}

/* Output names files by absolute path; expected files say {srcdir} and
 * {tmp} (the case's scratch directory) so they hold wherever the tree is
 * checked out and whatever name the scratch directory gets. */
static char *portable(char *text, const char *tmp)
{
    const char *from[2] = {test_srcdir(), tmp}, *to[2] = {"{srcdir}", "{tmp}"};
    if (!text)
        return text;
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (const char *p = text; *p;) {
        int done = 0;
        for (int k = 0; k < 2 && !done; k++) {
            size_t n = strlen(from[k]);
            if (n > 1 && !strncmp(p, from[k], n)) {
                cq_strbuf_adds(&sb, to[k]);
                p += n;
                done = 1;
            }
        }
        if (!done)
            cq_strbuf_addc(&sb, *p++);
    }
    free(text);
    return sb.buf ? sb.buf : strdup("");
}

/* Compares actual to the expected file, or rewrites it in update mode. */
static void check_file(const char *dir, const char *name, const char *actual_path)
{
    char exp[4096];
    snprintf(exp, sizeof exp, "%s/%s", dir, name);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", actual_path);
    char *slash = strrchr(tmp, '/');
    if (slash)
        *slash = '\0';
    char *actual = portable(test_slurp(actual_path, NULL), tmp);
    const char *upd = getenv("CQ_UPDATE_EXPECTED");
    /* Rewriting what a test expects is a reviewed step, never a side
     * effect of the test command (make check sets CQ_MAKE_CHECK). */
    if (upd && *upd == '1' && getenv("CQ_MAKE_CHECK"))
        ck_abort_msg("CQ_UPDATE_EXPECTED=1 is refused under make check: run "
                     "`CQ_UPDATE_EXPECTED=1 tests/check_cquery cases` and review the diff");
    if (upd && *upd == '1') {
        spit(exp, actual ? actual : "");
        free(actual);
        return;
    }
    char *want = test_slurp(exp, NULL);
    ck_assert_msg(want != NULL, "%s: missing %s", dir, name);
    int same = actual && !strcmp(want, actual);
    if (!same) {
        spit(actual_path, actual ? actual : "");    /* the diff shows the portable text */
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "diff -u '%s' '%s' | head -40 >&2", exp, actual_path);
        if (system(cmd) < 0)
            perror("diff");
    }
    free(want);
    free(actual);
    ck_assert_msg(same, "%s: output differs from %s (diff above)", dir, name);
}

START_TEST(test_case)
{
    const char *dir = cases[_i];
    char tmp[] = "/tmp/cq-case-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], out[200], err[200];
    snprintf(index, sizeof index, "%s/index.db", tmp);
    snprintf(out, sizeof out, "%s/stdout", tmp);
    snprintf(err, sizeof err, "%s/stderr", tmp);
    ingest_inputs(dir, index, tmp);

    char *argv[64], *owned[256];
    int n = 0, n_owned = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/cmd", dir);
    char *cmdline = test_slurp(path, NULL), *query = NULL, *args = NULL;
    char *line = cmdline, *next_line = NULL;
    argv[n++] = (char *)bin();
    while (line && *line == '#') {      /* comment lines: what the case checks */
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    if (cmdline) {
        next_line = strchr(line, '\n');
        if (next_line && next_line[strspn(next_line, " \t\r\n")])
            *next_line++ = '\0';       /* more commands follow */
        else
            next_line = NULL;
        char *words[60];
        int nw = split_words(line, words, 60);
        for (int i = 0; i < nw; i++)
            argv[n++] = owned[n_owned++] = subst(words[i], index, dir);
    } else {
        query = read_query(dir);
        ck_assert_msg(query != NULL, "%s: no query.spl", dir);
        argv[n++] = "search";
        argv[n++] = "--format";
        argv[n++] = "csv";
        argv[n++] = "--index";
        argv[n++] = index;
        snprintf(path, sizeof path, "%s/args", dir);
        if ((args = test_slurp(path, NULL))) {
            char *words[40];
            int nw = split_words(args, words, 40);
            for (int i = 0; i < nw; i++)
                argv[n++] = owned[n_owned++] = subst(words[i], index, dir);
        }
        argv[n++] = query;
    }
    argv[n] = NULL;
    snprintf(path, sizeof path, "%s/stdin", dir);
    const char *in = access(path, R_OK) == 0 ? path : "/dev/null";
    int rc = test_wait(test_spawn_in(argv, in, out, err));
    while (next_line) {                 /* the next commands of cmd */
        line = next_line;
        next_line = strchr(line, '\n');
        if (next_line && next_line[strspn(next_line, " \t\r\n")])
            *next_line++ = '\0';
        else
            next_line = NULL;
        if (*line == '#')
            continue;
        char *words[60], more_out[220], more_err[220];
        int nw = split_words(line, words, 60);
        n = 1;
        for (int i = 0; i < nw && n_owned < 250; i++)
            argv[n++] = owned[n_owned++] = subst(words[i], index, dir);
        argv[n] = NULL;
        snprintf(more_out, sizeof more_out, "%s.more", out);
        snprintf(more_err, sizeof more_err, "%s.more", err);
        int r = test_wait(test_spawn_in(argv, in, more_out, more_err));
        rc = rc ? rc : r;
        append_file(out, more_out);
        append_file(err, more_err);
    }
    snprintf(path, sizeof path, "%s/expected.err", dir);
    char out_path[4200];
    snprintf(out_path, sizeof out_path, "%s/expected.out", dir);
    char rc_path[4200];
    snprintf(rc_path, sizeof rc_path, "%s/expected.rc", dir);
    char *err_rc = exists(path) ? test_slurp(rc_path, NULL) : NULL;
    if (exists(path) && exists(out_path)) {
        /* results and notes (a limit that cut them): both checked, exit 0 */
        check_file(dir, "expected.err", err);
        check_file(dir, "expected.out", out);
        int want = err_rc ? atoi(err_rc) : 0;
        ck_assert_msg(rc == want, "%s: exit status %d, expected %d", dir, rc, want);
    } else if (exists(path)) {
        check_file(dir, "expected.err", err);
        int want = err_rc ? atoi(err_rc) : 2;
        ck_assert_msg(rc == want, "%s: exit status %d, expected %d", dir, rc, want);
    } else {
        char *e = test_slurp(err, NULL);
        snprintf(path, sizeof path, "%s/expected.rc", dir);
        char *want_rc = test_slurp(path, NULL);
        if (want_rc)
            ck_assert_msg(rc == atoi(want_rc), "%s: exit status %d, expected %d: %s", dir, rc,
                          atoi(want_rc), e ? e : "");
        else
            ck_assert_msg(rc == 0 || rc == 1, "%s: exit status %d: %s", dir, rc, e ? e : "");
        ck_assert_msg(!e || !*e, "%s: unexpected stderr (pin it in expected.err): %s", dir, e);
        free(want_rc);
        free(e);
        check_file(dir, "expected.out", out);
    }
    snprintf(path, sizeof path, "%s/expected.plan", dir);
    if (query && exists(path)) {
        /* two scan threads whatever the machine, so the plan is the same */
        char *ea[] = {(char *)bin(), "explain", "--threads", "2", query, NULL};
        run(ea, out, err);
        check_file(dir, "expected.plan", out);
    }
    free(err_rc);
    for (int i = 0; i < n_owned; i++)
        free(owned[i]);
    free(cmdline);
    free(query);
    free(args);
    test_rmdir(tmp);
}
END_TEST

/*
 * The bundled sample against its generator's ground truth: each analytic's
 * hits (time to the millisecond, sourcetype) must be exactly the events the
 * generator says it injected for that analytic.  The truth file is written
 * by cquery-gen, not by cquery, so this cannot agree by construction.
 */
static char *sorted_lines(const char *text)
{
    size_t n = 0, cap = 64;
    char **lines = malloc(cap * sizeof *lines);
    char *copy = strdup(text);
    for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
        if (n == cap)
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = l;
    }
    qsort(lines, n, sizeof *lines, cmp_names);
    cq_strbuf sb = CQ_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        cq_strbuf_addf(&sb, "%s\n", lines[i]);
    free(lines);
    free(copy);
    return sb.buf ? sb.buf : strdup("");
}

/* "2026-03-02T11:12:00.123457Z\tkubernetes:apiserver" lines of one analytic,
 * as "2026-03-02T11:12:00.123,kubernetes:apiserver". */
static char *truth_for(const char *truth, const char *id)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    char *copy = strdup(truth);
    for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
        char *f[4] = {0};
        int k = 0;
        for (char *p = l; k < 4 && p; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        if (k >= 3 && !strcmp(f[0], id) && strlen(f[1]) >= 23)
            cq_strbuf_addf(&sb, "%.23s,%s\n", f[1], f[2]);
    }
    free(copy);
    char *out = sorted_lines(cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return out;
}

/* cquery's hits for query q: "_time,sourcetype" CSV rows without the header,
 * the time cut to the millisecond without the zone. */
static char *hits_for(const char *index, const char *q, const char *tmp)
{
    char query[2048], out[300], err[300];
    snprintf(query, sizeof query, "%s | table _time sourcetype", q);
    snprintf(out, sizeof out, "%s/hits.out", tmp);
    snprintf(err, sizeof err, "%s/hits.err", tmp);
    char *argv[] = {(char *)bin(), "search", "--format", "csv", "--index", (char *)index,
                    query, NULL};
    ck_assert_int_eq(run(argv, out, err), 0);
    char *csv = test_slurp(out, NULL);
    cq_strbuf sb = CQ_STRBUF_INIT;
    char *body = strchr(csv, '\n');
    for (char *l = body ? strtok(body + 1, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        char *comma = strchr(l, ',');
        ck_assert_ptr_nonnull(comma);
        cq_strbuf_addf(&sb, "%.23s%s\n", l, comma);
    }
    free(csv);
    char *sorted = sorted_lines(cq_strbuf_str(&sb));
    cq_strbuf_free(&sb);
    return sorted;
}

START_TEST(test_sample_truth)
{
    static const struct {
        const char *id, *query;
    } analytics[] = {
        {"T1609-001", "sourcetype=docker:daemon OR sourcetype=kubernetes:apiserver"
                      " | search command IN (\"docker exec\", \"kubectl exec\")"},
        {"T1609-002", "sourcetype=docker:daemon OR sourcetype=kubernetes:container"
                      " | search action=\"start\" OR action=\"exec\""},
    };
    char tmp[] = "/tmp/cq-truth-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], sample[4096], path[4096];
    snprintf(index, sizeof index, "%s/index.db", tmp);
    snprintf(sample, sizeof sample, "%s/data/sample", test_srcdir());
    char *argv[] = {(char *)bin(), "ingest", "--quiet", "--index", index, sample, NULL};
    char out[300], err[300];
    snprintf(out, sizeof out, "%s/o", tmp);
    snprintf(err, sizeof err, "%s/e", tmp);
    ck_assert_int_eq(run(argv, out, err), 0);
    snprintf(path, sizeof path, "%s/data/sample-truth.tsv", test_srcdir());
    char *truth = test_slurp(path, NULL);
    ck_assert_msg(truth != NULL, "missing %s", path);
    for (size_t i = 0; i < sizeof analytics / sizeof analytics[0]; i++) {
        char *want = truth_for(truth, analytics[i].id);
        char *got = hits_for(index, analytics[i].query, tmp);
        ck_assert_msg(strlen(want) > 0, "%s: no ground truth", analytics[i].id);
        ck_assert_msg(!strcmp(want, got), "%s: hits differ from the ground truth\nwant:\n%sgot:\n%s",
                      analytics[i].id, want, got);
        free(want);
        free(got);
    }
    free(truth);
    test_rmdir(tmp);
}
END_TEST

/*
 * Language cases, many per file (tests/lang/NAME.test), in jq's style:
 *
 *   # comment
 *   QUERY
 *   [{"f":"v"}, {...}]        the events, newest first (a JSON array)
 *   EXPECTED CSV ...          until a blank line; a line starting
 *                             "stderr: " is a line of stderr instead
 *                             (in order), and without one stderr must
 *                             be empty
 *
 *   %%FAIL
 *   QUERY
 *   EXPECTED STDERR ...       until a blank line (exit status 2)
 *
 * Events are ingested with --sourcetype _json; an event without _time gets
 * one so that the events keep their order, newest first.
 */
#include <jansson.h>

typedef struct lang_case {
    char *file;
    int line;
    int fail;
    char *query;
    char *records;      /* JSON array text (not for %%FAIL) */
    char *expected;
    char *expected_err; /* stderr of a passing case ("" when none) */
} lang_case;

static lang_case lang_cases[2048];
static int n_lang;

static char *next_line(char **p)
{
    if (!**p)
        return NULL;
    char *l = *p, *nl = strchr(l, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = l + strlen(l);
    }
    return l;
}

static void load_lang_file(const char *path)
{
    char *text = test_slurp(path, NULL), *p = text, *l;
    int line = 0;
    if (!text)
        return;
    while ((l = next_line(&p))) {
        line++;
        if (!*l || l[0] == '#')
            continue;
        lang_case *c = &lang_cases[n_lang];
        memset(c, 0, sizeof *c);
        c->file = strdup(path);
        c->line = line;
        if (!strcmp(l, "%%FAIL")) {
            c->fail = 1;
            l = next_line(&p);
            line++;
            if (!l)
                break;
        }
        c->query = strdup(l);
        if (!c->fail) {
            l = next_line(&p);
            line++;
            c->records = strdup(l ? l : "[]");
        }
        cq_strbuf exp = CQ_STRBUF_INIT, exp_err = CQ_STRBUF_INIT;
        while ((l = next_line(&p)) && *l) {
            line++;
            if (!c->fail && !strncmp(l, "stderr: ", 8))
                cq_strbuf_addf(&exp_err, "%s\n", l + 8);
            else
                cq_strbuf_addf(&exp, "%s\n", l);
        }
        line++;
        c->expected = exp.buf ? exp.buf : strdup("");
        c->expected_err = exp_err.buf ? exp_err.buf : strdup("");
        if (n_lang < (int)(sizeof lang_cases / sizeof lang_cases[0]) - 1)
            n_lang++;
    }
    free(text);
}

static void find_lang(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/lang", test_srcdir());
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".test"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    for (int i = 0; i < n; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        load_lang_file(p);
        free(names[i]);
    }
}

/* Writes the records as JSON lines with _time (newest first). */
static void write_records(const lang_case *c, const char *path)
{
    json_error_t err;
    json_t *arr = json_loads(c->records, 0, &err);
    ck_assert_msg(json_is_array(arr), "%s:%d: records are not a JSON array: %s", c->file,
                  c->line + 1, err.text);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec) {
        if (!json_object_get(rec, "_time"))
            json_object_set_new(rec, "_time", json_integer(1767225600 - (json_int_t)i));
        char *line = json_dumps(rec, JSON_COMPACT);
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    json_decref(arr);
}

/*
 * cquery-gen's audit stages, checked through cquery over a generated log:
 * each stage of a request once, all sharing its auditID and
 * requestReceivedTimestamp, RequestReceived first and without a
 * responseStatus, ResponseStarted only on long-running requests; and
 * --omit-stages leaving RequestReceived out.
 */
static char *gen_query(const char *index, const char *q, const char *tmp)
{
    char out[300], err[300];
    snprintf(out, sizeof out, "%s/q.out", tmp);
    snprintf(err, sizeof err, "%s/q.err", tmp);
    char *argv[] = {(char *)bin(), "search", "--format", "csv", "--index", (char *)index,
                    (char *)q, NULL};
    ck_assert_int_eq(run(argv, out, err), 0);
    return test_slurp(out, NULL);
}

static void gen_ingest(const char *tmp, const char *opts, const char *index)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' audit --count 4000 --seed 2 %s > '%s/a.json' && "
             "'%s' ingest --quiet --index '%s' '%s/a.json'",
             test_env("CQUERY_GEN"), opts, tmp, bin(), index, tmp);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_gen_stages)
{
    char tmp[] = "/tmp/cq-stages-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], index2[200];
    snprintf(index, sizeof index, "%s/all.db", tmp);
    snprintf(index2, sizeof index2, "%s/omit.db", tmp);
    gen_ingest(tmp, "", index);
    static const struct {
        const char *q, *want;
    } checks[] = {
        {"* | stats count by stage", "stage,count\n"
         "RequestReceived,1993\nResponseComplete,1820\nResponseStarted,187\n"},
        {"* | stats count by auditID, stage | where count > 1 | stats count", "count\n0\n"},
        {"* | stats dc(requestReceivedTimestamp) as d by auditID | where d > 1 | stats count",
         "count\n0\n"},
        /* the log ends mid-traffic: completions may be missing, never receptions */
        {"* | stats values(stage) as s by auditID | search s=ResponseComplete NOT s=RequestReceived"
         " | stats count", "count\n0\n"},
        {"stage=RequestReceived (responseStatus.code=* OR requestObject.kind=* OR"
         " annotations.authorization.k8s.io/decision=*) | stats count", "count\n0\n"},
        {"stage=ResponseStarted NOT verb=watch NOT objectRef.subresource IN (exec, attach,"
         " portforward, log) | stats count", "count\n0\n"},
        {"objectRef.subresource=exec | stats dc(stage) as n by auditID | where n != 3"
         " | stats count", "count\n0\n"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        char *got = gen_query(index, checks[i].q, tmp);
        ck_assert_msg(got && !strcmp(got, checks[i].want), "%s:\nwant:\n%sgot:\n%s",
                      checks[i].q, checks[i].want, got ? got : "(nothing)");
        free(got);
    }
    /* The file backend writes in stage order: stageTimestamp never goes back
     * (same-width RFC 3339 UTC compares as text). */
    char path[300];
    snprintf(path, sizeof path, "%s/a.json", tmp);
    char *log = test_slurp(path, NULL);
    ck_assert_ptr_nonnull(log);
    char prev[32] = "";
    for (const char *p = strstr(log, "\"stageTimestamp\":\""); p;
         p = strstr(p + 1, "\"stageTimestamp\":\"")) {
        char cur[32];
        snprintf(cur, sizeof cur, "%.27s", p + 18);
        ck_assert_msg(strcmp(prev, cur) <= 0, "stageTimestamp %s after %s", cur, prev);
        memcpy(prev, cur, sizeof cur);
    }
    free(log);
    gen_ingest(tmp, "--omit-stages RequestReceived", index2);
    char *got = gen_query(index2, "* | stats count by stage", tmp);
    ck_assert_msg(got && !strstr(got, "RequestReceived") && strstr(got, "ResponseComplete,"),
                  "%s", got ? got : "(nothing)");
    free(got);
    test_rmdir(tmp);
}
END_TEST

START_TEST(test_lang)
{
    const lang_case *c = &lang_cases[_i];
    char tmp[] = "/tmp/cq-lang-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], recs[200], out[200], err[200];
    snprintf(index, sizeof index, "%s/index.db", tmp);
    snprintf(recs, sizeof recs, "%s/events.json", tmp);
    snprintf(out, sizeof out, "%s/stdout", tmp);
    snprintf(err, sizeof err, "%s/stderr", tmp);
    if (!c->fail) {
        write_records(c, recs);
        char *ia[] = {(char *)bin(), "ingest", "--quiet", "--sourcetype", "_json", "--index",
                      index, recs, NULL};
        ck_assert_msg(run(ia, out, err) == 0, "%s:%d: ingest failed", c->file, c->line);
    }
    /* a copy of the lookup tables: outputlookup may write there */
    char lookups[240], cp[600];
    snprintf(lookups, sizeof lookups, "%s/lookups", tmp);
    snprintf(cp, sizeof cp, "mkdir '%s' && cp '%s/tests/lookups/'*.csv '%s'", lookups,
             test_srcdir(), lookups);
    ck_assert_msg(system(cp) == 0, "%s:%d: cannot copy the lookup tables", c->file, c->line);
    char *sa[] = {(char *)bin(), "search", "--format", "csv", "--index", index,
                  "--lookups", lookups, c->query, NULL};
    int rc = run(sa, out, err);
    char *got = test_slurp(c->fail ? err : out, NULL), *e = test_slurp(err, NULL);
    int same = got && !strcmp(got, c->expected) &&
               (c->fail || !strcmp(e ? e : "", c->expected_err));
    ck_assert_msg(same && rc == (c->fail ? 2 : 0),
                  "%s:%d: %s\n--- expected (exit %d)\n%s%s--- got (exit %d)\n%s%s", c->file,
                  c->line, c->query, c->fail ? 2 : 0, c->expected,
                  c->fail ? "" : c->expected_err, rc, got ? got : "", c->fail ? "" : e ? e : "");
    free(got);
    free(e);
    test_rmdir(tmp);
}
END_TEST

/*
 * outputlookup: what it writes, `| inputlookup` reads back as it was (commas,
 * quotes, spaces, multivalue cells, missing values), and it never writes
 * through a symbolic link or outside the lookup directory.
 */
START_TEST(test_outputlookup_files)
{
    char tmp[] = "/tmp/cq-outlk-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], recs[200], out[200], err[200], lk[200], path[300], outside[300];
    snprintf(index, sizeof index, "%s/index.db", tmp);
    snprintf(recs, sizeof recs, "%s/events.json", tmp);
    snprintf(out, sizeof out, "%s/stdout", tmp);
    snprintf(err, sizeof err, "%s/stderr", tmp);
    snprintf(lk, sizeof lk, "%s/lookups", tmp);
    ck_assert_int_eq(mkdir(lk, 0755), 0);
    FILE *f = fopen(recs, "w");
    ck_assert(f != NULL);
    fputs("{\"_time\":1767225600,\"a\":\"x,y\",\"b\":\"say \\\"hi\\\"\",\"m\":\"1;2\","
          "\"s\":\" sp \"}\n{\"_time\":1767225599,\"a\":\"plain\"}\n", f);
    fclose(f);
    char *ia[] = {(char *)bin(), "ingest", "--quiet", "--sourcetype", "_json", "--index", index,
                  recs, NULL};
    ck_assert_int_eq(run(ia, out, err), 0);

    char *wa[] = {(char *)bin(), "search", "--format", "csv", "--index", index, "--lookups", lk,
                  "* | eval m=split(m, \";\") | table a b m s | outputlookup rt", NULL};
    ck_assert_int_eq(run(wa, out, err), 0);
    char *written = test_slurp(out, NULL);
    snprintf(path, sizeof path, "%s/rt.csv", lk);
    char *file = test_slurp(path, NULL);
    ck_assert_str_eq(file, "a,b,m,s\n\"x,y\",\"say \"\"hi\"\"\",\"1\n2\", sp \nplain,,,\n");
    char *ra[] = {(char *)bin(), "search", "--format", "csv", "--index", index, "--lookups", lk,
                  "| inputlookup rt.csv", NULL};
    ck_assert_int_eq(run(ra, out, err), 0);
    char *read = test_slurp(out, NULL);
    ck_assert_str_eq(read, written);
    free(written);
    free(file);
    free(read);

    /* a table that is a symbolic link is refused, and what it points to untouched */
    snprintf(outside, sizeof outside, "%s/outside.csv", tmp);
    snprintf(path, sizeof path, "%s/link.csv", lk);
    ck_assert_int_eq(symlink(outside, path), 0);
    char *la[] = {(char *)bin(), "search", "--format", "csv", "--index", index, "--lookups", lk,
                  "* | outputlookup link.csv", NULL};
    ck_assert_int_eq(run(la, out, err), 2);
    char *e = test_slurp(err, NULL);
    ck_assert_ptr_nonnull(strstr(e, "is a symbolic link"));
    free(e);
    ck_assert_int_ne(access(outside, F_OK), 0);
    /* no temporary file is left behind */
    char ls[300];
    snprintf(ls, sizeof ls, "test -z \"$(ls -A '%s' | grep -v -x -e rt.csv -e link.csv)\"", lk);
    ck_assert_int_eq(system(ls), 0);

    test_rmdir(tmp);
}
END_TEST

/*
 * hunt's two reports over the bundled sample, parsed with jansson: the
 * ATT&CK Navigator layer is JSON of layer format 4.5 whose every technique
 * scores the hits of the analytics naming it, as `hunt --summary -f json`
 * counts them, and the summary is ranked by hits a day, noisy above 5.
 */
static json_t *hunt_json(const char *index, const char *tmp, const char *const *args, int lines)
{
    char out[300], err[300];
    snprintf(out, sizeof out, "%s/hunt.out", tmp);
    snprintf(err, sizeof err, "%s/hunt.err", tmp);
    char *argv[12] = {(char *)bin(), "hunt", "--index", (char *)index};
    int n = 4;
    for (; *args; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    ck_assert_int_eq(run(argv, out, err), 0);
    json_error_t e;
    if (!lines) {
        json_t *doc = json_load_file(out, 0, &e);
        ck_assert_msg(doc != NULL, "the layer is no JSON: %d:%d: %s", e.line, e.column, e.text);
        return doc;
    }
    json_t *all = json_array();
    char *text = test_slurp(out, NULL);
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        json_t *row = json_loads(l, 0, &e);
        ck_assert_msg(row != NULL, "a summary line is no JSON: %s", e.text);
        json_array_append_new(all, row);
    }
    free(text);
    return all;
}

/* Does the technique header name id (as a whole word, any case)? */
static int header_names(const char *header, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = header; *p;) {
        size_t len = strcspn(p, " ,;\t");
        if (len == n && !strncasecmp(p, id, n))
            return 1;
        p += len;
        p += strspn(p, " ,;\t");
    }
    return 0;
}

START_TEST(test_sample_reports)
{
    char tmp[] = "/tmp/cq-layer-XXXXXX";
    ck_assert(mkdtemp(tmp) != NULL);
    char index[200], sample[4096], out[300], err[300];
    snprintf(index, sizeof index, "%s/index.db", tmp);
    snprintf(sample, sizeof sample, "%s/data/sample", test_srcdir());
    snprintf(out, sizeof out, "%s/o", tmp);
    snprintf(err, sizeof err, "%s/e", tmp);
    char *argv[] = {(char *)bin(), "ingest", "--quiet", "--index", index, sample, NULL};
    ck_assert_int_eq(run(argv, out, err), 0);

    static const char *const layer_args[] = {"--format", "attack-navigator", NULL};
    static const char *const summary_args[] = {"--summary", "--format", "json", NULL};
    json_t *layer = hunt_json(index, tmp, layer_args, 0);
    json_t *summary = hunt_json(index, tmp, summary_args, 1);
    ck_assert_str_eq(json_string_value(json_object_get(layer, "domain")), "enterprise-attack");
    json_t *v = json_object_get(layer, "versions");
    ck_assert_str_eq(json_string_value(json_object_get(v, "layer")), "4.5");
    ck_assert(json_is_string(json_object_get(layer, "name")));
    json_t *g = json_object_get(layer, "gradient");
    ck_assert(json_integer_value(json_object_get(g, "maxValue")) >
              json_integer_value(json_object_get(g, "minValue")));

    json_t *techs = json_object_get(layer, "techniques");
    ck_assert(json_array_size(techs) >= 5);
    const char *prev = "";
    size_t i, fired = 0;
    json_t *t;
    json_array_foreach(techs, i, t) {
        const char *id = json_string_value(json_object_get(t, "techniqueID"));
        ck_assert_msg(id && id[0] == 'T' && (strlen(id) == 5 || strlen(id) == 9), "id %s", id);
        ck_assert_msg(strcmp(prev, id) < 0, "techniques out of order: %s, %s", prev, id);
        prev = id;
        json_int_t want = 0;
        size_t k, named = 0;
        json_t *a;
        json_array_foreach(summary, k, a)
            if (header_names(json_string_value(json_object_get(a, "technique")), id)) {
                want += json_integer_value(json_object_get(a, "hits"));
                named++;
            }
        ck_assert_msg(named == json_array_size(json_object_get(t, "metadata")),
                      "%s: %zu analytics name it, the layer lists %zu", id, named,
                      json_array_size(json_object_get(t, "metadata")));
        ck_assert_msg(json_integer_value(json_object_get(t, "score")) == want,
                      "%s: score %lld, its analytics found %lld", id,
                      (long long)json_integer_value(json_object_get(t, "score")), (long long)want);
        fired += want > 0;
    }
    ck_assert_msg(fired >= 2, "only %zu techniques fired on the sample", fired);

    double last = 1e300;
    json_t *a;
    ck_assert(json_array_size(summary) >= 20);
    json_array_foreach(summary, i, a) {
        double rate = json_real_value(json_object_get(a, "hits_per_day"));
        ck_assert_msg(rate <= last, "the summary is not ranked by hits a day");
        last = rate;
        int noisy = !strcmp(json_string_value(json_object_get(a, "flag")), "noisy");
        ck_assert_msg(noisy == (rate > 5), "%s: %.2f a day, flag %s",
                      json_string_value(json_object_get(a, "analytic_id")), rate,
                      json_string_value(json_object_get(a, "flag")));
    }
    json_decref(layer);
    json_decref(summary);
    test_rmdir(tmp);
}
END_TEST

Suite *cases_suite(void)
{
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("regression");
    tcase_set_timeout(tc, 120);
    if (!n_cases) {
        char root[4096];
        snprintf(root, sizeof root, "%s/tests/cases", test_srcdir());
        find_cases(root);
        qsort(cases, (size_t)n_cases, sizeof *cases, cmp_names);
    }
    tcase_add_loop_test(tc, test_case, 0, n_cases);
    test_require_cases(tc, n_cases, "regression cases under tests/cases");
    suite_add_tcase(s, tc);
    if (!n_lang)
        find_lang();
    TCase *lang = tcase_create("lang");
    tcase_set_timeout(lang, 60);
    tcase_add_loop_test(lang, test_lang, 0, n_lang);
    test_require_cases(lang, n_lang, "language cases in tests/lang/*.test");
    suite_add_tcase(s, lang);
    TCase *truth = tcase_create("sample");
    tcase_set_timeout(truth, 120);
    tcase_add_test(truth, test_sample_truth);
    tcase_add_test(truth, test_sample_reports);
    tcase_add_test(truth, test_gen_stages);
    suite_add_tcase(s, truth);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 60);
    tcase_add_test(files, test_outputlookup_files);
    suite_add_tcase(s, files);
    return s;
}

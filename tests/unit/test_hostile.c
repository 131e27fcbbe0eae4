/*
 * test_hostile.c - hostile machines and command lines (issue 14).
 *
 *   files   an index path or SQLite side file that is a symbolic link is
 *           refused, a file that is not an index is left alone, a new index
 *           is 0600 even when an empty file was there first; `hunt
 *           --no-cache` builds its index in a private directory and removes
 *           it, never through a link planted at the old predictable name
 *   pipes   `cquery ingest -v ... 2>&1 | head -1`: the reader going away
 *           costs no ingest work
 *   hunt    `hunt ID FILE.spl` runs both
 *   deep    thousands of piped commands: an error at the 501st, no crash
 *   keys    an event with more than 10,000 fields and values is rejected
 *           like an over-long line, the events around it kept
 *   output  a value with a NUL prints whole in table, CSV and JSON; CSV to
 *           a terminal escapes controls as table output does
 *
 * Every test runs the real binary ($CQUERY_BIN).
 */
#define _GNU_SOURCE             /* posix_openpt, ptsname, cfmakeraw */
#include "tests/unit/suites.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

typedef struct tmpdir {
    char dir[64];
    char index[128];
    char out[128], err[128];
} tmpdir;

static void tmp_make(tmpdir *t)
{
    strcpy(t->dir, "/tmp/cq-hostile-XXXXXX");
    ck_assert(mkdtemp(t->dir) != NULL);
    snprintf(t->index, sizeof t->index, "%s/index.db", t->dir);
    snprintf(t->out, sizeof t->out, "%s/stdout", t->dir);
    snprintf(t->err, sizeof t->err, "%s/stderr", t->dir);
}

static void tmp_path(const tmpdir *t, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", t->dir, name);
}

static void tmp_done(tmpdir *t)
{
    test_rmdir(t->dir);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fputs(text, f) >= 0);
    fclose(f);
}

/* Runs cquery with args (NULL-terminated): status, stdout and stderr in t. */
static int cq_run(const tmpdir *t, const char *const *args)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)test_env("CQUERY_BIN");
    for (; *args && n < 31; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return test_wait(test_spawn(argv, t->out, t->err));
}

static const char event[] = "{\"_time\":1767225600,\"user\":\"alice\",\"msg\":\"secret\"}\n";

static int ingest_into(const tmpdir *t, const char *index, const char *log)
{
    const char *a[] = {"ingest", "--index", index, "--sourcetype", "_json", log, NULL};
    return cq_run(t, a);
}

static char *err_of(const tmpdir *t)
{
    return test_slurp(t->err, NULL);
}

/* `search * | stats count` on index, or -1. */
static long count_in(const tmpdir *t, const char *index)
{
    const char *a[] = {"search", "--index", index, "--format", "csv", "* | stats count", NULL};
    if (cq_run(t, a) != 0)
        return -1;
    char *o = test_slurp(t->out, NULL);
    long n = strncmp(o, "count\n", 6) ? -1 : strtol(o + 6, NULL, 10);
    free(o);
    return n;
}

/* ------------------------------------------------------------------ files */

START_TEST(index_symlink_refused)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], victim[200], link[200], side[200];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "victim", victim, sizeof victim);
    tmp_path(&t, "link.db", link, sizeof link);
    spit(log, event);
    spit(victim, "");
    ck_assert(symlink(victim, link) == 0);
    ck_assert_int_eq(ingest_into(&t, link, log), 3);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "is a symbolic link; refused"), "%s", e);
    free(e);
    char *v = test_slurp(victim, NULL);
    ck_assert_msg(*v == '\0', "the link's target was written");
    free(v);
    /* a link where SQLite's write-ahead log goes */
    snprintf(side, sizeof side, "%s-wal", t.index);
    ck_assert(symlink(victim, side) == 0);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 3);
    e = err_of(&t);
    ck_assert_msg(strstr(e, "-wal is a symbolic link; refused"), "%s", e);
    free(e);
    v = test_slurp(victim, NULL);
    ck_assert_msg(*v == '\0', "the -wal link's target was written");
    free(v);
    /* and a search does not read through one either */
    unlink(side);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    unlink(link);
    ck_assert(symlink(t.index, link) == 0);
    ck_assert_int_eq(count_in(&t, link), -1);
    ck_assert_int_eq(count_in(&t, t.index), 1);
    tmp_done(&t);
}
END_TEST

START_TEST(index_not_ours_refused)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], other[200];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "notes.txt", other, sizeof other);
    spit(log, event);
    const char notes[] = "my notes, not an index\n";
    spit(other, notes);
    ck_assert_int_eq(ingest_into(&t, other, log), 3);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "is not a cquery index"), "%s", e);
    free(e);
    char *v = test_slurp(other, NULL);
    ck_assert_str_eq(v, notes);
    free(v);
    tmp_done(&t);
}
END_TEST

START_TEST(index_is_private)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "a.json", log, sizeof log);
    spit(log, event);
    int fd = open(t.index, O_CREAT | O_WRONLY, 0644);
    ck_assert(fd >= 0);
    ck_assert(fchmod(fd, 0644) == 0);
    close(fd);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    struct stat st;
    ck_assert(stat(t.index, &st) == 0);
    ck_assert_msg((st.st_mode & 07777) == 0600, "index mode %o", st.st_mode & 07777);
    ck_assert_int_eq(count_in(&t, t.index), 1);
    tmp_done(&t);
}
END_TEST

/* `hunt --no-cache` with TMPDIR=t.dir, where a link waits at the name the
 * old code used (cquery-hunt-<pid>.db): the child's pid is known once
 * forked, so the link is planted before it runs. */
START_TEST(hunt_no_cache_private)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], tmp[200], victim[200], spl[200], planted[300];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "tmp", tmp, sizeof tmp);
    tmp_path(&t, "victim", victim, sizeof victim);
    tmp_path(&t, "count.spl", spl, sizeof spl);
    spit(log, "time=\"2026-01-01T00:00:00Z\" level=info msg=\"ok\"\n");  /* detected */
    spit(victim, "");
    spit(spl, "# id: X-001\n# title: count\n# technique: T1609\n# severity: low\n* | stats count\n");
    ck_assert(mkdir(tmp, 0777) == 0);
    ck_assert(chmod(tmp, 0777) == 0);
    int go[2];
    ck_assert(pipe(go) == 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(99);
        int out = open(t.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(t.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(err, 2);
        setenv("TMPDIR", tmp, 1);
        execl(test_env("CQUERY_BIN"), "cquery", "hunt", "--no-cache", "--archive", log,
              "--format", "json", spl, (char *)NULL);
        _exit(98);
    }
    close(go[0]);
    snprintf(planted, sizeof planted, "%s/cquery-hunt-%ld.db", tmp, (long)pid);
    ck_assert(symlink(victim, planted) == 0);
    ck_assert(write(go[1], "x", 1) == 1);
    close(go[1]);
    int status;
    ck_assert(waitpid(pid, &status, 0) == pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "hunt status %d", status);
    char *o = test_slurp(t.out, NULL);
    ck_assert_msg(strstr(o, "\"analytic_id\":\"X-001\",\"count\":\"1\""), "%s", o);
    free(o);
    char *v = test_slurp(victim, NULL);
    ck_assert_msg(*v == '\0', "hunt wrote the archive into the planted link's target");
    free(v);
    /* nothing left behind but the planted link */
    ck_assert(unlink(planted) == 0);
    ck_assert_msg(rmdir(tmp) == 0, "hunt left files in TMPDIR: %s", strerror(errno));
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ pipes */

/* `cquery ingest -v FILES 2>&1 | head -1`: stdout and stderr a pipe whose
 * reader has gone before the first report. */
START_TEST(ingest_survives_closed_stderr)
{
    tmpdir t;
    tmp_make(&t);
    const char *argv[16];
    int n = 0;
    char logs[6][200];
    argv[n++] = "cquery";
    argv[n++] = "ingest";
    argv[n++] = "-v";
    argv[n++] = "--sourcetype";
    argv[n++] = "_json";
    argv[n++] = "--index";
    argv[n++] = t.index;
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d.json", i);
        tmp_path(&t, name, logs[i], sizeof logs[i]);
        FILE *f = fopen(logs[i], "w");
        ck_assert(f != NULL);
        for (int j = 0; j < 300; j++)
            fprintf(f, "{\"broken %d\n", j);    /* a malformed-line report each */
        fprintf(f, "{\"_time\":%d,\"a\":\"x\"}\n", 1767225600 + i);
        fclose(f);
        argv[n++] = logs[i];
    }
    argv[n] = NULL;
    int p[2];
    ck_assert(pipe(p) == 0);
    close(p[0]);                                /* the reader is gone */
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        dup2(p[1], 1);
        dup2(p[1], 2);
        execv(test_env("CQUERY_BIN"), (char **)argv);
        _exit(98);
    }
    close(p[1]);
    int status;
    ck_assert(waitpid(pid, &status, 0) == pid);
    ck_assert_msg(!WIFSIGNALED(status), "ingest killed by signal %d", WTERMSIG(status));
    ck_assert_int_eq(count_in(&t, t.index), 6);
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------- hunt */

START_TEST(hunt_id_and_file)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], spl[200];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "mine.spl", spl, sizeof spl);
    spit(log, event);
    spit(spl, "# id: X-001\n# title: mine\n# technique: T1609\n# severity: low\n* | stats count\n");
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    const char *a[] = {"hunt", "--index", t.index, "--format", "json", "T1609-001", spl, NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    char *o = test_slurp(t.out, NULL);
    ck_assert_msg(strstr(o, "\"type\":\"summary\",\"analytic_id\":\"X-001\""), "%s", o);
    ck_assert_msg(strstr(o, "\"type\":\"summary\",\"analytic_id\":\"T1609-001\""), "%s", o);
    ck_assert_msg(!strstr(o, "T1609-002"), "only the id asked for: %s", o);
    free(o);
    tmp_done(&t);
}
END_TEST

/* An ingest whose every input fails leaves no empty index behind; one that
 * read something keeps it, and a later failing ingest leaves it as it was. */
START_TEST(failed_ingest_makes_no_index)
{
    tmpdir t;
    tmp_make(&t);
    char missing[200], log[200];
    tmp_path(&t, "missing.log", missing, sizeof missing);
    tmp_path(&t, "a.json", log, sizeof log);
    ck_assert_int_eq(ingest_into(&t, t.index, missing), 3);
    struct stat st;
    ck_assert_msg(lstat(t.index, &st) != 0, "an empty index was left at %s", t.index);
    spit(log, event);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    ck_assert_int_eq(ingest_into(&t, t.index, missing), 3);
    ck_assert_int_eq(count_in(&t, t.index), 1);
    tmp_done(&t);
}
END_TEST

/* Events without a time the format reads get the ingest time: never
 * silently (a wrong --sourcetype would date a whole archive "now"). */
START_TEST(no_time_warned)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "a.json", log, sizeof log);
    spit(log, "{\"_time\":1767225600,\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "a.json: warning: 2 of 3 events had no time the format reads "
                            "(the first at line 2)"), "%s", e);
    ck_assert_msg(strstr(e, "2 events without a time of their own"), "%s", e);
    free(e);
    /* near miss: every event with its time, no warning */
    tmp_path(&t, "b.json", log, sizeof log);
    spit(log, event);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    e = err_of(&t);
    ck_assert_msg(!strstr(e, "warning"), "%s", e);
    free(e);
    tmp_done(&t);
}
END_TEST

/* search -o FILE writes the results there; -o never writes through a link
 * (search or hunt), and leaves the link's target alone. */
START_TEST(output_file_no_link)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], out[200], link[200], victim[200];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "out.csv", out, sizeof out);
    tmp_path(&t, "link.csv", link, sizeof link);
    tmp_path(&t, "victim", victim, sizeof victim);
    spit(log, event);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    const char *a[] = {"search", "--index", t.index, "-f", "csv", "-o", out,
                       "* | table user", NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    char *o = test_slurp(out, NULL);
    ck_assert_str_eq(o, "user\nalice\n");
    free(o);
    o = test_slurp(t.out, NULL);
    ck_assert_str_eq(o, "");    /* nothing on stdout */
    free(o);
    ck_assert(symlink(victim, link) == 0);
    char spl[200];
    tmp_path(&t, "users.spl", spl, sizeof spl);
    spit(spl, "# id: X-1\n# title: users\n# severity: low\n* | table user\n");
    const char *h[] = {"hunt", "--index", t.index, "-f", "csv", "-o", out, spl, NULL};
    ck_assert_int_eq(cq_run(&t, h), 0);     /* hunt -f csv -o FILE: the hits there */
    o = test_slurp(out, NULL);
    ck_assert_str_eq(o, "analytic_id,analytic_technique,analytic_severity,user\nX-1,-,low,alice\n");
    free(o);
    o = test_slurp(t.out, NULL);
    ck_assert_str_eq(o, "");
    free(o);
    const char *b[] = {"search", "--index", t.index, "-o", link, "* | table user", NULL};
    ck_assert_int_eq(cq_run(&t, b), 3);
    const char *c[] = {"hunt", "--index", t.index, "-o", link, "T1609-001", NULL};
    ck_assert_int_eq(cq_run(&t, c), 3);
    struct stat st;
    ck_assert_msg(lstat(victim, &st) != 0, "a file was made through the link");
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "a symbolic link: refused"), "%s", e);
    free(e);
    tmp_done(&t);
}
END_TEST

/* hunt --archive over a directory holding a whole file and a truncated
 * gzip one: the analytics run over what was read, and exit 4 says partial. */
START_TEST(hunt_archive_partial)
{
    tmpdir t;
    tmp_make(&t);
    char dir[200], whole[240], gz[240], cmd[2048];
    tmp_path(&t, "logs", dir, sizeof dir);
    ck_assert(mkdir(dir, 0700) == 0);
    snprintf(whole, sizeof whole, "%s/a.json", dir);
    snprintf(gz, sizeof gz, "%s/b.json.gz", dir);
    spit(whole, event);
    /* 200 events gzipped, then the last 30 bytes cut off */
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 1 200); do printf '{\"_time\":%%d,\"user\":\"bob\"}\\n' "
             "$((1767225600 + i)); done | gzip -c > '%s.full' && "
             "head -c $(( $(stat -c %%s '%s.full') - 30 )) '%s.full' > '%s' && rm '%s.full'",
             gz, gz, gz, gz, gz);
    ck_assert_int_eq(system(cmd), 0);
    char spl[200];
    tmp_path(&t, "count.spl", spl, sizeof spl);
    spit(spl, "# id: X-002\n# title: count\n# technique: T1609\n# severity: low\n"
              "* | stats count\n");
    const char *a[] = {"hunt", "--no-cache", "--format", "json", "--archive", dir, spl, NULL};
    ck_assert_int_eq(cq_run(&t, a), 4);
    char *o = test_slurp(t.out, NULL), *e = err_of(&t);
    ck_assert_msg(strstr(e, "b.json.gz: truncated gzip data"), "%s", e);
    ck_assert_msg(strstr(o, "\"analytic_id\":\"X-002\""), "the hunt ran: %s", o);
    free(o);
    free(e);
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------- deep */

/* "* | CMD | CMD ..." with n CMDs (caller frees). */
static char *piped(const char *cmd, int n)
{
    size_t each = strlen(cmd) + 3;
    char *q = malloc(each * (size_t)n + 2), *p = q;
    *p++ = '*';
    for (int i = 0; i < n; i++)
        p += sprintf(p, " | %s", cmd);
    *p = '\0';
    return q;
}

START_TEST(deep_pipeline_refused)
{
    tmpdir t;
    tmp_make(&t);
    char log[200], spl[200];
    tmp_path(&t, "a.json", log, sizeof log);
    tmp_path(&t, "deep.spl", spl, sizeof spl);
    spit(log, event);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    /* at the limit: 499 commands after the search, 500 in all, run */
    char *q = piped("eval x=1", 499);
    const char *a[] = {"search", "--index", t.index, "--format", "csv", q, NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    free(q);
    q = piped("eval x=1", 5000);
    a[5] = q;
    ck_assert_int_eq(cq_run(&t, a), 2);
    char *e = err_of(&t);
    /* the 501st command (the 500th eval) is at offset 1 + 499 * 11 + 3 */
    ck_assert_msg(strstr(e, "query:1:5494: error: query has more than 500 commands"), "%s", e);
    ck_assert_msg(strstr(e, "^^^^^^^^"), "a caret under the command: %s", e);
    free(e);
    free(q);
    /* longer than a command line takes: through a .spl file */
    static const char *const cmds[] = {"where x=1", "sort 0 _time", "fields x"};
    static const int counts[] = {10000, 10000, 100000};
    for (int i = 0; i < 3; i++) {
        q = piped(cmds[i], counts[i]);
        FILE *f = fopen(spl, "w");
        ck_assert(f != NULL);
        fprintf(f, "# id: X-001\n# title: deep\n# technique: T1609\n# severity: low\n%s\n", q);
        fclose(f);
        free(q);
        const char *h[] = {"hunt", "--index", t.index, spl, NULL};
        ck_assert_int_eq(cq_run(&t, h), 2);
        e = err_of(&t);
        ck_assert_msg(strstr(e, "error: query has more than 500 commands"), "%s: %s", cmds[i], e);
        free(e);
    }
    tmp_done(&t);
}
END_TEST

/* ------------------------------------------------------------------- keys */

START_TEST(many_keys_rejected)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "keys.json", log, sizeof log);
    FILE *f = fopen(log, "w");
    ck_assert(f != NULL);
    fputs(event, f);
    for (int line = 0; line < 2; line++) {      /* 10,000 keys and _time: one too many */
        fprintf(f, "{\"_time\":1767225601");
        for (int i = 0; i < 10000; i++)
            fprintf(f, ",\"k%d\":1", i);
        fputs("}\n", f);
    }
    fputs(event, f);
    fprintf(f, "{\"_time\":1767225602");       /* exactly at the limit: kept */
    for (int i = 0; i < 9999; i++)
        fprintf(f, ",\"k%d\":1", i);
    fputs("}\n", f);
    fclose(f);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    char *e = err_of(&t);
    ck_assert_msg(strstr(e, "keys.json:2: more than 10000 fields and values in one event"), "%s", e);
    ck_assert_msg(strstr(e, "keys.json:3: more than 10000"), "%s", e);
    ck_assert_msg(strstr(e, "2 malformed lines"), "%s", e);
    free(e);
    ck_assert_int_eq(count_in(&t, t.index), 3);
    tmp_done(&t);
}
END_TEST

/* ----------------------------------------------------------------- output */

static const char nul_log[] =
    "{\"_time\":1767225600,\"v\":\"nul\\u0000val\",\"e\":\"a\\u001b[2Jb\\u0007c\\u007fd\\u009be\\u202ef\"}\n";

START_TEST(nul_printed_whole)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "n.json", log, sizeof log);
    spit(log, nul_log);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    static const char *const fmt[] = {"table", "csv", "json"};
    static const char *const want[] = {"nul\\x00val", "nul\\x00val", "\"v\":\"nul\\u0000val\""};
    for (int i = 0; i < 3; i++) {
        const char *a[] = {"search", "--index", t.index, "--format", fmt[i], "* | table v", NULL};
        ck_assert_int_eq(cq_run(&t, a), 0);
        size_t len;
        char *o = test_slurp(t.out, &len);
        ck_assert_msg(!memchr(o, '\0', len), "%s: a raw NUL", fmt[i]);
        ck_assert_msg(strstr(o, want[i]), "%s: %s", fmt[i], o);
        free(o);
    }
    tmp_done(&t);
}
END_TEST

/* Runs `search --format csv` with stdout a pseudo-terminal; returns what
 * the terminal received (caller frees). */
static char *csv_on_terminal(const tmpdir *t, const char *query)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
    int sl = open(ptsname(m), O_RDWR | O_NOCTTY);
    ck_assert(sl >= 0);
    struct termios tio;
    ck_assert(tcgetattr(sl, &tio) == 0);
    cfmakeraw(&tio);                /* the bytes as written, no \r added */
    ck_assert(tcsetattr(sl, TCSANOW, &tio) == 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        close(m);
        dup2(sl, 1);
        execl(test_env("CQUERY_BIN"), "cquery", "search", "--index", t->index, "--format", "csv",
              query, (char *)NULL);
        _exit(98);
    }
    close(sl);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(m, buf + len, cap - len - 1)) > 0) {   /* EIO once the child is gone */
        len += (size_t)n;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    close(m);
    int status;
    ck_assert(waitpid(pid, &status, 0) == pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "search status %d", status);
    return buf;
}

START_TEST(csv_terminal_escaped)
{
    tmpdir t;
    tmp_make(&t);
    char log[200];
    tmp_path(&t, "n.json", log, sizeof log);
    spit(log, nul_log);
    ck_assert_int_eq(ingest_into(&t, t.index, log), 0);
    char *o = csv_on_terminal(&t, "* | table v e");
    ck_assert_str_eq(o, "v,e\nnul\\x00val,a\\x1b[2Jb\\x07c\\x7fd\\u009be\\u202ef\n");
    free(o);
    /* to a file the bytes are the log's */
    const char *a[] = {"search", "--index", t.index, "--format", "csv", "* | table e", NULL};
    ck_assert_int_eq(cq_run(&t, a), 0);
    o = test_slurp(t.out, NULL);
    ck_assert_str_eq(o, "e\na\x1b[2Jb\x07" "c\x7f" "d\xc2\x9b" "e\xe2\x80\xae" "f\n");
    free(o);
    tmp_done(&t);
}
END_TEST

Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, index_symlink_refused);
    tcase_add_test(tc, index_not_ours_refused);
    tcase_add_test(tc, index_is_private);
    tcase_add_test(tc, hunt_no_cache_private);
    tcase_add_test(tc, failed_ingest_makes_no_index);
    tcase_add_test(tc, no_time_warned);
    tcase_add_test(tc, output_file_no_link);
    suite_add_tcase(s, tc);

    tc = tcase_create("pipes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ingest_survives_closed_stderr);
    suite_add_tcase(s, tc);

    tc = tcase_create("hunt");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hunt_id_and_file);
    tcase_add_test(tc, hunt_archive_partial);
    suite_add_tcase(s, tc);

    tc = tcase_create("deep");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, deep_pipeline_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, many_keys_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, nul_printed_whole);
    tcase_add_test(tc, csv_terminal_escaped);
    suite_add_tcase(s, tc);
    return s;
}

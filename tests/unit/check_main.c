/*
 * check_main.c - runs every suite and prints Check's summary line.
 * `check_cquery SUITE...` runs only the named suites (e.g. `cases`).
 */
#include "tests/unit/suites.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *test_srcdir(void)
{
    const char *s = getenv("CQUERY_SRCDIR");
    return s && *s ? s : ".";
}

const char *test_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        ck_abort_msg("%s is not set: run the tests through `make check`, which sets it", name);
    return v;
}

/* The suites that found no case, each failing with its own message. */
static char none_msg[16][600];
static int n_none;

START_TEST(test_none_found)
{
    ck_abort_msg("%s", none_msg[_i]);
}
END_TEST

void test_require_cases(TCase *tc, int n, const char *what)
{
    if (n > 0 || n_none == (int)(sizeof none_msg / sizeof none_msg[0]))
        return;
    snprintf(none_msg[n_none], sizeof none_msg[0],
             "no %s found (wrong CQUERY_SRCDIR?): a suite with no case fails", what);
    tcase_add_loop_test(tc, test_none_found, n_none, n_none + 1);
    n_none++;
}

extern char **environ;

int test_rmdir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) == 0)
        return 0;
    fprintf(stderr, "warning: could not remove %s\n", dir);
    return -1;
}

char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *more = realloc(buf, cap * 2 + 1);
            if (!more) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

pid_t test_spawn(char **argv, const char *out, const char *err)
{
    return test_spawn_in(argv, "/dev/null", out, err);
}

pid_t test_spawn_in(char **argv, const char *in, const char *out, const char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot run %s", argv[0]);
    return pid;
}

int test_wait(pid_t pid)
{
    int st;
    ck_assert(waitpid(pid, &st, 0) == pid);
    ck_assert_msg(WIFEXITED(st), "child %d died with signal %d", (int)pid, WTERMSIG(st));
    return WEXITSTATUS(st);
}

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    {"common", common_suite}, {"lexer", lexer_suite},   {"parser", parser_suite},
    {"index", index_suite},   {"ingest", ingest_suite}, {"engine", engine_suite},
    {"cases", cases_suite}, {"diff", diff_suite},
    {"macro", macro_suite},   {"resolve", resolve_suite}, {"corpus", corpus_suite},
    {"safety", safety_suite}, {"rows", rows_suite}, {"threads", threads_suite},
    {"tstats", tstats_suite}, {"hostile", hostile_suite}, {"forget", forget_suite},
};

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    /* Times print in $TZ when it is set: the expected outputs are in UTC. */
    unsetenv("TZ");
    /* hunt's HTML report says when it was made: this time, in the cases. */
    setenv("SOURCE_DATE_EPOCH", "1772668800", 1);
    /* iplocation reads the made-up database of tests/fixtures/geoip unless
     * the environment names another (the machine's own would change the
     * answers). */
    if (!getenv("CQUERY_GEOIP_DB")) {
        char db[4096];
        snprintf(db, sizeof db, "%s/tests/fixtures/geoip/cquery-test-city.mmdb", test_srcdir());
        setenv("CQUERY_GEOIP_DB", db, 1);
    }
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (!wanted(suites[i].name, argc, argv))
            continue;
        if (!sr)
            sr = srunner_create(suites[i].make());
        else
            srunner_add_suite(sr, suites[i].make());
    }
    if (!sr) {
        fprintf(stderr, "check_cquery: no such suite\n");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

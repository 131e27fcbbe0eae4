/*
 * check_main.c - runs every suite and prints Check's summary line.
 * `check_cquery SUITE...` runs only the named suites (e.g. `cases`).
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *test_srcdir(void)
{
    const char *s = getenv("CQUERY_SRCDIR");
    return s && *s ? s : ".";
}

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    {"common", common_suite}, {"lexer", lexer_suite},   {"parser", parser_suite},
    {"index", index_suite},   {"ingest", ingest_suite}, {"engine", engine_suite},
    {"cases", cases_suite}, {"diff", diff_suite},
    {"macro", macro_suite},   {"resolve", resolve_suite}, {"corpus", corpus_suite},
    {"safety", safety_suite}, {"rows", rows_suite},
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

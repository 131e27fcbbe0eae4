/*
 * fuzz_parse.c - libFuzzer target for the query front end: any input must
 * go through macro expansion (with the shipped data/macros.conf), parsing
 * and resolving, or fail with a diagnostic that points into the input,
 * without crashing, leaking or looping.
 *
 * Build and run from a configured build tree (not part of `make check` or
 * CI; needs clang):
 *   make fuzz-parse
 *   mkdir -p fuzz-work
 *   ./tests/fuzz/fuzz_parse -max_len=1024 fuzz-work $SRC/tests/fuzz/corpus_parse
 * An input that makes it fail (crash-*, leak-*, timeout-*) goes into
 * tests/fuzz/crashers/: the corpus suite replays every file there.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/paths.h"
#include "grammar/resolve.h"

/* The shipped macros, loaded once and kept for the whole run. */
static const cq_macros *shipped_macros(void)
{
    static cq_arena arena;
    static cq_macros m;
    static int loaded;
    if (!loaded) {
        loaded = 1;
        cq_arena_init(&arena);
        cq_macros_init(&m, &arena);
        char *path = cq_find_data("macros.conf");
        cq_diag d;
        cq_diag_init(&d);
        if (path && cq_macros_load(&m, path, &d))
            fprintf(stderr, "fuzz_parse: %s\n", d.msg);
        free(path);
    }
    return &m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_arena a;
    cq_diag d;
    cq_expansion x;
    cq_ast *ast = NULL;
    cq_arena_init(&a);
    cq_diag_init(&d);
    if (cq_resolve_query(&a, shipped_macros(), (const char *)data, size, &x, &ast, &d) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            cq_ast_print(null, ast, 0);
            fclose(null);
        }
    } else if (!d.set) {
        __builtin_trap();   /* a failed parse must say why */
    } else if (d.span.start != UINT32_MAX && (d.span.start > size || d.span.end > size)) {
        __builtin_trap();   /* errors point into the text as written */
    }
    cq_arena_free(&a);
    return 0;
}

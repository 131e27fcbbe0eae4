/*
 * fuzz_parse.c - libFuzzer target for the SPL parser: any input must parse
 * or fail with a diagnostic, without crashing, leaking or looping.
 *
 * Build by hand from a configured build tree (not part of `make check`):
 *   clang -g -fsanitize=fuzzer,address,undefined -I$SRC -I$BUILD \
 *     $SRC/tests/fuzz/fuzz_parse.c $BUILD/libcquery.a -lm -o fuzz_parse
 *   ./fuzz_parse -max_len=512 corpus/
 * Inputs that once failed belong in tests/unit/test_parser.c as cases.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "grammar/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cq_arena a;
    cq_diag d;
    cq_ast *ast = NULL;
    cq_arena_init(&a);
    cq_diag_init(&d);
    if (cq_parse(&a, (const char *)data, size, &ast, &d) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            cq_ast_print(null, ast, 0);
            fclose(null);
        }
    } else if (!d.set) {
        __builtin_trap();   /* a failed parse must say why */
    }
    cq_arena_free(&a);
    return 0;
}

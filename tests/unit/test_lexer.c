/* tests/unit/test_lexer.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *lexer_suite(void)
{
    return suite_create("lexer");
}

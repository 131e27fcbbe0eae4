/* tests/unit/test_parser.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *parser_suite(void)
{
    return suite_create("parser");
}

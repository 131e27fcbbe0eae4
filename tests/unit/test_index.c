/* tests/unit/test_index.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *index_suite(void)
{
    return suite_create("index");
}

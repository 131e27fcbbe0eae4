/* tests/unit/test_cases.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *cases_suite(void)
{
    return suite_create("cases");
}

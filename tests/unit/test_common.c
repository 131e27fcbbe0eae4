/* tests/unit/test_common.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *common_suite(void)
{
    return suite_create("common");
}

/* tests/unit/test_engine.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *engine_suite(void)
{
    return suite_create("engine");
}

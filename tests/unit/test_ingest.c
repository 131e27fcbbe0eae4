/* tests/unit/test_ingest.c: placeholder suite, being written. */
#include "tests/unit/suites.h"

Suite *ingest_suite(void)
{
    return suite_create("ingest");
}

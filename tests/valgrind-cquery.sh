#!/bin/sh
# valgrind-cquery.sh - stands in for cquery ($CQUERY_BIN) in `make
# check-valgrind`: runs $CQUERY_REAL_BIN under valgrind memcheck, one log
# per process in $CQUERY_VALGRIND_LOGS.  Any memory error or definite /
# indirect leak makes the exit status 99, which fails the test that ran it.
# Set CQUERY_NO_JIT=1 too: PCRE2's JIT code confuses memcheck.
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --log-file="${CQUERY_VALGRIND_LOGS:-/tmp}/vg.%p.log" \
    "${CQUERY_REAL_BIN:?set CQUERY_REAL_BIN to the cquery binary}" "$@"

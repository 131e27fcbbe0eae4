/*
 * fuzz.h - the bodies of the libFuzzer targets, callable without libFuzzer.
 *
 * Each tests/fuzz/fuzz_<name>.c defines cq_fuzz_<name>() and, when built
 * with -DCQ_FUZZ_MAIN (`make fuzz-<name>`), LLVMFuzzerTestOneInput() calling
 * it.  The safety suite (tests/unit/test_safety.c) links the same bodies into
 * the Check runner and replays the seed corpora and every input that once
 * failed (tests/fuzz/crashers_<name>/), so a fixed crash stays fixed under
 * plain `make check`, under ASan and under valgrind.
 *
 * A body returns 0; a broken invariant traps (__builtin_trap), as libFuzzer
 * expects.  Bodies keep state that is costly to build (the loaded
 * sourcetypes.conf, a one-event index, fuzz_index's one-block index) for the whole
 * process.
 */
#ifndef CQ_TESTS_FUZZ_FUZZ_H
#define CQ_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Input: one mode byte, then log text (see fuzz_ingest.c). */
int cq_fuzz_ingest(const uint8_t *data, size_t size);
/* Input: PATTERN '\n' SUBJECT (see fuzz_regex.c). */
int cq_fuzz_regex(const uint8_t *data, size_t size);
/* Input: one mode byte, then a column blob (see fuzz_index.c). */
int cq_fuzz_index(const uint8_t *data, size_t size);

#endif

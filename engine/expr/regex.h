/*
 * regex.h - private to engine/: PCRE2 patterns compiled once per query,
 * matched with limits so a catastrophic pattern fails cleanly instead of
 * running for hours (Splunk's regexes are PCRE).
 */
#ifndef CQ_ENGINE_REGEX_H
#define CQ_ENGINE_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/expr/eval.h"

#define CQ_REGEX_MATCH_LIMIT 1000000u   /* backtracking steps per match */
#define CQ_REGEX_DEPTH_LIMIT 10000u

/*
 * The compiled pattern (cached by text).  On a bad pattern returns NULL and
 * sets diag at `at` with PCRE2's message.
 */
pcre2_code *cq_regex_get(cq_regex_cache *rc, cq_sv pattern, const cq_ast *at, cq_diag *d);
/* The match context with the limits above. */
pcre2_match_context *cq_regex_mctx(cq_regex_cache *rc);
/* Match data sized for re (reused). */
pcre2_match_data *cq_regex_mdata(cq_regex_cache *rc, pcre2_code *re);

/*
 * Runs re on s.  Returns >0 on a match, 0 on none, -1 on an error (the match
 * limit hit, reported at `at`).
 */
int cq_regex_match(cq_regex_cache *rc, pcre2_code *re, cq_sv s, size_t start,
                   pcre2_match_data *md, const cq_ast *at, cq_diag *d);

#endif

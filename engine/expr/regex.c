/* regex.c - the per-query cache of compiled PCRE2 patterns. */
#include "engine/expr/regex.h"
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

struct cq_regex_cache {
    cq_strmap by_text;          /* pattern text -> index */
    cq_arena keys;
    pcre2_code **codes;
    size_t n, cap;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
    uint32_t md_pairs;
};

cq_regex_cache *cq_regex_cache_new(void)
{
    cq_regex_cache *rc = cq_xcalloc(1, sizeof *rc);
    cq_strmap_init(&rc->by_text);
    cq_arena_init(&rc->keys);
    return rc;
}

void cq_regex_cache_free(cq_regex_cache *rc)
{
    if (!rc)
        return;
    for (size_t i = 0; i < rc->n; i++)
        pcre2_code_free(rc->codes[i]);
    free(rc->codes);
    pcre2_match_context_free(rc->mctx);
    pcre2_match_data_free(rc->md);
    cq_strmap_free(&rc->by_text);
    cq_arena_free(&rc->keys);
    free(rc);
}

pcre2_code *cq_regex_get(cq_regex_cache *rc, cq_sv pattern, const cq_ast *at, cq_diag *d)
{
    uint32_t idx = (uint32_t)rc->n;
    if (cq_strmap_get(&rc->by_text, pattern.p, pattern.len, &idx))
        return rc->codes[idx];
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern.p, pattern.len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        cq_diag_set(d, at ? at->span : CQ_SPAN_NONE, "bad regex: %s at offset %zu", (char *)msg,
                    (size_t)off);
        return NULL;
    }
    /* JIT is only speed; CQUERY_NO_JIT=1 keeps valgrind runs meaningful. */
    if (!getenv("CQUERY_NO_JIT"))
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    if (rc->n == rc->cap) {
        rc->cap = rc->cap ? rc->cap * 2 : 8;
        rc->codes = cq_xrealloc(rc->codes, rc->cap * sizeof *rc->codes);
    }
    rc->codes[rc->n] = re;
    char *key = cq_arena_strndup(&rc->keys, pattern.p, pattern.len);
    cq_strmap_upsert(&rc->by_text, key, pattern.len, &idx);
    rc->n++;
    return re;
}

pcre2_match_context *cq_regex_mctx(cq_regex_cache *rc)
{
    if (!rc->mctx) {
        rc->mctx = pcre2_match_context_create(NULL);
        if (!rc->mctx)
            cq_oom();
        pcre2_set_match_limit(rc->mctx, CQ_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(rc->mctx, CQ_REGEX_DEPTH_LIMIT);
    }
    return rc->mctx;
}

pcre2_match_data *cq_regex_mdata(cq_regex_cache *rc, pcre2_code *re)
{
    uint32_t pairs = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &pairs);
    pairs++;
    if (!rc->md || pairs > rc->md_pairs) {
        pcre2_match_data_free(rc->md);
        rc->md = pcre2_match_data_create(pairs, NULL);
        if (!rc->md)
            cq_oom();
        rc->md_pairs = pairs;
    }
    return rc->md;
}

int cq_regex_match(cq_regex_cache *rc, pcre2_code *re, cq_sv s, size_t start,
                   pcre2_match_data *md, const cq_ast *at, cq_diag *d)
{
    int r = pcre2_match(re, (PCRE2_SPTR)(s.p ? s.p : ""), s.len, start, 0, md, cq_regex_mctx(rc));
    if (r >= 0)
        return 1;
    if (r == PCRE2_ERROR_NOMATCH)
        return 0;
    if (r == PCRE2_ERROR_MATCHLIMIT || r == PCRE2_ERROR_DEPTHLIMIT || r == PCRE2_ERROR_JIT_STACKLIMIT)
        return cq_diag_set(d, at ? at->span : CQ_SPAN_NONE,
                           "regex gave up: more than %u backtracking steps on one value "
                           "(simplify the pattern)", CQ_REGEX_MATCH_LIMIT);
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(r, msg, sizeof msg);
    return cq_diag_set(d, at ? at->span : CQ_SPAN_NONE, "regex failed: %s", (char *)msg);
}

/*
 * fuzz_regex.c - libFuzzer target for the regex path: any pattern must
 * compile or be refused with PCRE2's message, and any match of it on any
 * subject must end (within the match limits of engine/expr/regex.h) with a
 * match, no match or "regex gave up", without crashing or looping.
 *
 * The input is PATTERN '\n' SUBJECT (no newline: the input is both).  Two
 * passes per input:
 *   1. engine/expr/regex.c directly: compile through the per-query cache, then
 *      match globally over the subject as `rex max_match=0` does (every
 *      start offset after the last match), checking every capture lies
 *      inside the subject;
 *   2. through the language: `| head 1 | eval s="SUBJECT"
 *      | eval m=match(s, "PATTERN"), r=replace(s, "PATTERN", "<\1>")`
 *      and, when the build has it, `| rex field=s "PATTERN"`, compiled and
 *      run against a one-event index made at start-up; any error must come
 *      back as a diagnostic.
 *
 * Build and run from a configured build tree (needs clang):
 *   make fuzz-regex
 *   ./tests/fuzz/fuzz_regex -max_len=512 fuzz-work $SRC/tests/fuzz/corpus_regex
 * Failing inputs go into tests/fuzz/crashers_regex/, replayed by the safety
 * suite through cq_fuzz_regex().
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "engine/query.h"
#include "engine/expr/regex.h"
#include "ingest/ingest.h"

/* ---- pass 1: the regex module ---- */

static void direct(const char *pat, size_t pat_len, const char *subj, size_t subj_len)
{
    cq_regex_cache *rc = cq_regex_cache_new();
    cq_diag d;
    cq_diag_init(&d);
    cq_sv p = {pat, pat_len}, s = {subj, subj_len};
    pcre2_code *re = cq_regex_get(rc, p, NULL, &d);
    if (!re) {
        if (!d.set)
            __builtin_trap();   /* a refused pattern says why */
        cq_regex_cache_free(rc);
        return;
    }
    pcre2_match_data *md = cq_regex_mdata(rc, re);
    size_t start = 0;
    for (int n = 0; n < 64 && start <= subj_len; n++) {
        cq_diag_init(&d);
        int r = cq_regex_match(rc, re, s, start, md, NULL, &d);
        if (r < 0 && !d.set)
            __builtin_trap();
        if (r <= 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t pairs = pcre2_get_ovector_count(md);
        for (uint32_t k = 0; k < pairs; k++)
            if (ov[2 * k] != PCRE2_UNSET &&
                (ov[2 * k] > subj_len || ov[2 * k + 1] > subj_len))
                __builtin_trap();
        /* next match starts after this one (one further on an empty match) */
        start = ov[1] > start ? ov[1] : start + 1;
    }
    cq_regex_cache_free(rc);
}

/* ---- pass 2: the language ---- */

static cq_index *idx;
static int have_rex;
static char dir[] = "/tmp/cq-fuzz-regex-XXXXXX";

static void drop_index(void)
{
    char p[64];
    cq_index_close(idx);
    idx = NULL;
    static const char *const files[] = {"index.db", "index.db-wal", "index.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        remove(p);
    }
    rmdir(dir);
}

/* A one-event index in a temporary directory, made once. */
static void make_index(void)
{
    if (!mkdtemp(dir))
        abort();
    atexit(drop_index);
    char db[64], log[64], err[512];
    snprintf(db, sizeof db, "%s/index.db", dir);
    snprintf(log, sizeof log, "%s/one.json", dir);
    FILE *f = fopen(log, "w");
    if (!f)
        abort();
    fputs("{\"_time\":1767225600,\"s\":\"aaaa\"}\n", f);
    fclose(f);
    FILE *null = fopen("/dev/null", "w");
    cq_ingest_opts o = {0};
    o.sourcetype = "_json";
    o.err = null;
    cq_ingest *g;
    if (cq_index_open(db, CQ_INDEX_WRITE, &idx, err, sizeof err) ||
        cq_ingest_new(&o, &g, err, sizeof err) || cq_ingest_path(g, idx, log)) {
        fprintf(stderr, "fuzz_regex: %s\n", err);
        abort();
    }
    cq_ingest_free(g);
    fclose(null);
    remove(log);
    cq_query *q = cq_query_new("| rex field=s \"(?<x>a)\"", 23, "query", 0);
    cq_query_opts qo = {INT64_MIN, INT64_MAX, 0, NULL, NULL, NULL, 0, NULL, 0, 0};
    have_rex = cq_query_compile(q, &qo) == 0;
    cq_query_free(q);
}

/* Appends s as the inside of an SPL double-quoted string. */
static void add_quoted(cq_strbuf *sb, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            cq_strbuf_addc(sb, '\\');
        cq_strbuf_addc(sb, s[i]);
    }
}

static int discard(cq_sink *s, const cq_batch *b)
{
    (void)s;
    (void)b;
    return 0;
}

static void through_query(const char *pat, size_t pat_len, const char *subj, size_t subj_len)
{
    if (!idx)
        make_index();
    if (memchr(pat, '\0', pat_len) || memchr(subj, '\0', subj_len))
        return;     /* a query is text: NULs are the parser fuzzer's business */
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_adds(&sb, "| head 1 | eval s=\"");
    add_quoted(&sb, subj, subj_len);
    cq_strbuf_adds(&sb, "\" | eval m=match(s, \"");
    add_quoted(&sb, pat, pat_len);
    cq_strbuf_adds(&sb, "\"), r=replace(s, \"");
    add_quoted(&sb, pat, pat_len);
    cq_strbuf_adds(&sb, "\", \"<\\\\1>\")");
    if (have_rex) {
        cq_strbuf_adds(&sb, " | rex field=s \"");
        add_quoted(&sb, pat, pat_len);
        cq_strbuf_adds(&sb, "\"");
    }
    cq_query *q = cq_query_new(cq_strbuf_str(&sb), sb.len, "query", 0);
    cq_query_opts qo = {INT64_MIN, INT64_MAX, 1767225600000000LL, NULL, NULL, NULL, 0, NULL, 0, 0};
    cq_sink sink = {discard, NULL};
    if (cq_query_compile(q, &qo) || cq_query_run(q, idx, &sink, NULL)) {
        if (!q->diag.set)
            __builtin_trap();   /* every failure says why */
    }
    cq_query_free(q);
    cq_strbuf_free(&sb);
}

int cq_fuzz_regex(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t pat_len = nl ? (size_t)(nl - text) : size;
    const char *subj = nl ? nl + 1 : text;
    size_t subj_len = nl ? size - pat_len - 1 : size;
    direct(text, pat_len, subj, subj_len);
    through_query(text, pat_len, subj, subj_len);
    return 0;
}

#ifdef CQ_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return cq_fuzz_regex(data, size);
}
#endif

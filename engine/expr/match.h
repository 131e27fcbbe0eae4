/*
 * match.h - value matching with Splunk's search semantics.
 *
 *  - field values: whole-value, case-insensitive, "*" the only wildcard;
 *  - bare terms: a whole token of _raw (bounded by breakers), case-insensitive;
 *  - quoted phrases: a case-insensitive substring of _raw starting and
 *    ending at token boundaries.
 *  - numbers compare numerically when both sides parse as numbers.
 */
#ifndef CQ_ENGINE_MATCH_H
#define CQ_ENGINE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/num.h"
#include "index/colenc.h"

/* Case-insensitive (ASCII) glob with "*" only; `pat` may contain "\*" for a literal star. */
int cq_wild_match(const char *pat, size_t plen, const char *s, size_t slen);
/* Case-sensitive variant (CASE() terms). */
int cq_wild_match_cs(const char *pat, size_t plen, const char *s, size_t slen);
/* True when pat has an unescaped "*". */
int cq_has_wild(const char *pat, size_t plen);

/* Bare term match against _raw: token-bounded, case-insensitive unless cs. */
int cq_term_match(const char *term, size_t tlen, const char *raw, size_t rlen, int cs);
/* Quoted phrase: a substring of _raw whose ends are token ends (as Splunk
 * finds phrases through its index terms), case-insensitive unless cs. */
int cq_phrase_match(const char *phrase, size_t plen, const char *raw, size_t rlen, int cs);


/* Splunk ordering of two values: numeric when both are numbers, else bytewise.
 * Returns <0, 0, >0. */
int cq_value_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* TERM(term): term bounded by major breakers only (so "10.0.0.1" is one
 * token), case-insensitive. */
int cq_term_match_major(const char *term, size_t tlen, const char *raw, size_t rlen);

/* "addr/bits" or "addr" (IPv4 or IPv6): family 4 or 6, the address bytes
 * and the prefix length (the whole address without "/bits").  Returns 1 or 0. */
int cq_cidr_parse(cq_sv s, int *fam, unsigned char *net, int *bits);
/* Is ip (a single address) inside fam/net/bits? */
int cq_cidr_contains(int fam, const unsigned char *net, int bits, cq_sv ip);

/* Is c a search breaker (major or minor)? */
int cq_is_breaker(unsigned char c);

#endif

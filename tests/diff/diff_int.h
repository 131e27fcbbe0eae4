/*
 * diff_int.h - parts shared by the differential test's files: the seeded
 * random source, the fields of the generated events, and one generated
 * question (its SPL and its SQL translation).
 */
#ifndef CQ_TESTS_DIFF_DIFF_INT_H
#define CQ_TESTS_DIFF_DIFF_INT_H

#include "common/strbuf.h"

#include <stdint.h>

/* splitmix64: small, seedable, the same on every platform. */
typedef struct diff_rng {
    uint64_t s;
} diff_rng;

uint64_t diff_next(diff_rng *r);
int diff_pick(diff_rng *r, int n);              /* uniform in [0, n) */
int diff_chance(diff_rng *r, int percent);      /* true percent% of the time */

/* A field of the generated events. */
typedef struct diff_field {
    const char *name;       /* Splunk's name: "u.name", "tags{}" */
    const char *where_name; /* how `where` spells it: "'u.name'" */
    int mv;                 /* a JSON array: multivalue */
    int json_num;           /* values written as JSON numbers */
    int present;            /* percent of events that have it */
    const char *const *pool;
    int n_pool;
} diff_field;

extern const diff_field diff_fields[];
extern const int diff_n_fields;

/* Whether text is a number by the oracle's own rule: an optional sign, then
 * digits with an optional fraction, or a fraction alone.  Every value the
 * generator makes is clearly one or the other (no "1e3", "0x10", " 5"). */
int diff_is_num(const char *s, double *out);

enum diff_kind {
    DIFF_TABLE,             /* search | table: ordered, newest first */
    DIFF_STATS,             /* search | stats ... [by ...]: unordered */
    DIFF_DEDUP,             /* search | dedup | table: ordered */
    DIFF_SORT,              /* search | sort | head | table: ordered */
    DIFF_WHERE,             /* search | where | table: ordered */
    DIFF_HEAD,              /* search | head N | table: ordered */
    DIFF_TOP,               /* search | top/rare limit=0: unordered */
    DIFF_TAIL,              /* search | tail N | table: ordered */
    DIFF_N_KINDS
};

/* One question: what cquery is asked and what SQLite is asked. */
typedef struct diff_query {
    int kind;
    cq_strbuf spl;          /* the query text given to `cquery search` */
    cq_strbuf sql;          /* a SELECT over tables ev and v */
    cq_strbuf header;       /* the CSV header cquery must print */
    int ordered;            /* rows compare in order (else sorted first) */
} diff_query;

/* Fills q with question number qno over events made from seed. */
void diff_make_query(uint64_t seed, int qno, diff_query *q);
void diff_query_free(diff_query *q);

#endif

/*
 * filter.h - search expressions (terms, field=value, AND/OR/NOT, IN) over a
 * batch, with Splunk's search semantics (engine/expr/match.h).
 */
#ifndef CQ_ENGINE_FILTER_H
#define CQ_ENGINE_FILTER_H

#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "engine/batch.h"
#include "grammar/ast.h"

/*
 * Filter primitive: evaluates search expression e on rows in[0..n_in) of b
 * and writes the rows that match to out (same order).  Returns the count.
 */
uint32_t cq_filter_search(const cq_ast *e, const cq_batch *b, const uint16_t *in,
                          uint32_t n_in, uint16_t *out, cq_arena *scratch);

/*
 * Checks a search expression when the query is compiled: only search
 * nodes, time modifiers only at the top level of the first search (where:
 * 1 there, 0 nested in it, -1 in a later | search).  Returns 0 or -1 with
 * diag.
 */
int cq_filter_check(const cq_ast *e, int where, cq_diag *d);
/* Is n earliest=, latest= or an _index_ variant (a time modifier)? */
int cq_filter_is_time_mod(const cq_ast *n);

#endif

/*
 * agg.h - private to engine/: the stats functions (count, dc, values, list,
 * min, max, avg, sum, earliest, latest, first, last, range, stdev, median,
 * perc<N>, ...) and group-by bookkeeping shared by stats, eventstats,
 * streamstats, chart, timechart, top and rare.
 *
 * An aggregation set (cq_aggset) holds one state per (group, function).
 * Callers give it a batch at a time: cq_aggset_load() reads every
 * function's argument for the batch's rows once (a column, or an eval
 * expression for count(eval(...))), then cq_aggset_add() folds (row, group)
 * pairs into the states.  A row may count under several groups (multivalue
 * by-fields).  cq_aggset_result() reads a state out as a value at any time
 * (streamstats reads after every row).
 *
 * A group key (cq_groups) is the tuple of by-field values; rows lacking a
 * by-field belong to no group (Splunk drops them), a multivalue by-field
 * puts the row in one group per value.  Keys are copied into the groups'
 * arena, so memory grows with the number of groups, not of events.
 *
 * Semantics (../shared/SPL-NOTES.md item 12): count(f) counts events that
 * have f; values() is distinct and sorted byte-wise; list() keeps result
 * order and stops at list_max values (a note on stderr says so); dc is
 * exact; earliest/latest go by _time, first/last by result order (newest
 * first).  Numeric functions ignore values that are not numbers.  min/max
 * order numbers numerically and put strings after numbers (Splunk's min and
 * max: numbers when possible, strings lexicographically), so a field with
 * both gives the smallest number as min and the greatest string as max.
 * perc<N> is Splunk's default nearest-rank percentile (limits.conf
 * perc_method): the value of 0-based rank floor(N/100 * count) of the
 * sorted numbers; median is perc50, so an even count gives the higher of
 * the two middle values, as Splunk's median does.
 */
#ifndef CQ_ENGINE_AGG_H
#define CQ_ENGINE_AGG_H

#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "engine/batch.h"
#include "engine/expr/eval.h"
#include "grammar/ast.h"

typedef enum cq_agg_kind {
    CQ_AGG_COUNT,       /* count: events */
    CQ_AGG_COUNTF,      /* count(f): events where f is present */
    CQ_AGG_DC,
    CQ_AGG_VALUES,
    CQ_AGG_LIST,
    CQ_AGG_MIN,
    CQ_AGG_MAX,
    CQ_AGG_RANGE,
    CQ_AGG_SUM,
    CQ_AGG_SUMSQ,
    CQ_AGG_AVG,
    CQ_AGG_STDEV,
    CQ_AGG_STDEVP,
    CQ_AGG_VAR,
    CQ_AGG_VARP,
    CQ_AGG_MEDIAN,
    CQ_AGG_PERC,
    CQ_AGG_FIRST,
    CQ_AGG_LAST,
    CQ_AGG_EARLIEST,
    CQ_AGG_LATEST,
    CQ_AGG_NOT_YET,     /* Splunk's, not run here (sparkline) */
} cq_agg_kind;

/* One aggregation as written: `perc95(x) as p`. */
typedef struct cq_agg {
    cq_agg_kind kind;
    const cq_ast *arg;      /* FIELD or expression; NULL for plain count */
    const char *field;      /* arg's name when arg is a FIELD */
    const char *name;       /* output column: the alias, or e.g. "avg(x)" */
    double pct;             /* PERC: 0..100 */
    cq_span span;
} cq_agg;

/*
 * Checks an AGG node and fills *out (memory from a).  Returns 0, or -1 with
 * diag (unknown function, missing argument).
 */
int cq_agg_prepare(cq_arena *a, const cq_ast *node, cq_agg *out, cq_diag *d);
/* Whether the function counts (count, count(f), dc): empty cells are 0. */
int cq_agg_counts(const cq_agg *g);
/* Whether the stats function called name depends on the order of its
 * events (first, last, list). */
int cq_agg_ordered(const char *name);
/* Whether it reads _time without naming it (earliest, latest). */
int cq_agg_reads_time(const char *name);

/* ------------------------------------------------------------ groups */

#define CQ_GROUPS_MAX_BY 32     /* CIM detections group by up to 20 fields */

/* One by-value of a group: a string, or a time (a _time the key kept). */
typedef struct cq_gkey {
    cq_sv s;                /* string value (also set for times: unused) */
    int64_t t;              /* time, when is_time */
    double num;             /* s as a number, NaN if it is not one */
    int is_time;
} cq_gkey;

typedef struct cq_groups {
    uint32_t n_by;
    const char *const *by;  /* by-field names */
    cq_strmap map;          /* encoded key -> group id */
    cq_arena arena;         /* key bytes */
    cq_gkey *keys;          /* n_groups * n_by */
    uint32_t n_groups, cap_groups;
    /* per-batch cache for a single dictionary by-column: code -> group */
    uint32_t *code_gid;
    uint32_t *code_n;       /* cq_groups_count_dict: rows per code */
    uint32_t code_cap;
    /* across batches, for the same: group + 1 by a cheap hash of the
     * value (its length and outer bytes), checked against the group's key
     * (CQ_GROUPS_MEMO slots, made on first use) */
    uint32_t *memo;
    cq_strbuf keybuf;       /* the key being looked up */
} cq_groups;

void cq_groups_init(cq_groups *g, const char *const *by, uint32_t n_by);
void cq_groups_free(cq_groups *g);
/*
 * Maps rows[0..n) of b to groups: writes (position, group) pairs in row
 * order into *pos / *gid (arrays grown with cq_xrealloc, capacity in *cap)
 * and returns the pair count.  With no by-fields every row is in group 0.
 */
uint32_t cq_groups_map(cq_groups *g, const cq_batch *b, const uint16_t *rows, uint32_t n,
                       uint32_t **pos, uint32_t **gid, uint32_t *cap);
/* Group ids sorted by their by-values (Splunk's stats output order). */
uint32_t *cq_groups_sorted(const cq_groups *g);
/* Compares two by-values: numbers numerically and before strings, strings
 * byte-wise, times by time. */
int cq_gkey_cmp(const cq_gkey *a, const cq_gkey *b);

/* ------------------------------------------------------------ states */

typedef struct cq_agg_state cq_agg_state;
typedef struct cq_agg_in cq_agg_in;

typedef struct cq_aggset {
    const cq_agg *aggs;
    uint32_t n_aggs;
    cq_agg_state *st;       /* cap_groups * n_aggs */
    uint32_t cap_groups;
    cq_arena arena;         /* strings kept by values/dc/list */
    cq_arena scratch;       /* the current batch's inputs; reset by load */
    cq_eval_ctx ec;         /* for expression arguments */
    cq_agg_in *in;          /* per function, the current batch's values */
    const int64_t *times;   /* _time per position of the current batch */
    uint32_t list_max;      /* list() keeps this many values; 0: no limit */
    uint64_t list_cut;      /* values list() dropped */
} cq_aggset;

void cq_aggset_init(cq_aggset *s, const cq_agg *aggs, uint32_t n_aggs, cq_diag *d,
                    int64_t now_us, int tz);
void cq_aggset_free(cq_aggset *s);
/* Makes room for groups 0..n_groups) (new ones start empty). */
void cq_aggset_grow(cq_aggset *s, uint32_t n_groups);
/* Forgets group g's state (streamstats reset). */
void cq_aggset_clear_group(cq_aggset *s, uint32_t g);
/* Reads the arguments for rows[0..n) of b.  Returns 0 or -1 (diag set). */
int cq_aggset_load(cq_aggset *s, const cq_batch *b, const uint16_t *rows, uint32_t n);
/* Folds pairs (pos[i] of the loaded rows, group gid[i]) into the states. */
void cq_aggset_add(cq_aggset *s, const uint32_t *pos, const uint32_t *gid, uint32_t n);
/* Function k's result for group g into *out (strings from `a`). */
void cq_aggset_result(cq_aggset *s, uint32_t g, uint32_t k, cq_arena *a, cq_val *out);
/* Prints a note on stderr when list() cut values (Splunk cuts silently). */
struct cq_exec_ctx;
void cq_aggset_report(const cq_aggset *s, const char *cmd, const struct cq_exec_ctx *ctx);
/*
 * `stats count by f` on a single-valued dictionary column: counts the rows
 * of each code, then adds each code's count to its group once (no
 * position/group pairs, no update per row); `stats count`: adds n.  Returns 1 when it did, 0 when
 * the question is not of that shape (other functions, several or
 * multivalue by-fields) and the caller takes the general path.
 */
int cq_groups_count_dict(cq_groups *g, cq_aggset *s, const cq_batch *b, const uint16_t *rows,
                         uint32_t n);

/* ------------------------------------------------------------ commands */

/* The aggregations, by-fields and limits of a stats-family command. */
typedef struct cq_aggcmd {
    cq_agg *aggs;
    uint32_t n_aggs;
    const char **by;
    uint32_t n_by;
    uint32_t list_max;      /* list_maxsize= (Splunk's default 100) */
} cq_aggcmd;

/*
 * Reads the AGG and BY kids of cmd (OPTIONs are left to the caller, except
 * list_maxsize).  need_agg: at least one function is required.  Returns 0 or
 * -1 with diag.
 */
int cq_aggcmd_prepare(cq_arena *a, const cq_ast *cmd, int need_agg, cq_aggcmd *out,
                      cq_diag *d);
/* An option's text, or NULL when absent. */
const char *cq_opt_text(const cq_ast *cmd, const char *name);
/* A non-negative integer option (def when absent); -1 with diag when bad. */
int cq_opt_uint(const cq_ast *cmd, const char *name, long def, long *out, cq_diag *d);
/* A boolean option (true/false/t/f/1/0); -1 with diag when bad. */
int cq_opt_bool(const cq_ast *cmd, const char *name, int def, int *out, cq_diag *d);

/*
 * Fills out (cleared first) with one row per group ids[0..n) (n <=
 * CQ_BATCH_ROWS): the by-fields (times stay times), then each function's
 * result.  Memory from a.  Returns 0 or -1 with diag.
 */
int cq_aggset_emit(cq_aggset *s, const cq_groups *g, const uint32_t *ids, uint32_t n,
                   cq_batch *out, cq_arena *a, cq_diag *d);
/*
 * The setup every grouping command (stats, eventstats, streamstats, chart,
 * top) shares: its groups, their aggregate states, and the scratch that
 * maps a batch's rows to groups.  cq_grouper_map() maps rows[0..n) of b to
 * groups ((position, group) pairs in g->pos / g->gid, g->n_pairs of them)
 * and loads the functions' arguments; cq_grouper_fold() then folds all the
 * pairs in.  Both return 0, or -1 with diag set.
 */
typedef struct cq_grouper {
    cq_groups groups;
    cq_aggset set;
    uint32_t *pos, *gid, cap;
    uint32_t n_pairs;
} cq_grouper;

void cq_grouper_init(cq_grouper *g, const char *const *keys, uint32_t n_keys,
                     const cq_agg *aggs, uint32_t n_aggs, uint32_t list_max, cq_diag *d,
                     int64_t now_us, int tz);
int cq_grouper_map(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n);
int cq_grouper_fold(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n);
/* The same, for a caller that does not read the pairs afterwards (stats,
 * top): may count codes directly (cq_groups_count_dict). */
int cq_grouper_add(cq_grouper *g, const cq_batch *b, const uint16_t *rows, uint32_t n);
void cq_grouper_free(cq_grouper *g);
/*
 * Folds src's groups and states into dst (same functions and by-fields),
 * src's events counting as later in scan order than dst's: merging the
 * partial groupers of consecutive runs of blocks, in run order, gives the
 * groups, their first-seen order and the results one grouper over all the
 * runs gives (sums of non-integers may differ in the last bits).  Only
 * for functions cq_agg_merges() accepts.
 */
void cq_grouper_merge(cq_grouper *dst, const cq_grouper *src);
/* Whether partial states of function kind k merge (all but first, last
 * and list, which depend on result order). */
int cq_agg_merges(cq_agg_kind k);

/* Column of a by-field for groups ids[0..n) (TIME when every key is a time). */
void cq_groups_col(const cq_groups *g, uint32_t f, const uint32_t *ids, uint32_t n,
                   cq_arena *a, cq_col *out);

/* ------------------------------------------------------------ bins */

/* A bin span: a number (span=10), or a time (5m, 1h, 1d; 1mon, 1q, 1y are
 * calendar months). */
typedef struct cq_binspan {
    int is_time;
    int64_t us;             /* fixed time spans */
    int months;             /* calendar spans */
    double num;             /* the number as written */
} cq_binspan;

/* Parses a span= value.  Returns 0, or -1 when it is not one. */
int cq_binspan_parse(const char *text, cq_binspan *out);
/* The start of t's bucket (a span without unit counts seconds). */
int64_t cq_bin_time(const cq_binspan *s, int64_t t);

#endif

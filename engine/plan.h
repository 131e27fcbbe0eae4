/*
 * plan.h - what a query does, as typed stages.
 *
 * The planner (planner.c) splits the first search expression into the part
 * SQLite can answer from block metadata (the pushdown: sourcetype, source,
 * host, index, time range) and the residual the engine re-checks on every row
 * of the blocks it reads.  Each later command becomes one stage.  `cquery
 * explain` prints both halves (explain.c).
 */
#ifndef CQ_ENGINE_PLAN_H
#define CQ_ENGINE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "grammar/ast.h"
#include "index/reader.h"

struct cq_command;
struct cq_plan;

/* A subsearch `[ ... ]` inside a search expression: run before the chain
 * that holds it opens, its results become a search expression
 * (engine/subsearch.c). */
typedef struct cq_subplan {
    const cq_ast *pipeline;         /* the SUBSEARCH node's PIPELINE (its key) */
    struct cq_plan *plan;
    uint64_t maxout;                /* rows it may pass on (0: no limit) */
    double maxtime;                 /* seconds it may run (0: no limit) */
} cq_subplan;

typedef struct cq_stage {
    const struct cq_command *def;   /* what runs it (engine/op.h) */
    const cq_ast *cmd;              /* the command it came from */
    void *cfg;                      /* its checked arguments */
} cq_stage;

typedef struct cq_plan {
    cq_pushdown pd;             /* sent to the index; only narrows */
    const cq_ast *scan_expr;    /* residual of the first search, or NULL */
    int64_t earliest, latest;   /* rows outside [earliest, latest) are dropped */
    int newest_first;           /* results in _time order, newest first */
    cq_stage *stages;
    size_t n_stages;
    /* The last stage that shapes the output (table, stats, ...) fixed the
     * columns and their order; 0: results are events (default event view). */
    int fixed_columns;
    int64_t now_us;             /* "now" of this query */
    int tz;                     /* the user's zone (--tz) for eval's time formats */
    /* A generating first command (| inputlookup, | multisearch) replaces the
     * index scan; NULL: the scan. */
    cq_stage *source;
    /* The source reads the index's block list all the same (tstats from
     * block metadata): explain prints the SQL. */
    int source_reads_blocks;
    cq_subplan *subs;           /* subsearches of its search expressions */
    size_t n_subs;
    /* The columns the query reads; need_all: every column (events are
     * output, or a command may read fields it does not name). */
    int need_all;
    const char **need;
    size_t n_need;
    /* need_shape[i]: need[i] is read only for its lengths and nulls (the
     * argument of len()), so the scan may leave its bytes packed
     * (CQ_DECODE_SHAPE) */
    const unsigned char *need_shape;
    /* The columns the first search's residual and time range read: a
     * block is decoded in two steps, these first, the rest only when some
     * row matched; filter_all: the residual may read any column, so the
     * first step decodes them all. */
    int filter_all;
    const char **filter_need;
    size_t n_filter_need;
    /* The scan runs on scan_threads threads (1: none but the caller's).
     * With par_stages, each runs its own run of blocks through stages
     * [0, par_stages - 1) and stage par_stages - 1 merges their partial
     * states (engine/par.h); without, they read blocks ahead and the scan
     * hands them on in order (engine/ops/op_scan.c). */
    size_t par_stages;
    unsigned scan_threads;
    /* What the query was planned as, when its first command is another
     * command's equivalent (tstats, engine/tstats.h), for explain; or NULL. */
    const char *note;
} cq_plan;

/* Splunk's silent limits, kept but announced on stderr when they cut
 * (limits.conf: [subsearch] maxout/maxtime, [join] subsearch_maxout). */
typedef struct cq_limits {
    uint64_t subsearch_maxout;  /* rows of a [subsearch] in a search (10,000) */
    double subsearch_maxtime;   /* seconds a subsearch may run (60) */
    uint64_t join_maxout;       /* rows of a join/append subsearch (50,000) */
} cq_limits;

#define CQ_LIMITS_SPLUNK ((cq_limits){10000, 60.0, 50000})

typedef struct cq_plan_opts {
    int64_t earliest;           /* --earliest, or INT64_MIN */
    int64_t latest;             /* --latest, or INT64_MAX */
    int64_t now_us;             /* "now" for relative time modifiers */
    int tz;                     /* --tz: seconds east of UTC or CQ_TZ_LOCAL; 0: UTC */
    const char *lookups;        /* lookup directory (lookup, inputlookup), or NULL */
    const char *geoip_db;       /* iplocation's databases, ':'-separated, or NULL:
                                   the default paths (engine/ops/op_iplocation.c) */
    cq_limits limits;
    unsigned threads;           /* scan threads at most (--threads); 0: one per CPU */
    const char *datamodels;     /* data model files, ':'-separated, read in order
                                   (engine/datamodel.h), or NULL: none */
} cq_plan_opts;

#define CQ_MAX_SCAN_THREADS 64  /* --threads at most */

/*
 * Builds the plan of a parsed PIPELINE.  Memory from `a`.  Returns 0, or -1
 * with a diag pointing at the command or argument it cannot run (including
 * "not supported yet: <command>").
 */
int cq_plan_build(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o,
                  cq_plan **out, cq_diag *diag);

/*
 * Plans every command of PIPELINE as a stage, with no source: the
 * sub-pipeline of appendpipe and foreach, run over rows the caller hands
 * it (cq_subpipe_run, engine/subsearch.h).  Returns 0 or -1 with diag.
 */
int cq_plan_stages(cq_arena *a, const cq_ast *pipeline, const cq_plan_opts *o, cq_plan **out,
                   cq_diag *diag);

/* Prints the plan: the SQL sent to the index, its parameters, the residual
 * and each stage. */
void cq_plan_print(FILE *out, const cq_plan *p);

/*
 * Decides which columns the plan reads (need, need_all), whether results
 * must come newest first (newest_first) and which stages the scan threads
 * may run (par_stages).  Called by cq_plan_build.
 */
void cq_plan_needs(cq_arena *a, cq_plan *p);

#endif

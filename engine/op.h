/*
 * op.h - private to engine/: the operator interface and the command table.
 *
 * An operator pulls batches from its child and hands out batches:
 * next() returns 1 with *out set, 0 at the end, -1 on error (diag set).  A
 * batch it hands out stays valid until its next call to next().  Operators
 * may narrow a child's batch selection in place, or build batches of their
 * own (memory from an arena they reset per call).
 *
 * Each command the engine runs is one cq_command: prepare() checks the
 * command's arguments when the query is compiled (so `explain` and a bad
 * query fail before any data is read) and builds its config; open() makes
 * the operator when the query runs.  The table is generated from
 * grammar/commands.def; a command whose row says NOT_YET stops the query
 * with "not supported yet: <name>"; NOT_YET_BECAUSE(why) adds why, for the
 * commands that cannot run here at all (mstats: no metrics store).
 */
#ifndef CQ_ENGINE_OP_H
#define CQ_ENGINE_OP_H

#include "common/arena.h"
#include "common/diag.h"
#include "engine/batch.h"
#include "engine/exec.h"
#include "engine/expr/filter.h"
#include "engine/plan.h"
#include "grammar/ast.h"
#include "index/index.h"

typedef struct cq_exec_ctx {
    cq_index *idx;
    cq_diag *diag;
    cq_exec_stats *stats;
    const cq_plan *plan;
    int64_t now_us;
    /* Memory that lives as long as the chain (the plan with its subsearches
     * substituted; see cq_exec_open). */
    cq_arena *arena;
    const cq_bounds *bounds;    /* --timeout, --max-memory, or NULL */
    double t_start;             /* when the run started (seconds, monotonic) */
    /* The scan threads (engine/par.h) the next stage opened takes over, or
     * NULL; and, in a scan thread, the flag that says another one failed
     * (cq_exec_check_bounds stops at it). */
    struct cq_par *par;
    const _Atomic int *cancel;
} cq_exec_ctx;

/* Returns 0, or -1 with diag set once the run is past its bounds (called
 * before every operator's next() when the run has bounds, and by the scan
 * once per block). */
int cq_exec_check_bounds(cq_exec_ctx *ctx);

typedef struct cq_oper cq_oper;
struct cq_oper {
    int (*next)(cq_oper *op, cq_batch **out);
    /* The operator's own next() when the run has bounds: exec.c puts a
     * check of --timeout/--max-memory in front of every operator's next(). */
    int (*own_next)(cq_oper *op, cq_batch **out);
    /* Frees what op owns beyond what cq_oper_free() frees; NULL: nothing. */
    void (*free)(cq_oper *op);
    cq_oper *child;                 /* freed by the chain, after op */
    cq_exec_ctx *ctx;
    cq_arena *out_arena;            /* cq_oper_out()'s, or NULL */
    cq_batch *out;
};

enum {
    CQ_CMD_STREAMING = 1u << 0,     /* row in, row out (search, eval) */
    CQ_CMD_ORDERED = 1u << 1,       /* its result depends on input order (head, dedup) */
    CQ_CMD_FIXES_COLUMNS = 1u << 2, /* output columns are its own, in its order (table, stats) */
    CQ_CMD_GENERATING = 1u << 3,    /* makes results itself; only first (| inputlookup) */
    CQ_CMD_REDUCING = 1u << 4,      /* its output does not depend on input order (stats) */
    /* What it reads without naming it (engine/needs.c): */
    CQ_CMD_READS_RAW = 1u << 5,     /* the field of its field=/input= option, else _raw */
    CQ_CMD_READS_ALL = 1u << 6,     /* every field (transaction, format, mvcombine) */
    CQ_CMD_READS_ALL_UNNAMED = 1u << 7, /* every field unless it names some (fillnull) */
    CQ_CMD_READS_TIME = 1u << 8,    /* _time (timechart's buckets) */
    /* Its state merges: run on each scan thread's rows, partial states
     * folded in scan order (engine/par.h); given ctx->par and no child,
     * open() takes over the scan threads. */
    CQ_CMD_MERGES = 1u << 9,
};

typedef struct cq_command {
    const char *name;
    int (*prepare)(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                   cq_diag *d);
    cq_oper *(*open)(const void *cfg, cq_oper *child, cq_exec_ctx *ctx);
    const char *why;            /* NOT_YET_BECAUSE(why): why it cannot run here */
    unsigned flags;
} cq_command;

/* The command called name (lower-case), or NULL when the engine cannot run it. */
const cq_command *cq_command_find(const char *name);
/* For a command of the table the engine cannot run (NOT_YET): why, or ""
 * when its row gives no reason; NULL for any other name. */
const char *cq_command_not_yet(const char *name);
/* The source that reads block metadata for a tstats count (op_tstats.c). */
const cq_command *cq_command_tstats_meta(void);
cq_oper *cq_open_tstats_meta(const void *cfg, cq_oper *child, cq_exec_ctx *ctx);

/*
 * The setup and teardown operators share (engine/oper.c).  cq_oper_new()
 * allocates an operator of size bytes, zeroed, whose struct starts with
 * cq_oper, and fills that part.  cq_oper_out() makes *out, in the
 * operator's own struct, the batch it hands out, its values on *arena (also
 * its own): both start empty and are freed with it.  cq_oper_free() calls
 * the free hook, frees what cq_oper_out() set up, then the operator (never
 * its child).
 */
void *cq_oper_new(size_t size, int (*next)(cq_oper *, cq_batch **),
                  void (*free_fn)(cq_oper *), cq_oper *child, cq_exec_ctx *ctx);
void cq_oper_out(cq_oper *op, cq_arena *arena, cq_batch *out);
void cq_oper_free(cq_oper *op);

/* The span of a command's name, for errors about the command as a whole. */
cq_span cq_cmd_name_span(const cq_ast *cmd);

/* Builds the scan (and, for newest-first plans, the merge) over the index. */
cq_oper *cq_op_source(cq_exec_ctx *ctx);
/* The scan operator over scan (which it owns from now on). */
cq_oper *cq_op_scan_of(cq_exec_ctx *ctx, cq_scan *scan);

/*
 * Builds the operator chain of plan p in ctx (ctx->idx, diag, stats, now_us
 * and arena set by the caller; ctx must outlive the chain): first the
 * subsearches of its search expressions run and are substituted (ctx->plan
 * becomes that copy, from ctx->arena), then the source (the index scan or
 * the generating first command) and one operator per stage.  Returns the
 * last operator, or NULL with ctx->diag set.  cq_exec_close() frees it.
 */
cq_oper *cq_exec_open(const cq_plan *p, cq_exec_ctx *ctx);
void cq_exec_close(cq_oper *root);
/* Opens stages [from, to) of p over root, in order; the last operator, or
 * NULL (root freed, ctx->diag set).  cq_exec_open and each scan thread's
 * chain (engine/par.c) are built by it. */
cq_oper *cq_exec_stack(const cq_plan *p, size_t from, size_t to, cq_oper *root,
                       cq_exec_ctx *ctx);


/* Each command's prepare and open functions (engine/ops/), declared from
 * its row of grammar/commands.def. */
#define OP(p, o)                                                                    \
    int cq_prepare_##p(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *opts,    \
                       void **cfg, cq_diag *d);                                     \
    cq_oper *cq_open_##o(const void *cfg, cq_oper *child, cq_exec_ctx *ctx);
#define NOT_YET
#define NOT_YET_BECAUSE(why)
#define CMD(name, grammar, mode, engine, flags, options, help) engine
#include "grammar/commands.def"
#undef CMD
#undef NOT_YET_BECAUSE
#undef NOT_YET
#undef OP

#endif

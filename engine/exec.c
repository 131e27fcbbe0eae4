/*
 * exec.c - the driver: builds the operator chain of a plan (source, then one
 * operator per stage) and pulls batches from its end into the sink.
 */
#include "engine/op.h"

#include <stdlib.h>
#include <string.h>

/* Frees an operator chain, last operator first. */
static void op_free_chain(cq_oper *op)
{
    while (op) {
        cq_oper *child = op->child;
        if (op->free)
            op->free(op);
        else
            free(op);
        op = child;
    }
}

int cq_exec_run(const cq_plan *p, cq_index *idx, cq_sink *sink, cq_diag *diag,
                cq_exec_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    cq_exec_ctx ctx = {idx, diag, stats, p, p->now_us};
    cq_oper *root = cq_op_source(&ctx);
    if (!root)
        return -1;
    for (size_t i = 0; i < p->n_stages; i++)
        root = p->stages[i].def->open(p->stages[i].cfg, root, &ctx);
    cq_batch *b;
    int rc;
    while ((rc = root->next(root, &b)) == 1) {
        stats->rows_out += b->n_sel;
        if (b->n_sel && sink->batch(sink, b)) {
            rc = -1;
            break;
        }
    }
    op_free_chain(root);
    return rc < 0 ? -1 : 0;
}

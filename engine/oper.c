/*
 * oper.c - the plumbing every operator shares: its setup and teardown,
 * the span its errors point at, and notes to stderr.  (The command table
 * itself is engine/commands.c.)
 */
#include "engine/op.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *cq_oper_new(size_t size, int (*next)(cq_oper *, cq_batch **),
                  void (*free_fn)(cq_oper *), cq_oper *child, cq_exec_ctx *ctx)
{
    cq_oper *op = cq_xcalloc(1, size);
    op->next = next;
    op->free = free_fn;
    op->child = child;
    op->ctx = ctx;
    return op;
}

void cq_oper_out(cq_oper *op, cq_arena *arena, cq_batch *out)
{
    cq_arena_init(arena);
    cq_batch_init(out, arena);
    op->out_arena = arena;
    op->out = out;
}

void cq_oper_free(cq_oper *op)
{
    if (op->free)
        op->free(op);
    if (op->out) {
        cq_batch_free(op->out);
        cq_arena_free(op->out_arena);
    }
    free(op);
}

cq_span cq_cmd_name_span(const cq_ast *cmd)
{
    return cq_span_make(cmd->span.start, cmd->span.start + (uint32_t)strlen(cmd->name));
}

void cq_exec_note(const cq_exec_ctx *ctx, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    fputs("cquery: note: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/*
 * oper.c - the plumbing every operator shares: filling an operator's
 * common part, the span its errors point at, and notes to stderr.  (The command table
 * itself is engine/commands.c.)
 */
#include "engine/op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cq_oper_init(cq_oper *op, int (*next)(cq_oper *, cq_batch **), void (*free_fn)(cq_oper *),
                  cq_oper *child, cq_exec_ctx *ctx)
{
    op->next = next;
    op->free = free_fn;
    op->child = child;
    op->ctx = ctx;
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

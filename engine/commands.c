/*
 * commands.c - the commands the engine runs, and operator plumbing.
 */
#include "engine/op.h"

#include <stdlib.h>
#include <string.h>

static const cq_command *const commands[] = {
    &cq_command_search, &cq_command_head, &cq_command_table, &cq_command_fields,
    &cq_command_where,  &cq_command_eval,
    &cq_command_stats, &cq_command_top, &cq_command_rare, &cq_command_bin,
    &cq_command_eventstats, &cq_command_streamstats, &cq_command_chart, &cq_command_timechart,
    &cq_command_join, &cq_command_append, &cq_command_multisearch,
    &cq_command_format, &cq_command_return,
    &cq_command_lookup, &cq_command_inputlookup, &cq_command_transaction,
    &cq_command_sort, &cq_command_tail, &cq_command_dedup,
    &cq_command_rename, &cq_command_fillnull,
    &cq_command_rex, &cq_command_regex,
    &cq_command_mvexpand, &cq_command_makemv, &cq_command_mvcombine,
    &cq_command_spath, &cq_command_convert,
};

const cq_command *cq_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i]->name, name))
            return commands[i];
    return NULL;
}

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

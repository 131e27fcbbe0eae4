/*
 * commands.c - the commands the engine runs: the rows of
 * grammar/commands.def whose engine column is OP(prepare, open).
 */
#include "engine/op.h"

#include <string.h>

static const cq_command commands[] = {
#define OP(p, o) cq_prepare_##p, cq_open_##o, NULL
#define NOT_YET NULL, NULL, NULL
#define NOT_YET_BECAUSE(why) NULL, NULL, why
#define CMD(name, grammar, mode, engine, flags, options, help) {#name, engine, flags},
#include "grammar/commands.def"
#undef CMD
#undef NOT_YET_BECAUSE
#undef NOT_YET
#undef OP
};

/* Not a row of the table: no query names it.  tstats puts it in place of a
 * scan when block metadata answers the count (engine/tstats.c). */
static const cq_command tstats_meta = {
    .name = "tstats",
    .open = cq_open_tstats_meta,
    .flags = CQ_CMD_GENERATING | CQ_CMD_FIXES_COLUMNS,
};

const cq_command *cq_command_tstats_meta(void)
{
    return &tstats_meta;
}

const cq_command *cq_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].prepare && !strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

const char *cq_command_not_yet(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!commands[i].prepare && !strcmp(commands[i].name, name))
            return commands[i].why ? commands[i].why : "";
    return NULL;
}

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

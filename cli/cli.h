/* cli/cli.h: placeholder, being written. */
#ifndef CQ_CLI_CLI_H
#define CQ_CLI_CLI_H
#endif

/* cli/output.h: placeholder, being written. */
#ifndef CQ_CLI_OUTPUT_H
#define CQ_CLI_OUTPUT_H
#endif

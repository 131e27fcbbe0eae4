/* cli/spl_file.h: placeholder, being written. */
#ifndef CQ_CLI_SPL_FILE_H
#define CQ_CLI_SPL_FILE_H
#endif

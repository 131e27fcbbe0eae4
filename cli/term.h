/*
 * term.h - the terminal stdout may be: its size, and the pager that long
 * table output goes through (as git and man do).
 */
#ifndef CQ_CLI_TERM_H
#define CQ_CLI_TERM_H

#include <stdio.h>

/* The size of the terminal f writes to: 0 when f is not a terminal.  A
 * terminal that reports no size counts as $COLUMNS x $LINES, else 80 x 24. */
int cq_term_size(FILE *f, unsigned *cols, unsigned *rows);

/* A pager that reads what is written to the returned stream: $PAGER when
 * set and not empty (run by /bin/sh), else `less -S` found on $PATH, with
 * $LESS defaulting to FRX.  NULL (nothing said) when there is none: print
 * to the terminal then.  While the pager runs, SIGPIPE and SIGINT are
 * ignored, so quitting it early (q, Ctrl-C) ends the output, not cquery. */
FILE *cq_pager_open(void);
/* Waits for the pager to exit.  Returns 0, or -1 when writing to it failed
 * for another reason than the reader quitting. */
int cq_pager_close(FILE *pager);

#endif

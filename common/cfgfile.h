/*
 * cfgfile.h - what the config-file readers share (macros.conf,
 * sourcetypes.conf, the header of a .spl analytic): reading the file,
 * trimming, "key = value" pairs, "[stanza]" headers, and logical lines with
 * their line numbers.  Each reader keeps its own syntax and messages: this
 * reports what it found and the reader words the error ("file:line: ...").
 */
#ifndef CQ_COMMON_CFGFILE_H
#define CQ_COMMON_CFGFILE_H

#include <stddef.h>
#include <stdio.h>

#include "common/strbuf.h"

/* What cq_cfg_read_file() ran into: the readers word each case their own
 * way (one names errno, another not), so they need to tell them apart. */
enum {
    CQ_CFG_READ_OK = 0,
    CQ_CFG_CANNOT_OPEN = -1,    /* errno is fopen()'s */
    CQ_CFG_READ_FAILED = -2,    /* out holds what was read before */
    CQ_CFG_TOO_BIG = -3,        /* more than max bytes */
};

/* Reads the file at path into out, stopping once more than max bytes are
 * read (max 0: no limit).  Once the file is open, out is emptied first and
 * out->buf is never NULL, so a reader may write into the text. */
int cq_cfg_read_file(const char *path, size_t max, cq_strbuf *out);
/* The same from an open stream (stdin), which stays open. */
int cq_cfg_read_stream(FILE *f, size_t max, cq_strbuf *out);

/* Removes leading and trailing white space: the start moves, the end is
 * cut in place. */
char *cq_trim(char *s);

/* Splits s at the first sep into trimmed *key and *val; returns 0, or -1
 * (s untouched) when there is no sep. */
int cq_cfg_pair(char *s, int sep, char **key, char **val);

/* The trimmed text between the '[' of a trimmed line and its last
 * character when that is ']', else NULL. */
char *cq_cfg_stanza(char *line);

/* How lines continue: a line ending in '\' goes on in the next one.  The
 * readers came with different details and keep them. */
enum {
    CQ_CFG_KEEP_BREAKS = 1 << 0,    /* keep a '\n' between the pieces */
    CQ_CFG_ONE_CR = 1 << 1,         /* only one '\r' before '\n' ends a line */
    CQ_CFG_KEEP_CUT = 1 << 2,       /* read a line continued past the end */
};

/* Reads text as logical lines, skipping blank lines and comments (lines
 * whose first non-blank character is '#' or ';'). */
typedef struct cq_cfg_reader {
    const char *text;
    size_t len, pos;
    unsigned flags;             /* CQ_CFG_KEEP_BREAKS, ... */
    int line;                   /* where the last line returned started */
    int next_line;              /* the physical line at pos */
    cq_strbuf buf;
} cq_cfg_reader;

void cq_cfg_init(cq_cfg_reader *r, const char *text, size_t len, unsigned flags);
/* The next line, trimmed and writable until the next call, or NULL at the
 * end; r->line is its line number (1-based). */
char *cq_cfg_next(cq_cfg_reader *r);
void cq_cfg_done(cq_cfg_reader *r);

#endif

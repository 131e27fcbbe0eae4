/*
 * spl_file.h - a saved analytic: header comments, then the query.
 *
 *   # id: T1609-001
 *   # title: Container administration command
 *   # description: first line
 *   #   continuation lines start with "#" and two or more spaces
 *   sourcetype=docker:daemon OR ... | search ...
 *
 * Every header line before the query is "# key: value"; the query is the rest
 * of the file, at most 4 MiB.  id and title are required.
 */
#ifndef CQ_CLI_SPL_FILE_H
#define CQ_CLI_SPL_FILE_H

#include <stddef.h>

typedef struct cq_spl_header {
    char *key;
    char *value;
} cq_spl_header;

typedef struct cq_spl_file {
    char *path;
    cq_spl_header *headers;
    size_t n_headers;
    char *query;            /* the query text, trailing space trimmed */
    size_t query_len;
    unsigned line_base;     /* lines of the file before the query */
} cq_spl_file;

/* Loads path.  On error returns -1 and writes "path:line: message" into err. */
int cq_spl_load(const char *path, cq_spl_file **out, char *err, size_t errlen);
/* A query file (search -q FILE; "-" is stdin): "#" lines before the query
 * are comments (an analytic's header is read as such, and not required). */
int cq_spl_load_query(const char *path, cq_spl_file **out, char *err, size_t errlen);
/* The header value of key, or NULL. */
const char *cq_spl_get(const cq_spl_file *f, const char *key);
void cq_spl_free(cq_spl_file *f);

#endif

/*
 * macro.h - SPL search macros (`name`, `name(a,b)`), expanded as text
 * before the query is lexed, with a map from the expanded text back to the
 * text the user wrote.
 *
 * Definitions come from files in the spirit of Splunk's macros.conf (the
 * format is documented at the top of data/macros.conf and in macro.c):
 *
 *   [kube_audit]
 *   definition = sourcetype=kubernetes:apiserver
 *
 *   [security_content_ctime(1)]
 *   args = field
 *   definition = convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)
 *
 * Expansion is textual, as in Splunk: a call is replaced by its definition
 * with $arg$ substituted, and the result is expanded again (nested macros,
 * with a depth limit and a cycle error).  Calls inside "quoted strings" and
 * ```comments``` are left alone.  A macro whose name ends in `_filter`
 * expands to nothing unless it is defined (Splunk's detections end with
 * one such per-site tuning macro each).
 *
 * Every error (here, in the parser, in resolve or the planner) must point
 * into the text the user wrote: cq_expansion_map() turns a span of the
 * expanded text into one of the original, where everything that came out of
 * a macro maps to the whole call `name(...)`.
 */
#ifndef CQ_GRAMMAR_MACRO_H
#define CQ_GRAMMAR_MACRO_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "grammar/ast.h"

/* Nesting of macro calls beyond this is an error (a macro calling itself
 * indirectly is reported as a cycle before it gets here). */
#define CQ_MACRO_MAX_DEPTH 32
/* An expansion longer than this is an error: a few macros that each call
 * the next ten times would otherwise grow without bound. */
#define CQ_MACRO_MAX_OUTPUT (1u << 20)
/* Arguments of one call, at most. */
#define CQ_MACRO_MAX_ARGS 16

typedef struct cq_macro {
    const char *name;
    int n_args;                 /* the N of [name(N)] */
    const char **args;          /* n_args argument names (from `args =`) */
    const char *definition;     /* the text a call is replaced with */
    struct cq_macro *next;
} cq_macro;

/* A set of definitions; all memory from `arena` (the caller's). */
typedef struct cq_macros {
    cq_arena *arena;
    cq_macro *head;
} cq_macros;

void cq_macros_init(cq_macros *m, cq_arena *a);

/*
 * Reads definitions from conf text (source names it in messages).  A later
 * definition of the same name and arity replaces an earlier one.  Returns 0,
 * or -1 with "SOURCE:LINE: message" in d (span CQ_SPAN_NONE: the span of
 * a diag indexes the query, not this file).
 */
int cq_macros_parse(cq_macros *m, const char *text, size_t len,
                    const char *source, cq_diag *d);
/* cq_macros_parse() on the file at path; a file that cannot be read is an
 * error "cannot read macro file PATH: REASON". */
int cq_macros_load(cq_macros *m, const char *path, cq_diag *d);
/* Adds one definition (strings copied); args may be NULL when n_args is 0. */
void cq_macros_define(cq_macros *m, const char *name, int n_args,
                      const char *const *args, const char *definition);
/* The definition of name with n_args arguments, or NULL. */
const cq_macro *cq_macros_find(const cq_macros *m, const char *name,
                               size_t name_len, int n_args);

/* One piece of the expanded text and where it came from. */
typedef struct cq_expansion_seg {
    uint32_t out_start, out_end;    /* bytes of the expanded text */
    uint32_t src_start, src_end;    /* bytes of the original text */
    const char *macro;              /* NULL: copied verbatim; else the name
                                       of the top-level call it came from */
} cq_expansion_seg;

typedef struct cq_expansion {
    const char *text;               /* expanded text, NUL-terminated (arena) */
    size_t len;
    size_t src_len;                 /* length of the original text */
    cq_expansion_seg *segs;         /* in order of out_start, covering text */
    size_t n_segs;
} cq_expansion;

/*
 * Expands every macro call of text[0..len).  m may be NULL (no
 * definitions: only the `_filter` rule applies).  Memory from a.  Returns 0
 * and *x, or -1 with the error in d, its span in the original text (inside a
 * nested expansion: the top-level call the user wrote).
 */
int cq_macro_expand(const cq_macros *m, cq_arena *a, const char *text,
                    size_t len, cq_expansion *x, cq_diag *d);

/* The span of the original text that span s of the expanded text came from.
 * CQ_SPAN_NONE stays so. */
cq_span cq_expansion_map(const cq_expansion *x, cq_span s);
/* The top-level macro call that produced offset `off` of the expanded text,
 * or NULL if that byte was written by the user. */
const cq_expansion_seg *cq_expansion_macro_at(const cq_expansion *x, uint32_t off);
/* Rewrites the span of every node of the tree with cq_expansion_map(). */
void cq_expansion_map_ast(const cq_expansion *x, cq_ast *n);
/* Maps d's span back to the original text; if the error lies inside an
 * expansion and d has no hint yet, the hint names the macro. */
void cq_expansion_map_diag(const cq_expansion *x, cq_diag *d);

#endif

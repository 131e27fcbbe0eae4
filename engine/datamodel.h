/*
 * datamodel.h - data models (datamodels.conf): Splunk's CIM models as data.
 *
 * A model (Endpoint) has datasets (Processes, Filesystem, ...); a dataset
 * may have a parent in the same model (Change: All_Changes >
 * Account_Management).  Each dataset has a constraint search over the
 * stored fields (which events belong to it) and fields, each with the eval
 * expression that gives its value (by default the stored field of the same
 * name).  tstats, `from datamodel=` and `datamodel` (engine/tstats.c) read
 * them; nothing else does.  The file's syntax is documented in
 * data/datamodels.conf.
 *
 * Fields are named as CIM names them in searches: the dataset path below
 * the model, a dot, the field (Processes.process_name,
 * All_Changes.Account_Management.src_user).  Inherited fields _time, host,
 * source, sourcetype and index keep their names.
 */
#ifndef CQ_ENGINE_DATAMODEL_H
#define CQ_ENGINE_DATAMODEL_H

#include <stddef.h>

#include "common/arena.h"
#include "common/diag.h"
#include "grammar/ast.h"

typedef struct cq_dm_field {
    const char *name;               /* process_name (without the prefix) */
    const cq_ast *expr;             /* eval expression of its value; NULL: the
                                       stored field of the same name */
    struct cq_dm_field *next;
} cq_dm_field;

typedef struct cq_dm_dataset {
    const char *model;              /* Endpoint */
    const char *name;               /* Processes */
    const char *parent_name;        /* as written (`parent =`), or NULL: a root */
    const struct cq_dm_dataset *parent; /* set once the files are read */
    const char *path;               /* Processes, All_Changes.Account_Management */
    const char *constraint_text;    /* as written, for explain; NULL: none */
    const cq_ast *constraint;       /* search expression, or NULL: every event */
    cq_dm_field *fields;            /* its own, in the order listed */
    const char *file;               /* where it was (last) defined */
    int line;
    struct cq_dm_dataset *next;
} cq_dm_dataset;

typedef struct cq_datamodels {
    cq_arena *arena;
    cq_dm_dataset *head;            /* in file order */
} cq_datamodels;

void cq_datamodels_init(cq_datamodels *m, cq_arena *a);

/*
 * Reads definitions from text (named source in messages) into m.  A stanza
 * that names a dataset already defined extends it: a later constraint
 * replaces the earlier, fields are added, eval.<field> replaces.  Errors
 * are "SOURCE:LINE: message" in d.  Returns 0 or -1.
 */
int cq_datamodels_parse(cq_datamodels *m, const char *text, size_t len, const char *source,
                        cq_diag *d);
/* The same for a file (cannot read it: an error naming the file). */
int cq_datamodels_load(cq_datamodels *m, const char *path, cq_diag *d);
/* Links parents once every file is read; a parent that is not defined or a
 * loop is an error at the dataset's stanza.  Returns 0 or -1. */
int cq_datamodels_link(cq_datamodels *m, cq_diag *d);

/*
 * The dataset `name` of model `model` (as written after datamodel=; name
 * may be the dataset's own name or its dotted path), or NULL.  With name
 * NULL, the model's first root dataset; *n_roots gets how many roots it
 * has (may be NULL).
 */
const cq_dm_dataset *cq_dm_find(const cq_datamodels *m, const char *model, const char *name,
                                size_t *n_roots);
/* Whether any dataset belongs to model. */
int cq_dm_has_model(const cq_datamodels *m, const char *model);

/* The field `name` of ds or one of its ancestors (without the prefix), or
 * NULL; *owner (may be NULL) gets the dataset that declares it. */
const cq_dm_field *cq_dm_field_find(const cq_dm_dataset *ds, const char *name,
                                    const cq_dm_dataset **owner);

#endif

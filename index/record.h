/*
 * record.h - one normalized event on its way from a reader into the index.
 *
 * A record is a bag of (name, value) string pairs plus the fields every
 * event has (_time, _raw, sourcetype, source, host).  A name added more than
 * once is a multivalue field (user.groups{} = a, b).  Readers and the
 * normalizer fill it; the index writer consumes it.  Strings are copied
 * into the record's arena (cq_record_add_ref excepted); cq_record_reset() makes
 * it ready for the next event without giving memory back.
 */
#ifndef CQ_INDEX_RECORD_H
#define CQ_INDEX_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

#define CQ_TIME_NONE INT64_MIN      /* the event has no timestamp */

typedef struct cq_kv {
    const char *name;
    const char *val;
    uint32_t name_len;
    uint32_t val_len;
} cq_kv;

typedef struct cq_record {
    int64_t time_us;        /* _time, microseconds since the epoch, UTC */
    const char *raw;        /* _raw: the event as read (one line, or one object) */
    size_t raw_len;
    const char *sourcetype; /* e.g. "kubernetes:apiserver" */
    const char *source;     /* file path, or "-" for stdin */
    const char *host;       /* NULL when unknown */
    cq_kv *kv;              /* fields, in the order added */
    size_t n_kv;
    size_t cap_kv;
    cq_arena arena;         /* owns raw, kv names and values */
} cq_record;

void cq_record_init(cq_record *r);
void cq_record_reset(cq_record *r);
void cq_record_free(cq_record *r);
/* Copies raw into the record. */
void cq_record_set_raw(cq_record *r, const char *raw, size_t len);
/* Appends a field value (copies name and value). */
void cq_record_add(cq_record *r, const char *name, size_t name_len,
                   const char *val, size_t val_len);
void cq_record_adds(cq_record *r, const char *name, const char *val);
/* Appends a field whose value is not copied: val must stay valid until the
 * record is reset (text of the record's own _raw, or static storage). */
void cq_record_add_ref(cq_record *r, const char *name, size_t name_len,
                       const char *val, size_t val_len);
/* Removes every value of `name`, then adds val (set, not append). */
void cq_record_set(cq_record *r, const char *name, const char *val, size_t val_len);
/* First value of `name`, or NULL. */
const cq_kv *cq_record_get(const cq_record *r, const char *name);
/* Number of values of `name`. */
size_t cq_record_count(const cq_record *r, const char *name);

#endif

/*
 * ingest_int.h - private parts of ingest/: the loaded sourcetype
 * definitions (sourcetypes.c), the JSON flattener (flatten.c), the
 * key=value reader (read_kv.c), the normalizer (normalize.c) and the input
 * layer (input.c).  Nothing outside ingest/ includes this header.
 */
#ifndef CQ_INGEST_INGEST_INT_H
#define CQ_INGEST_INGEST_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "index/record.h"

/* ---- sourcetypes.conf, loaded ---- */

enum {
    CQ_COND_EQ,         /* field = a|b|c     (any value equals one of them) */
    CQ_COND_NE,         /* field != a|b      (field present, no value equals) */
    CQ_COND_EXISTS,     /* field = *         */
    CQ_COND_MISSING,    /* field != *        */
    CQ_COND_RE,         /* field ~ regex     (named groups become fields) */
    CQ_COND_NRE,        /* field !~ regex    */
};

typedef struct cq_cond {
    int op;                 /* CQ_COND_* */
    const char *field;
    const char **alts;      /* CQ_COND_EQ / CQ_COND_NE values */
    size_t n_alts;
    uint32_t *alt_lens;     /* their lengths (conf arena) */
    uint32_t field_len;
    int slot;               /* field's index in conf->names (cq_conf_name_slot) */
    int memo;               /* rule = / != : the same id for the same test; else -1 */
    pcre2_code *re;         /* CQ_COND_RE / CQ_COND_NRE */
    pcre2_match_data *md;   /* unused by matching: see cq_md_for (per thread) */
} cq_cond;

enum {
    CQ_ACT_SET,         /* set dst = template with $field$ references */
    CQ_ACT_ADD,         /* add dst = template  (another value, for multivalue fields) */
    CQ_ACT_COPY,        /* copy dst = src1 src2 ...  (every value of the first present) */
    CQ_ACT_JOIN,        /* join dst = src            (its values joined by spaces) */
    CQ_ACT_URLPARAMS,   /* urlparams dst = field param  (decoded, joined by spaces) */
    CQ_ACT_JSON,        /* json dst = field key         (values of key in field's JSON text) */
    CQ_ACT_KV,          /* kv field                     (parse field as key=value pairs) */
    CQ_ACT_DROP,        /* drop field                   (remove a helper field) */
    CQ_ACT_COPYTREE,    /* copytree dst = src           (every src.x also as dst.x) */
};

typedef struct cq_action {
    int op;                 /* CQ_ACT_* */
    const char *dst;
    const char *arg;        /* template, source field(s), or the field to read */
    const char *arg2;       /* urlparams: param name; json: key */
    const char **srcs;      /* copy: the source fields of arg, split (conf arena) */
    size_t n_srcs;
    int *src_slots;         /* copy: their slots in conf->names (conf arena) */
    int dst_slot;           /* copy: dst's slot; -1 for other actions */
} cq_action;

typedef struct cq_rule {
    const char *name;
    int line;               /* where its stanza starts, for messages */
    const char **sts;       /* canonical sourcetypes it applies to; none: all */
    size_t n_sts;
    cq_cond *conds;         /* all must hold */
    size_t n_conds;
    cq_action *acts;
    size_t n_acts;
    int *prev;              /* fields go to the previous event if it matched one of these rules */
    size_t n_prev;          /* 0: fields go to this event */
    int *after;             /* `after`: an earlier event must have matched one of these rules */
    size_t n_after;         /* 0: no `after` line */
    int64_t within_us;      /* `after`: how much earlier, at most */
    const char *same;       /* `after ... same F`: F's first values must be equal; or NULL */
    int after_slot;         /* `after`: index of its pairing state (cq_after.q) */
} cq_rule;

enum { CQ_FMT_JSON, CQ_FMT_KV };
enum { CQ_TF_ISO, CQ_TF_EPOCH_S, CQ_TF_EPOCH_MS, CQ_TF_EPOCH_US, CQ_TF_EPOCH_NS };

typedef struct cq_timefield {
    const char *field;
    int fmt;                /* CQ_TF_* */
} cq_timefield;

/* One alternative of `detect`: every condition must hold. */
typedef struct cq_detect {
    cq_cond *conds;
    size_t n_conds;
} cq_detect;

typedef struct cq_log_format {
    const char *name;
    int line;
    int type;               /* CQ_FMT_* */
    int st;                 /* index into conf->sts */
    cq_detect *detects;     /* any one alternative identifies the format */
    size_t n_detects;
    cq_timefield *times;    /* first one present gives _time */
    size_t n_times;
    const char *host;       /* field giving host, or NULL */
    const char *kv_field;   /* json: parse this field as key=value pairs too */
    cq_cond strip;          /* kv: optional prefix removed before parsing (re NULL: none) */
    const char *unwrap;     /* json: this field holds the inner event (text or object), or NULL */
    const char *split;      /* json: this top-level array member holds the events, or NULL */
} cq_log_format;

typedef struct cq_stdef {
    const char *name;       /* canonical name */
    const char **aliases;
    size_t n_aliases;
} cq_stdef;

typedef struct cq_conf {
    cq_arena arena;         /* owns every string and array above */
    cq_stdef *sts;
    size_t n_sts;
    cq_log_format *fmts;
    size_t n_fmts;
    cq_rule *rules;
    size_t n_rules;
    size_t n_after;         /* rules with an `after` line (slots of cq_after.q) */
    int *after_rules;       /* per slot: the index of its rule */
    size_t max_line;        /* longer lines are malformed */
    size_t max_unwrap;      /* longer inner events (`unwrap` text) are malformed; 0: max_line */
    /* Every field name a condition tests, interned: normalize.c indexes an
     * event's fields by these slots once instead of scanning them per test. */
    const char **names;
    uint32_t *name_lens;
    uint64_t *name_hashes;
    size_t n_names;
    uint32_t *name_map;     /* open addressing: 0 empty, else slot + 1 */
    uint32_t name_map_cap;  /* power of two */
    uint64_t name_filter[16];   /* see cq_conf_name_maybe */
    /* Per canonical sourcetype (index n_sts: an event with none or another):
     * the rules that apply to its events, in file order, so normalize.c
     * skips the others without testing them. */
    int **st_rules;
    size_t *n_st_rules;
    size_t n_memo;          /* distinct = / != tests of rules (cq_cond.memo) */
} cq_conf;

/* Loads path; on error returns -1 with "path:line: message" in err. */
int cq_conf_load(const char *path, cq_conf **out, char *err, size_t errlen);
void cq_conf_free(cq_conf *c);
/* Canonical sourcetype index of a name or alias, or -1. */
int cq_conf_find_st(const cq_conf *c, const char *name);
/* Slot of field name[0..len) in c->names, or -1 when no condition tests it. */
int cq_conf_name_slot(const cq_conf *c, const char *name, size_t len);
/* Bit of name[0..len) in c->name_filter: its length and three of its bytes,
 * which tell most of an event's field names from the conf's without hashing. */
static inline unsigned cq_name_filter_bit(const char *name, size_t len)
{
    if (!len)
        return 0;
    unsigned a = (unsigned char)name[0], m = (unsigned char)name[len / 2];
    unsigned z = (unsigned char)name[len - 1];
    return ((unsigned)len * 37u ^ a * 11u ^ m * 101u ^ z * 7u) & 1023u;
}

/* 0: no condition tests name[0..len) (cq_conf_name_slot would return -1);
 * 1: it may. */
static inline int cq_conf_name_maybe(const cq_conf *c, const char *name, size_t len)
{
    unsigned b = cq_name_filter_bit(name, len);
    return (int)(c->name_filter[b >> 6] >> (b & 63) & 1);
}

/* ---- after.c: `after` rules, an event paired with an earlier one ---- */

/* An earlier event that an `after` rule may still pair with. */
typedef struct cq_after_open {
    int64_t t_us;           /* its _time */
    char *key;              /* first value of the rule's `same` field (malloc), or NULL */
    size_t key_len;
    uint64_t hash;          /* cq_hash_key of key */
    uint32_t older;         /* the next older open event with the same key, or CQ_AFTER_NONE */
    unsigned char dead;     /* taken or too old: skipped, freed when the queue is compacted */
} cq_after_open;

#define CQ_AFTER_NONE UINT32_MAX

/* One key of a `same` rule: its newest open event heads a chain (older). */
typedef struct cq_after_slot {
    uint32_t head;          /* newest open event with the key, or CQ_AFTER_NONE */
    uint32_t key_ev;        /* an event holding the key's bytes; CQ_AFTER_NONE: empty slot */
} cq_after_slot;

/* One `after` rule's open events, in file order (bounded by its window).
 * With `same`, a hash table by key makes a pairing look at that key's events
 * only; dead events stay in v (their keys too, the table compares them)
 * until the queue is compacted, which happens once dead events outnumber
 * live ones or v doubled: linear overall. */
typedef struct cq_after_queue {
    cq_after_open *v;
    size_t n, cap;
    size_t lo;              /* events before lo are all dead */
    size_t n_dead;          /* dead events in v */
    size_t n_compacted;     /* n after the last compaction */
    cq_after_slot *tab;     /* `same` rules: open addressing, tab_cap slots */
    size_t tab_cap, tab_n;
    int64_t used_min_us;    /* oldest event a pairing took (INT64_MAX: none) */
} cq_after_queue;

/* An event whose `after` rule found no earlier event in its pipe: a pipe
 * that starts mid-file (parallel ingest) cannot tell whether the lines
 * before it held one, so it keeps these for the check (cq_after_rerun). */
typedef struct cq_after_pend {
    int slot;               /* the rule's after_slot */
    int64_t t_us;           /* the event's _time */
    int64_t wm_us;          /* the pipe's newest _time when it was seen */
    char *key;              /* its `same` value (malloc), or NULL */
    size_t key_len;
} cq_after_pend;

/* Pairing state of one pipe. */
typedef struct cq_after {
    int64_t wm_us;          /* newest _time of the pipe's events (CQ_TIME_NONE: none yet) */
    cq_after_queue *q;      /* per `after` rule */
    size_t n_q;             /* conf->n_after */
    cq_after_pend *pend;    /* record_pend: unpaired events, in order */
    size_t n_pend, cap_pend;
    int record_pend;        /* the pipe starts mid-file: keep pend */
} cq_after;

void cq_after_init(cq_after *a, const cq_conf *c);
void cq_after_free(cq_after *a);
/* An event with time t (CQ_TIME_NONE: none) is next: drops open events that
 * every later pairing would find too old. */
void cq_after_see(cq_after *a, const cq_conf *c, int64_t t);
/* ru's conditions held on r: takes the latest open event ru pairs r with
 * and returns 1, or returns 0 (and keeps r in pend when record_pend). */
int cq_after_take(cq_after *a, const cq_rule *ru, const cq_record *r);
/* r is normalized (matched[] final): opens it for the `after` rules that
 * name a rule it matched. */
void cq_after_push(cq_after *a, const cq_conf *c, const cq_record *r,
                   const unsigned char *matched);
/* Would a pipe that started from `prev`'s end state instead of from
 * nothing have paired `job`'s events differently? */
int cq_after_rerun(const cq_after *prev, const cq_after *job, const cq_conf *c);
/* job continues prev (NULL: job starts the file): prev's open events go
 * before job's (what a sequential run holds at job's end), prev is left
 * empty, and job stops keeping pend. */
void cq_after_merge(cq_after *job, cq_after *prev, const cq_conf *c);

/* ---- flatten.c: JSON text -> Splunk-style fields ---- */

/*
 * Repairs for text that would otherwise lose its event: each byte that is
 * not part of valid UTF-8 becomes U+FFFD (as JSON output does), and, in JSON
 * text, each \uD800-\uDFFF escape that is not half of a pair becomes
 * \ufffd.  The result replaces out's contents; returns the number of
 * replacements (0: out is a copy of s).
 */
size_t cq_utf8_repair(const char *s, size_t len, cq_strbuf *out);
size_t cq_json_repair(const char *s, size_t len, cq_strbuf *out);
/* Appends code point cp (< 0x110000, no surrogate) as UTF-8. */
void cq_utf8_put(cq_strbuf *sb, unsigned cp);

/*
 * Adds the fields of the JSON object text s[0..len) to r: nested keys joined
 * with ".", arrays as "{}", scalars as written (strings unescaped).  Returns
 * 0, or -1 with a reason in err (invalid JSON, invalid UTF-8, not an object).
 * `prefix` (may be "") is prepended to every name.  scratch is reused.
 */
int cq_json_flatten(const char *s, size_t len, const char *prefix, cq_record *r,
                    cq_strbuf *scratch, char *err, size_t errlen);
/* The same over the record's own _raw (set first): the values of plain
 * strings, numbers and literals point into it instead of being copied. */
int cq_json_flatten_raw(cq_record *r, cq_strbuf *scratch, char *err, size_t errlen);

/*
 * When s is a JSON list document ({"kind":"...List","items":[...]} or a
 * top-level array), calls fn for each element's text and returns the number
 * of elements; returns -1 when s is not such a document.
 */
typedef void (*cq_json_item_fn)(void *ctx, const char *item, size_t len);
long cq_json_list_items(const char *s, size_t len, cq_json_item_fn fn, void *ctx);
/*
 * When s is a JSON object whose top-level member `member` is an array, calls
 * fn for each element's text and returns the number of elements; returns -1
 * otherwise (not an object, invalid JSON, no such member, not an array).
 */
long cq_json_member_items(const char *s, size_t len, const char *member, cq_json_item_fn fn,
                          void *ctx);
/* cq_json_flatten without the top-level member `skip` (its value is only
 * checked to be valid JSON). */
int cq_json_flatten_skip(const char *s, size_t len, const char *skip, cq_record *r,
                         cq_strbuf *scratch, char *err, size_t errlen);

/* Tracks brace depth over lines of a multi-line JSON document. */
typedef struct cq_json_depth {
    int depth;
    int in_str, esc;
} cq_json_depth;
void cq_json_depth_feed(cq_json_depth *d, const char *s, size_t len);

/* Returns 1 when s[0..len) is valid UTF-8. */
int cq_utf8_valid(const char *s, size_t len);

/* ---- read_kv.c: logrus / logfmt text ---- */

/*
 * Adds the key=value pairs of s[0..len) to r (`key="quoted \"value\""` is
 * unescaped).  Returns 0, or -1 with a reason (unterminated quote, no pair).
 */
int cq_kv_parse(const char *s, size_t len, cq_record *r, cq_strbuf *scratch,
                char *err, size_t errlen);

/* ---- normalize.c ---- */

/* Tests whether r satisfies cond (regex groups are not added). */
int cq_cond_holds(const cq_conf *c, const cq_cond *cond, const cq_record *r);
/* Does the record match format f's detection? */
int cq_log_format_detect(const cq_conf *c, const cq_log_format *f, const cq_record *r);
/* Sets r->time_us from f's time fields; returns 0 or -1 when none parses. */
int cq_log_format_time(const cq_log_format *f, const cq_record *r, int64_t *us);
/* Parses a time value in format fmt. */
int cq_time_value(const char *s, size_t len, int fmt, int64_t *us);

/*
 * Applies every rule of r's sourcetype.  matched[] (conf->n_rules bytes) is
 * set to 1 for each rule that matched.  prev / prev_matched is the event
 * before r in the same file (NULL for the first): rules with a `previous`
 * line write their fields there.  scratch is reused.
 */
void cq_normalize(const cq_conf *c, cq_record *r, unsigned char *matched,
                  cq_record *prev, const unsigned char *prev_matched,
                  cq_strbuf *scratch, int *prev_hit, cq_after *after);
/* prev_hit (may be NULL): set to 1 when prev is NULL and a `previous` rule's
 * conditions held on r (it would have written to an event before r).
 * after (may be NULL: no earlier events): the pipe's pairing state for
 * `after` rules; cq_normalize calls cq_after_see, _take and _push. */

/* Match data for re, owned by the calling thread (regexes are shared by the
 * parser threads); cq_md_release() frees the calling thread's. */
pcre2_match_data *cq_md_for(const pcre2_code *re);
/* The named groups of a match of re (md, on subject s) become fields of r
 * (set, replacing); names starting with '_' are scratch and go to scratch
 * instead, or nowhere when it is NULL. */
void cq_set_groups(const pcre2_code *re, pcre2_match_data *md, const char *s, cq_record *r,
                   cq_record *scratch);
void cq_md_release(void);

/* Decodes %XX and '+' of a URL query value, appending to sb. */
void cq_url_decode(cq_strbuf *sb, const char *s, size_t len);

/* ---- input.c: plain or gzip bytes from a file or stdin ---- */

typedef struct cq_input cq_input;

/* Opens path ("-": stdin).  Returns 0, or -1 with errno set. */
int cq_input_open(const char *path, cq_input **out);
/* Reads the file open on fd (a duplicate is taken; read from its start),
 * at most limit raw bytes (0: all).  Returns 0, or -1 with errno set. */
int cq_input_open_fd(int fd, uint64_t limit, cq_input **out);
/*
 * Reads up to n content bytes (decompressed).  Returns the count, 0 at end,
 * -1 on error with a message in err.
 */
long cq_input_read(cq_input *in, char *buf, size_t n, char *err, size_t errlen);
/* Restarts from the first content byte (stdin: replays what was read). */
int cq_input_rewind(cq_input *in, char *err, size_t errlen);
/*
 * UTF-16 (big_endian or little) s[0..len) to UTF-8 appended to out; a lone
 * surrogate or, when at_end, an odd last byte becomes U+FFFD.  Returns the
 * bytes used: without at_end, half a unit or a high surrogate at the end is
 * left for the next call.
 */
size_t cq_utf16_decode(const unsigned char *s, size_t len, int big_endian, int at_end,
                       cq_strbuf *out);
/* Bytes read so far from the underlying file (compressed), for progress. */
uint64_t cq_input_raw_pos(const cq_input *in);
/* Size of the underlying file, or 0 when unknown. */
uint64_t cq_input_raw_size(const cq_input *in);
int cq_input_is_gzip(const cq_input *in);
/* What ended the content early ("truncated gzip data: ... at byte N", a
 * corrupt member), or NULL.  The content read before it is whole; the last
 * bytes may be half a line.  Cleared by a rewind of a file. */
const char *cq_input_damage(const cq_input *in);
/* Bytes after the last gzip member that were ignored (zero padding or
 * garbage, as gzip ignores them), or NULL. */
const char *cq_input_note(const cq_input *in);
void cq_input_close(cq_input *in);


/* ---- pipeline.c: lines of one input -> records ---- */

#include "ingest/ingest.h"

#define CQ_SHOW_MALFORMED 5     /* malformed lines shown without --verbose */
/* Values (fields, and each value of a multivalue field) in one event: an
 * event with more is malformed, reported like an over-long line.  Audit
 * events hold a few hundred; 715k keys in one line (under the 8 MB line
 * limit) took about 1 GB each while indexed (issue 14). */
#define CQ_MAX_RECORD_VALUES 10000
/* Cloud envelopes (`unwrap`) around one event: AKS's record around its
 * audit event is 1, a Pub/Sub message around a GKE LogEntry 1, a CloudWatch
 * logEvents element 1; more than this is not a log any cloud writes. */
#define CQ_MAX_ENVELOPES 4

struct cq_ingest {
    cq_ingest_opts o;
    cq_conf *conf;
    int forced_st;              /* conf->sts index of --sourcetype, or -1 */
    const char *forced_name;    /* its canonical name */
    cq_ingest_stats st;
    unsigned long long *per_st; /* records per conf sourcetype */
    unsigned long n_shown;      /* malformed lines reported so far */
    int64_t t_start_us;
    char *chunk;                /* the reused read buffer */
};

/* State of one input while its lines are read. */
typedef struct cq_pipe {
    cq_ingest *g;
    const char *source;
    int fmt;                    /* format of the last event (tried first), or -1 */
    unsigned long long line_no; /* of the line being processed, from 1 */
    unsigned long long doc_line;/* first line of a multi-line JSON document */
    int in_doc;
    cq_json_depth depth;
    cq_record rec[2];           /* the current event and the one before it */
    unsigned char *matched[2];  /* rules each matched */
    int cur;                    /* index of the current event in rec[] */
    int have_prev;              /* rec[!cur] holds an event not yet given to the sink */
    unsigned long long n_records, n_malformed;
    unsigned long long *per_st; /* records per sourcetype for this input */
    cq_ingest_sink sink;
    void *sink_ctx;
    int failed;                 /* the sink failed: stop */
    cq_strbuf scratch, scratch2, doc;   /* per pipe: pipes run on several threads */
    /* Deferred reports (parser threads): malformed lines are kept in msgs
     * (u64 line, u32 len, text) and counted by cq_pipe_flush_msgs. */
    int defer;
    cq_strbuf msgs;
    unsigned long long base;    /* line number of the line before this pipe's first */
    /* What the pipe's start state decided, for parallel ingest to check
     * that starting from scratch gave what the previous lines would have. */
    int probe_done;             /* the first format pick happened */
    int first_type;             /* CQ_FMT_* of that event */
    int first_fmt;              /* format chosen for it */
    uint64_t first_mask;        /* formats that would have been kept if tried first */
    int first_finished;         /* an event was finished */
    int first_prev_hit;         /* a `previous` rule held on the first finished event */
    cq_record probe_rec;
    cq_after after;             /* `after` rules: open events of this pipe */
    cq_strbuf fix;              /* a line repaired by cq_utf8_repair / cq_json_repair */
    cq_record env;              /* `split`: the document's other members, added to each element */
    int has_env;                /* env applies to the events being read */
    unsigned long long n_fixed_events;  /* events kept with bytes replaced */
    unsigned long long n_fixed;         /* replacements in them */
    unsigned long long n_no_time;       /* events without a time the format reads */
    unsigned long long no_time_first;   /* the line of the first (0: none) */
} cq_pipe;

void cq_pipe_init(cq_pipe *p, cq_ingest *g, const char *source, cq_ingest_sink sink, void *ctx);
/* Processes one line (without its newline).  Returns 1 if it was malformed. */
int cq_pipe_line(cq_pipe *p, const char *line, size_t len);
/* Reports a malformed line at line_no. */
void cq_pipe_malformed(cq_pipe *p, unsigned long long line_no, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints and counts deferred reports (line numbers + p->base). */
void cq_pipe_flush_msgs(cq_pipe *p);
/* Gives the held-back event to the sink. */
void cq_pipe_emit_prev(cq_pipe *p);
/* End of input: flushes a pending document and the held-back event. */
void cq_pipe_finish(cq_pipe *p);
void cq_pipe_free(cq_pipe *p);

#endif

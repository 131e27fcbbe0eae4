/*
 * after.c - `after` rules: a rule that holds on an event only when an
 * earlier event of the same file matched another rule, at most N seconds
 * before it (and, with `same F`, had the same first value of F).  This is how
 * a container start that follows its create becomes `docker run`.
 *
 * Pairing, as a sequential run over one file does it:
 *   - every event with a _time raises the file's watermark (its newest _time);
 *     an open event more than N seconds older than the watermark is dropped,
 *     so the state holds only the last N seconds of candidates;
 *   - an event that matched a rule named by an `after` line is opened for
 *     that `after` rule (a rule tested on an event never pairs with it);
 *   - an event on which an `after` rule's conditions hold takes the latest
 *     open event that is not newer than it and has its key (docker run
 *     starts what it just created), and that one is closed: a second start
 *     of the same container finds nothing.
 *
 * Parallel ingest parses a job from empty state.  Taking the latest open
 * event makes that exact with two facts per job (cq_after_rerun): the events
 * that found nothing (pend: the lines before the job may have held their
 * partner), and the oldest event a pairing took (the lines before may have
 * raised the watermark past it).  Open events of the lines before are all
 * older than the job's, so a pairing that found a partner in the job finds
 * the same one in a sequential run.  This file knows nothing of Docker.
 */
#include "ingest/ingest_int.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

/* Is t more than within older than wm?  (No overflow for far-apart times.) */
static int too_old(int64_t t, int64_t wm, int64_t within)
{
    int64_t d;
    if (wm == CQ_TIME_NONE)
        return 0;
    if (__builtin_sub_overflow(wm, t, &d))
        return wm > t;
    return d > within;
}

static char *dup_key(const cq_kv *kv)
{
    if (!kv)
        return NULL;
    char *k = cq_xmalloc(kv->val_len + 1);
    memcpy(k, kv->val, kv->val_len);
    k[kv->val_len] = '\0';
    return k;
}

static int key_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (!alen || !memcmp(a, b, alen));
}

/* ---- the key table of a `same` rule ---- */

/* The slot of key (hash h) in q's table: its own, or the empty one where it
 * would go.  The table has at least one empty slot. */
static cq_after_slot *tab_probe(const cq_after_queue *q, const char *key, size_t len, uint64_t h)
{
    size_t mask = q->tab_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        cq_after_slot *sl = &q->tab[i];
        if (sl->key_ev == CQ_AFTER_NONE)
            return sl;
        const cq_after_open *e = &q->v[sl->key_ev];
        if (e->hash == h && key_eq(e->key, e->key_len, key, len))
            return sl;
    }
}

static void tab_reset(cq_after_queue *q, size_t cap)
{
    free(q->tab);
    q->tab_cap = cap;
    q->tab_n = 0;
    q->tab = cq_xmalloc(cap * sizeof *q->tab);
    for (size_t i = 0; i < cap; i++)
        q->tab[i] = (cq_after_slot){CQ_AFTER_NONE, CQ_AFTER_NONE};
}

/* Links the live event i at the head of its key's chain. */
static void tab_link(cq_after_queue *q, size_t i)
{
    if (!q->tab || (q->tab_n + 1) * 2 > q->tab_cap) {
        size_t cap = q->tab_cap ? q->tab_cap * 2 : 64;
        while ((q->n + 1) * 2 > cap)
            cap *= 2;               /* one growth for the whole rebuild */
        tab_reset(q, cap);
        for (size_t k = q->lo; k < i; k++)
            if (!q->v[k].dead)
                tab_link(q, k);
    }
    cq_after_open *e = &q->v[i];
    cq_after_slot *sl = tab_probe(q, e->key, e->key_len, e->hash);
    if (sl->key_ev == CQ_AFTER_NONE) {
        sl->key_ev = (uint32_t)i;
        sl->head = CQ_AFTER_NONE;
        q->tab_n++;
    }
    e->older = sl->head;
    sl->head = (uint32_t)i;
}

/* Keeps the live events of q not too old for wm (in order), frees the rest
 * and rebuilds the table. */
static void compact(cq_after_queue *q, int64_t wm, int64_t within)
{
    size_t j = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].dead || too_old(q->v[i].t_us, wm, within))
            free(q->v[i].key);
        else
            q->v[j++] = q->v[i];
    }
    q->n = j;
    q->lo = q->n_dead = 0;
    q->n_compacted = j;
    free(q->tab);
    q->tab = NULL;
    q->tab_cap = q->tab_n = 0;
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].key)
            tab_link(q, i);
}

static void maybe_compact(cq_after_queue *q, int64_t wm, int64_t within)
{
    if (q->n_dead > q->n - q->n_dead + 32 || q->n > 2 * q->n_compacted + 64)
        compact(q, wm, within);
}

static void kill(cq_after_queue *q, cq_after_open *e)
{
    e->dead = 1;
    q->n_dead++;
}

/* ---- state ---- */

void cq_after_init(cq_after *a, const cq_conf *c)
{
    memset(a, 0, sizeof *a);
    a->wm_us = CQ_TIME_NONE;
    a->n_q = c->n_after;
    a->q = a->n_q ? cq_xcalloc(a->n_q, sizeof *a->q) : NULL;
    for (size_t s = 0; s < a->n_q; s++)
        a->q[s].used_min_us = INT64_MAX;
}

static void clear_pend(cq_after *a)
{
    for (size_t i = 0; i < a->n_pend; i++)
        free(a->pend[i].key);
    a->n_pend = 0;
}

static void queue_free(cq_after_queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->v[i].key);
    free(q->v);
    free(q->tab);
}

void cq_after_free(cq_after *a)
{
    for (size_t s = 0; s < a->n_q; s++)
        queue_free(&a->q[s]);
    free(a->q);
    clear_pend(a);
    free(a->pend);
    memset(a, 0, sizeof *a);
}

void cq_after_see(cq_after *a, const cq_conf *c, int64_t t)
{
    if (t == CQ_TIME_NONE || (a->wm_us != CQ_TIME_NONE && t <= a->wm_us))
        return;                 /* the watermark alone decides what is dropped */
    a->wm_us = t;
    /* Events come mostly in time order: drop the old ones at the front now;
     * the others are skipped by every pairing and go at the next compaction. */
    for (size_t s = 0; s < a->n_q; s++) {
        cq_after_queue *q = &a->q[s];
        int64_t within = c->rules[c->after_rules[s]].within_us;
        while (q->lo < q->n && (q->v[q->lo].dead || too_old(q->v[q->lo].t_us, t, within))) {
            if (!q->v[q->lo].dead)
                kill(q, &q->v[q->lo]);
            q->lo++;
        }
        if (q->lo == q->n && q->n)
            compact(q, t, within);      /* all dead: start over, keys freed */
    }
}

/* The newest live event of q with key (NULL: any) not newer than t and not
 * too old; unlinks from the chain the dead and too-old events it passes. */
static cq_after_open *find_open(cq_after_queue *q, const cq_kv *key, int64_t t, int64_t wm,
                                int64_t within)
{
    if (!key) {
        for (size_t i = q->n; i-- > q->lo; ) {
            cq_after_open *e = &q->v[i];
            if (!e->dead && e->t_us <= t && !too_old(e->t_us, wm, within))
                return e;
        }
        return NULL;
    }
    if (!q->tab)
        return NULL;
    cq_after_slot *sl = tab_probe(q, key->val, key->val_len, cq_hash_key(key->val, key->val_len));
    if (sl->key_ev == CQ_AFTER_NONE)
        return NULL;
    for (uint32_t *link = &sl->head; *link != CQ_AFTER_NONE; ) {
        cq_after_open *e = &q->v[*link];
        if (!e->dead && too_old(e->t_us, wm, within))
            kill(q, e);
        if (e->dead) {
            *link = e->older;           /* never looked at again */
            continue;
        }
        if (e->t_us <= t) {
            *link = e->older;
            return e;
        }
        link = &e->older;
    }
    return NULL;
}

int cq_after_take(cq_after *a, const cq_rule *ru, const cq_record *r)
{
    if (r->time_us == CQ_TIME_NONE)
        return 0;               /* no time, no window: it can never pair */
    const cq_kv *key = ru->same ? cq_record_get(r, ru->same) : NULL;
    if (ru->same && !key)
        return 0;
    cq_after_queue *q = &a->q[ru->after_slot];
    cq_after_open *e = find_open(q, key, r->time_us, a->wm_us, ru->within_us);
    if (e) {
        if (e->t_us < q->used_min_us)
            q->used_min_us = e->t_us;
        kill(q, e);
        while (q->n > q->lo && q->v[q->n - 1].dead && !q->v[q->n - 1].key) {
            q->n--;             /* no key, no table: the tail can go at once */
            q->n_dead--;
        }
        maybe_compact(q, a->wm_us, ru->within_us);
        return 1;
    }
    if (a->record_pend) {
        if (a->n_pend == a->cap_pend) {
            a->cap_pend = a->cap_pend ? a->cap_pend * 2 : 16;
            a->pend = cq_xrealloc(a->pend, a->cap_pend * sizeof *a->pend);
        }
        a->pend[a->n_pend++] = (cq_after_pend){
            .slot = ru->after_slot, .t_us = r->time_us, .wm_us = a->wm_us,
            .key = dup_key(key), .key_len = key ? key->val_len : 0};
    }
    return 0;
}

static void open_event(cq_after_queue *q, int64_t t, const cq_kv *key, int64_t wm,
                       int64_t within)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->v = cq_xrealloc(q->v, q->cap * sizeof *q->v);
    }
    q->v[q->n] = (cq_after_open){.t_us = t, .key = dup_key(key),
                                 .key_len = key ? key->val_len : 0,
                                 .hash = key ? cq_hash_key(key->val, key->val_len) : 0,
                                 .older = CQ_AFTER_NONE};
    if (key)
        tab_link(q, q->n);
    q->n++;
    maybe_compact(q, wm, within);
}

void cq_after_push(cq_after *a, const cq_conf *c, const cq_record *r,
                   const unsigned char *matched)
{
    if (r->time_us == CQ_TIME_NONE)
        return;
    for (size_t s = 0; s < a->n_q; s++) {
        const cq_rule *ru = &c->rules[c->after_rules[s]];
        size_t k = 0;
        while (k < ru->n_after && !matched[ru->after[k]])
            k++;
        if (k == ru->n_after || too_old(r->time_us, a->wm_us, ru->within_us))
            continue;
        const cq_kv *key = ru->same ? cq_record_get(r, ru->same) : NULL;
        if (!ru->same || key)   /* without its key it can never pair */
            open_event(&a->q[s], r->time_us, key, a->wm_us, ru->within_us);
    }
}

/* Would an open event of prev have paired with the unpaired event p? */
static int pairs_before(const cq_after *prev, const cq_after_pend *p, int64_t within)
{
    /* A sequential run reaches p with the watermark of both. */
    int64_t wm = prev->wm_us == CQ_TIME_NONE || p->wm_us > prev->wm_us ? p->wm_us : prev->wm_us;
    const cq_after_queue *q = &prev->q[p->slot];
    if (!p->key) {
        for (size_t i = q->lo; i < q->n; i++)
            if (!q->v[i].dead && q->v[i].t_us <= p->t_us && !too_old(q->v[i].t_us, wm, within))
                return 1;
        return 0;
    }
    if (!q->tab)
        return 0;
    const cq_after_slot *sl = tab_probe(q, p->key, p->key_len, cq_hash_key(p->key, p->key_len));
    if (sl->key_ev == CQ_AFTER_NONE)
        return 0;
    for (uint32_t i = sl->head; i != CQ_AFTER_NONE; i = q->v[i].older)
        if (!q->v[i].dead && q->v[i].t_us <= p->t_us && !too_old(q->v[i].t_us, wm, within))
            return 1;
    return 0;
}

int cq_after_rerun(const cq_after *prev, const cq_after *job, const cq_conf *c)
{
    for (size_t s = 0; s < job->n_q; s++) {
        int64_t used = job->q[s].used_min_us;
        if (used != INT64_MAX &&
            too_old(used, prev->wm_us, c->rules[c->after_rules[s]].within_us))
            return 1;           /* the lines before had dropped that partner */
    }
    for (size_t i = 0; i < job->n_pend; i++) {
        const cq_after_pend *p = &job->pend[i];
        if (prev->q[p->slot].n &&
            pairs_before(prev, p, c->rules[c->after_rules[p->slot]].within_us))
            return 1;
    }
    return 0;
}

void cq_after_merge(cq_after *job, cq_after *prev, const cq_conf *c)
{
    clear_pend(job);
    job->record_pend = 0;
    for (size_t s = 0; s < job->n_q; s++)
        job->q[s].used_min_us = INT64_MAX;
    if (!prev)
        return;
    if (job->wm_us == CQ_TIME_NONE || prev->wm_us > job->wm_us)
        job->wm_us = prev->wm_us;
    for (size_t s = 0; s < job->n_q; s++) {
        int64_t within = c->rules[c->after_rules[s]].within_us;
        cq_after_queue *pq = &prev->q[s], *jq = &job->q[s];
        if (pq->n) {
            /* prev's events are older in the file: they go first. */
            pq->v = cq_xrealloc(pq->v, (pq->n + jq->n) * sizeof *pq->v);
            if (jq->n)
                memcpy(pq->v + pq->n, jq->v, jq->n * sizeof *jq->v);
            free(jq->v);
            jq->v = pq->v;
            jq->n += pq->n;
            jq->cap = jq->n;
            pq->v = NULL;
            pq->n = pq->cap = 0;
        }
        free(pq->tab);
        pq->tab = NULL;
        pq->tab_cap = pq->tab_n = pq->lo = pq->n_dead = pq->n_compacted = 0;
        compact(jq, job->wm_us, within);
    }
}

/*
 * ckpt.h - a background thread that checkpoints the index's WAL after each
 * commit of an ingest (ckpt.c says why).
 */
#ifndef CQ_INDEX_CKPT_H
#define CQ_INDEX_CKPT_H

typedef struct cq_ckpt cq_ckpt;

/* Opens a second connection to the index at path and starts the thread;
 * NULL when either fails (the writer then checkpoints as SQLite does). */
cq_ckpt *cq_ckpt_start(const char *path);
/* A commit happened: checkpoint what it wrote (returns at once). */
void cq_ckpt_poke(cq_ckpt *c);
/* Waits until every commit poked so far is checkpointed.  The writer's
 * next transaction then restarts the WAL from its start (SQLite does that
 * only when the WAL was wholly checkpointed as the transaction began). */
void cq_ckpt_wait(cq_ckpt *c);
/* Waits for a running checkpoint, ends the thread, closes its connection.
 * Call before closing the writer's connection. */
void cq_ckpt_stop(cq_ckpt *c);

#endif

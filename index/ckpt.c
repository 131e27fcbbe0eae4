/*
 * ckpt.c - WAL checkpoints on a thread of their own while ingest writes.
 *
 * Why: in WAL mode every page is written twice, to the WAL at commit and
 * into the database by a checkpoint.  Left to SQLite, the checkpoint runs
 * inside the writer's COMMIT (and at close), after all the parsing: on a
 * 1 GB ingest that serial tail was 3.5 s of 12 (fsync of a 557 MB WAL,
 * the copy, fsync of the database, unlinking the WAL).  The writer commits
 * in chunks instead (index.c) and pokes this thread after each commit; a
 * PASSIVE checkpoint on its own connection copies the committed frames and
 * syncs while the parsers keep both cores busy, never blocking the writer
 * or a reader.  Once a checkpoint has caught up, the writer's next
 * transaction restarts the WAL from its start, so the WAL stays a few
 * chunks long and the close has little left to do.
 */
#include "index/ckpt.h"
#include "common/arena.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

struct cq_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *db;
    uint64_t poked;             /* commits so far */
    uint64_t done;              /* commits checkpointed (or tried) */
    int stop;
};

static void *ckpt_main(void *arg)
{
    cq_ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->done == c->poked && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        uint64_t upto = c->poked;
        pthread_mutex_unlock(&c->mu);
        /* Busy or failed: the next poke, or the close, does it. */
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->done = upto;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

cq_ckpt *cq_ckpt_start(const char *path)
{
    cq_ckpt *c = cq_xcalloc(1, sizeof *c);
    /* A connection knows the file is in WAL mode once it has read it: until
     * then a checkpoint does nothing. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    return c;
}

void cq_ckpt_poke(cq_ckpt *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->poked++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void cq_ckpt_wait(cq_ckpt *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    while (c->done != c->poked)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

void cq_ckpt_stop(cq_ckpt *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    /* Not the last connection (the writer's is open): no checkpoint here. */
    sqlite3_close(c->db);
    free(c);
}

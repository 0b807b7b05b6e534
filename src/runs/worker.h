/*
 * worker — the pool of threads that claim queued runs and execute them, plus one monitor thread that, for the runs
 * this instance owns: refreshes heartbeatat, flushes progress about once a second, enforces each run's timeout and
 * delivers cancels (flag + PQcancel of the statement in flight, repeated until the job stops).
 *
 * A run never pays for a lost connection (issue 11): when the database goes away under a job, its worker reconnects
 * the same connection in place with backoff (the URL's host list finds a promoted standby) and records the run's end
 * itself, with a lasterror saying what happened (runs/conn_loss.h); meanwhile the run stays registered, so the
 * monitor keeps heartbeating it and the leader's rescue leaves it alone. Only shutdown stops the retries.
 *
 * Lock order: pool->mu is never held while talking to Postgres, except for PQcancel, which only writes to a socket.
 */
#ifndef COMICBATCH_WORKER_H
#define COMICBATCH_WORKER_H

#include <jansson.h>
#include <stdbool.h>

#include "store/runstore.h"

struct runs_env;
struct worker_pool;

/** Starts `nworkers` claiming threads (0 for the CLI) and the monitor. NULL with `err` on failure. */
struct worker_pool *worker_pool_create(struct runs_env *env, int nworkers, char *err, size_t errlen);

/** Wakes idle workers to claim (called on NOTIFY comicbatch_queue). */
void worker_pool_wake(struct worker_pool *p);

/** Cancels run `id` if this instance is executing it. Returns true if it was ours. */
bool worker_pool_cancel(struct worker_pool *p, const char *id, int reason);

/**
 * Executes a claimed run on the calling thread with connection `db` and records its end, reconnecting `db` in place
 * if it was lost. Used by the workers and by the synchronous CLI `run`. Returns the final run JSON (new reference)
 * or NULL if it could not be read back.
 */
json_t *worker_execute(struct worker_pool *p, PGconn *db, struct claimed_run *run);

/** How many runs this instance is executing now (for the service STATUS= line). */
int worker_pool_active_count(struct worker_pool *p);

/** Stops claiming, interrupts running jobs (they end failed: "instance shut down"), joins every thread, frees. */
void worker_pool_destroy(struct worker_pool *p);

#endif

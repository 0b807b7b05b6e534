/*
 * leader — one instance at a time (a session advisory lock on a dedicated connection) runs the scheduler, the
 * rescue sweep of runs whose instance died, and run retention. The others retry the lock every few seconds and
 * take over when the leader's connection dies. The scheduler never runs a job: it enqueues.
 */
#ifndef COMICBATCH_LEADER_H
#define COMICBATCH_LEADER_H

#include <libpq-fe.h>
#include <time.h>

struct app;
struct leader;

/** Starts the leader thread. NULL with `err` on failure. */
struct leader *leader_create(struct app *app, char *err, size_t errlen);

/** Wakes the loop early (schedule changed). */
void leader_wake(struct leader *l);

/** Stops the thread (releasing the lock with its connection) and frees. */
void leader_destroy(struct leader *l);

/** Inserts a schedule row for every registry job that has none. Returns 0 or -1. */
int leader_seed_schedule(PGconn *db);

/** Fails runs whose instance is gone; returns the number rescued or -1. Exposed for the CLI and tests. */
int leader_rescue(struct app *app, PGconn *db);

/** Enqueues due slots at `now`; returns runs enqueued or -1. */
int leader_schedule_tick(struct app *app, PGconn *db, time_t now);

#endif

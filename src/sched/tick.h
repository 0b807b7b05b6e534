/*
 * tick — the scheduler loop's one step (DESIGN §3): for every enabled schedule row, decide at `now` (pure:
 * scheduler.h) and, when a slot is due, move `nextrunat` and enqueue the slot in one transaction. The scheduler
 * never runs a job: it enqueues. What it needs to know about jobs (their default cron and misfire policy) and how a
 * scheduled run is enqueued come from its host — the run model above it (runs/scheduling.c) — so sched/ depends on
 * nothing above store/.
 */
#ifndef COMICBATCH_TICK_H
#define COMICBATCH_TICK_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sched/scheduler.h"
#include "store/runstore.h"

struct config;
struct metrics;

/** What the scheduler needs of one job. */
struct sched_job {
    const char *key;
    const char *cron;             /* its default expression (settings, else the registry's) */
    enum misfire_policy misfire;  /* its default policy ([job.KEY] misfire, else the registry's) */
    bool enabled;                 /* scheduled by default (when its schedule row is first made) */
};

/** The run model as the scheduler sees it. Every callback gets `arg`. */
struct sched_host {
    void *arg;
    /** Fills `out` for the i-th job of this build; false past the last. */
    bool (*job_at)(void *arg, size_t i, struct sched_job *out);
    /** Fills `out` for `jobkey`; false when this build does not know the job. */
    bool (*job)(void *arg, const char *jobkey, struct sched_job *out);
    /** Enqueues a scheduled run of `jobkey` for `slot` on `db`, inside the caller's transaction. */
    enum enqueue_result (*enqueue)(void *arg, PGconn *db, const char *jobkey, time_t slot);
    /** Told about each run the leader's rescue failed (the alert path). */
    void (*rescued)(void *arg, PGconn *db, const struct rescued_run *run);
};

/** Settings and sinks of a tick (borrowed). */
struct sched_env {
    const struct sched_host *host;
    const struct config *cfg; /* misfire grace */
    struct metrics *metrics;  /* misfires and overlaps */
    /**
     * Opens the transaction of a leader-only write on `db`: BEGIN, then the leader's epoch fence (sched/leader.c).
     * Returns 0 when this instance may write, -1 when not (no transaction is left open). NULL: a plain BEGIN.
     */
    int (*begin)(void *arg, PGconn *db);
    void *begin_arg;
};

/** Inserts a schedule row for every job of the host that has none. Returns 0 or -1. */
int sched_seed(PGconn *db, const struct sched_host *host);

/** Enqueues the slots due at `now`. Returns the runs enqueued, or -1. */
int sched_tick(PGconn *db, time_t now, const struct sched_env *env);

#endif

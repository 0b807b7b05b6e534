/*
 * tick — the scheduler loop's one step (DESIGN §3): for every schedule row, decide at `now` (pure: scheduler.h,
 * slots.h) and, when a slot is due, move `nextrunat` and enqueue the slot in one transaction. The scheduler never
 * runs a job: it enqueues. What it needs to know about jobs (their default cron and misfire policy, whether they can
 * run here) and how a scheduled run is enqueued come from its host — the run model above it (runs/scheduling.c) —
 * so sched/ depends on nothing above store/.
 *
 * Every write of a tick is a leader-only write: it happens in a transaction opened by env->begin (the leader's
 * epoch fence, issue 11), so a deposed leader writes nothing.
 *
 * Every slot that produces no run is written to the missed-slot ledger (store/slotledger.h) with its reason, in the
 * transaction that decides it:
 *  - overlap: the enqueue hit the job's active run (its lock key); nextrunat moves on.
 *  - misfire-skipped / no-leader: found later than the misfire grace; `no-leader` when the slot is older than this
 *    instance's leadership (nobody was leading then), else `misfire-skipped`. `once` runs the latest of them.
 *  - paused / unavailable: a pause covers the job, or the host says it cannot run; nothing is enqueued and
 *    nextrunat stays where it is, so when the pause ends (or the job is back) its misfire policy decides about the
 *    slots in between, like after downtime (`once`: one catch-up run). Each slot is recorded once as it passes.
 *  - disabled: an operator disabled the job; its would-be slots are tracked in `disablednext`.
 *  - invalid-schedule: the stored expression does not parse or its zone cannot be loaded: the due slot is
 *    recorded (and the error logged once for it) instead of the job silently never firing again.
 *  - invalid-params: the host refused to enqueue the slot (ENQUEUE_REFUSED: the schedule's params no longer
 *    validate against the job's declared params); nextrunat moves on like after an overlap and the refusal is
 *    logged once per slot. Only a refusal is recorded: a database error (ENQUEUE_ERROR) rolls the whole step back,
 *    nextrunat included, and the next tick tries the slot again.
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
    const char *cron;            /* its default expression (settings, else the registry's) */
    enum misfire_policy misfire; /* its default policy ([job.KEY] misfire, else the registry's) */
    bool enabled;                /* scheduled by default (when its schedule row is first made) */
};

/** The run model as the scheduler sees it. Every callback gets `arg`. */
struct sched_host {
    void *arg;
    /** Fills `out` for the i-th job of this build; false past the last. */
    bool (*job_at)(void *arg, size_t i, struct sched_job *out);
    /** Fills `out` for `jobkey`; false when this build does not know the job. */
    bool (*job)(void *arg, const char *jobkey, struct sched_job *out);
    /** True when `jobkey` can run on this database now; false with a sentence in `reason` (always terminated). */
    bool (*available)(void *arg, const char *jobkey, char *reason, size_t reasonlen);
    /**
     * Enqueues a scheduled run of `jobkey` for `slot` on `db`, inside the caller's transaction, with `params` (the
     * schedule row's JSON object text; NULL or "" = the job's defaults). On ENQUEUE_CONFLICT `why` says which run
     * holds the job; on ENQUEUE_REFUSED (nothing sent to `db`: the slot is recorded as `invalid-params`), why the
     * request is refused; on ENQUEUE_ERROR (a database failure: the step is rolled back and tried again), what
     * went wrong, as one line (it goes into the log and the ledger).
     */
    enum enqueue_result (*enqueue)(void *arg, PGconn *db, const char *jobkey, time_t slot, const char *params,
                                   char *why, size_t whylen);
    /**
     * Queues the retry of a run the leader's rescue failed, when its job allows one, inside the rescue's fenced
     * transaction on `db` (so a deposed leader writes neither). 0 (queued or none due) or -1 (the rescue is rolled
     * back and tried again on the next sweep).
     */
    int (*rescued_retry)(void *arg, PGconn *db, const struct rescued_run *run);
    /** Told about each run the leader's rescue failed, after the rescue committed (the alert path). */
    void (*rescued)(void *arg, PGconn *db, const struct rescued_run *run);
    /** A leader duty every few seconds: checks every job's deadline at `now` (alerts once per breach). */
    void (*check_deadlines)(void *arg, PGconn *db, time_t now);
};

/**
 * The leader's memory of each job's failed enqueues of its current slot (a database error: the step rolls back and
 * is tried again next tick), so that a slot they finally lose to the misfire grace says why in the ledger.
 */
#define SCHED_MAX_FAILING 32
struct sched_enqueue_failures {
    int n;
    struct {
        char jobkey[64];
        time_t slot;
        int tries;
        char why[200];
    } e[SCHED_MAX_FAILING];
};

/** Settings and sinks of a tick (borrowed). */
struct sched_env {
    const struct sched_host *host;
    const struct config *cfg; /* misfire grace */
    struct metrics *metrics;  /* misfires, overlaps, missed slots */
    time_t leader_since;      /* when this instance became the leader: older missed slots had no leader */
    const char *instance;     /* this instance's name, for the ledger's sentences */
    struct sched_enqueue_failures *failures; /* kept across ticks by the leader; NULL: not kept */
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

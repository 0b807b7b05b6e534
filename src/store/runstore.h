/*
 * runstore — every statement on system.batchrun, and the only place one is written: enqueue (the partial unique
 * index turns a second active run of a lock key into a conflict), claim (FOR UPDATE SKIP LOCKED), heartbeat,
 * progress, finish, cancel, list/filter/page, the live views (active runs, in-flight run of a lock key, last run of
 * each job, last success of each job), the leader's rescue and retention, retries (a failed run's next attempt,
 * held in the queue until its backoff passed), the alert streak of final failures — and the JSON shape of a run
 * (store/runjson.h). It knows rows, not jobs: what a run's lock key,
 * timeout and stored params are is decided above it (runs/runs.c).
 */
#ifndef COMICBATCH_RUNSTORE_H
#define COMICBATCH_RUNSTORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store/pg.h"
#include "store/runjson.h"

/**
 * What an enqueue did. ENQUEUE_ERROR: the database failed (the statement, the connection): the caller's transaction
 * is lost and the same request may succeed when tried again. ENQUEUE_REFUSED: the request itself cannot be enqueued
 * (its params do not validate, the job is unknown) and nothing was sent to the database, so the transaction is
 * intact; trying the same request again is refused again. The store never returns it; the run model above does.
 */
enum enqueue_result { ENQUEUE_OK = 0, ENQUEUE_CONFLICT = 1, ENQUEUE_ERROR = -1, ENQUEUE_REFUSED = 2 };

/** A new run's row, as decided by the run service. */
struct run_new {
    const char *jobkey;
    const char *lockkey;  /* jobkey, or jobkey:scope */
    const json_t *params; /* validated and resolved: stored as they are */
    bool dryrun;
    const char *triggeredby; /* "scheduler" | "admin" */
    const char *userid;      /* users.account.id of the admin (text), or NULL */
    time_t scheduledfor;     /* cron slot, 0 for manual runs */
    int64_t timeout_ms;
};

/** Inserts a queued run. On ENQUEUE_OK `*run` gets the new run's JSON (new reference) when `run` is not NULL. */
enum enqueue_result runstore_enqueue(PGconn *c, const struct run_new *q, json_t **run);

/** A run by id as JSON (new reference), or NULL when absent or on error (`*db_error` set on error). */
json_t *runstore_get(PGconn *c, const char *id, bool *db_error);

struct run_filter {
    const char *jobkey, *status, *triggeredby;
    time_t from, to; /* createdat bounds, inclusive; to < 0: no upper bound (the default, "now") */
    int page, limit;
};

/**
 * Lists runs matching `f`, newest first (createdat DESC, id DESC), with the exact number of matching runs, in one
 * statement whose cost does not grow with the page number or the table (per-hour counts, migration 010). Returns 0
 * with `*items` (the page as JSON array text, malloc'd: the caller frees it) and `*total`, or -1.
 */
int runstore_list(PGconn *c, const struct run_filter *f, char **items, int64_t *total);

/**
 * Cancels the active runs of `jobkey` (or only run `id` when given): queued ones become `cancelled` at once;
 * running ones get cancelrequestedat (their instance stops them). Returns the number of runs touched, -1 on error;
 * `*ids` gets an array of {id, status-after-this-statement}.
 */
int runstore_request_cancel(PGconn *c, const char *jobkey, const char *id, json_t **ids);

/** A run claimed by a worker: what it needs to execute. `params` is a new reference. */
struct claimed_run {
    char id[37];
    char jobkey[128];
    json_t *params;
    bool dryrun;
    int64_t timeout_ms;
    bool scheduled;
    double skew_seconds; /* start - scheduledfor, for scheduled runs */
    int attempt;         /* 1, or the retry's number (runs/retry.h) */
    bool no_retry;       /* set by the caller: a failure is not retried (the synchronous CLI `run`) */
};

/**
 * Claims the oldest queued run whose `notbefore` has passed for this instance (FOR UPDATE SKIP LOCKED) and marks it
 * running. Returns 1 claimed, 0 none claimable, -1 error.
 */
int runstore_claim(PGconn *c, const char *instance, int instance_no, struct claimed_run *out);

/** Milliseconds until the earliest waiting retry may be claimed (0 if one already may), or -1 when none waits. */
int64_t runstore_next_delayed_ms(PGconn *c);

/**
 * Queues the next attempt of failed run `failed_id`: a new run with the same job, lock key, params, trigger and
 * timeout, `attempt` one more, `retryof` = the failed run, claimable `delay_ms` from now. Nothing when the run is
 * not `failed` (a cancel is never retried), is a dry run, already has a retry, or its attempt is `max_attempts`
 * already. Call it in the transaction that failed the run, so the lock key passes straight to the retry. Returns 1
 * queued (`*run` gets its JSON when not NULL), 0 not, -1 error.
 */
int runstore_retry(PGconn *c, const char *failed_id, int max_attempts, int64_t delay_ms, json_t **run);

/** Inserts a run directly as running for this instance (the synchronous CLI `run`). 1 ok, 0 conflict, -1 error. */
int runstore_start_inline(PGconn *c, const struct run_new *q, const char *instance, int instance_no,
                          struct claimed_run *out);

/** Final state of a run owned by `instance_no`. `meta` borrowed, `error` may be NULL. Returns 1 written, 0 if the
 * run was no longer ours (rescued meanwhile), -1 error. */
int runstore_finish(PGconn *c, const char *id, int instance_no, const char *status, int64_t rowsaffected,
                    const char *error, const json_t *meta, int64_t progress_done, int64_t progress_total);

/**
 * Refreshes heartbeatat of the runs `ids` (a uuid[] literal "{a,b}") still running for `instance_no`. Returns the
 * rows found (PQclear it): column 0 the id, column 1 whether a cancel was requested; NULL on error.
 */
PGresult *runstore_heartbeat(PGconn *c, int instance_no, const char *ids);

/** Stores a running run's progress. Returns 0 or -1. */
int runstore_progress(PGconn *c, const char *id, int64_t done, int64_t total);

/**
 * The live view: queued and running runs plus those finished in the last `recent_seconds`, at most `max`, oldest
 * first, as one compact JSON array text (malloc'd, one line). NULL on error.
 */
char *runstore_active_json(PGconn *c, int recent_seconds, int max);

/** Queued/running counts by job and status: a JSON array of {jobkey, status, count} (new reference), or NULL. */
json_t *runstore_active_counts(PGconn *c);

/**
 * The queued or running run holding `lockkey` as the API's run JSON (new reference), or NULL (none or error).
 * `*session_gone` (may be NULL) tells whether it is running for an instance whose session is gone (the leader's
 * rescue fails such a run once its heartbeat is old enough).
 */
json_t *runstore_inflight(PGconn *c, const char *lockkey, bool *session_gone);

/**
 * A brief of the run holding `lockkey` ({id, jobkey, status, triggeredby, progressdone, progresstotal, startedat,
 * createdat}; new reference), or JSON null when none. NULL on error.
 */
json_t *runstore_inflight_brief(PGconn *c, const char *lockkey);

/**
 * The latest run (createdat, then id) of each job in `jobkeys` (JSON array of strings): an object jobkey → run JSON
 * (new reference), or NULL on error. Ten index probes per job whatever its history holds.
 */
json_t *runstore_last_runs(PGconn *c, const json_t *jobkeys);

/** One run the rescue failed. */
struct rescued_run {
    char id[37];
    char jobkey[128];
    char lasterror[512];
    int attempt;
};

/**
 * The leader's rescue (DESIGN §3): fails `running` runs whose instance no longer holds its instance lock (after
 * `dead_grace_s` without a heartbeat) or whose heartbeat is older than `lease_s`, with a lasterror naming the
 * instance. Writes up to `max` of them into `out`; returns how many were failed, or -1.
 */
int runstore_rescue(PGconn *c, int lease_s, int dead_grace_s, struct rescued_run *out, int max);

/**
 * Deletes up to `limit` finished runs older than `days` (one batch: the leader fences each batch with its epoch and
 * asks for the next one while a batch comes back full). Returns the number deleted, or -1.
 */
int64_t runstore_retention(PGconn *c, int days, int limit);

/**
 * The number of final failures at the head of `jobkey`'s finished history, looking at most `limit` + 1 runs back;
 * `lasterror` gets the latest one's error. A failure that was retried is not final (its retry decides), cancelled
 * runs are ignored. Returns the streak, or -1.
 */
int runstore_failure_streak(PGconn *c, const char *jobkey, int limit, char *lasterror, size_t errlen);

/**
 * The finish time of the latest successful run (status done, not a dry run) of each job in `jobkeys` (JSON array
 * of strings): an object jobkey → Unix seconds (new reference; jobs without one are absent), or NULL on error.
 */
json_t *runstore_last_success(PGconn *c, const json_t *jobkeys);

#endif

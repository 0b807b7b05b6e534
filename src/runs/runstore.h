/*
 * runstore — every statement on system.batchrun: enqueue (the partial unique index turns a second active run of a
 * lock key into a conflict), claim (FOR UPDATE SKIP LOCKED), finish, cancel, list/filter/page, and the JSON shape
 * of a run (the seed's BatchJobRun plus our progress/params fields), built in one place.
 */
#ifndef COMICBATCH_RUNSTORE_H
#define COMICBATCH_RUNSTORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jobs/registry.h"

enum enqueue_result { ENQUEUE_OK = 0, ENQUEUE_CONFLICT = 1, ENQUEUE_ERROR = -1 };

struct enqueue_req {
    const struct job_def *job;
    const json_t *params;    /* validated */
    bool dryrun;
    const char *triggeredby; /* "scheduler" | "admin" */
    const char *userid;      /* users.account.id of the admin, or NULL */
    time_t scheduledfor;     /* cron slot, 0 for manual runs */
    int64_t timeout_ms;
    const struct config *cfg; /* for jobs with resolve_params (params filled from settings); may be NULL */
};

#define RUN_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/**
 * The SQL expression that renders a system.batchrun row aliased `r` as the API's JSON object (the seed's
 * BatchJobRun plus params, dryrun, progress, lock and instance fields). Every query that returns runs uses it.
 */
#define RUN_JSON_SQL \
    "json_build_object('id', r.id, 'jobkey', r.jobkey, 'status', r.status, 'triggeredby', r.triggeredby," \
    " 'triggeredbyuserid', r.triggeredbyuserid, 'startedat', " RUN_ISO("r.startedat") "," \
    " 'finishedat', " RUN_ISO("r.finishedat") ", 'durationms', r.durationms, 'rowsaffected', r.rowsaffected," \
    " 'lasterror', r.lasterror, 'meta', r.meta, 'createdat', " RUN_ISO("r.createdat") "," \
    " 'params', r.params, 'dryrun', r.dryrun, 'lockkey', r.lockkey," \
    " 'scheduledfor', " RUN_ISO("r.scheduledfor") ", 'instance', r.instance," \
    " 'heartbeatat', " RUN_ISO("r.heartbeatat") ", 'cancelrequestedat', " RUN_ISO("r.cancelrequestedat") "," \
    " 'progressdone', r.progressdone, 'progresstotal', r.progresstotal, 'timeoutms', r.timeoutms)"

struct config;

/** The timeout a new run of `job` gets: [job.KEY] timeout, else the job's own, else runs.default_timeout. */
int64_t runstore_job_timeout(const struct config *cfg, const struct job_def *job);

/** Lock key for a run of `job` with validated `params`: key, or key:scope. Writes into buf. */
void runstore_lockkey(const struct job_def *job, const json_t *params, char *buf, size_t buflen);

/** Inserts a queued run. On ENQUEUE_OK `*run` gets the new run's JSON (new reference) when `run` is not NULL. */
enum enqueue_result runstore_enqueue(PGconn *c, const struct enqueue_req *q, json_t **run);

/** A run by id as JSON (new reference), or NULL when absent or on error (`*db_error` set on error). */
json_t *runstore_get(PGconn *c, const char *id, bool *db_error);

struct run_filter {
    const char *jobkey, *status, *triggeredby;
    time_t from, to; /* createdat bounds, inclusive; to < 0: no upper bound (the default, "now") */
    int page, limit;
};

/** Lists runs matching `f`, newest first. Returns 0 with `*items` (array) and `*total`, or -1. */
int runstore_list(PGconn *c, const struct run_filter *f, json_t **items, int64_t *total);

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
};

/**
 * Claims the oldest queued run for this instance (FOR UPDATE SKIP LOCKED) and marks it running.
 * Returns 1 claimed, 0 none queued, -1 error.
 */
int runstore_claim(PGconn *c, const char *instance, int instance_no, struct claimed_run *out);

/** Inserts a run directly as running for this instance (the synchronous CLI `run`). 1 ok, 0 conflict, -1 error. */
int runstore_start_inline(PGconn *c, const struct enqueue_req *q, const char *instance, int instance_no,
                          struct claimed_run *out);

/** Final state of a run owned by `instance_no`. `meta` borrowed, `error` may be NULL. Returns 1 written, 0 if the
 * run was no longer ours (rescued meanwhile), -1 error. */
int runstore_finish(PGconn *c, const char *id, int instance_no, const char *status, int64_t rowsaffected,
                    const char *error, const json_t *meta, int64_t progress_done, int64_t progress_total);

#endif

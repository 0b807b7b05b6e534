/*
 * retry — a failed run is retried as a new run linked to it (`attempt` + 1, `retryof` = the failed run), held in
 * the queue until its backoff has passed, until the job's max attempts have failed. Exponential backoff with
 * "equal jitter": before attempt n+1 the run waits d/2 + rand·d/2 where d = base·2^(n-1), capped at
 * `[runs] retry_delay_max` — so, below the cap, each wait is at least as long as any the one before could have been
 * (d/2 ≥ the previous d), past it waits stay between half the cap and the cap, and retries of many jobs failing
 * together spread out. A cancelled run is never retried (only status
 * `failed` is), nor is a dry run or a run of the synchronous CLI `run`. Settings: the schedule row's `maxattempts` /
 * `retrydelay` (API), else `[job.KEY] max_attempts` / `retry_delay`, else 1 (no retry) / 30 s.
 */
#ifndef COMICBATCH_RETRY_H
#define COMICBATCH_RETRY_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

struct config;
struct job_def;
struct sched_row;

#define RETRY_DEFAULT_ATTEMPTS 1
#define RETRY_DEFAULT_DELAY_MS 30000

/** How a job's failed runs are retried. */
struct retry_policy {
    int max_attempts; /* 1 = no retry */
    int64_t base_ms;  /* backoff before the first retry (d of attempt 1) */
    int64_t max_ms;   /* cap of d */
};

/**
 * The backoff before the attempt after failed attempt `attempt` (1-based): d/2 + r·d/2 with d = base·2^(attempt-1)
 * capped at `max_ms`; `r` in [0, 1) is the jitter. Pure.
 */
int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, double r);

/** The policy of `job`: the schedule row's settings (`row` may be NULL), else its [job.KEY] ones, else defaults. */
void retry_policy(const struct config *cfg, const char *jobkey, const struct sched_row *row, struct retry_policy *out);

/**
 * After run `run_id` (attempt `attempt`) of `jobkey` failed: queues its retry when the policy allows, inside the
 * caller's transaction (the one that failed the run). Returns 1 queued (`*delay_ms` gets the backoff, `*run` the
 * new run's JSON when not NULL), 0 not retried (last attempt, dry run, cancelled…), -1 error.
 */
int retry_queue(PGconn *db, const struct config *cfg, const char *jobkey, const char *run_id, int attempt,
                int64_t *delay_ms, json_t **run);

#endif

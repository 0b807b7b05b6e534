/*
 * deadlines — "did it run at all?": each job may have to have succeeded within a window (its deadline). The window
 * is the schedule row's `deadline` (API; 0 = off), else `[job.KEY] deadline`, else the default: twice the cron's
 * longest interval (sched/slots.h), which applies only while the job is enabled and configured (a job lacking a
 * setting it needs is unavailable, never scheduled: contract/check.h). An explicit deadline is a promise
 * that holds even while the job is disabled (a job switched off by mistake alerts). It is measured from the job's
 * last success (a run `done`, not a dry run, however triggered) or, when later, from when the job became expected
 * to run (its schedule row's creation, its last enabling, its deadline's change). Past it the job is overdue: the
 * leader raises the alert (runs/alerts.h) once per breach, the jobs page shows it, and /metrics exports
 * comicbatch_job_last_success_timestamp_seconds and comicbatch_job_deadline_seconds per job (read from Postgres at
 * scrape time: every instance reports the cluster's values).
 */
#ifndef COMICBATCH_DEADLINES_H
#define COMICBATCH_DEADLINES_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct runs_env;
struct config;
struct job_def;
struct sched_row;

/** One job's deadline at an instant. */
struct deadline {
    const char *source; /* "schedule" | "config" | "default"; NULL: no deadline applies */
    int64_t seconds;    /* the window, > 0 when a deadline applies */
    time_t lastsuccess; /* 0: none kept */
    time_t reference;   /* what it is measured from: the last success, or when the job became expected */
    time_t dueby;       /* reference + seconds */
    bool overdue;       /* now > dueby */
};

/**
 * Resolves the deadline of `job` at `now` from its schedule row (`row` may be NULL: none yet) and the finish time
 * of its last success (0: none). Pure but for reading the settings.
 */
void deadline_resolve(const struct config *cfg, const struct job_def *job, const struct sched_row *row,
                      time_t lastsuccess, time_t now, struct deadline *out);

/** The deadline as the API shows it: {seconds, source, lastsuccess, measuredfrom, dueby, overdue}, or JSON null. New. */
json_t *deadline_json(const struct deadline *d);

/**
 * The deadline of every job of the registry at `now` (in registry order) into a malloc'd array of `*n` (caller
 * frees). Returns 0, or -1 on a database error.
 */
int deadlines_all(PGconn *c, const struct config *cfg, time_t now, struct deadline **out, size_t *n);

/** The leader's duty (sched_host.check_deadlines): alerts, once per breach, every job overdue at `now`. */
void deadlines_check(struct runs_env *env, PGconn *db, time_t now);

/**
 * The per-job gauges in Prometheus text (malloc'd; NULL on a database error): the last success (or, for a job with
 * a deadline and no success since it became expected, that moment) and the deadline of jobs that have one.
 */
char *deadlines_metrics(PGconn *c, const struct config *cfg, time_t now);

#endif

/*
 * schedule — the schedule as the API and the CLI show and change it (seed §6): one entry per registry job with its
 * effective cron (the stored override or the default; its time zone is the expression's `CRON_TZ=` prefix, shown
 * apart as `timezone`), enabled flag, last run and next run, misfire policy, dry-run support and params; the params
 * scheduled runs use, retries, the deadline and whether the job is overdue, its missed slots of the last day and
 * any pause covering it. And the PATCH that changes any of these, recomputes nextrunat and writes its audit row in
 * the same transaction (the schedule row's trigger then NOTIFYs every instance: hot reload, no restart).
 */
#ifndef COMICBATCH_SCHEDULE_H
#define COMICBATCH_SCHEDULE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jobs/registry.h"
#include "store/audit.h"

struct config;

/** The ScheduleEntry of every job at `now`, or only of `only` when not NULL: a JSON array (new reference), or NULL. */
json_t *schedule_entries(PGconn *c, const struct config *cfg, const struct job_def *only, time_t now);

/** A PATCH of one job's schedule; the fields were checked by the caller (types and ranges). */
struct schedule_patch {
    int isenabled;         /* 0/1, -1 unchanged */
    const char *cron;      /* a valid expression, or NULL unchanged */
    const char *timezone;  /* an IANA zone that loads, "UTC" (no zone), or NULL unchanged */
    bool set_params;       /* change the scheduled runs' params to `params` */
    const json_t *params;  /* validated object as given (borrowed); NULL: back to the job's defaults */
    int maxattempts;       /* SCHED_KEEP, 0 back to the default, 1..20 */
    int64_t retrydelay_ms; /* SCHED_KEEP, 0 back to the default, > 0 */
    int64_t deadline_ms;   /* SCHED_KEEP, -1 back to the default, 0 off, > 0 */
};

/** What schedule_patch answers. */
enum schedule_patch_result {
    SCHEDULE_PATCH_OK = 0,
    SCHEDULE_PATCH_ERROR = -1,  /* rolled back; logged by the store */
    SCHEDULE_PATCH_INVALID = 1, /* the resulting expression is not valid: `field` and `err` say why; rolled back */
};

/**
 * Applies `pt` to `job`'s schedule at `now` and writes the audit row (before/after) in one transaction. A new
 * `timezone` rewrites the zone prefix of the resulting expression (the new cron, else the current one), which is then
 * stored as the job's override.
 */
enum schedule_patch_result schedule_patch(PGconn *c, const struct config *cfg, const struct job_def *job,
                                          const struct schedule_patch *pt, const struct audit_actor *who, time_t now,
                                          char *field, size_t fieldlen, char *err, size_t errlen);

/**
 * Writes `expr` with its zone prefix replaced by `zone` ("UTC": no prefix) into `out`. Returns 0, or -1 when the
 * result would be longer than CRON_MAX_EXPR.
 */
int schedule_with_zone(const char *expr, const char *zone, char *out, size_t outlen);

#endif

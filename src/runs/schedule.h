/*
 * schedule — the schedule as the API and the CLI show and change it (seed §6): one entry per registry job with its
 * effective cron (the stored override or the default), enabled flag, last run and next run, misfire policy, dry-run
 * support and params; and the PATCH that changes isenabled/cron, recomputes nextrunat and writes its audit row in
 * the same transaction (the schedule row's trigger then NOTIFYs every instance: hot reload, no restart).
 */
#ifndef COMICBATCH_SCHEDULE_H
#define COMICBATCH_SCHEDULE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <time.h>

#include "jobs/registry.h"
#include "store/audit.h"

struct config;

/** The ScheduleEntry of every job, or only of `only` when not NULL: a JSON array (new reference), or NULL. */
json_t *schedule_entries(PGconn *c, const struct config *cfg, const struct job_def *only);

/** A PATCH of one job's schedule. */
struct schedule_patch {
    int isenabled;    /* 0/1, -1 unchanged */
    const char *cron; /* a valid expression, or NULL unchanged */
};

/**
 * Applies `pt` to `job`'s schedule at `now` and writes the audit row (before/after) in one transaction. Returns 0,
 * or -1 (rolled back; logged by the store).
 */
int schedule_patch(PGconn *c, const struct config *cfg, const struct job_def *job, const struct schedule_patch *pt,
                   const struct audit_actor *who, time_t now);

#endif

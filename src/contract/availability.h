/*
 * availability — which jobs can run on the connected database, kept by `serve` (DESIGN §1, §4): the result of
 * contract_check_all (contract/check.h) at start, re-checked at most every AVAILABILITY_TTL_S seconds by whoever asks
 * next (the scheduler's tick asks every few seconds), and sooner when a trigger asks about a job that was
 * unavailable, so an administrator's fix (a GRANT, a column) counts within seconds, without a restart. A job that
 * is unavailable is shown with its reason in the schedule, is not scheduled, and its triggers answer 503
 * UNAVAILABLE naming what is missing; every other job runs. The same holds for a job that is not configured (a setting
 * it needs is not set, contract/check.h): it is unavailable until the setting is added (and comicbatch restarted).
 * A run that fails with a SQLSTATE saying the schema moved under it (availability_schema_state) re-checks at once
 * (availability_recheck), so a column dropped while `serve` runs stops the next trigger, not the one a minute later.
 * Thread-safe; one refresh at a time (callers meanwhile get the previous answer). Before the first successful check
 * every job counts as available.
 */
#ifndef COMICBATCH_AVAILABILITY_H
#define COMICBATCH_AVAILABILITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "contract/contract.h"
#include "contract/idtypes.h"

#define AVAILABILITY_TTL_S 60    /* a check older than this is redone by the next caller */
#define AVAILABILITY_RECHECK_S 5 /* an unavailable job is re-checked before refusing it if older than this */

struct availability;

struct config;

/**
 * Creates the cache of `jobs` for the database at `url` and the settings in `cfg` (all borrowed for the cache's
 * lifetime). Checks nothing.
 */
struct availability *availability_create(const char *url, struct contract_jobs jobs, const struct config *cfg);

/** Checks now, on a connection of its own; logs each job that cannot run. Returns 0, or -1 with `err`. */
int availability_refresh(struct availability *av, char *err, size_t errlen);

/**
 * Checks now even when a check is under way (it waits for that one, whose answer may predate what the caller saw,
 * then checks again): for a caller that has just seen a job fail on the schema. Returns 0, or -1 with `err`.
 */
int availability_recheck(struct availability *av, char *err, size_t errlen);

/**
 * True when SQLSTATE `state` says a statement met a schema other than its job's contract promised: undefined_table
 * 42P01, undefined_column 42703, undefined_function 42883, wrong_object_type 42809, insufficient_privilege 42501.
 */
bool availability_schema_state(const char *state);

/**
 * True when job `jobkey` can run (or nothing is known yet). Re-checks first when the answer is older than
 * AVAILABILITY_TTL_S, or, with `recheck` and the job unavailable, older than AVAILABILITY_RECHECK_S. When it cannot
 * run, `reason` gets the first thing missing (in plain words, "; and N more" when there are several).
 */
bool availability_job(struct availability *av, const char *jobkey, bool recheck, char *reason, size_t reasonlen);

/** The platform's id types found by the last check (the defaults before one). */
void availability_ids(struct availability *av, struct id_types *out);

/** Adds `available` (bool) and `unavailableReason` (string or null) to each ScheduleEntry of array `entries`. */
void availability_annotate(struct availability *av, json_t *entries);

/**
 * The error details for a refused trigger: {jobkey, reason, configured, missing: [{what, fix}]} (new reference);
 * `configured` is false when what is missing is a setting (then `fix` holds the INI lines).
 */
json_t *availability_details(struct availability *av, const char *jobkey);

/** Frees the cache. NULL is a no-op. */
void availability_destroy(struct availability *av);

#endif

/*
 * alerts — the one alert path (DESIGN §3): a system.notification row (level critical), an error log line and, when
 * runs.alert_webhook_url is set, a POST of the notification as JSON `{level, message, details}`. Two things raise
 * one:
 *  - a failure streak: after N consecutive final failures of a job (runs.alert_after, default 3: the seed's
 *    number). A failure that is retried is not final (runs/retry.h): only the last attempt counts. Once per streak:
 *    it fires when the streak reaches exactly N; a success ends the streak. Cancelled runs neither extend nor end it.
 *  - a deadline breach (runs/deadlines.h): a job that has not succeeded within its deadline, once per breach.
 */
#ifndef COMICBATCH_ALERTS_H
#define COMICBATCH_ALERTS_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

struct runs_env;

/** Checks `jobkey`'s streak of final failures after a failure and alerts if it just reached the threshold. */
void alerts_after_failure(struct runs_env *env, PGconn *db, const char *jobkey);

/**
 * Alerts that `jobkey` has not succeeded within `deadline_s` seconds: measured from `reference` (its last success,
 * `lastsuccess`, or when it became expected to run when that is later; `lastsuccess` 0 = never). The caller makes
 * sure it is once per breach.
 */
void alerts_deadline(struct runs_env *env, PGconn *db, const char *jobkey, int64_t deadline_s, time_t reference,
                     time_t lastsuccess);

#endif

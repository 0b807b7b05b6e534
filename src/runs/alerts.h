/*
 * alerts — the one alert path (DESIGN §3): a system.notification row (level critical), an error log line and, when
 * runs.alert_webhook_url is set, a POST of the notification as JSON `{level, message, details}`. The row and the log
 * line are written by the caller, in its order; the POST is only queued (runs/webhook.h: a bounded queue with its own
 * thread), so a slow endpoint never holds the leader or a worker. Two things raise one:
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

/**
 * Starts the webhook queue's thread when runs.alert_webhook_url is set (env->webhook; NULL otherwise). Returns 0, or
 * -1 when the thread cannot start. Stop with alerts_stop once nothing raises alerts any more.
 */
int alerts_start(struct runs_env *env);

/**
 * Stops the webhook queue: what is queued gets `drain_ms` to be sent, then the post in flight is aborted and the rest
 * dropped (webhook_destroy). Returns within about `drain_ms` + 1 s. Fine when alerts_start started nothing.
 */
void alerts_stop(struct runs_env *env, int drain_ms);

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

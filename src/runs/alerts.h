/*
 * alerts — after N consecutive failed runs of a job (runs.alert_after, default 3: the seed's number) writes a
 * system.notification row (level critical), logs it at error level and, when runs.alert_webhook_url is set, POSTs
 * the notification as JSON. Once per streak: it fires when the streak reaches exactly N; a success ends the streak.
 * Cancelled runs neither extend nor end a streak.
 */
#ifndef COMICBATCH_ALERTS_H
#define COMICBATCH_ALERTS_H

#include <libpq-fe.h>

struct app;

/** Checks `jobkey`'s streak after a failure and alerts if it just reached the threshold. */
void alerts_after_failure(struct app *app, PGconn *db, const char *jobkey);

#endif

/*
 * reschedule — moves a job's stored next slot when its default cron changed under it (a reload changed
 * `[metadata.series_refresh] cron`). Only rows that follow the default (system.batchschedule.cron IS NULL) and are
 * enabled move; an operator's cron override set through the API wins. The row's trigger NOTIFYs every instance,
 * so the leader picks the new slot up at once.
 */
#ifndef COMICBATCH_RESCHEDULE_H
#define COMICBATCH_RESCHEDULE_H

#include <libpq-fe.h>
#include <time.h>

/**
 * Sets nextrunat of `jobkey` to the first fire time of `cron` after `now` when the row follows the default cron.
 * Returns 1 moved, 0 nothing to move (override, disabled, no row yet, or the expression never fires), -1 error
 * (logged; `cron` that does not parse counts as an error).
 */
int reschedule_default_cron(PGconn *db, const char *jobkey, const char *cron, time_t now);

#endif

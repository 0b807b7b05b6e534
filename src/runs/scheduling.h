/*
 * scheduling — the run model as the scheduler sees it (sched/tick.h's host): the registry's jobs with their
 * default cron and misfire policy from the settings, a scheduled run enqueued with the job's default params, and
 * the alert path for runs the leader's rescue failed.
 */
#ifndef COMICBATCH_SCHEDULING_H
#define COMICBATCH_SCHEDULING_H

#include "sched/tick.h"

struct app;

/** Fills `h` to serve the scheduler from `app` (its settings, metrics and alerts; borrowed for h's lifetime). */
void scheduling_host_init(struct sched_host *h, struct app *app);

#endif

/*
 * scheduling — the run model as the scheduler sees it (sched/tick.h's host): the registry's jobs with their
 * default cron and misfire policy from the settings, whether a job can run here, a scheduled run enqueued with the
 * schedule's params (else the job's defaults) and, on an overlap, which run held the job; the retry and alert paths
 * for runs the leader's rescue failed; and the deadline checks (runs/deadlines.h).
 */
#ifndef COMICBATCH_SCHEDULING_H
#define COMICBATCH_SCHEDULING_H

#include "sched/tick.h"

struct runs_env;

/** Fills `h` to serve the scheduler from `env` (its settings, metrics and alerts; borrowed for h's lifetime). */
void scheduling_host_init(struct sched_host *h, struct runs_env *env);

#endif

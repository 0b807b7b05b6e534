/*
 * scheduler — what the leader does with one job's schedule at `now` (pure: time is a parameter). A job's
 * `nextrunat` is stored; when it is due the slot is enqueued if it is not older than the misfire grace, otherwise
 * the misfire policy decides: `skip` enqueues nothing, `once` enqueues one catch-up run for the latest missed slot.
 * Either way `nextrunat` moves to the first slot after `now`, so downtime never produces a burst of runs.
 * Clock jumps: a backward jump simply delays the stored slot; a forward jump is a misfire like downtime.
 * Slots are fire times in the schedule's zone (cron.h's DST policy); the caller loads the zone once.
 */
#ifndef COMICBATCH_SCHEDULER_H
#define COMICBATCH_SCHEDULER_H

#include <stdbool.h>
#include <time.h>

#include "sched/cron.h"

/** What happens to a slot found later than the misfire grace: nothing, or one catch-up run. */
enum misfire_policy { MISFIRE_SKIP = 0, MISFIRE_ONCE = 1 };

struct sched_decision {
    bool due;      /* nextrunat <= now: the stored slot must be replaced by `next` */
    bool enqueue;  /* a run must be enqueued for `slot` */
    bool misfired; /* the slot was older than the grace period */
    time_t slot;   /* the slot to enqueue (scheduledfor) */
    time_t next;   /* the new nextrunat (-1: the expression never fires again) */
};

/** Decides for one enabled job whose stored next slot is `nextrunat`; `zone` is s->zone loaded (NULL: UTC). */
void sched_decide(const struct cron_schedule *s, const struct tz *zone, time_t nextrunat, time_t now, int grace_seconds,
                  enum misfire_policy policy, struct sched_decision *d);

#endif

/* scheduler — see scheduler.h. */
#include "sched/scheduler.h"

#include <string.h>

void sched_decide(const struct cron_schedule *s, const struct tz *zone, time_t nextrunat, time_t now, int grace_seconds,
                  enum misfire_policy policy, struct sched_decision *d)
{
    memset(d, 0, sizeof *d);
    if (nextrunat > now)
        return;
    d->due = true;
    d->next = cron_next_tz(s, zone, now);
    if (now - nextrunat <= grace_seconds) {
        d->enqueue = true;
        d->slot = nextrunat;
        return;
    }
    d->misfired = true;
    if (policy != MISFIRE_ONCE)
        return;
    time_t latest = nextrunat;
    for (time_t t = cron_next_tz(s, zone, nextrunat); t > 0 && t <= now; t = cron_next_tz(s, zone, t))
        latest = t; /* bounded: at most one iteration per missed slot, and `now` caps it */
    d->enqueue = true;
    d->slot = latest;
}

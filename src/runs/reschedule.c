/* reschedule — see reschedule.h. */
#include "runs/reschedule.h"

#include "sched/cron.h"
#include "store/schedstore.h"
#include "util/log.h"

int reschedule_default_cron(PGconn *db, const char *jobkey, const char *cron, time_t now)
{
    struct cron_schedule s;
    char err[256];
    if (cron_parse(cron, &s, err, sizeof err)) {
        log_error("msg=\"reloaded cron does not parse\" job=%s error=\"%s\"", jobkey, err);
        return -1;
    }
    time_t first = cron_next(&s, now);
    if (first < 0)
        return 0;
    return schedstore_follow_default(db, jobkey, first);
}

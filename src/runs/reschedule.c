/* reschedule — see reschedule.h. */
#include "runs/reschedule.h"

#include <stdio.h>

#include "sched/cron.h"
#include "store/pg.h"
#include "util/log.h"

int reschedule_default_cron(PGconn *db, const char *jobkey, const char *cron, time_t now)
{
    struct cron_schedule s;
    char err[256], next[32];
    if (cron_parse(cron, &s, err, sizeof err)) {
        log_error("msg=\"reloaded cron does not parse\" job=%s error=\"%s\"", jobkey, err);
        return -1;
    }
    time_t first = cron_next(&s, now);
    if (first < 0)
        return 0;
    snprintf(next, sizeof next, "%lld", (long long)first);
    const char *p[] = {jobkey, next};
    int64_t n = pg_exec(db, "reschedule.default_cron",
                        "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint)"
                        " WHERE jobkey = $1 AND cron IS NULL AND isenabled"
                        " AND nextrunat IS DISTINCT FROM to_timestamp($2::bigint)",
                        2, p);
    return n < 0 ? -1 : n > 0;
}

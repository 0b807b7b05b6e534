/* retry — see retry.h. */
#include "runs/retry.h"

#include <sys/random.h>

#include "config.h"
#include "store/runstore.h"
#include "store/schedstore.h"

int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, double r)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms)
        d = max_ms;
    if (r < 0 || r >= 1)
        r = 0;
    return d / 2 + (int64_t)(r * (double)(d - d / 2));
}

void retry_policy(const struct config *cfg, const char *jobkey, const struct sched_row *row, struct retry_policy *out)
{
    const struct job_settings *js = config_job(cfg, jobkey);
    int js_attempts = js ? atomic_load(&js->max_attempts) : -1;
    int64_t js_delay = js ? atomic_load(&js->retry_delay_ms) : -1;
    out->max_attempts = row && row->maxattempts > 0 ? row->maxattempts
                        : js_attempts > 0           ? js_attempts
                                                    : RETRY_DEFAULT_ATTEMPTS;
    out->base_ms = row && row->retrydelay_ms > 0 ? row->retrydelay_ms
                   : js_delay > 0                ? js_delay
                                                 : RETRY_DEFAULT_DELAY_MS;
    out->max_ms = cfg->retry_delay_max_ms;
}

/* A uniform number in [0, 1) from the kernel's generator (the jitter needs no more than that). */
static double jitter(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != sizeof v)
        return 0.5;
    return (double)v / 4294967296.0;
}

int retry_queue(PGconn *db, const struct config *cfg, const char *jobkey, const char *run_id, int attempt,
                int64_t *delay_ms, json_t **run)
{
    struct sched_row row;
    int got = schedstore_get(db, jobkey, &row);
    if (got < 0)
        return -1;
    struct retry_policy pol;
    retry_policy(cfg, jobkey, got ? &row : NULL, &pol);
    if (attempt >= pol.max_attempts)
        return 0;
    *delay_ms = retry_backoff_ms(attempt, pol.base_ms, pol.max_ms, jitter());
    return runstore_retry(db, run_id, pol.max_attempts, *delay_ms, run);
}

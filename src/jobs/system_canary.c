/*
 * system.canary — sleeps inside Postgres for `seconds`, in half-second statements, reporting progress. It lets an
 * operator check the whole pipeline (queue, worker, progress, cancel, timeout, alerts) without touching data, and
 * lets the tests exercise cancel (PQcancel of the pg_sleep in flight) and timeouts. `fail: true` makes it fail
 * after sleeping, to exercise failure alerts. Not scheduled by default.
 */
#include <stdio.h>

#include "jobs/job_ctx.h"
#include "jobs/jobs.h"

#define CANARY_STEP_MS 500

static int canary_run(struct job_ctx *ctx)
{
    int64_t total_ms = job_param_int(ctx, "seconds", 5) * 1000, slept = 0;
    job_progress(ctx, 0, total_ms);
    while (slept < total_ms) {
        int64_t step = total_ms - slept < CANARY_STEP_MS ? total_ms - slept : CANARY_STEP_MS;
        char secs[32];
        snprintf(secs, sizeof secs, "%.3f", (double)step / 1000.0);
        const char *p[] = {secs};
        if (job_exec(ctx, "canary.sleep", "SELECT pg_sleep($1::float8)", 1, p) < 0)
            break;
        slept += step;
        job_progress(ctx, slept, total_ms);
    }
    json_object_set_new(ctx->meta, "sleptMs", json_integer(slept));
    if (slept < total_ms)
        return -1;
    if (job_param_bool(ctx, "fail"))
        return job_fail(ctx, "canary asked to fail (params.fail = true)");
    return 0;
}

static const struct param_def canary_params[] = {
    {"seconds", PARAM_INT, "5", 0, 86400, "how long to sleep inside Postgres"},
    {"fail", PARAM_BOOL, "false", 0, 0, "fail after sleeping (to test alerts)"},
};

const struct job_def job_system_canary = {
    .key = "system.canary",
    .description = "Pipeline check: sleeps inside Postgres for `seconds`, reporting progress",
    .cron = "*/5 * * * *",
    .enabled = false,
    .misfire = MISFIRE_SKIP,
    .params = canary_params,
    .nparams = sizeof canary_params / sizeof canary_params[0],
    .run = canary_run,
};

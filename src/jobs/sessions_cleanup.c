/*
 * sessions.cleanup — deletes expired or revoked sessions (seed §5) in bounded batches: each batch is its own
 * transaction, so a cancel or crash keeps what was committed and a rerun finishes the rest. Dry run counts.
 */
#include <stdio.h>

#include "config.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"

#define STALE "(expiresat < now() OR revokedat IS NOT NULL)"

static int64_t count_stale(struct job_ctx *ctx)
{
    PGresult *r = job_query(ctx, "sessions.count", "SELECT count(*) FROM users.session WHERE " STALE, 0, NULL);
    if (!r)
        return -1;
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static int sessions_run(struct job_ctx *ctx)
{
    int64_t total = count_stale(ctx), deleted = 0;
    if (total < 0)
        return -1;
    job_progress(ctx, 0, total);
    if (ctx->dryrun) {
        json_object_set_new(ctx->meta, "sessionsDeleted", json_integer(0));
        json_object_set_new(ctx->meta, "wouldDelete", json_integer(total));
        return 0;
    }
    char limit[32];
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    const char *p[] = {limit};
    for (;;) {
        int64_t n = job_exec(ctx, "sessions.delete",
                             "DELETE FROM users.session WHERE id IN (SELECT id FROM users.session WHERE " STALE
                             " LIMIT $1::int FOR UPDATE SKIP LOCKED)",
                             1, p);
        if (n < 0)
            break;
        deleted += n;
        ctx->rowsaffected = deleted;
        job_progress(ctx, deleted, total > deleted ? total : deleted);
        if (n < ctx->cfg->batch_rows || job_cancelled(ctx))
            break;
    }
    json_object_set_new(ctx->meta, "sessionsDeleted", json_integer(deleted));
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

const struct job_def job_sessions_cleanup = {
    .key = "sessions.cleanup",
    .description = "Delete expired/revoked sessions",
    .cron = "0 */6 * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = sessions_run,
};

/*
 * sessions.cleanup — deletes expired or revoked sessions (seed §5) in bounded batches: each batch is its own
 * transaction, so a cancel or crash keeps what was committed and a rerun finishes the rest. Dry run counts.
 * The batch's subquery takes no row lock (FOR UPDATE would need an UPDATE privilege the job has no other use for):
 * the DELETE locks what it deletes, and only one run of the job exists at a time (its lock key).
 */
#include <stdio.h>

#include "config.h"
#include "contract/contract.h"
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
        int64_t n = job_exec_yielding(
            ctx, "sessions.delete",
            "DELETE FROM users.session WHERE id IN (SELECT id FROM users.session WHERE " STALE " LIMIT $1::int)", 1, p);
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

static const struct contract sessions_contract = {
    .tables = (const struct contract_table[]){{"users.session", "id:any expiresat:time revokedat:time", "SELECT DELETE",
                                               0, "the sessions it deletes"},
                                              {0}},
    .indexes = (const struct contract_index[]){{"users.session", "expiresat",
                                                "expired sessions without reading them all", false, NULL},
                                               {0}},
};

const struct job_def job_sessions_cleanup = {
    .key = "sessions.cleanup",
    .description = "Delete expired/revoked sessions",
    .cron = "0 */6 * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = sessions_run,
    .contract = &sessions_contract,
};

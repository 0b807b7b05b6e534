/*
 * announcements.expire — unpublishes published announcements whose expiresat has passed (seed §3), in bounded
 * batches; only rows that actually change are written. Dry run counts.
 */
#include <stdio.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"

#define EXPIRED "ispublished AND expiresat IS NOT NULL AND expiresat < now() AND deletedat IS NULL"

static int announcements_run(struct job_ctx *ctx)
{
    PGresult *r = job_query(ctx, "announcements.count", "SELECT count(*) FROM system.announcement WHERE " EXPIRED, 0,
                            NULL);
    if (!r)
        return -1;
    int64_t total = strtoll(PQgetvalue(r, 0, 0), NULL, 10), done = 0;
    PQclear(r);
    job_progress(ctx, 0, total);
    if (ctx->dryrun) {
        json_object_set_new(ctx->meta, "announcementsExpired", json_integer(0));
        json_object_set_new(ctx->meta, "wouldExpire", json_integer(total));
        return 0;
    }
    char limit[32];
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    const char *p[] = {limit};
    for (;;) {
        int64_t n = job_exec(ctx, "announcements.expire",
                             "UPDATE system.announcement SET ispublished = false WHERE id IN (SELECT id FROM "
                             "system.announcement WHERE " EXPIRED " LIMIT $1::int FOR UPDATE SKIP LOCKED)",
                             1, p);
        if (n < 0)
            break;
        done += n;
        ctx->rowsaffected = done;
        job_progress(ctx, done, total > done ? total : done);
        if (n < ctx->cfg->batch_rows || job_cancelled(ctx))
            break;
    }
    json_object_set_new(ctx->meta, "announcementsExpired", json_integer(done));
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static const struct contract announcements_contract = {
    .tables = (const struct contract_table[]){{"system.announcement",
                                               "id:any ispublished:bool expiresat:time deletedat:time",
                                               "SELECT UPDATE(ispublished)", 0, "the announcements it unpublishes"},
                                              {0}},
    .indexes = (const struct contract_index[]){{"system.announcement", "expiresat", "published announcements by expiry",
                                                false, NULL},
                                               {0}},
};

const struct job_def job_announcements_expire = {
    .key = "announcements.expire",
    .description = "Auto-hide expired announcements",
    .cron = "5 * * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = announcements_run,
    .contract = &announcements_contract,
};

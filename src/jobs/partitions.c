/*
 * analytics.partition and crawler.partition — make sure the monthly partitions of the current and the next UTC
 * month exist (seed §4: pageview_YYYY_MM and chaptersession_YYYY_MM; log_YYYY_MM). Idempotent and never failing
 * because a partition exists: each one goes through system.ensure_month_partition (migration 002), which returns
 * the bare name only when this call created it; meta.partitionsCreated lists exactly those, month by month. Dry run
 * lists what would be created and creates nothing.
 */
#include <stdio.h>
#include <string.h>

#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

/* $1 = parent tables (text[]); months = the current and the next, in UTC; ordered month first, then parent. */
#define MONTHS_SQL                                                                                                    \
    "FROM unnest($1::text[]) WITH ORDINALITY AS p(parent, pn),"                                                       \
    " unnest(ARRAY[(now() AT TIME ZONE 'UTC')::date, ((now() AT TIME ZONE 'UTC') + interval '1 month')::date])"       \
    " WITH ORDINALITY AS m(month, mn)"

static const char CREATE_SQL[] = "SELECT system.ensure_month_partition(p.parent::regclass, m.month) " MONTHS_SQL
                                 " ORDER BY m.mn, p.pn";

static const char DRY_SQL[] =
    "SELECT split_part(p.parent, '.', 2) || '_' || to_char(m.month, 'YYYY_MM') " MONTHS_SQL
    " WHERE to_regclass(p.parent || '_' || to_char(m.month, 'YYYY_MM')) IS NULL ORDER BY m.mn, p.pn";

static int partitions_run(struct job_ctx *ctx, const char *parents)
{
    const char *p[] = {parents};
    PGresult *r = job_query(ctx, "partitions.ensure", ctx->dryrun ? DRY_SQL : CREATE_SQL, 1, p);
    if (!r)
        return -1;
    json_t *created = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        if (pg_val(r, i, 0))
            json_array_append_new(created, json_string(pg_val(r, i, 0)));
    int total = PQntuples(r);
    PQclear(r);
    ctx->rowsaffected = ctx->dryrun ? 0 : (int64_t)json_array_size(created);
    json_object_set_new(ctx->meta, ctx->dryrun ? "wouldCreate" : "partitionsCreated", created);
    if (ctx->dryrun)
        json_object_set_new(ctx->meta, "partitionsCreated", json_array());
    else
        json_object_set_new(ctx->meta, "partitionsChecked", json_integer(total));
    job_progress(ctx, 1, 1);
    return 0;
}

static int analytics_partition_run(struct job_ctx *ctx)
{
    return partitions_run(ctx, "{analytics.pageview,analytics.chaptersession}");
}

static int crawler_partition_run(struct job_ctx *ctx)
{
    return partitions_run(ctx, "{crawler.log}");
}

const struct job_def job_analytics_partition = {
    .key = "analytics.partition",
    .description = "Create this and next month's analytics partitions",
    .cron = "30 0 1 * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = analytics_partition_run,
};

const struct job_def job_crawler_partition = {
    .key = "crawler.partition",
    .description = "Create this and next month's crawler log partitions",
    .cron = "35 0 1 * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = crawler_partition_run,
};

/*
 * analytics.partition and crawler.partition — make sure the monthly partitions of the current and the next UTC
 * month exist (seed §4: pageview_YYYY_MM and chaptersession_YYYY_MM; log_YYYY_MM). Idempotent and never failing
 * because a partition exists: each one goes through a function that returns the bare name only when this call
 * created it; meta.partitionsCreated lists exactly those, month by month. Dry run lists what would be created and
 * creates nothing.
 * Only a partitioned table's owner (or a member of the owning role) may create its partitions. When the role has
 * that right the job calls comicbatch's own system.ensure_month_partition (migration 004, SECURITY INVOKER);
 * otherwise system.comicbatch_ensure_partition, the SECURITY DEFINER function the owner installs (printed by
 * `comicbatch grants ROLE`; same contract). meta.via names the one used.
 */
#include <stdio.h>
#include <string.h>

#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

/* $1 = parent tables (text[]); months = the current and the next, in UTC; ordered month first, then parent. */
#define MONTHS_SQL                                                                                              \
    "FROM unnest($1::text[]) WITH ORDINALITY AS p(parent, pn),"                                                 \
    " unnest(ARRAY[(now() AT TIME ZONE 'UTC')::date, ((now() AT TIME ZONE 'UTC') + interval '1 month')::date])" \
    " WITH ORDINALITY AS m(month, mn)"

static const char CREATE_OWN_SQL[] = "SELECT system.ensure_month_partition(p.parent::regclass, m.month) " MONTHS_SQL
                                     " ORDER BY m.mn, p.pn";
static const char CREATE_DEFINER_SQL[] =
    "SELECT system.comicbatch_ensure_partition(p.parent::regclass, m.month) " MONTHS_SQL " ORDER BY m.mn, p.pn";

/* $1 = parent tables: may the role create their partitions itself; does the owner's definer function exist. */
static const char RIGHTS_SQL[] =
    "SELECT coalesce(bool_and(c.oid IS NOT NULL AND pg_has_role(c.relowner, 'USAGE')), false),"
    " to_regprocedure('system.comicbatch_ensure_partition(regclass,date)') IS NOT NULL"
    " FROM unnest($1::text[]) AS p(parent) LEFT JOIN pg_class c ON c.oid = to_regclass(p.parent)";

/* The statement that creates the partitions: ours when the role may, else the owner's definer function. */
static const char *create_sql(struct job_ctx *ctx, const char *parents)
{
    const char *p[] = {parents};
    PGresult *r = job_query(ctx, "partitions.rights", RIGHTS_SQL, 1, p);
    if (!r)
        return NULL;
    bool own = pg_bool(r, 0, 0), definer = pg_bool(r, 0, 1);
    PQclear(r);
    json_object_set_new(
        ctx->meta, "via",
        json_string(own || !definer ? "system.ensure_month_partition" : "system.comicbatch_ensure_partition"));
    return own || !definer ? CREATE_OWN_SQL : CREATE_DEFINER_SQL;
}

static const char DRY_SQL[] =
    "SELECT split_part(p.parent, '.', 2) || '_' || to_char(m.month, 'YYYY_MM') " MONTHS_SQL
    " WHERE to_regclass(p.parent || '_' || to_char(m.month, 'YYYY_MM')) IS NULL ORDER BY m.mn, p.pn";

static int partitions_run(struct job_ctx *ctx, const char *parents)
{
    const char *p[] = {parents};
    const char *sql = ctx->dryrun ? DRY_SQL : create_sql(ctx, parents);
    PGresult *r = sql ? job_query(ctx, "partitions.ensure", sql, 1, p) : NULL;
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

static const struct contract analytics_partition_contract = {
    .tables = (const struct contract_table[]){{"analytics.pageview", "createdat:time", "", CONTRACT_PARTITIONED,
                                               "pageviews, by UTC month"},
                                              {"analytics.chaptersession", "createdat:time", "", CONTRACT_PARTITIONED,
                                               "reading sessions, by UTC month"},
                                              {0}},
    .partitions = true,
};

static const struct contract crawler_partition_contract = {
    .tables = (const struct contract_table[]){{"crawler.log", "createdat:time", "", CONTRACT_PARTITIONED,
                                               "crawler logs, by UTC month"},
                                              {0}},
    .partitions = true,
};

const struct job_def job_analytics_partition = {
    .key = "analytics.partition",
    .description = "Create this and next month's analytics partitions",
    .cron = "30 0 1 * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = analytics_partition_run,
    .contract = &analytics_partition_contract,
};

const struct job_def job_crawler_partition = {
    .key = "crawler.partition",
    .description = "Create this and next month's crawler log partitions",
    .cron = "35 0 1 * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .run = crawler_partition_run,
    .contract = &crawler_partition_contract,
};

/*
 * analytics.anonymize — NULLs ipaddress and useragent of pageviews older than `olderthan` (default 90d, seed §4),
 * one month (= one partition) at a time, oldest first, in transactions of `[jobs] batch_rows` rows (default 10k)
 * with a cancel check and progress between them. Only rows that still hold an address or an agent are touched;
 * they are found through 002's partial index pageview_identifiable_idx, so a daily run costs what it changes, not
 * the size of the table. The cutoff is fixed when the run starts, so the run ends even while pageviews arrive.
 * Each batch is addressed through the parent by primary key within one month's bounds (partition pruning keeps it
 * to one partition); nothing is spliced into SQL. Dry run counts.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

#define IDENTIFIABLE "(ipaddress IS NOT NULL OR useragent IS NOT NULL)"

/* $1 = olderthan in ms. The cutoff, the first month to visit (NULL when nothing to do) and the row count. */
static const char PLAN_SQL[] =
    "WITH c AS (SELECT now() - $1::bigint * interval '1 millisecond' AS cutoff)"
    " SELECT c.cutoff, (SELECT date_trunc('month', min(createdat) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    "   FROM analytics.pageview WHERE createdat < c.cutoff AND " IDENTIFIABLE "),"
    " (SELECT count(*) FROM analytics.pageview WHERE createdat < c.cutoff AND " IDENTIFIABLE ")"
    " FROM c";

/* $1 = month start, $2 = cutoff, $3 = batch size, $4 = keyset position (createdat). Returns rows, last createdat. */
static const char BATCH_SQL[] =
    "WITH b AS (SELECT id, createdat FROM analytics.pageview"
    "   WHERE createdat >= greatest($1::timestamptz, $4::timestamptz)"
    "   AND createdat < least($1::timestamptz + interval '1 month', $2::timestamptz) AND " IDENTIFIABLE
    "   ORDER BY createdat LIMIT $3::int FOR UPDATE SKIP LOCKED),"
    " u AS (UPDATE analytics.pageview v SET ipaddress = NULL, useragent = NULL FROM b"
    "   WHERE v.id = b.id AND v.createdat = b.createdat"
    "   AND v.createdat >= greatest($1::timestamptz, $4::timestamptz)"
    "   AND v.createdat < least($1::timestamptz + interval '1 month', $2::timestamptz) RETURNING v.createdat)"
    " SELECT count(*), max(createdat) FROM u";

/* Anonymizes one month window. Returns rows done, or -1. */
static int64_t anonymize_month(struct job_ctx *ctx, const char *month, const char *cutoff, int64_t *done, int64_t total)
{
    char limit[32], pos[64];
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    snprintf(pos, sizeof pos, "%s", month);
    for (;;) {
        const char *p[] = {month, cutoff, limit, pos};
        PGresult *r = job_query_yielding(ctx, "anonymize.batch", BATCH_SQL, 4, p);
        if (!r)
            return -1;
        int64_t n = pg_int(r, 0, 0, 0);
        if (pg_val(r, 0, 1))
            snprintf(pos, sizeof pos, "%s", pg_val(r, 0, 1));
        PQclear(r);
        *done += n;
        ctx->rowsaffected = *done;
        job_progress(ctx, *done, total > *done ? total : *done);
        if (n < ctx->cfg->batch_rows)
            return 0;
        if (job_cancelled(ctx))
            return -1;
    }
}

/* The month after `month` (text timestamptz), into `out`. */
static int next_month(struct job_ctx *ctx, const char *month, const char *cutoff, char *out, size_t outlen)
{
    const char *p[] = {month, cutoff};
    PGresult *r = job_query(ctx, "anonymize.next_month",
                            "SELECT CASE WHEN $1::timestamptz + interval '1 month' < $2::timestamptz"
                            " THEN $1::timestamptz + interval '1 month' END",
                            2, p);
    if (!r)
        return -1;
    int more = pg_val(r, 0, 0) != NULL;
    if (more)
        snprintf(out, outlen, "%s", pg_val(r, 0, 0));
    PQclear(r);
    return more;
}

static int anonymize_run(struct job_ctx *ctx)
{
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)job_param_int(ctx, "olderthan", 90LL * 86400000));
    const char *p[] = {ms};
    PGresult *r = job_query(ctx, "anonymize.plan", PLAN_SQL, 1, p);
    if (!r)
        return -1;
    char cutoff[64], month[64] = "";
    snprintf(cutoff, sizeof cutoff, "%s", pg_val(r, 0, 0));
    if (pg_val(r, 0, 1))
        snprintf(month, sizeof month, "%s", pg_val(r, 0, 1));
    int64_t total = pg_int(r, 0, 2, 0), done = 0;
    PQclear(r);
    json_object_set_new(ctx->meta, "cutoff", json_string(cutoff));
    job_progress(ctx, 0, total);
    if (ctx->dryrun) {
        json_object_set_new(ctx->meta, "rowsAnonymized", json_integer(0));
        json_object_set_new(ctx->meta, "wouldAnonymize", json_integer(total));
        return 0;
    }
    int rc = 0, more = month[0] != '\0';
    while (rc == 0 && more > 0) {
        rc = (int)anonymize_month(ctx, month, cutoff, &done, total);
        if (rc == 0)
            more = next_month(ctx, month, cutoff, month, sizeof month);
        if (more < 0)
            rc = -1;
    }
    json_object_set_new(ctx->meta, "rowsAnonymized", json_integer(done));
    return rc;
}

static const struct param_def anonymize_params[] = {
    {"olderthan", PARAM_DURATION, "\"90d\"", 60LL * 60 * 1000, 100LL * 365 * 86400000,
     "anonymize pageviews older than this (1h..100 years)"},
};

static const struct contract anonymize_contract = {
    .tables = (const struct contract_table[]){{"analytics.pageview",
                                               "id:any createdat:time ipaddress:inet useragent:text",
                                               "SELECT UPDATE(ipaddress,useragent)", 0, "the pageviews it anonymizes"},
                                              {0}},
    .indexes =
        (const struct contract_index[]){
            {"analytics.pageview", "createdat",
             "pageviews older than the cutoff (best: partial, WHERE ipaddress IS NOT NULL OR useragent IS NOT NULL)",
             false, NULL},
            {0}},
};

const struct job_def job_analytics_anonymize = {
    .key = "analytics.anonymize",
    .description = "Anonymize IP/UA of pageviews older than 90 days",
    .cron = "0 1 * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .params = anonymize_params,
    .nparams = sizeof anonymize_params / sizeof anonymize_params[0],
    .run = anonymize_run,
    .contract = &anonymize_contract,
};

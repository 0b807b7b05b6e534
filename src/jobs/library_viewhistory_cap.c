/*
 * library.viewhistory_cap — keeps each user's newest `[jobs] viewhistory_cap` (default 500) library.viewhistory
 * rows and deletes the rest (seed §2). "Newest" is the order of viewhistory_user_viewedat_idx: viewedat DESC, then
 * id (the seed's ROW_NUMBER() leaves ties to chance; we make them deterministic).
 *
 * Finding who is over the cap is the expensive part of the seed's statement (a window over the whole table). We
 * read it from jobstate.viewhistory_users, the per-user row counts that migration 003's triggers keep exact, so a
 * day with nobody over the cap costs one scan of a 100k-row table. Deletion goes per batch of users (about
 * batch_rows rows each, one transaction each, a cancel check and progress between): for each user, the index
 * yields the rows past the cap directly (OFFSET cap on the newest-first index). With param `userid`, only that
 * user, counted from the table itself. Dry run: meta.wouldCapUsers / wouldDelete, nothing deleted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

/* The next batch of over-cap users after $1 (NULL: from the start) whose excess adds up to about $3 rows. */
#define OVER_CAP_BATCH                                                                                             \
    "WITH w AS (SELECT userid, n - $2::int AS excess, sum(n - $2::int) OVER (ORDER BY userid) AS acc"               \
    "   FROM jobstate.viewhistory_users WHERE n > $2::int AND ($1::uuid IS NULL OR userid > $1::uuid)"             \
    "   ORDER BY userid LIMIT $3::int),"                                                                           \
    " batch AS (SELECT userid FROM w WHERE acc - excess < $3::int),"
#define PAST_CAP(users)                                                                                            \
    "SELECT x.id FROM " users " u CROSS JOIN LATERAL (SELECT h.id FROM library.viewhistory h"                      \
    " WHERE h.userid = u.userid ORDER BY h.viewedat DESC, h.id OFFSET $2::int) x"

static const char batch_sql[] =
    OVER_CAP_BATCH
    " del AS (DELETE FROM library.viewhistory v WHERE v.id IN (" PAST_CAP("batch") ") RETURNING v.userid)"
    " SELECT (SELECT userid FROM batch ORDER BY userid DESC LIMIT 1), (SELECT count(DISTINCT userid) FROM del), (SELECT count(*) FROM del)";

static const char user_sql[] =
    "WITH del AS (DELETE FROM library.viewhistory v WHERE v.id IN ("
    PAST_CAP("(SELECT $1::uuid AS userid)") ") RETURNING 1)"
    " SELECT NULL, least(count(*), 1), count(*) FROM del";

static const char user_dry_sql[] =
    "SELECT NULL, least(count(*), 1), count(*) FROM (" PAST_CAP("(SELECT $1::uuid AS userid)") ") d";

static const char totals_sql[] =
    "SELECT count(*), coalesce(sum(n - $1::int), 0) FROM jobstate.viewhistory_users WHERE n > $1::int";

static void put_meta(struct job_ctx *ctx, int64_t users, int64_t rows, int64_t cap)
{
    json_object_set_new(ctx->meta, "usersCapped", json_integer(ctx->dryrun ? 0 : users));
    json_object_set_new(ctx->meta, "rowsDeleted", json_integer(ctx->dryrun ? 0 : rows));
    json_object_set_new(ctx->meta, "cap", json_integer(cap));
    if (ctx->dryrun) {
        json_object_set_new(ctx->meta, "wouldCapUsers", json_integer(users));
        json_object_set_new(ctx->meta, "wouldDelete", json_integer(rows));
    }
    ctx->rowsaffected = ctx->dryrun ? 0 : rows;
}

static int run_user(struct job_ctx *ctx, const char *cap)
{
    const char *p[] = {job_param_str(ctx, "userid"), cap};
    PGresult *r = job_query(ctx, "viewhistory_cap.user", ctx->dryrun ? user_dry_sql : user_sql, 2, p);
    if (!r)
        return -1;
    put_meta(ctx, pg_int(r, 0, 1, 0), pg_int(r, 0, 2, 0), strtoll(cap, NULL, 10));
    PQclear(r);
    job_progress(ctx, 1, 1);
    return 0;
}

static int run_all(struct job_ctx *ctx, const char *cap)
{
    const char *tp[] = {cap};
    PGresult *r = job_query(ctx, "viewhistory_cap.totals", totals_sql, 1, tp);
    if (!r)
        return -1;
    int64_t users_total = pg_int(r, 0, 0, 0), rows_total = pg_int(r, 0, 1, 0), users = 0, rows = 0;
    PQclear(r);
    job_progress(ctx, 0, rows_total);
    if (ctx->dryrun) {
        put_meta(ctx, users_total, rows_total, strtoll(cap, NULL, 10));
        return 0;
    }
    char last[40] = "", limit[16];
    snprintf(limit, sizeof limit, "%d", ctx->app->cfg.batch_rows);
    for (;;) {
        const char *p[] = {last[0] ? last : NULL, cap, limit};
        if (!(r = job_query(ctx, "viewhistory_cap.batch", batch_sql, 3, p)))
            break;
        bool more = !PQgetisnull(r, 0, 0);
        if (more)
            snprintf(last, sizeof last, "%s", PQgetvalue(r, 0, 0));
        users += pg_int(r, 0, 1, 0);
        rows += pg_int(r, 0, 2, 0);
        PQclear(r);
        put_meta(ctx, users, rows, strtoll(cap, NULL, 10));
        job_progress(ctx, rows, rows_total > rows ? rows_total : rows);
        if (!more || job_cancelled(ctx))
            break;
    }
    put_meta(ctx, users, rows, strtoll(cap, NULL, 10));
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static int viewhistory_cap_run(struct job_ctx *ctx)
{
    char cap[16];
    snprintf(cap, sizeof cap, "%d", ctx->app->cfg.viewhistory_cap);
    return job_param_present(ctx, "userid") ? run_user(ctx, cap) : run_all(ctx, cap);
}

static const struct param_def viewhistory_cap_params[] = {
    {"userid", PARAM_UUID, NULL, 0, 0, "only this user's history"},
};

const struct job_def job_library_viewhistory_cap = {
    .key = "library.viewhistory_cap",
    .description = "Cap view history to 500/user",
    .cron = "0 2 * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .params = viewhistory_cap_params,
    .nparams = sizeof viewhistory_cap_params / sizeof viewhistory_cap_params[0],
    .run = viewhistory_cap_run,
};

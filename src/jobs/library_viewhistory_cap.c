/*
 * library.viewhistory_cap — keeps each user's newest `[jobs] viewhistory_cap` (default 500) library.viewhistory
 * rows and deletes the rest (seed §2). "Newest" is the order of viewhistory_user_viewedat_idx: viewedat DESC, then
 * id (the seed's ROW_NUMBER() leaves ties to chance; we make them deterministic).
 *
 * Finding who is over the cap is the expensive part of the seed's statement (a window over the whole table). With
 * the viewhistory accelerator we read it from jobstate.viewhistory_users, the per-user row counts its triggers keep
 * exact, so a day with nobody over the cap costs one scan of a 100k-row table (meta.mode "accelerated"); without
 * it, one aggregate over the (userid, viewedat) index counts rows per user (meta.mode "direct": an index-only
 * scan, no sort, no window, no row visited twice). Deletion goes per batch of users (about
 * batch_rows rows each, one transaction each, a cancel check and progress between): for each user the
 * newest-first index gives the boundary row (the cap-th newest) and the rows after it, so only the rows deleted
 * are visited. With param `userid`, only that user, from the table itself. Dry run: meta.wouldCapUsers /
 * wouldDelete, nothing deleted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "jobs/stats_apply.h"
#include "store/pg.h"

/*
 * Rows of the users in $1 past the newest $2: for each user, the $2-th newest row (viewedat DESC, id: an index-only
 * scan that stops there) is the boundary, and everything after it in index order goes, found by an index range
 * scan that visits only the rows it deletes.
 */
/* clang-format off */
#define PAST_CAP_SQL(users)                                                                                        \
    "WITH b AS (SELECT u.userid, k.viewedat, k.id FROM " users " CROSS JOIN LATERAL (SELECT h.viewedat, h.id"       \
    "   FROM library.viewhistory h WHERE h.userid = u.userid ORDER BY h.viewedat DESC, h.id OFFSET $2::int - 1"    \
    "   LIMIT 1) k)"
/* clang-format on */
/* clang-format off */
#define PAST_CAP_WHERE                                                                                             \
    "v.userid = b.userid AND v.viewedat <= b.viewedat AND (v.viewedat < b.viewedat OR v.id > b.id)"
/* clang-format on */

/* clang-format off */
static const char batch_sql[] =
    PAST_CAP_SQL("unnest($1::{user}[]) u (userid)")
    ", del AS (DELETE FROM library.viewhistory v USING b WHERE " PAST_CAP_WHERE " RETURNING v.userid)"
    " SELECT count(DISTINCT userid), count(*) FROM del";
/* clang-format on */

/* clang-format off */
static const char user_sql[] =
    PAST_CAP_SQL("(SELECT $1::{user} AS userid) u")
    ", del AS (DELETE FROM library.viewhistory v USING b WHERE " PAST_CAP_WHERE " RETURNING v.userid)"
    " SELECT count(DISTINCT userid), count(*) FROM del";
/* clang-format on */

/* clang-format off */
static const char user_dry_sql[] =
    PAST_CAP_SQL("(SELECT $1::{user} AS userid) u")
    " SELECT count(DISTINCT v.userid), count(*) FROM library.viewhistory v JOIN b ON " PAST_CAP_WHERE;
/* clang-format on */

/* Over-cap users, in userid order, with how many rows each has past the cap: from the accelerator's counters, or
 * counted from the history. */
/* clang-format off */
static const char over_cap_accel_sql[] =
    "SELECT userid, n - $1::int FROM jobstate.viewhistory_users WHERE n > $1::int ORDER BY userid";
/* clang-format on */
/* clang-format off */
static const char over_cap_direct_sql[] =
    "SELECT userid, count(*) - $1::int FROM library.viewhistory GROUP BY userid HAVING count(*) > $1::int"
    " ORDER BY userid";
/* clang-format on */

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
    char user[40];
    const char *p[] = {job_param_text(ctx, "userid", user, sizeof user), cap};
    PGresult *r = job_query(ctx, "viewhistory_cap.user", ctx->dryrun ? user_dry_sql : user_sql, 2, p);
    if (!r)
        return -1;
    put_meta(ctx, pg_int(r, 0, 0, 0), pg_int(r, 0, 1, 0), strtoll(cap, NULL, 10));
    PQclear(r);
    job_progress(ctx, 1, 1);
    return 0;
}

/* Deletes past the cap for users [from, to) of the over-cap list. Returns 0 or -1. */
static int delete_batch(struct job_ctx *ctx, const PGresult *over, int from, int to, const char *cap, int64_t *users,
                        int64_t *rows)
{
    char *arr = stats_array_text(over, 0, from, to);
    const char *p[] = {arr, cap};
    PGresult *r = job_query_yielding(ctx, "viewhistory_cap.batch", batch_sql, 2, p);
    free(arr);
    if (!r)
        return -1;
    *users += pg_int(r, 0, 0, 0);
    *rows += pg_int(r, 0, 1, 0);
    PQclear(r);
    return 0;
}

static int run_all(struct job_ctx *ctx, const char *cap)
{
    const char *cp[] = {cap};
    int accel = job_accel(ctx, "viewhistory");
    if (accel < 0)
        return -1;
    json_object_set_new(ctx->meta, "mode", json_string(accel ? "accelerated" : "direct"));
    PGresult *over = job_query(ctx, "viewhistory_cap.over", accel ? over_cap_accel_sql : over_cap_direct_sql, 1, cp);
    if (!over)
        return -1;
    int n = PQntuples(over);
    int64_t rows_total = 0, users = 0, rows = 0;
    for (int i = 0; i < n; i++)
        rows_total += pg_int(over, i, 1, 0);
    job_progress(ctx, 0, rows_total);
    if (ctx->dryrun) {
        put_meta(ctx, n, rows_total, strtoll(cap, NULL, 10));
        PQclear(over);
        return 0;
    }
    for (int from = 0; from < n && !job_cancelled(ctx);) {
        int to = from;
        int64_t excess = 0;
        while (to < n && (to == from || excess + pg_int(over, to, 1, 0) <= ctx->cfg->batch_rows))
            excess += pg_int(over, to++, 1, 0);
        if (delete_batch(ctx, over, from, to, cap, &users, &rows))
            break;
        from = to;
        put_meta(ctx, users, rows, strtoll(cap, NULL, 10));
        job_progress(ctx, rows, rows_total > rows ? rows_total : rows);
    }
    PQclear(over);
    put_meta(ctx, users, rows, strtoll(cap, NULL, 10));
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static int viewhistory_cap_run(struct job_ctx *ctx)
{
    char cap[16];
    snprintf(cap, sizeof cap, "%d", ctx->cfg->viewhistory_cap);
    return job_param_present(ctx, "userid") ? run_user(ctx, cap) : run_all(ctx, cap);
}

static const struct param_def viewhistory_cap_params[] = {
    {"userid", PARAM_USER_ID, NULL, 0, 0, "only this user's history"},
};

static const struct contract cap_contract = {
    .tables = (const struct contract_table[]){{"library.viewhistory", "id:any userid:user viewedat:time",
                                               "SELECT DELETE", 0, "the history it caps"},
                                              {0}},
    .indexes = (const struct contract_index[]){{"library.viewhistory", "userid,viewedat",
                                                "a user's history newest first (best: (userid, viewedat DESC, id))",
                                                false, NULL},
                                               {0}},
    .accelerator = "viewhistory",
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
    .contract = &cap_contract,
};

/* stats_apply — see stats_apply.h. */
#include "jobs/stats_apply.h"

#include <inttypes.h>
#include <stdio.h>

#include "app.h"
#include "jobs/job_ctx.h"
#include "store/pg.h"

#define STATS_MAX_PARAMS 8

int stats_begin(struct job_ctx *ctx, const char *rebuild_sql, const char *const *fold_sql, int nfold)
{
    if (ctx->dryrun && job_exec(ctx, "stats.begin_dry", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL) < 0)
        return -1;
    if (job_param_bool(ctx, "full")) {
        if (!ctx->dryrun && job_exec(ctx, "stats.begin", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL) < 0)
            return -1;
        if (job_exec(ctx, "stats.rebuild", rebuild_sql, 0, NULL) < 0)
            return -1;
        if (!ctx->dryrun && job_exec(ctx, "stats.commit", "COMMIT", 0, NULL) < 0)
            return -1;
        json_object_set_new(ctx->meta, "rebuilt", json_true());
    }
    for (int i = 0; i < nfold; i++)
        if (job_exec(ctx, "stats.fold", fold_sql[i], 0, NULL) < 0)
            return -1;
    return 0;
}

int stats_walk(struct job_ctx *ctx, const char *what, const char *batch_sql, int nextra, const char *const *extra,
               int64_t *updated, int64_t *would)
{
    char last[32] = "0", limit[16];
    snprintf(limit, sizeof limit, "%d", ctx->app->cfg.batch_rows);
    const char *p[STATS_MAX_PARAMS] = {last, limit, ctx->dryrun ? "true" : "false"};
    for (int i = 0; i < nextra && i + 3 < STATS_MAX_PARAMS; i++)
        p[i + 3] = extra[i];
    int64_t seen = 0;
    for (;;) {
        PGresult *r = job_query(ctx, what, batch_sql, 3 + nextra, p);
        if (!r)
            return -1;
        int64_t n = pg_int(r, 0, 1, 0);
        if (n > 0)
            snprintf(last, sizeof last, "%s", PQgetvalue(r, 0, 0));
        *would += pg_int(r, 0, 2, 0);
        *updated += pg_int(r, 0, 3, 0);
        PQclear(r);
        seen += n;
        job_progress(ctx, seen, seen);
        if (n < ctx->app->cfg.batch_rows)
            return 0;
        if (job_cancelled(ctx))
            return -1;
    }
}

int stats_end(struct job_ctx *ctx)
{
    if (ctx->dryrun && PQtransactionStatus(ctx->db) != PQTRANS_IDLE)
        pg_cmd(ctx->db, "ROLLBACK");
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

/* stats_apply — see stats_apply.h. */
#include "jobs/stats_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jobs/job_ctx.h"
#include "store/pg.h"
#include "util/xalloc.h"

#define STATS_MAX_COLS 4   /* struct stats_pass.ncols */
#define STATS_MAX_PARAMS 8 /* struct stats_pass.nparams */

int stats_begin(struct job_ctx *ctx, const char *rebuild_sql, const char *const *fold_sql, int nfold)
{
    if (ctx->dryrun && job_exec(ctx, "stats.begin_dry", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL) < 0)
        return -1;
    if (job_param_bool(ctx, "full") && rebuild_sql) {
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

char *stats_array_text(const PGresult *r, int col, int from, int to)
{
    size_t len = 3;
    for (int i = from; i < to; i++)
        len += (size_t)PQgetlength(r, i, col) + 5;
    char *arr = xmalloc(len);
    size_t off = 0;
    arr[off++] = '{';
    for (int i = from; i < to; i++) {
        if (i > from)
            arr[off++] = ',';
        int null = PQgetisnull(r, i, col);
        size_t n = null ? 4 : (size_t)PQgetlength(r, i, col);
        memcpy(arr + off, null ? "NULL" : PQgetvalue(r, i, col), n);
        off += n;
    }
    memcpy(arr + off, "}", 2);
    return arr;
}

int stats_apply(struct job_ctx *ctx, const struct stats_pass *pass, int64_t *updated, int64_t *would)
{
    PGresult *ids = job_query(ctx, pass->what, pass->diff_sql, pass->nparams, pass->params);
    if (!ids)
        return -1;
    int rc = stats_apply_rows(ctx, pass, ids, PQntuples(ids), updated, would);
    PQclear(ids);
    return rc;
}

int stats_apply_rows(struct job_ctx *ctx, const struct stats_pass *pass, const PGresult *ids, int n, int64_t *updated,
                     int64_t *would)
{
    int batch = ctx->cfg->batch_rows, ncols = pass->ncols > 1 ? pass->ncols : 1, rc = 0;
    if (ncols > STATS_MAX_COLS || pass->nparams > STATS_MAX_PARAMS)
        return job_fail(ctx, "%s: a stats pass takes at most %d columns and %d params", pass->what, STATS_MAX_COLS,
                        STATS_MAX_PARAMS);
    *would += n;
    int64_t base = pass->done_before;
    job_progress(ctx, base, base + n);
    for (int from = 0; !ctx->dryrun && from < n; from += batch) {
        int to = from + batch < n ? from + batch : n, np = 0;
        char *arr[STATS_MAX_COLS];
        const char *p[STATS_MAX_COLS + STATS_MAX_PARAMS];
        for (int c = 0; c < ncols; c++)
            p[np++] = arr[c] = stats_array_text(ids, c, from, to);
        for (int i = 0; i < pass->nparams; i++)
            p[np++] = pass->params[i];
        int64_t w = job_exec_yielding(ctx, pass->what, pass->apply_sql, np, p);
        for (int c = 0; c < ncols; c++)
            free(arr[c]);
        if (w < 0) {
            rc = -1;
            break;
        }
        *updated += w;
        job_progress(ctx, base + to, base + n);
        if (job_cancelled(ctx)) {
            rc = -1;
            break;
        }
    }
    return rc;
}

int stats_end(struct job_ctx *ctx)
{
    if (ctx->dryrun && PQtransactionStatus(ctx->db) != PQTRANS_IDLE)
        pg_cmd(ctx->db, "ROLLBACK");
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

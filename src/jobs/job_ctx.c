/* job_ctx — see job_ctx.h. */
#include "jobs/job_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "store/pg.h"
#include "store/redis.h"

bool job_cancelled(const struct job_ctx *ctx)
{
    return atomic_load(&ctx->ctl->cancel) != CANCEL_NONE;
}

void job_progress(struct job_ctx *ctx, int64_t done, int64_t total)
{
    atomic_store(&ctx->ctl->progress_done, done);
    atomic_store(&ctx->ctl->progress_total, total);
    atomic_store(&ctx->ctl->progress_dirty, true);
}

int job_fail(struct job_ctx *ctx, const char *fmt, ...)
{
    if (ctx->error[0])
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    return -1;
}

PGresult *job_query(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    if (job_cancelled(ctx))
        return NULL;
    char state[6] = "";
    PGresult *r = pg_query(ctx->db, what, sql, n, params, state);
    if (r)
        return r;
    if (!strcmp(state, "57014") || job_cancelled(ctx))
        return NULL; /* statement cancelled: the worker knows why */
    job_fail(ctx, "%s failed: %s", what, PQerrorMessage(ctx->db));
    size_t len = strlen(ctx->error);
    while (len && ctx->error[len - 1] == '\n')
        ctx->error[--len] = '\0';
    return NULL;
}

int64_t job_exec(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *r = job_query(ctx, what, sql, n, params);
    if (!r)
        return -1;
    const char *t = PQcmdTuples(r);
    int64_t rows = (t && *t) ? strtoll(t, NULL, 10) : 0;
    PQclear(r);
    return rows;
}

int64_t job_param_int(const struct job_ctx *ctx, const char *name, int64_t fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    return json_is_integer(v) ? json_integer_value(v) : fallback;
}

const char *job_param_str(const struct job_ctx *ctx, const char *name)
{
    return json_string_value(json_object_get(ctx->params, name));
}

bool job_param_bool(const struct job_ctx *ctx, const char *name)
{
    return json_is_true(json_object_get(ctx->params, name));
}

bool job_param_present(const struct job_ctx *ctx, const char *name)
{
    json_t *v = json_object_get(ctx->params, name);
    return v && !json_is_null(v);
}

struct redisContext *job_redis(struct job_ctx *ctx)
{
    if (ctx->redis)
        return ctx->redis;
    char err[512];
    ctx->redis = redis_open(ctx->cfg->redis_url, 5000, err, sizeof err);
    if (!ctx->redis)
        job_fail(ctx, "%s", err);
    return ctx->redis;
}

/* job_ctx — see job_ctx.h. */
#include "jobs/job_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "contract/accel.h"
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

/* Keeps the first failure: its sentence and the SQLSTATE that goes with it ("" for none). -1. */
static int fail_v(struct job_ctx *ctx, const char *sqlstate, const char *fmt, va_list ap)
{
    if (ctx->error[0])
        return -1;
    snprintf(ctx->error_sqlstate, sizeof ctx->error_sqlstate, "%s", sqlstate ? sqlstate : "");
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    return -1;
}

int job_fail(struct job_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(ctx, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

int job_fail_state(struct job_ctx *ctx, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(ctx, sqlstate, fmt, ap);
    va_end(ap);
    return -1;
}

const struct id_types *job_ids(struct job_ctx *ctx)
{
    char err[512];
    if (!ctx->ids_known && idtypes_detect(ctx->db, &ctx->ids, err, sizeof err)) {
        job_fail(ctx, "%s", err);
        return NULL;
    }
    ctx->ids_known = true;
    return &ctx->ids;
}

int job_accel(struct job_ctx *ctx, const char *name)
{
    int on = accel_installed(ctx->db, name);
    if (on < 0)
        job_fail(ctx, "cannot read whether the %s accelerator is installed: %s", name, PQerrorMessage(ctx->db));
    return on;
}

/* True when `sql` holds an id-type placeholder. */
static bool has_placeholder(const char *sql)
{
    return strstr(sql, "{comic}") || strstr(sql, "{chapter}") || strstr(sql, "{group}") || strstr(sql, "{user}");
}

/* The statement on ctx->db, its id-type placeholders replaced; NULL with `state` set when it failed. */
static PGresult *run_statement(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params,
                               char state[6])
{
    if (job_cancelled(ctx))
        return NULL;
    char *typed = NULL;
    if (has_placeholder(sql)) {
        const struct id_types *ids = job_ids(ctx);
        if (!ids)
            return NULL;
        sql = typed = idtypes_sql(ids, sql);
    }
    PGresult *r = pg_query(ctx->db, what, sql, n, params, state);
    free(typed);
    return r;
}

/* After a failed statement: records why, the server's `message` (unless it was cancelled: the worker knows why).
 * Always NULL. */
static PGresult *statement_failed(struct job_ctx *ctx, const char *what, const char *state, const char *message)
{
    if (!strcmp(state, "57014") || job_cancelled(ctx))
        return NULL;
    job_fail_state(ctx, state, "%s failed: %s", what, message);
    size_t len = strlen(ctx->error);
    while (len && ctx->error[len - 1] == '\n')
        ctx->error[--len] = '\0';
    return NULL;
}

PGresult *job_query(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    char state[6] = "";
    PGresult *r = run_statement(ctx, what, sql, n, params, state);
    return r ? r : statement_failed(ctx, what, state, PQerrorMessage(ctx->db));
}

/* One try of a yielding statement in a transaction of its own with SET LOCAL lock_timeout (and an asynchronous
 * commit: job_ctx.h says why that is safe); the session is idle again when it returns. NULL with `state` and
 * `message` (the failure, kept from before the ROLLBACK) set when it failed. */
static PGresult *yielding_try(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params,
                              char state[6], char *message, size_t msglen)
{
    PGresult *r = NULL;
    if (!pg_cmd(ctx->db, "BEGIN; SET LOCAL lock_timeout = '" JOB_LOCK_TIMEOUT "'; SET LOCAL synchronous_commit = off"))
        r = run_statement(ctx, what, sql, n, params, state);
    if (r && pg_cmd(ctx->db, "COMMIT")) {
        PQclear(r);
        r = NULL;
    }
    if (!r)
        snprintf(message, msglen, "%s", PQerrorMessage(ctx->db));
    if (PQtransactionStatus(ctx->db) != PQTRANS_IDLE)
        pg_cmd(ctx->db, "ROLLBACK");
    return r;
}

bool job_lock_pause(struct job_ctx *ctx, const char *what, int *pause_ms, int *waited_ms)
{
    if (job_cancelled(ctx))
        return false;
    if (*waited_ms >= JOB_LOCK_RETRY_MS) {
        job_fail(ctx,
                 "%s: rows it writes stayed locked by other transactions for %d s (it gives up its own "
                 "locks after " JOB_LOCK_TIMEOUT " each time, so theirs can finish)",
                 what, *waited_ms / 1000);
        return false;
    }
    struct timespec ts = {*pause_ms / 1000, (long)(*pause_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    *waited_ms += *pause_ms;
    *pause_ms = *pause_ms < 1000 ? *pause_ms * 2 : 1000;
    return true;
}

PGresult *job_query_yielding(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    if (PQtransactionStatus(ctx->db) != PQTRANS_IDLE) /* inside the caller's transaction (a dry run) */
        return job_query(ctx, what, sql, n, params);
    int waited_ms = 0, pause_ms = JOB_LOCK_FIRST_PAUSE_MS;
    for (;;) {
        char state[6] = "", message[512];
        PGresult *r = yielding_try(ctx, what, sql, n, params, state, message, sizeof message);
        if (r)
            return r;
        if (strcmp(state, "55P03") || job_cancelled(ctx))
            return statement_failed(ctx, what, state, message);
        if (!job_lock_pause(ctx, what, &pause_ms, &waited_ms))
            return NULL;
    }
}

/* Rows affected by `r` (freed), or -1 for NULL. */
static int64_t affected(PGresult *r)
{
    if (!r)
        return -1;
    const char *t = PQcmdTuples(r);
    int64_t rows = (t && *t) ? strtoll(t, NULL, 10) : 0;
    PQclear(r);
    return rows;
}

int64_t job_exec(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    return affected(job_query(ctx, what, sql, n, params));
}

int64_t job_exec_yielding(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params)
{
    return affected(job_query_yielding(ctx, what, sql, n, params));
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

const char *job_param_text(const struct job_ctx *ctx, const char *name, char *buf, size_t buflen)
{
    json_t *v = json_object_get(ctx->params, name);
    if (json_is_string(v))
        return json_string_value(v);
    if (!json_is_integer(v))
        return NULL;
    snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
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

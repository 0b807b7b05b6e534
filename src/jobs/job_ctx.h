/*
 * job_ctx — everything a job sees (DESIGN §4), and all it sees (never `struct app`, never HTTP): settings, metrics, validated params, a dedicated Postgres connection, Redis on demand,
 * progress and cancel, the meta object and rowsaffected to fill, and dryrun. A job never touches HTTP or the run
 * table; the worker does that around it.
 *
 * Cancel: job_cancelled() turns true when an admin cancels the run or its timeout passes. The worker also
 * PQcancel()s the statement in flight, which makes job_query() return NULL; a job then simply returns -1 and the
 * worker records `cancelled` (or `failed` for a timeout). Jobs check job_cancelled() between batches.
 */
#ifndef COMICBATCH_JOB_CTX_H
#define COMICBATCH_JOB_CTX_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "contract/idtypes.h"
#include "jobs/registry.h"

struct config;
struct metrics;
struct redisContext;
struct run_control;

struct job_ctx {
    const struct config *cfg; /* the process's settings (read-only): batch sizes, storage, provider, … */
    struct metrics *metrics;  /* this process's /metrics series, for counters a job keeps itself */
    const struct job_def *job;
    const char *run_id;
    const json_t *params; /* validated (params_validate), borrowed */
    bool dryrun;
    PGconn *db;   /* the worker's own connection; leave it outside any transaction on return */
    json_t *meta; /* owned by the worker; the job adds its counters */
    int64_t rowsaffected;
    char error[1024];       /* why the job failed (first error wins) */
    char error_sqlstate[6]; /* the SQLSTATE of the statement that set `error` (job_query*, job_fail_state), else "" */
    struct run_control *ctl;
    struct redisContext *redis; /* opened lazily by job_redis(), closed by the worker */
    struct id_types ids;        /* the platform's id types, read on first use by job_ids() */
    bool ids_known;
};

/** Cancel reasons stored in run_control.cancel (CANCEL_SIGNAL: SIGINT/SIGTERM to `comicbatch run`). */
enum {
    CANCEL_NONE = 0,
    CANCEL_REQUESTED = 1,
    CANCEL_TIMEOUT = 2,
    CANCEL_SHUTDOWN = 3,
    CANCEL_LOST = 4,
    CANCEL_SIGNAL = 5
};

/** Shared between the worker running a job and the monitor/listener that may cancel it. */
struct run_control {
    char run_id[37];
    atomic_int cancel; /* CANCEL_* */
    atomic_llong progress_done;
    atomic_llong progress_total;
    atomic_bool progress_dirty;
    int64_t started_mono_ms;
    int64_t timeout_ms;
    PGcancel *pgcancel; /* for the worker's connection; guarded by the worker pool's lock */
};

/** True once the run should stop (admin cancel, timeout, shutdown). */
bool job_cancelled(const struct job_ctx *ctx);

/** Reports progress; cheap (stored in memory, flushed to the run row about once a second). */
void job_progress(struct job_ctx *ctx, int64_t done, int64_t total);

/** Records why the job failed (first call wins) and returns -1 for `return job_fail(...)`. */
int job_fail(struct job_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * job_fail for a failed statement: also keeps its SQLSTATE (error_sqlstate), by which the worker tells a schema
 * failure (a dropped column, a revoked grant) that makes the job unavailable at once. For statements a job runs
 * itself rather than through job_query*.
 */
int job_fail_state(struct job_ctx *ctx, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Runs a statement on ctx->db. Returns the result (PQclear it) or NULL: when cancelled (no error recorded; check
 * job_cancelled) or on failure (ctx->error gets `what` and the server's message). Refuses to start a statement once
 * the run is cancelled. `sql` may name id types as {comic}, {chapter}, {group}, {user} (contract/idtypes.h): they
 * are replaced by the platform's types.
 */
PGresult *job_query(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params);

/** How long a yielding statement waits for a row lock (SET LOCAL lock_timeout; below deadlock_timeout). */
#define JOB_LOCK_TIMEOUT "200ms"
/** How long job_query_yielding keeps retrying a statement that timed out on locks, in all. */
#define JOB_LOCK_RETRY_MS 30000

/**
 * job_query for a multi-row write on rows the platform's own transactions also write (library.entry, …): the
 * statement runs in a transaction of its own with lock_timeout JOB_LOCK_TIMEOUT, so in a lock cycle with a platform
 * transaction it is the job's statement that fails (PostgreSQL aborts the one whose deadlock_timeout, 1 s by
 * default, passes first) and the platform's goes on. A statement that timed out on a lock (SQLSTATE 55P03) was
 * rolled back whole and runs again after a growing pause (0.1 → 1 s), for up to JOB_LOCK_RETRY_MS in all; then it
 * fails naming the wait. Inside the caller's transaction (a dry run) it is job_query. Other failures as job_query.
 * Only for writes the next run would redo (derived values, deletes of what is past its limit): the transaction
 * commits with synchronous_commit off — a run of many batches does not wait for the disk at every one. A PostgreSQL
 * crash can lose the last ones (never tear one: the database stays consistent, the rows are simply stale again);
 * the run's end record, an ordinary durable commit made afterwards, flushes the WAL before it, so a
 * run recorded `done` has every batch on disk.
 */
PGresult *job_query_yielding(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params);

/** The first pause after a lock wait gave up (job_lock_pause doubles it up to 1 s). */
#define JOB_LOCK_FIRST_PAUSE_MS 100

/**
 * The pause between two tries of work that yielded on a lock (SQLSTATE 55P03, after JOB_LOCK_TIMEOUT): sleeps
 * `*pause_ms` (start with JOB_LOCK_FIRST_PAUSE_MS; it doubles up to 1 s) and adds it to `*waited_ms`. Returns false
 * instead once JOB_LOCK_RETRY_MS were waited (after job_fail naming `what`) or when the run was cancelled.
 */
bool job_lock_pause(struct job_ctx *ctx, const char *what, int *pause_ms, int *waited_ms);

/** job_query for statements without rows: affected row count or -1. */
int64_t job_exec(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params);

/** job_query_yielding for statements without rows: affected row count or -1. */
int64_t job_exec_yielding(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *params);

/** Param accessors (the params were validated; a missing/NULL param gives the fallback). */
int64_t job_param_int(const struct job_ctx *ctx, const char *name, int64_t fallback);
const char *job_param_str(const struct job_ctx *ctx, const char *name);
bool job_param_bool(const struct job_ctx *ctx, const char *name);
bool job_param_present(const struct job_ctx *ctx, const char *name);
/** A string or integer param as text (in `buf` for an integer), NULL when absent/null. */
const char *job_param_text(const struct job_ctx *ctx, const char *name, char *buf, size_t buflen);

/** The platform's id types (read from the catalog once per run), or NULL with ctx->error set. */
const struct id_types *job_ids(struct job_ctx *ctx);

/** 1 when accelerator `name` (contract/accel.h) is installed, 0 when not, -1 with ctx->error set. */
int job_accel(struct job_ctx *ctx, const char *name);

/** The Redis connection for this run (opened on first use), or NULL with ctx->error set. */
struct redisContext *job_redis(struct job_ctx *ctx);

#endif

/*
 * analytics.flush_counters — see analytics_flush.h for the steps and the crash analysis; flush_redis.c holds the
 * Redis side. This file: the flush lock, the set-based apply (one transaction with the ledger row), recovery, the
 * job and its dry run.
 */
#include "jobs/analytics_flush.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jobs/flush_redis.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"
#include "store/redis.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid7.h"

#define FLUSH_LOCK "1128415810, 1" /* pg_advisory_lock(class, key): the flusher/recoverer */
#define SCAN_PAGE 10000
#define LOCK_POLL_MS 100
#define LEDGER_KEEP "90 days"
#define APPLY_WORK_MEM "64MB" /* a million-key flush hashes its ids in memory instead of spilling */
/*
 * The rows a flush touches are hot (they were just viewed): with the default random_page_cost (4) the planner
 * seq-scans a million chapters to update ten thousand; at 1.1 it probes the primary key for small flushes and still
 * hash-joins the large ones.
 */
#define APPLY_RANDOM_PAGE_COST "1.1"

/* Where SQL goes: the run's connection through job_query (cancellable), or a plain connection at daemon start. */
struct flush_db {
    PGconn *db;
    struct job_ctx *ctx; /* NULL at daemon start */
    char err[512];
};

/* What applying one set did. */
struct flush_result {
    int64_t comics, chapters, views;       /* rows updated and views added */
    int64_t unknown_comics, unknown_chapters, views_dropped; /* ids with no row (deleted): counted, not an error */
};

static PGresult *fq(struct flush_db *f, const char *what, const char *sql, int n, const char *const *p)
{
    if (f->ctx)
        return job_query(f->ctx, what, sql, n, p);
    PGresult *r = pg_query(f->db, what, sql, n, p, NULL);
    if (!r)
        snprintf(f->err, sizeof f->err, "%s failed: %s", what, PQerrorMessage(f->db));
    return r;
}

static int fail(struct flush_db *f, const char *msg)
{
    if (f->ctx)
        return job_fail(f->ctx, "%s", msg);
    snprintf(f->err, sizeof f->err, "%s", msg);
    return -1;
}

static int fexec(struct flush_db *f, const char *what, const char *sql, int n, const char *const *p)
{
    PGresult *r = fq(f, what, sql, n, p);
    PQclear(r);
    return r ? 0 : -1;
}

/*
 * Adds one kind's counts (ids unique and ascending: flush_set_finish) in one UPDATE … FROM unnest; ids without a row
 * are counted. `table` is a constant ("core.comic" / "core.chapter"). A negative sum (a DECRBY) never takes a
 * count below 0 (the column's CHECK).
 */
static int apply_list(struct flush_db *f, const char *table, const struct flush_list *l, int64_t *rows,
                      int64_t *views, int64_t *unknown, int64_t *dropped)
{
    *rows = *views = *unknown = *dropped = 0;
    if (l->n == 0)
        return 0;
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH up AS (UPDATE %s t SET viewcount = greatest(t.viewcount + u.n, 0)"
             " FROM unnest($1::bigint[], $2::bigint[]) AS u(id, n) WHERE t.id = u.id RETURNING u.n)"
             " SELECT count(*), coalesce(sum(n), 0)::bigint FROM up",
             table);
    const char *p[] = {l->ids, l->views};
    PGresult *r = fq(f, "flush.apply", sql, 2, p);
    if (!r)
        return -1;
    *rows = pg_int(r, 0, 0, 0);
    *views = pg_int(r, 0, 1, 0);
    *unknown = l->n - *rows;
    *dropped = l->total - *views;
    PQclear(r);
    return 0;
}

/*
 * Step 2: in one transaction, records `id` in the ledger and applies `set`. Returns 1 when applied, 0 when `id` was
 * already recorded (nothing changed), -1 on error (rolled back).
 */
static int flush_apply(struct flush_db *f, const char *id, struct flush_set *set, bool recovered,
                       struct flush_result *res)
{
    memset(res, 0, sizeof *res);
    flush_set_finish(set);
    const char *p[] = {id, recovered ? "t" : "f"};
    if (fexec(f, "flush.begin", "BEGIN", 0, NULL) ||
        fexec(f, "flush.work_mem", "SET LOCAL work_mem = '" APPLY_WORK_MEM "'", 0, NULL) ||
        fexec(f, "flush.page_cost", "SET LOCAL random_page_cost = " APPLY_RANDOM_PAGE_COST, 0, NULL)) {
        pg_cmd(f->db, "ROLLBACK");
        return -1;
    }
    PGresult *r = fq(f, "flush.ledger",
                     "INSERT INTO system.flushledger (id, recovered) VALUES ($1::uuid, $2::boolean)"
                     " ON CONFLICT (id) DO NOTHING RETURNING 1",
                     2, p);
    int fresh = r ? PQntuples(r) : -1;
    PQclear(r);
    if (fresh <= 0) {
        pg_cmd(f->db, "ROLLBACK");
        return fresh;
    }
    if (apply_list(f, "core.comic", &set->comics, &res->comics, &res->views, &res->unknown_comics,
                   &res->views_dropped)) {
        pg_cmd(f->db, "ROLLBACK");
        return -1;
    }
    int64_t hv, hd;
    if (apply_list(f, "core.chapter", &set->chapters, &res->chapters, &hv, &res->unknown_chapters, &hd)) {
        pg_cmd(f->db, "ROLLBACK");
        return -1;
    }
    res->views += hv;
    res->views_dropped += hd;
    char c[32], h[32], v[32], u[32];
    snprintf(c, sizeof c, "%lld", (long long)res->comics);
    snprintf(h, sizeof h, "%lld", (long long)res->chapters);
    snprintf(v, sizeof v, "%lld", (long long)res->views);
    snprintf(u, sizeof u, "%lld", (long long)(res->unknown_comics + res->unknown_chapters));
    const char *q[] = {id, c, h, v, u};
    if (fexec(f, "flush.ledger_counts",
              "UPDATE system.flushledger SET comics = $2::bigint, chapters = $3::bigint, views = $4::bigint,"
              " unknownids = $5::bigint WHERE id = $1::uuid",
              5, q) ||
        fexec(f, "flush.commit", "COMMIT", 0, NULL)) {
        pg_cmd(f->db, "ROLLBACK");
        return -1;
    }
    return 1;
}

static int is_recorded(struct flush_db *f, const char *id)
{
    const char *p[] = {id};
    PGresult *r = fq(f, "flush.ledger_check", "SELECT 1 FROM system.flushledger WHERE id = $1::uuid", 1, p);
    int n = r ? PQntuples(r) : -1;
    PQclear(r);
    return n;
}

/* Recovery of one staging hash: drop it when its id is recorded, otherwise apply it first. */
static int recover_one(struct flush_db *f, redisContext *rc, const char *key, struct flush_result *sum, int *applied)
{
    const char *id = key + sizeof FLUSH_STAGING_PREFIX - 1;
    char err[512];
    int known = is_recorded(f, id);
    if (known < 0)
        return -1;
    if (!known) {
        struct flush_set set;
        flush_set_init(&set);
        struct flush_result res;
        int rc2 = flush_read_staging(rc, key, SCAN_PAGE, &set, err, sizeof err) ? (fail(f, err), -1)
                                                                                 : flush_apply(f, id, &set, true, &res);
        flush_set_free(&set);
        if (rc2 < 0)
            return -1;
        if (rc2 == 1) {
            sum->comics += res.comics, sum->chapters += res.chapters, sum->views += res.views;
            (*applied)++;
            log_info("msg=\"flush recovered\" flush=%s comics=%lld chapters=%lld views=%lld", id,
                     (long long)res.comics, (long long)res.chapters, (long long)res.views);
        }
    }
    if (flush_drop_staging(rc, key, err, sizeof err))
        return fail(f, err);
    return 0;
}

/*
 * Applies or drops every staging hash left behind (registered ones; with `full`, also any found by scanning the
 * keyspace). Caller holds the flush lock. Returns 0 or -1.
 */
static int flush_recover(struct flush_db *f, redisContext *rc, bool full, struct flush_result *sum, int *applied,
                         int *seen)
{
    char **keys, err[512];
    int n = flush_list_staging(rc, full, &keys, err, sizeof err);
    if (n < 0)
        return fail(f, err);
    *seen = n;
    int rc2 = 0;
    for (int i = 0; i < n && rc2 == 0; i++)
        rc2 = recover_one(f, rc, keys[i], sum, applied);
    flush_free_keys(keys, n);
    return rc2;
}

/* Opens a connection that only holds the flush lock (closing it releases the lock, whatever happened). */
static PGconn *lock_acquire(struct app *app, struct job_ctx *ctx, bool wait, char *err, size_t errlen)
{
    PGconn *c = pg_connect(app->cfg.database_url, "comicbatch-flush-lock", err, errlen);
    while (c) {
        PGresult *r = pg_query(c, "flush.lock", "SELECT pg_try_advisory_lock(" FLUSH_LOCK ")", 0, NULL, NULL);
        bool got = r && pg_bool(r, 0, 0);
        PQclear(r);
        if (got)
            return c;
        if (!r || !wait || (ctx && job_cancelled(ctx))) {
            snprintf(err, errlen, r ? "another process holds the flush lock" : "flush lock query failed");
            break;
        }
        time_sleep_ms(LOCK_POLL_MS);
    }
    PQfinish(c);
    return NULL;
}

static void meta_result(json_t *meta, const struct flush_result *r, const struct flush_set *set, const char *id)
{
    json_object_set_new(meta, "comicsFlushed", json_integer(r->comics));
    json_object_set_new(meta, "chaptersFlushed", json_integer(r->chapters));
    json_object_set_new(meta, "totalViewsWritten", json_integer(r->views));
    json_object_set_new(meta, "flushId", id ? json_string(id) : json_null());
    json_object_set_new(meta, "unknownComics", json_integer(r->unknown_comics));
    json_object_set_new(meta, "unknownChapters", json_integer(r->unknown_chapters));
    json_object_set_new(meta, "viewsDropped", json_integer(r->views_dropped));
    json_object_set_new(meta, "keysSkipped", json_integer(set->skipped));
}

/* Steps 1–3 for a new flush id. Returns 0 or -1 (what was staged stays for recovery). */
static int flush_new(struct job_ctx *ctx, struct flush_db *f, redisContext *rc, struct flush_result *res)
{
    char id[UUID7_STRLEN + 1], key[96], err[512];
    uuid7_new_string(id);
    snprintf(key, sizeof key, FLUSH_STAGING_PREFIX "%s", id);
    struct flush_set set;
    flush_set_init(&set);
    int64_t t0 = time_mono_ms(), t1 = 0, t2 = 0;
    int ok = flush_stage(rc, key, false, SCAN_PAGE, &set, err, sizeof err) ? job_fail(ctx, "%s", err) : 0;
    memset(res, 0, sizeof *res);
    if (ok == 0 && set.comics.n + set.chapters.n > 0) {
        fault_point("flush:after_staging");
        job_progress(ctx, 1, 3);
        t1 = time_mono_ms();
        ok = flush_apply(f, id, &set, false, res) == 1 ? 0 : -1;
        t2 = time_mono_ms();
        if (ok == 0) {
            fault_point("flush:after_commit");
            job_progress(ctx, 2, 3);
            fault_point("flush:before_drop");
            if (flush_drop_staging(rc, key, err, sizeof err))
                log_warn("msg=\"flush applied; staging hash left for the next recovery\" flush=%s error=\"%s\"", id,
                         err);
        }
    }
    meta_result(ctx->meta, res, &set, set.comics.n + set.chapters.n > 0 ? id : NULL);
    /* Where the time went (for benchmarks and slow-run diagnosis): Redis staging, Postgres apply, staging drop. */
    if (t1)
        json_object_set_new(ctx->meta, "timingsMs",
                            json_pack("{s:I, s:I, s:I}", "stage", (json_int_t)(t1 - t0), "apply",
                                      (json_int_t)(t2 - t1), "drop", (json_int_t)(time_mono_ms() - t2)));
    flush_set_free(&set);
    return ok;
}

static int flush_dry(struct job_ctx *ctx, redisContext *rc)
{
    struct flush_set set;
    flush_set_init(&set);
    char err[512];
    char **keys;
    int staged = flush_list_staging(rc, false, &keys, err, sizeof err);
    if (staged >= 0)
        flush_free_keys(keys, staged);
    int ok = staged < 0 || flush_stage(rc, NULL, true, SCAN_PAGE, &set, err, sizeof err) ? job_fail(ctx, "%s", err)
                                                                                          : 0;
    struct flush_result none = {0};
    meta_result(ctx->meta, &none, &set, NULL);
    json_object_set_new(ctx->meta, "wouldFlush",
                        json_pack("{s:I, s:I, s:I}", "comicKeys", (json_int_t)set.comics.n, "chapterKeys",
                                  (json_int_t)set.chapters.n, "views",
                                  (json_int_t)(set.comics.total + set.chapters.total)));
    json_object_set_new(ctx->meta, "pendingStaging", json_integer(staged > 0 ? staged : 0));
    flush_set_free(&set);
    return ok;
}

static int flush_run(struct job_ctx *ctx)
{
    redisContext *rc = job_redis(ctx);
    if (!rc)
        return -1;
    if (ctx->dryrun)
        return flush_dry(ctx, rc);
    char err[512];
    PGconn *lock = lock_acquire(ctx->app, ctx, true, err, sizeof err);
    if (!lock)
        return job_cancelled(ctx) ? -1 : job_fail(ctx, "%s", err);
    struct flush_db f = {.db = ctx->db, .ctx = ctx};
    struct flush_result rec = {0}, res;
    int applied = 0, seen = 0;
    int ok = flush_recover(&f, rc, false, &rec, &applied, &seen);
    /* Every staging hash is settled now, so old ledger rows can no longer be asked about. */
    if (ok == 0 && job_exec(ctx, "flush.prune_ledger",
                            "DELETE FROM system.flushledger WHERE appliedat < now() - interval '" LEDGER_KEEP "'", 0,
                            NULL) < 0)
        ok = -1;
    if (ok == 0)
        ok = flush_new(ctx, &f, rc, &res);
    PQfinish(lock);
    if (seen)
        json_object_set_new(ctx->meta, "recovered",
                            json_pack("{s:i, s:I, s:I, s:I}", "flushes", applied, "comics", (json_int_t)rec.comics,
                                      "chapters", (json_int_t)rec.chapters, "views", (json_int_t)rec.views));
    ctx->rowsaffected = ok == 0 ? res.comics + res.chapters + rec.comics + rec.chapters : rec.comics + rec.chapters;
    job_progress(ctx, 3, 3);
    return ok;
}

void analytics_flush_recover_at_start(struct app *app)
{
    char err[512];
    PGconn *lock = lock_acquire(app, NULL, false, err, sizeof err);
    if (!lock) {
        log_info("msg=\"flush recovery skipped at start\" reason=\"%s\"", err);
        return;
    }
    redisContext *rc = redis_open(app->cfg.redis_url, 2000, err, sizeof err);
    PGconn *db = rc ? pg_connect(app->cfg.database_url, "comicbatch-flush-recovery", err, sizeof err) : NULL;
    if (db) {
        struct flush_db f = {.db = db};
        struct flush_result sum = {0};
        int applied = 0, seen = 0;
        if (flush_recover(&f, rc, true, &sum, &applied, &seen))
            log_warn("msg=\"flush recovery at start failed; the next run retries\" error=\"%s\"", f.err);
        else if (seen)
            log_info("msg=\"flush recovery at start\" staging=%d applied=%d views=%lld", seen, applied,
                     (long long)sum.views);
    } else {
        log_warn("msg=\"flush recovery at start skipped\" error=\"%s\"", err);
    }
    PQfinish(db);
    redis_close(rc);
    PQfinish(lock);
}

const struct job_def job_analytics_flush_counters = {
    .key = "analytics.flush_counters",
    .description = "Flush Redis view counters to Postgres",
    .cron = "0 * * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .run = flush_run,
};

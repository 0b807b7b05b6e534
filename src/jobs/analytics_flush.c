/*
 * analytics.flush_counters — see analytics_flush.h for the steps and the crash analysis; flush_redis.c holds the
 * Redis side, flush_apply.c the apply transaction. This file: the flush lock, recovery, the job and its dry run.
 */
#include "jobs/analytics_flush.h"
#include "contract/contract.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jobs/flush_apply.h"
#include "jobs/flush_redis.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/lockkeys.h"
#include "store/pg.h"
#include "store/redis.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid7.h"

#define FLUSH_LOCK LOCK_FLUSH /* store/lockkeys.h: the flusher/recoverer */
#define SCAN_PAGE 10000       /* SCAN COUNT hint: keys moved (and UPDATEd) per page */
#define LOCK_POLL_MS 100
#define LEDGER_KEEP "90 days"

/* Records an error for the run, or for the daemon-start log. Returns -1. */
static int fail(struct flush_tx *t, const char *msg)
{
    if (t->ctx)
        return job_fail(t->ctx, "%s", msg);
    snprintf(t->err, sizeof t->err, "%s", msg);
    return -1;
}

static int is_recorded(struct flush_tx *t, const char *id)
{
    const char *p[] = {id};
    PGresult *r = t->ctx ? job_query(t->ctx, "flush.ledger_check",
                                     "SELECT 1 FROM system.flushledger WHERE id = $1::uuid", 1, p)
                         : pg_query(t->db, "flush.ledger_check", "SELECT 1 FROM system.flushledger WHERE id = $1::uuid",
                                    1, p, NULL);
    if (!r && !t->ctx)
        fail(t, "cannot read system.flushledger");
    int n = r ? PQntuples(r) : -1;
    PQclear(r);
    return n;
}

/*
 * Applies a whole staging list under its own id (recovery; `recovered` false: a flush applied again after it
 * yielded). Returns 1 applied, 0 already recorded, -1 error.
 */
static int apply_staged(struct flush_tx *t, redisContext *rc, const char *key, const char *id, bool recovered)
{
    struct flush_set set;
    flush_set_init(&set);
    char err[512];
    int rc2 = flush_read_staging(rc, key, &t->ids, SCAN_PAGE, &set, err, sizeof err) ? fail(t, err) : 0;
    if (rc2 == 0) {
        flush_set_seal(&set);
        rc2 = flush_tx_begin(t, id, recovered);
        if (rc2 == 1 && (flush_tx_page(t, &set) || flush_tx_commit(t, id)))
            rc2 = -1;
    }
    flush_set_finish(&set);
    return rc2;
}

/*
 * After an apply yielded to a platform transaction (a row lock wait past JOB_LOCK_TIMEOUT: rolled back whole, its
 * locks released), applies the staging list again after a growing pause, for up to JOB_LOCK_RETRY_MS. Without a run
 * (daemon start) the list is left to the next run. Returns 1 applied, 0 already recorded, -1 failed.
 */
static int apply_again(struct flush_tx *t, redisContext *rc, const char *key, const char *id, bool recovered)
{
    int pause_ms = JOB_LOCK_FIRST_PAUSE_MS, waited_ms = 0;
    while (t->ctx && t->lock_timeout && job_lock_pause(t->ctx, "flush.apply", &pause_ms, &waited_ms)) {
        t->lock_timeout = false; /* only this try's failure may ask for another (a Redis error does not) */
        int rc2 = apply_staged(t, rc, key, id, recovered);
        if (rc2 >= 0)
            return rc2;
    }
    return -1;
}

/* Recovery of one staging list: drop it when its id is recorded, otherwise apply it first. */
static int recover_one(struct flush_tx *t, redisContext *rc, const char *key, struct flush_result *sum, int *applied)
{
    const char *id = key + sizeof FLUSH_STAGING_PREFIX - 1;
    int known = is_recorded(t, id);
    if (known < 0)
        return -1;
    if (!known) {
        int rc2 = apply_staged(t, rc, key, id, true);
        if (rc2 < 0 && t->lock_timeout)
            rc2 = apply_again(t, rc, key, id, true);
        if (rc2 < 0)
            return -1;
        if (rc2 == 1) {
            sum->comics += t->res.comics, sum->chapters += t->res.chapters, sum->views += t->res.views;
            (*applied)++;
            log_info("msg=\"flush recovered\" flush=%s comics=%lld chapters=%lld views=%lld", id,
                     (long long)t->res.comics, (long long)t->res.chapters, (long long)t->res.views);
        }
    }
    char err[512];
    return flush_drop_staging(rc, key, err, sizeof err) ? fail(t, err) : 0;
}

/*
 * Applies or drops every staging list left behind (registered ones; with `full`, also any found by scanning the
 * keyspace). Caller holds the flush lock. Returns 0 or -1.
 */
static int flush_recover(struct flush_tx *t, redisContext *rc, bool full, struct flush_result *sum, int *applied,
                         int *seen)
{
    char **keys, err[512];
    int n = flush_list_staging(rc, full, &keys, err, sizeof err);
    if (n < 0)
        return fail(t, err);
    *seen = n;
    int rc2 = 0;
    for (int i = 0; i < n && rc2 == 0; i++)
        rc2 = recover_one(t, rc, keys[i], sum, applied);
    flush_free_keys(keys, n);
    return rc2;
}

/* Opens a connection that only holds the flush lock (closing it releases the lock, whatever happened). */
static PGconn *lock_acquire(const struct config *cfg, struct job_ctx *ctx, bool wait, char *err, size_t errlen)
{
    PGconn *c = pg_connect(config_session_url(cfg), "comicbatch-flush-lock", err, errlen);
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

static void meta_result(json_t *meta, const struct flush_result *r, int64_t skipped, const char *id)
{
    json_object_set_new(meta, "comicsFlushed", json_integer(r->comics));
    json_object_set_new(meta, "chaptersFlushed", json_integer(r->chapters));
    json_object_set_new(meta, "totalViewsWritten", json_integer(r->views));
    json_object_set_new(meta, "flushId", id ? json_string(id) : json_null());
    json_object_set_new(meta, "unknownComics", json_integer(r->unknown_comics));
    json_object_set_new(meta, "unknownChapters", json_integer(r->unknown_chapters));
    json_object_set_new(meta, "viewsDropped", json_integer(r->views_dropped));
    json_object_set_new(meta, "keysSkipped", json_integer(skipped));
}

/* A new flush streams its pages into one apply transaction, opened on the first page that moved something. */
struct stream {
    struct flush_tx *t;
    const char *id;
    int begun; /* 0 not yet, 1 open, -1 failed */
};

static int on_page(void *arg, struct flush_set *page)
{
    struct stream *s = arg;
    if (!s->begun)
        s->begun = flush_tx_begin(s->t, s->id, false) == 1 ? 1 : -1;
    if (s->begun < 0 || flush_tx_page(s->t, page)) {
        s->begun = -1;
        return -1;
    }
    return 0;
}

/* Steps 1–3 for a new flush id. Returns 0 or -1 (what was staged stays for recovery). */
static int flush_new(struct job_ctx *ctx, struct flush_tx *t, redisContext *rc)
{
    char id[UUID7_STRLEN + 1], key[96], err[512];
    uuid7_new_string(id);
    snprintf(key, sizeof key, FLUSH_STAGING_PREFIX "%s", id);
    struct stream s = {.t = t, .id = id};
    struct flush_totals tot;
    memset(&t->res, 0, sizeof t->res);
    int64_t t0 = time_mono_ms();
    int ok = flush_stage(rc, key, &t->ids, false, SCAN_PAGE, on_page, &s, &tot, err, sizeof err);
    if (ok && s.begun >= 0)
        job_fail(ctx, "%s", err); /* a Redis error (an apply error is already recorded) */
    int64_t t1 = time_mono_ms();
    if (ok == 0 && s.begun == 1) {
        job_progress(ctx, 1, 3);
        fault_point("flush:after_staging"); /* all moved; the last page's UPDATE may still be running */
        ok = flush_tx_commit(t, id);
    }
    /* Yielded to a platform transaction: what was moved so far is in the staging list; apply that. */
    bool applied = ok == 0 && s.begun == 1;
    if (ok && t->lock_timeout) {
        memset(&t->res, 0, sizeof t->res); /* the rolled-back try counted for nothing, even if no new try begins */
        applied = apply_again(t, rc, key, id, false) == 1;
        ok = applied ? 0 : -1;
    }
    if (applied) {
        fault_point("flush:after_commit");
        job_progress(ctx, 2, 3);
        fault_point("flush:before_drop");
        if (flush_drop_staging(rc, key, err, sizeof err))
            log_warn("msg=\"flush applied; staging list left for the next recovery\" flush=%s error=\"%s\"", id, err);
    }
    flush_tx_abort(t);
    meta_result(ctx->meta, &t->res, tot.skipped, applied ? id : NULL);
    /*
     * Where the time went: `moving` until Redis has moved the last page (earlier pages' UPDATEs run meanwhile),
     * `finishing` for the last page's UPDATE, the ledger totals, COMMIT and dropping the staging list;
     * `waitingForPostgres`: the part of both spent waiting for a page's UPDATE (Redis idle).
     */
    if (s.begun == 1)
        json_object_set_new(ctx->meta, "timingsMs",
                            json_pack("{s:I, s:I, s:I}", "moving", (json_int_t)(t1 - t0), "finishing",
                                      (json_int_t)(time_mono_ms() - t1), "waitingForPostgres", (json_int_t)t->wait_ms));
    return ok;
}

static int flush_dry(struct job_ctx *ctx, redisContext *rc)
{
    char err[512], **keys;
    struct flush_totals tot = {0};
    struct flush_tx t = {.db = ctx->db, .ctx = ctx};
    if (flush_tx_prepare(&t))
        return -1;
    flush_tx_finish(&t);
    int staged = flush_list_staging(rc, false, &keys, err, sizeof err);
    if (staged >= 0)
        flush_free_keys(keys, staged);
    int ok = staged < 0 || flush_stage(rc, NULL, &t.ids, true, SCAN_PAGE, NULL, NULL, &tot, err, sizeof err)
                 ? job_fail(ctx, "%s", err)
                 : 0;
    struct flush_result none = {0};
    meta_result(ctx->meta, &none, tot.skipped, NULL);
    json_object_set_new(ctx->meta, "wouldFlush",
                        json_pack("{s:I, s:I, s:I}", "comicKeys", (json_int_t)tot.comic_keys, "chapterKeys",
                                  (json_int_t)tot.chapter_keys, "views", (json_int_t)tot.views));
    json_object_set_new(ctx->meta, "pendingStaging", json_integer(staged > 0 ? staged : 0));
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
    PGconn *lock = lock_acquire(ctx->cfg, ctx, true, err, sizeof err);
    if (!lock)
        return job_cancelled(ctx) ? -1 : job_fail(ctx, "%s", err);
    struct flush_tx t = {.db = ctx->db, .ctx = ctx};
    struct flush_result rec = {0};
    int applied = 0, seen = 0;
    int ok = flush_tx_prepare(&t) ? -1 : flush_recover(&t, rc, false, &rec, &applied, &seen);
    /* Every staging list is settled now, so old ledger rows can no longer be asked about. */
    if (ok == 0 &&
        job_exec(ctx, "flush.prune_ledger",
                 "DELETE FROM system.flushledger WHERE appliedat < now() - interval '" LEDGER_KEEP "'", 0, NULL) < 0)
        ok = -1;
    if (ok == 0)
        ok = flush_new(ctx, &t, rc);
    PQfinish(lock);
    flush_tx_finish(&t);
    if (seen)
        json_object_set_new(ctx->meta, "recovered",
                            json_pack("{s:i, s:I, s:I, s:I}", "flushes", applied, "comics", (json_int_t)rec.comics,
                                      "chapters", (json_int_t)rec.chapters, "views", (json_int_t)rec.views));
    ctx->rowsaffected = rec.comics + rec.chapters + (ok == 0 ? t.res.comics + t.res.chapters : 0);
    job_progress(ctx, 3, 3);
    return ok;
}

void analytics_flush_recover_at_start(const struct config *cfg)
{
    char err[512];
    PGconn *lock = lock_acquire(cfg, NULL, false, err, sizeof err);
    if (!lock) {
        log_info("msg=\"flush recovery skipped at start\" reason=\"%s\"", err);
        return;
    }
    redisContext *rc = redis_open(cfg->redis_url, 2000, err, sizeof err);
    PGconn *db = rc ? pg_connect(config_session_url(cfg), "comicbatch-flush-recovery", err, sizeof err) : NULL;
    if (db) {
        struct flush_tx t = {.db = db};
        struct flush_result sum = {0};
        int applied = 0, seen = 0;
        if (flush_tx_prepare(&t) || flush_recover(&t, rc, true, &sum, &applied, &seen))
            log_warn("msg=\"flush recovery at start failed; the next run retries\" error=\"%s\"", t.err);
        else if (seen)
            log_info("msg=\"flush recovery at start\" staging=%d applied=%d views=%lld", seen, applied,
                     (long long)sum.views);
        flush_tx_finish(&t);
    } else {
        log_warn("msg=\"flush recovery at start skipped\" error=\"%s\"", err);
    }
    PQfinish(db);
    redis_close(rc);
    PQfinish(lock);
}

static const struct contract flush_contract = {
    .tables = (const struct contract_table[]){{"core.comic", "id:comic viewcount:int", "SELECT UPDATE(viewcount)", 0,
                                               "comics' view counts"},
                                              {"core.chapter", "id:chapter viewcount:int", "SELECT UPDATE(viewcount)",
                                               0, "chapters' view counts"},
                                              {0}},
    .accelerator = "fillfactor",
};

const struct job_def job_analytics_flush_counters = {
    .key = "analytics.flush_counters",
    .description = "Flush Redis view counters to Postgres",
    .cron = "0 * * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .run = flush_run,
    .contract = &flush_contract,
};

/*
 * library.hasnew — recalculates library.entry.hasnew (seed §2; definition in jobs/hasnew.h). Four modes, named in
 * meta.mode:
 *   user / comic  — params userid and/or comicid: the entries in scope, in keyset batches of entry ids (each batch
 *                   one statement: compute with the seed's EXISTS, write the rows that change).
 *   incremental   — the scheduled run: drains jobstate.hasnew_queue (the changes migration 003's triggers queued),
 *                   so its cost follows what changed, not the table size. When jobstate.hasnew_state says a full
 *                   sweep is owed (fresh install, bulk load), it runs one instead.
 *   full          — param full: every entry. Phase 1 compares, per chunk of users, each entry's stored flag with
 *                   "live chapters of the comic > live chapters of it the user read" (an index-only range scan of
 *                   chapterread's primary key, hashed against the live chapters, aggregated per entry) and keeps
 *                   the ids that differ in a temp table; no row is locked or written. Phase 2 rewrites those
 *                   entries in batches, recomputing each with the seed's EXISTS under a row lock, so a change that
 *                   landed after phase 1 looked is never overwritten with a stale value.
 * Every batch is its own transaction with a cancel check and progress between: a cancelled or crashed run keeps
 * its committed batches (each correct) and leaves the rest untouched; a rerun finishes the job. Dry run: the same
 * computations without writes; meta.wouldUpdate says how many entries would flip.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "jobs/hasnew.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

#define CHUNK_PER_BATCH 50 /* phase-1 chunk = 50 × batch_rows entries (500k by default) */

struct hasnew_tally {
    const char *mode;
    int64_t checked, updated, would;
};

static int64_t query_int(struct job_ctx *ctx, const char *what, const char *sql, int n, const char *const *p)
{
    PGresult *r = job_query(ctx, what, sql, n, p);
    if (!r)
        return -1;
    int64_t v = pg_int(r, 0, 0, 0);
    PQclear(r);
    return v;
}

static int finish(struct job_ctx *ctx, const struct hasnew_tally *t)
{
    json_object_set_new(ctx->meta, "mode", json_string(t->mode));
    json_object_set_new(ctx->meta, "entriesChecked", json_integer(t->checked));
    json_object_set_new(ctx->meta, "entriesUpdated", json_integer(t->updated));
    if (ctx->dryrun)
        json_object_set_new(ctx->meta, "wouldUpdate", json_integer(t->would));
    ctx->rowsaffected = t->updated;
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

/* ---- user / comic --------------------------------------------------------------------------------------- */

#define SCOPE_BATCH                                                                                                \
    "WITH b AS (SELECT id FROM library.entry WHERE ($1::uuid IS NULL OR userid = $1::uuid)"                         \
    " AND ($2::bigint IS NULL OR comicid = $2::bigint) AND id > $3::bigint ORDER BY id LIMIT $4::int),"
#define SCOPE_CALC(lock)                                                                                           \
    " calc AS MATERIALIZED (SELECT e.id, e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e"                 \
    " WHERE e.id IN (SELECT id FROM b) ORDER BY e.id " lock ")"

static const char scope_sql[] =
    SCOPE_BATCH SCOPE_CALC("FOR NO KEY UPDATE OF e")
    ", upd AS (UPDATE library.entry e SET hasnew = c.v FROM calc c WHERE e.id = c.id AND e.hasnew IS DISTINCT FROM c.v"
    " RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM upd)";

static const char scope_dry_sql[] =
    SCOPE_BATCH SCOPE_CALC("")
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), count(*) FILTER (WHERE hasnew IS DISTINCT FROM v)"
    " FROM calc";

static int run_scoped(struct job_ctx *ctx, struct hasnew_tally *t)
{
    const char *userid = job_param_str(ctx, "userid");
    char comicid[32] = "", last[32] = "0", limit[16];
    if (job_param_present(ctx, "comicid"))
        snprintf(comicid, sizeof comicid, "%" PRId64, job_param_int(ctx, "comicid", 0));
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    t->mode = userid ? "user" : "comic";
    for (;;) {
        const char *p[] = {userid, comicid[0] ? comicid : NULL, last, limit};
        PGresult *r = job_query(ctx, "hasnew.scope", ctx->dryrun ? scope_dry_sql : scope_sql, 4, p);
        if (!r)
            break;
        int64_t n = pg_int(r, 0, 1, 0);
        if (n > 0)
            snprintf(last, sizeof last, "%s", PQgetvalue(r, 0, 0));
        t->checked += n;
        if (ctx->dryrun)
            t->would += pg_int(r, 0, 2, 0);
        else
            t->updated += pg_int(r, 0, 2, 0);
        PQclear(r);
        ctx->rowsaffected = t->updated;
        job_progress(ctx, t->checked, t->checked);
        if (n < ctx->cfg->batch_rows || job_cancelled(ctx))
            break;
    }
    return finish(ctx, t);
}

/* ---- incremental ---------------------------------------------------------------------------------------- */

static const char queue_dry_sql[] =
    "WITH q AS (SELECT comicid, userid FROM jobstate.hasnew_queue),"
    " t AS (SELECT e.id FROM library.entry e WHERE e.comicid IN (SELECT comicid FROM q WHERE userid IS NULL)"
    "       UNION SELECT e.id FROM library.entry e JOIN q ON q.userid = e.userid AND q.comicid = e.comicid),"
    " calc AS (SELECT e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e WHERE e.id IN (SELECT id FROM t))"
    " SELECT count(*), count(*) FILTER (WHERE hasnew IS DISTINCT FROM v) FROM calc";

static int run_incremental(struct job_ctx *ctx, struct hasnew_tally *t)
{
    t->mode = "incremental";
    if (ctx->dryrun) {
        PGresult *r = job_query(ctx, "hasnew.queue_dry", queue_dry_sql, 0, NULL);
        if (r) {
            t->checked = pg_int(r, 0, 0, 0);
            t->would = pg_int(r, 0, 1, 0);
            PQclear(r);
        }
        return finish(ctx, t);
    }
    int64_t total = query_int(ctx, "hasnew.queue_size", "SELECT count(*) FROM jobstate.hasnew_queue", 0, NULL);
    int64_t taken_all = 0;
    char pairs[16], comics[16];
    snprintf(pairs, sizeof pairs, "%d", ctx->cfg->batch_rows);
    snprintf(comics, sizeof comics, "%d", HASNEW_DRAIN_COMICS);
    const char *p[] = {pairs, comics};
    while (total >= 0) {
        PGresult *r = job_query(ctx, "hasnew.drain", HASNEW_DRAIN_SQL, 2, p);
        if (!r)
            break;
        int64_t taken = pg_int(r, 0, 0, 0);
        t->checked += pg_int(r, 0, 1, 0);
        t->updated += pg_int(r, 0, 2, 0);
        PQclear(r);
        taken_all += taken;
        ctx->rowsaffected = t->updated;
        job_progress(ctx, taken_all, total > taken_all ? total : taken_all);
        if (taken == 0 || job_cancelled(ctx))
            break;
    }
    json_object_set_new(ctx->meta, "queued", json_integer(taken_all));
    return finish(ctx, t);
}

/* ---- full ----------------------------------------------------------------------------------------------- */

/* Phase 1, one chunk of users (lo, hi]: the ids of entries whose stored flag differs from the counts. */
static const char full_chunk_sql[] =
    "WITH x AS (SELECT e.id, e.hasnew, coalesce(lc.n, 0) > coalesce(r.n, 0) AS v"
    "   FROM library.entry e"
    "   LEFT JOIN pg_temp.hasnew_live lc ON lc.comicid = e.comicid"
    "   LEFT JOIN (SELECT cr.userid, ch.comicid, count(*) AS n FROM library.chapterread cr"
    "              JOIN core.chapter ch ON ch.id = cr.chapterid AND ch.deletedat IS NULL"
    "              WHERE ($1::uuid IS NULL OR cr.userid > $1::uuid) AND cr.userid <= $2::uuid"
    "              GROUP BY cr.userid, ch.comicid) r ON r.userid = e.userid AND r.comicid = e.comicid"
    "  WHERE ($1::uuid IS NULL OR e.userid > $1::uuid) AND e.userid <= $2::uuid),"
    " ins AS (INSERT INTO pg_temp.hasnew_flip (id) SELECT id FROM x WHERE hasnew IS DISTINCT FROM v RETURNING 1)"
    " SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM ins)";

/* Phase 2, one batch of candidates in id order: recompute under a row lock, write what differs. */
static const char full_apply_sql[] =
    "WITH b AS (SELECT id FROM pg_temp.hasnew_flip WHERE id > $1::bigint ORDER BY id LIMIT $2::int),"
    " calc AS MATERIALIZED (SELECT e.id, e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e"
    "   WHERE e.id IN (SELECT id FROM b) ORDER BY e.id FOR NO KEY UPDATE OF e),"
    " upd AS (UPDATE library.entry e SET hasnew = c.v FROM calc c WHERE e.id = c.id AND e.hasnew IS DISTINCT FROM c.v"
    "   RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM upd)";

static int full_prepare(struct job_ctx *ctx, int64_t *total)
{
    if (job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip, pg_temp.hasnew_live", 0,
                 NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_flip", "CREATE TEMP TABLE hasnew_flip (id bigint PRIMARY KEY)", 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_live",
                 "CREATE TEMP TABLE hasnew_live AS SELECT comicid, count(*) AS n FROM core.chapter"
                 " WHERE deletedat IS NULL GROUP BY comicid",
                 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_live_pk", "ALTER TABLE pg_temp.hasnew_live ADD PRIMARY KEY (comicid)", 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_analyze", "ANALYZE pg_temp.hasnew_live", 0, NULL) < 0)
        return -1;
    *total = query_int(ctx, "hasnew.count", "SELECT count(*) FROM library.entry", 0, NULL);
    return *total < 0 ? -1 : 0;
}

/* The last userid of the next chunk after `lo` (NULL: from the start) into `hi`; 0 when there is none. */
static int next_boundary(struct job_ctx *ctx, const char *lo, int64_t chunk, char hi[40])
{
    char off[32];
    snprintf(off, sizeof off, "%" PRId64, chunk - 1);
    const char *p[] = {lo, off};
    PGresult *r = job_query(ctx, "hasnew.boundary",
                            "SELECT coalesce((SELECT userid FROM library.entry WHERE ($1::uuid IS NULL OR userid >"
                            " $1::uuid) ORDER BY userid OFFSET $2::int LIMIT 1), (SELECT userid FROM library.entry"
                            " WHERE ($1::uuid IS NULL OR userid > $1::uuid) ORDER BY userid DESC LIMIT 1))",
                            2, p);
    if (!r)
        return -1;
    int found = !PQgetisnull(r, 0, 0);
    if (found)
        snprintf(hi, 40, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}

static int full_chunk(struct job_ctx *ctx, const char *lo, const char *hi, struct hasnew_tally *t)
{
    const char *p[] = {lo, hi};
    if (job_exec(ctx, "hasnew.begin", "BEGIN", 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.work_mem", "SET LOCAL work_mem = '128MB'", 0, NULL) < 0)
        return -1;
    PGresult *r = job_query(ctx, "hasnew.full_chunk", full_chunk_sql, 2, p);
    if (!r)
        return -1;
    t->checked += pg_int(r, 0, 0, 0);
    t->would += pg_int(r, 0, 1, 0);
    PQclear(r);
    return job_exec(ctx, "hasnew.commit", "COMMIT", 0, NULL) < 0 ? -1 : 0;
}

static int full_compare(struct job_ctx *ctx, int64_t total, struct hasnew_tally *t)
{
    int64_t chunk = (int64_t)ctx->cfg->batch_rows * CHUNK_PER_BATCH;
    char lo[40] = "", hi[40];
    for (;;) {
        int found = next_boundary(ctx, lo[0] ? lo : NULL, chunk, hi);
        if (found <= 0)
            return found;
        if (full_chunk(ctx, lo[0] ? lo : NULL, hi, t))
            return -1;
        memcpy(lo, hi, sizeof lo);
        job_progress(ctx, t->checked, total + t->would);
        if (job_cancelled(ctx))
            return -1;
    }
}

static int full_apply(struct job_ctx *ctx, int64_t total, struct hasnew_tally *t)
{
    char last[32] = "0", limit[16];
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    int64_t done = 0;
    for (;;) {
        const char *p[] = {last, limit};
        PGresult *r = job_query(ctx, "hasnew.full_apply", full_apply_sql, 2, p);
        if (!r)
            return -1;
        int64_t n = pg_int(r, 0, 1, 0);
        if (n > 0)
            snprintf(last, sizeof last, "%s", PQgetvalue(r, 0, 0));
        t->updated += pg_int(r, 0, 2, 0);
        PQclear(r);
        done += n;
        ctx->rowsaffected = t->updated;
        job_progress(ctx, t->checked + done, total + t->would);
        if (n < ctx->cfg->batch_rows)
            return 0;
        if (job_cancelled(ctx))
            return -1;
    }
}

static int run_full(struct job_ctx *ctx, struct hasnew_tally *t)
{
    t->mode = "full";
    int64_t total;
    if (full_prepare(ctx, &total) || full_compare(ctx, total, t))
        return finish(ctx, t);
    if (!ctx->dryrun && full_apply(ctx, total, t) == 0)
        job_exec(ctx, "hasnew.state",
                 "UPDATE jobstate.hasnew_state SET fullneeded = false, lastfullat = now()", 0, NULL);
    job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip, pg_temp.hasnew_live", 0, NULL);
    return finish(ctx, t);
}

static int hasnew_run(struct job_ctx *ctx)
{
    struct hasnew_tally t = {0};
    if (job_param_present(ctx, "userid") || job_param_present(ctx, "comicid"))
        return run_scoped(ctx, &t);
    if (job_param_bool(ctx, "full"))
        return run_full(ctx, &t);
    int64_t owed = query_int(ctx, "hasnew.state", "SELECT fullneeded::int FROM jobstate.hasnew_state", 0, NULL);
    if (owed < 0)
        return -1;
    return owed ? run_full(ctx, &t) : run_incremental(ctx, &t);
}

static int hasnew_scope(const json_t *params, char *buf, size_t len)
{
    const json_t *u = json_object_get(params, "userid"), *c = json_object_get(params, "comicid");
    if (json_is_string(u))
        snprintf(buf, len, "user:%s", json_string_value(u));
    else if (json_is_integer(c))
        snprintf(buf, len, "comic:%" JSON_INTEGER_FORMAT, json_integer_value(c));
    else
        return 0;
    return 1;
}

static const struct param_def hasnew_params[] = {
    {"userid", PARAM_UUID, NULL, 0, 0, "only this user's entries"},
    {"comicid", PARAM_ID, NULL, 0, 0, "only the entries of this comic's followers"},
    {"full", PARAM_BOOL, "false", 0, 0, "recompute every entry instead of the changes queued since the last run"},
};

const struct job_def job_library_hasnew = {
    .key = "library.hasnew",
    .description = "Recalculate hasnew flag for all library entries",
    .cron = "*/15 * * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .params = hasnew_params,
    .nparams = sizeof hasnew_params / sizeof hasnew_params[0],
    .run = hasnew_run,
    .lock_scope = hasnew_scope,
};

/*
 * library.hasnew — recalculates library.entry.hasnew (seed §2; definition in jobs/hasnew.h). Five modes, named in
 * meta.mode:
 *   user / comic  — params userid and/or comicid: the entries in scope, in keyset batches of entry ids (each batch
 *                   one statement: compute with the seed's EXISTS, write the rows that change).
 *   incremental   — the scheduled run with the hasnew accelerator: drains jobstate.hasnew_queue (the changes its
 *                   triggers queued), so its cost follows what changed, not the table size. When
 *                   jobstate.hasnew_state says a full sweep is owed (fresh install, accelerator installed or
 *                   removed, bulk load), it runs one instead.
 *   recent        — the scheduled run without the accelerator: the entries whose comic got or lost a chapter
 *                   (core.chapter.createdat / deletedat), whose user read one of its chapters (chapterread.readat)
 *                   or that were created (entry.createdat) since the last catch-up, minus HASNEW_POLL_MARGIN for
 *                   transactions that commit late, are recomputed like a full sweep's phase 2. What timestamps
 *                   cannot show (a read deleted, a chapter undeleted or hard-deleted, a row stamped in the past) is
 *                   caught by a full sweep at least every HASNEW_FULL_EVERY; without those columns every scheduled
 *                   run is a full sweep (`comicbatch doctor` says so).
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
#include "contract/contract.h"
#include "jobs/hasnew.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"

#define CHUNK_PER_BATCH 50                        /* phase-1 chunk = 50 × batch_rows entries (500k by default) */
#define HASNEW_POLL_MARGIN "interval '5 minutes'" /* how late a change may commit after its timestamp */
#define HASNEW_FULL_EVERY "interval '24 hours'"   /* without the accelerator, a full sweep at least this often */

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

/* clang-format off */
#define SCOPE_BATCH                                                                                                \
    "WITH b AS (SELECT id FROM library.entry WHERE ($1::{user} IS NULL OR userid = $1::{user})"                     \
    " AND ($2::{comic} IS NULL OR comicid = $2::{comic}) AND id > $3::bigint ORDER BY id LIMIT $4::int),"
/* clang-format on */
/* clang-format off */
#define SCOPE_CALC(lock)                                                                                           \
    " calc AS MATERIALIZED (SELECT e.id, e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e"                 \
    " WHERE e.id IN (SELECT id FROM b) ORDER BY e.id " lock ")"
/* clang-format on */

/* clang-format off */
static const char scope_sql[] =
    SCOPE_BATCH SCOPE_CALC("FOR NO KEY UPDATE OF e")
    ", upd AS (UPDATE library.entry e SET hasnew = c.v FROM calc c WHERE e.id = c.id AND e.hasnew IS DISTINCT FROM c.v"
    " RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM upd)";
/* clang-format on */

/* clang-format off */
static const char scope_dry_sql[] =
    SCOPE_BATCH SCOPE_CALC("")
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), count(*) FILTER (WHERE hasnew IS DISTINCT FROM v)"
    " FROM calc";
/* clang-format on */

static int run_scoped(struct job_ctx *ctx, struct hasnew_tally *t)
{
    char userbuf[40], comicbuf[40], last[32] = "0", limit[16];
    const char *userid = job_param_text(ctx, "userid", userbuf, sizeof userbuf);
    const char *comicid = job_param_text(ctx, "comicid", comicbuf, sizeof comicbuf);
    snprintf(limit, sizeof limit, "%d", ctx->cfg->batch_rows);
    t->mode = userid ? "user" : "comic";
    for (;;) {
        const char *p[] = {userid, comicid, last, limit};
        PGresult *r = ctx->dryrun ? job_query(ctx, "hasnew.scope", scope_dry_sql, 4, p)
                                  : job_query_yielding(ctx, "hasnew.scope", scope_sql, 4, p);
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

/* clang-format off */
static const char queue_dry_sql[] =
    "WITH q AS (SELECT comicid, userid FROM jobstate.hasnew_queue),"
    " t AS (SELECT e.id FROM library.entry e WHERE e.comicid IN (SELECT comicid FROM q WHERE userid IS NULL)"
    "       UNION SELECT e.id FROM library.entry e JOIN q ON q.userid = e.userid AND q.comicid = e.comicid),"
    " calc AS (SELECT e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e WHERE e.id IN (SELECT id FROM t))"
    " SELECT count(*), count(*) FILTER (WHERE hasnew IS DISTINCT FROM v) FROM calc";
/* clang-format on */

/* Drains the queue (at most `rounds` statements; 0: until empty). */
static int run_incremental(struct job_ctx *ctx, struct hasnew_tally *t, int rounds)
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
        PGresult *r = job_query_yielding(ctx, "hasnew.drain", HASNEW_DRAIN_SQL, 2, p);
        if (!r)
            break;
        int64_t taken = pg_int(r, 0, 0, 0);
        t->checked += pg_int(r, 0, 1, 0);
        t->updated += pg_int(r, 0, 2, 0);
        PQclear(r);
        taken_all += taken;
        ctx->rowsaffected = t->updated;
        job_progress(ctx, taken_all, total > taken_all ? total : taken_all);
        if (taken == 0 || job_cancelled(ctx) || --rounds == 0)
            break;
    }
    json_object_set_new(ctx->meta, "queued", json_integer(taken_all));
    return finish(ctx, t);
}

/* ---- full ----------------------------------------------------------------------------------------------- */

/* Phase 1, one chunk of users (lo, hi]: the ids of entries whose stored flag differs from the counts. */
/* clang-format off */
static const char full_chunk_sql[] =
    "WITH x AS (SELECT e.id, e.hasnew, coalesce(lc.n, 0) > coalesce(r.n, 0) AS v"
    "   FROM library.entry e"
    "   LEFT JOIN pg_temp.hasnew_live lc ON lc.comicid = e.comicid"
    "   LEFT JOIN (SELECT cr.userid, ch.comicid, count(*) AS n FROM library.chapterread cr"
    "              JOIN core.chapter ch ON ch.id = cr.chapterid AND ch.deletedat IS NULL"
    "              WHERE ($1::{user} IS NULL OR cr.userid > $1::{user}) AND cr.userid <= $2::{user}"
    "              GROUP BY cr.userid, ch.comicid) r ON r.userid = e.userid AND r.comicid = e.comicid"
    "  WHERE ($1::{user} IS NULL OR e.userid > $1::{user}) AND e.userid <= $2::{user}),"
    " ins AS (INSERT INTO pg_temp.hasnew_flip (id) SELECT id FROM x WHERE hasnew IS DISTINCT FROM v RETURNING 1)"
    " SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM ins)";
/* clang-format on */

/* Phase 2, one batch of candidates in id order: recompute under a row lock, write what differs. */
/* clang-format off */
static const char full_apply_sql[] =
    "WITH b AS (SELECT id FROM pg_temp.hasnew_flip WHERE id > $1::bigint ORDER BY id LIMIT $2::int),"
    " calc AS MATERIALIZED (SELECT e.id, e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e"
    "   WHERE e.id IN (SELECT id FROM b) ORDER BY e.id FOR NO KEY UPDATE OF e),"
    " upd AS (UPDATE library.entry e SET hasnew = c.v FROM calc c WHERE e.id = c.id AND e.hasnew IS DISTINCT FROM c.v"
    "   RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM upd)";
/* clang-format on */

static int full_prepare(struct job_ctx *ctx, int64_t *total)
{
    if (job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip, pg_temp.hasnew_live", 0, NULL) <
            0 ||
        job_exec(ctx, "hasnew.temp_flip", "CREATE TEMP TABLE hasnew_flip (id bigint PRIMARY KEY)", 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_live",
                 "CREATE TEMP TABLE hasnew_live AS SELECT comicid, count(*) AS n FROM core.chapter"
                 " WHERE deletedat IS NULL GROUP BY comicid",
                 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_live_pk", "ALTER TABLE pg_temp.hasnew_live ADD PRIMARY KEY (comicid)", 0, NULL) <
            0 ||
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
                            "SELECT coalesce((SELECT userid FROM library.entry WHERE ($1::{user} IS NULL OR userid >"
                            " $1::{user}) ORDER BY userid OFFSET $2::int LIMIT 1), (SELECT userid FROM library.entry"
                            " WHERE ($1::{user} IS NULL OR userid > $1::{user}) ORDER BY userid DESC LIMIT 1))",
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
        PGresult *r = job_query_yielding(ctx, "hasnew.full_apply", full_apply_sql, 2, p);
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

/* The database's clock now (text timestamptz) into `out`. 0 or -1. */
static int db_now(struct job_ctx *ctx, char *out, size_t outlen)
{
    PGresult *r = job_query(ctx, "hasnew.now", "SELECT now()", 0, NULL);
    if (!r)
        return -1;
    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int run_full(struct job_ctx *ctx, struct hasnew_tally *t)
{
    t->mode = "full";
    int64_t total;
    char started[64];
    if (db_now(ctx, started, sizeof started) || full_prepare(ctx, &total) || full_compare(ctx, total, t))
        return finish(ctx, t);
    const char *p[] = {started};
    if (!ctx->dryrun && full_apply(ctx, total, t) == 0)
        job_exec(ctx, "hasnew.state",
                 "UPDATE jobstate.hasnew_state SET fullneeded = false, lastfullat = $1::timestamptz,"
                 " polledat = $1::timestamptz",
                 1, p);
    job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip, pg_temp.hasnew_live", 0, NULL);
    return finish(ctx, t);
}

/* ---- recent (no accelerator) ------------------------------------------------------------------------------ */

/* $1 = since: entries whose comic got or lost a chapter, whose user read a chapter of it, or that are new. */
/* clang-format off */
static const char recent_sql[] =
    "INSERT INTO pg_temp.hasnew_flip (id)"
    " SELECT e.id FROM library.entry e WHERE e.comicid IN (SELECT ch.comicid FROM core.chapter ch"
    "   WHERE ch.createdat >= $1::timestamptz OR ch.deletedat >= $1::timestamptz)"
    " UNION SELECT e.id FROM library.chapterread cr JOIN core.chapter ch ON ch.id = cr.chapterid"
    "   JOIN library.entry e ON e.userid = cr.userid AND e.comicid = ch.comicid WHERE cr.readat >= $1::timestamptz"
    " UNION SELECT e.id FROM library.entry e WHERE e.createdat >= $1::timestamptz";
/* clang-format on */

/* clang-format off */
static const char recent_dry_sql[] =
    "SELECT count(*) FILTER (WHERE e.hasnew IS DISTINCT FROM " HASNEW_EXPR("e") ") FROM library.entry e"
    " WHERE e.id IN (SELECT id FROM pg_temp.hasnew_flip)";
/* clang-format on */

/* The window's start and the poll's own start (both from the database's clock). 0 or -1. */
static int recent_window(struct job_ctx *ctx, char *since, char *polled, char *started, size_t len)
{
    PGresult *r = job_query(ctx, "hasnew.window",
                            "SELECT polledat - " HASNEW_POLL_MARGIN ", polledat, now() FROM jobstate.hasnew_state", 0,
                            NULL);
    if (!r)
        return -1;
    snprintf(since, len, "%s", PQgetvalue(r, 0, 0));
    snprintf(polled, len, "%s", PQgetvalue(r, 0, 1));
    snprintf(started, len, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

static int run_recent(struct job_ctx *ctx, struct hasnew_tally *t)
{
    t->mode = "recent";
    char since[64], polled[64], started[64];
    if (recent_window(ctx, since, polled, started, sizeof since) ||
        job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip", 0, NULL) < 0 ||
        job_exec(ctx, "hasnew.temp_flip", "CREATE TEMP TABLE hasnew_flip (id bigint PRIMARY KEY)", 0, NULL) < 0)
        return finish(ctx, t);
    const char *p[] = {since};
    int64_t n = job_exec(ctx, "hasnew.recent", recent_sql, 1, p);
    if (n < 0)
        return finish(ctx, t);
    json_object_set_new(ctx->meta, "since", json_string(since));
    t->checked = n;
    if (ctx->dryrun) {
        t->would = query_int(ctx, "hasnew.recent_dry", recent_dry_sql, 0, NULL);
        return finish(ctx, t);
    }
    t->checked = 0;
    const char *q[] = {started, polled};
    if (full_apply(ctx, n, t) == 0)
        job_exec(ctx, "hasnew.polled",
                 "UPDATE jobstate.hasnew_state SET polledat = $1::timestamptz"
                 " WHERE polledat IS NOT DISTINCT FROM $2::timestamptz",
                 2, q);
    t->checked = n;
    job_exec(ctx, "hasnew.temp_drop", "DROP TABLE IF EXISTS pg_temp.hasnew_flip", 0, NULL);
    return finish(ctx, t);
}

/* ---- choosing the mode ------------------------------------------------------------------------------------ */

/* Without the accelerator: whether a full sweep is owed (flagged, never made, or older than HASNEW_FULL_EVERY), and
 * whether the platform has the timestamps the recent mode reads. */
/* clang-format off */
static const char plain_state_sql[] =
    "SELECT fullneeded OR lastfullat IS NULL OR polledat IS NULL OR lastfullat < now() - " HASNEW_FULL_EVERY ","
    " (SELECT count(*) FROM pg_attribute a WHERE NOT a.attisdropped AND ("
    "   (a.attrelid = to_regclass('core.chapter') AND a.attname IN ('createdat', 'deletedat'))"
    "   OR (a.attrelid = to_regclass('library.chapterread') AND a.attname = 'readat')"
    "   OR (a.attrelid = to_regclass('library.entry') AND a.attname = 'createdat'))) = 4"
    " FROM jobstate.hasnew_state";
/* clang-format on */

/*
 * The scheduled run's mode: incremental or full with the accelerator; recent or full without. The event thread's
 * pass (`events`) drains the queue whatever is owed and leaves full sweeps to the scheduled run (their lock key keeps
 * them one at a time).
 */
static int run_scheduled(struct job_ctx *ctx, struct hasnew_tally *t, int rounds, bool events)
{
    int accel = job_accel(ctx, "hasnew");
    if (accel < 0)
        return -1;
    if (accel) {
        int64_t owed = events ? 0
                              : query_int(ctx, "hasnew.state", "SELECT fullneeded::int FROM jobstate.hasnew_state", 0,
                                          NULL);
        if (owed < 0)
            return -1;
        return owed ? run_full(ctx, t) : run_incremental(ctx, t, rounds);
    }
    PGresult *r = job_query(ctx, "hasnew.state", plain_state_sql, 0, NULL);
    if (!r)
        return -1;
    bool owed = pg_bool(r, 0, 0), stamps = pg_bool(r, 0, 1);
    PQclear(r);
    if (!stamps)
        json_object_set_new(ctx->meta, "recentUnavailable",
                            json_string("the platform lacks the timestamps the recent mode reads: see doctor"));
    if (events && (owed || !stamps)) {
        t->mode = "none";
        return finish(ctx, t);
    }
    return owed || !stamps ? run_full(ctx, t) : run_recent(ctx, t);
}

static int hasnew_run(struct job_ctx *ctx)
{
    struct hasnew_tally t = {0};
    if (job_param_present(ctx, "userid") || job_param_present(ctx, "comicid"))
        return run_scoped(ctx, &t);
    if (job_param_bool(ctx, "full"))
        return run_full(ctx, &t);
    return run_scheduled(ctx, &t, 0, false);
}

int hasnew_catch_up(PGconn *db, const struct config *cfg, struct run_control *ctl, struct hasnew_pass *out, char *err,
                    size_t errlen)
{
    struct job_ctx ctx = {.cfg = cfg,
                          .job = &job_library_hasnew,
                          .run_id = "",
                          .params = NULL,
                          .db = db,
                          .meta = json_object(),
                          .ctl = ctl};
    struct hasnew_tally t = {0};
    int rc = run_scheduled(&ctx, &t, HASNEW_CATCH_UP_ROUNDS, true);
    const char *mode = json_string_value(json_object_get(ctx.meta, "mode"));
    snprintf(out->mode, sizeof out->mode, "%s", mode ? mode : "");
    out->checked = t.checked;
    out->updated = t.updated;
    out->taken = json_integer_value(json_object_get(ctx.meta, "queued"));
    if (rc)
        snprintf(err, errlen, "%s", ctx.error[0] ? ctx.error : "cancelled");
    json_decref(ctx.meta);
    return rc;
}

/* ---- definition ------------------------------------------------------------------------------------------- */

static int hasnew_scope(const json_t *params, char *buf, size_t len)
{
    const json_t *u = json_object_get(params, "userid"), *c = json_object_get(params, "comicid");
    if (json_is_string(u))
        snprintf(buf, len, "user:%s", json_string_value(u));
    else if (json_is_integer(u))
        snprintf(buf, len, "user:%" JSON_INTEGER_FORMAT, json_integer_value(u));
    else if (json_is_string(c))
        snprintf(buf, len, "comic:%s", json_string_value(c));
    else if (json_is_integer(c))
        snprintf(buf, len, "comic:%" JSON_INTEGER_FORMAT, json_integer_value(c));
    else
        return 0;
    return 1;
}

static const struct param_def hasnew_params[] = {
    {"userid", PARAM_USER_ID, NULL, 0, 0, "only this user's entries"},
    {"comicid", PARAM_COMIC_ID, NULL, 0, 0, "only the entries of this comic's followers"},
    {"full", PARAM_BOOL, "false", 0, 0, "recompute every entry instead of the changes since the last run"},
};

static const struct contract hasnew_contract = {
    .tables = (const struct contract_table[]){{"library.entry",
                                               "id:int userid:user comicid:comic hasnew:bool createdat?:time",
                                               "SELECT UPDATE(hasnew)", 0, "new follows are found by createdat"},
                                              {"core.chapter",
                                               "id:chapter comicid:comic deletedat:time createdat?:time", "SELECT", 0,
                                               "new chapters are found by createdat"},
                                              {"library.chapterread", "userid:user chapterid:chapter readat?:time",
                                               "SELECT", 0, "new reads are found by readat"},
                                              {0}},
    .indexes =
        (const struct contract_index[]){
            {"core.chapter", "comicid",
             "live chapters of a comic (the seed's EXISTS; best: (comicid, id) WHERE deletedat "
             "IS NULL)",
             false, NULL},
            {"library.chapterread", "userid,chapterid", "has this user read this chapter? (the NOT EXISTS probe)",
             false, NULL},
            {"library.entry", "comicid", "followers of a comic", false, NULL},
            {"library.entry", "userid", "a user's entries (full sweep chunks)", false, NULL},
            {"core.chapter", "createdat", "new chapters since the last run", true, NULL},
            {"core.chapter", "deletedat", "chapters deleted since the last run (partial: WHERE deletedat IS NOT NULL)",
             true, NULL},
            {"library.chapterread", "readat", "reads since the last run", true, "brin"},
            {"library.entry", "createdat", "follows since the last run", true, "brin"},
            {0}},
    .accelerator = "hasnew",
    .temp = true,
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
    .contract = &hasnew_contract,
};

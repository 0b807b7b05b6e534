/*
 * crawler.source_health — see crawler_health.h for the rules. Set-based statements:
 *   EVENTS_IDS_SQL / EVENTS_POLL_SQL record new outcomes in jobstate.crawler_outcome (migration 002; ON CONFLICT DO
 *   NOTHING, so an outcome counts once however often it is seen) and fold the ones just recorded into the sources,
 *   in one statement. IDS takes the job ids a NOTIFY announced (the crawler accelerator); POLL looks at jobs
 *   finished since the last poll minus POLL_MARGIN (no trigger needed: a transaction that commits up to that long
 *   after its finishedat is still seen).
 *   RECOMPUTE_SQL (the manual run) recounts a source's streak from its crawler.job history and records the outcomes
 *   the poll window holds in the same statement, so the events it covered are not counted again.
 */
#include "jobs/crawler_health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/pg.h"
#include "util/xalloc.h"

/* The threshold: a positive integer setting, default 5; anything else (0, garbage) means "never disable". */
#define THRESHOLD_CTE                                                                                          \
    "th AS (SELECT coalesce((SELECT CASE WHEN btrim(value) ~ '^[0-9]{1,9}$' THEN btrim(value)::int ELSE 0 END" \
    " FROM system.setting WHERE key = 'crawler.disable_threshold'), 5) AS n)"

/* The new count for source `s` given `nf`, and the highest streak reached on the way (the disabling test). */
#define NEWCOUNT "CASE WHEN nf.reset THEN nf.fails ELSE s.consecutivefails + nf.fails END"
#define PEAK "greatest(s.consecutivefails + nf.headfails, nf.peak)"
#define DISABLES "(s.isenabled AND th.n > 0 AND " PEAK " >= th.n)"

/*
 * Given CTE `nf(sourceid, fails, reset, headfails, peak, lastfail, lastok)` — fails: the streak at the end;
 * reset: a success happened; headfails: failures before the first success, added to the old count (NULL: ignore the
 * old count); peak: the longest streak after a success — update the sources that change, disable the enabled ones
 * whose streak reached the threshold at any point (as the seed's one-event-at-a-time rule would), notify once each.
 */
#define APPLY_CTES                                                                                              \
    THRESHOLD_CTE                                                                                               \
    ","                                                                                                         \
    " src AS (UPDATE crawler.source s SET"                                                                      \
    "   consecutivefails = " NEWCOUNT ","                                                                       \
    "   lastfailedat = greatest(s.lastfailedat, nf.lastfail),"                                                  \
    "   lastsucceededat = greatest(s.lastsucceededat, nf.lastok),"                                              \
    "   isenabled = s.isenabled AND NOT " DISABLES ","                                                          \
    "   disabledat = CASE WHEN " DISABLES " THEN now() ELSE s.disabledat END"                                   \
    " FROM nf, th WHERE s.id = nf.sourceid"                                                                     \
    "   AND ((s.consecutivefails, s.lastfailedat, s.lastsucceededat) IS DISTINCT FROM"                          \
    "       (" NEWCOUNT ", greatest(s.lastfailedat, nf.lastfail), greatest(s.lastsucceededat, nf.lastok))"      \
    "     OR " DISABLES ")"                                                                                     \
    " RETURNING s.id, s.name, s.consecutivefails, NOT s.isenabled AND s.disabledat = now() AS justdisabled),"   \
    " note AS (INSERT INTO system.notification (level, title, message, details)"                                \
    "   SELECT 'warning', 'Crawler source disabled: ' || src.name,"                                             \
    "     format('Crawler source %s (id %s) was disabled: its consecutive failed jobs reached the threshold %s" \
    " (setting crawler.disable_threshold; %s now). Fix it, reset its consecutivefails and re-enable it.',"      \
    "       src.name, src.id, th.n, src.consecutivefails),"                                                     \
    "     jsonb_build_object('kind', 'crawler.source_disabled', 'sourceid', src.id, 'consecutivefails',"        \
    "       src.consecutivefails, 'threshold', th.n)"                                                           \
    "   FROM src, th WHERE src.justdisabled RETURNING 1)"

/* How late a transaction may commit after its finishedat and still be seen by the poll. */
#define POLL_MARGIN "interval '10 minutes'"
/* Where the poll window starts: the last poll minus the margin, never before the install (history). */
#define SINCE_CTE                                                                                  \
    "since AS (SELECT greatest(baselineat, coalesce(polledat, baselineat) - " POLL_MARGIN ") AS t" \
    " FROM jobstate.crawler_state)"
/* Records the outcomes of CTE `cand` (id, sourceid, status, fin) not seen before; RETURNING the new ones. */
#define RECORD_CTE                                                                     \
    "j AS (INSERT INTO jobstate.crawler_outcome (jobid, fin, status, sourceid)"        \
    "   SELECT id::text, fin, status, sourceid::text FROM cand ON CONFLICT DO NOTHING" \
    "   RETURNING jobid, sourceid::bigint AS sourceid, status, fin)"

/*
 * The new outcomes in finishing order, cut into segments at each success (seg = successes so far): the streak is
 * the last segment's failures, the peak the largest segment's after the first success.
 */
#define FOLD_SQL                                                                                                       \
    " o AS (SELECT sourceid, status, fin, count(*) FILTER (WHERE status = 'succeeded')"                                \
    "   OVER (PARTITION BY sourceid ORDER BY fin, jobid) AS seg FROM j),"                                              \
    " segs AS (SELECT sourceid, seg, count(*) FILTER (WHERE status = 'failed') AS fails,"                              \
    "   max(fin) FILTER (WHERE status = 'failed') AS lastfail, max(fin) FILTER (WHERE status = 'succeeded') AS lastok" \
    "   FROM o GROUP BY sourceid, seg),"                                                                               \
    " nf AS (SELECT sourceid, (array_agg(fails ORDER BY seg DESC))[1] AS fails, max(seg) > 0 AS reset,"                \
    "   coalesce(max(fails) FILTER (WHERE seg = 0), 0) AS headfails,"                                                  \
    "   coalesce(max(fails) FILTER (WHERE seg > 0), 0) AS peak,"                                                       \
    "   max(lastfail) AS lastfail, max(lastok) AS lastok FROM segs GROUP BY sourceid)," APPLY_CTES                     \
    " SELECT (SELECT count(*) FROM j), (SELECT count(*) FROM src), (SELECT count(*) FROM note)"

/* $1 = job ids announced by NOTIFY: their outcomes, whenever they finished. */
static const char EVENTS_IDS_SQL[] =
    "WITH cand AS (SELECT k.id, k.sourceid, k.status, coalesce(k.finishedat, k.createdat) AS fin FROM crawler.job k"
    "   WHERE k.id = ANY($1::bigint[]) AND k.status IN ('failed', 'succeeded')), " RECORD_CTE "," FOLD_SQL;

/* Every outcome finished inside the poll window; moves the window and forgets outcomes too old to be seen again. */
static const char EVENTS_POLL_SQL[] =
    "WITH " SINCE_CTE ","
    " mark AS (UPDATE jobstate.crawler_state SET polledat = now() RETURNING 1),"
    " prune AS (DELETE FROM jobstate.crawler_outcome WHERE fin < (SELECT t FROM since) - interval '1 day'),"
    " cand AS (SELECT k.id, k.sourceid, k.status, coalesce(k.finishedat, k.createdat) AS fin FROM crawler.job k, since"
    "   WHERE k.status IN ('failed', 'succeeded')"
    "   AND (k.finishedat >= since.t OR (k.finishedat IS NULL AND k.createdat >= since.t))), " RECORD_CTE "," FOLD_SQL;

/* History of the chosen sources: failures after the last success (or all of them), as an absolute count. */
#define HISTORY_CTE                                                                                                 \
    "nf AS (SELECT s.id AS sourceid, coalesce(f.n, 0) AS fails, true AS reset, NULL::bigint AS headfails,"          \
    "   coalesce(f.n, 0) AS peak, f.last AS lastfail,"                                                              \
    "   lo.fin AS lastok"                                                                                           \
    " FROM crawler.source s"                                                                                        \
    " LEFT JOIN LATERAL (SELECT coalesce(k.finishedat, k.createdat) AS fin, k.id FROM crawler.job k"                \
    "   WHERE k.sourceid = s.id AND k.status = 'succeeded'"                                                         \
    "   ORDER BY k.finishedat DESC NULLS LAST, k.id DESC LIMIT 1) lo ON true"                                       \
    " LEFT JOIN LATERAL (SELECT count(*) AS n, max(coalesce(j.finishedat, j.createdat)) AS last FROM crawler.job j" \
    "   WHERE j.sourceid = s.id AND j.status = 'failed'"                                                            \
    "   AND (lo.id IS NULL OR (coalesce(j.finishedat, j.createdat), j.id) > (lo.fin, lo.id))) f ON true"            \
    " WHERE $1::bigint IS NULL OR s.id = $1::bigint)"

static const char RECOMPUTE_SQL[] =
    "WITH " SINCE_CTE ","
    " consumed AS (INSERT INTO jobstate.crawler_outcome (jobid, fin, status, sourceid)"
    "   SELECT k.id::text, coalesce(k.finishedat, k.createdat), k.status, k.sourceid::text FROM crawler.job k, since"
    "   WHERE ($1::bigint IS NULL OR k.sourceid = $1::bigint) AND k.status IN ('failed', 'succeeded')"
    "   AND coalesce(k.finishedat, k.createdat) >= since.t ON CONFLICT DO NOTHING RETURNING 1), " HISTORY_CTE
    ", " APPLY_CTES " SELECT (SELECT count(*) FROM nf), (SELECT count(*) FROM src), (SELECT count(*) FROM note),"
    " (SELECT count(*) FROM consumed), (SELECT max(n) FROM th)";

static const char RECOMPUTE_DRY_SQL[] =
    "WITH " HISTORY_CTE ", " THRESHOLD_CTE " SELECT count(*),"
    " count(*) FILTER (WHERE s.consecutivefails IS DISTINCT FROM nf.fails),"
    " count(*) FILTER (WHERE s.isenabled AND th.n > 0 AND nf.fails >= th.n), max(th.n)"
    " FROM nf JOIN crawler.source s ON s.id = nf.sourceid, th";

/* Formats ids as a Postgres array literal into a malloc'd string. */
static char *id_array(const long long *ids, int n)
{
    size_t cap = 3 + (size_t)n * 21, len = 0;
    char *s = xmalloc(cap);
    s[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, i ? ",%lld" : "%lld", ids[i]);
    snprintf(s + len, cap - len, "}");
    return s;
}

int crawler_health_apply_events(PGconn *db, const long long *ids, int n, struct health_result *res, char *err,
                                size_t errlen)
{
    memset(res, 0, sizeof *res);
    char *arr = ids ? id_array(ids, n) : NULL;
    const char *p[] = {arr};
    PGresult *r = ids ? pg_query(db, "crawler.health_events", EVENTS_IDS_SQL, 1, p, NULL)
                      : pg_query(db, "crawler.health_poll", EVENTS_POLL_SQL, 0, NULL, NULL);
    free(arr);
    if (!r) {
        snprintf(err, errlen, "%s", PQerrorMessage(db));
        return -1;
    }
    res->jobs = pg_int(r, 0, 0, 0);
    res->sources = pg_int(r, 0, 1, 0);
    res->disabled = pg_int(r, 0, 2, 0);
    PQclear(r);
    return 0;
}

static int health_run(struct job_ctx *ctx)
{
    char sid[32];
    const char *p[] = {NULL};
    if (job_param_present(ctx, "sourceid")) {
        snprintf(sid, sizeof sid, "%lld", (long long)job_param_int(ctx, "sourceid", 0));
        p[0] = sid;
    }
    PGresult *r = job_query(ctx, "crawler.health_recompute", ctx->dryrun ? RECOMPUTE_DRY_SQL : RECOMPUTE_SQL, 1, p);
    if (!r)
        return -1;
    int64_t checked = pg_int(r, 0, 0, 0), updated = pg_int(r, 0, 1, 0), disabled = pg_int(r, 0, 2, 0);
    int64_t threshold = pg_int(r, 0, ctx->dryrun ? 3 : 4, 0);
    if (!ctx->dryrun)
        json_object_set_new(ctx->meta, "eventsConsumed", json_integer(pg_int(r, 0, 3, 0)));
    PQclear(r);
    if (p[0] && checked == 0)
        return job_fail(ctx, "crawler source %s does not exist", sid);
    json_object_set_new(ctx->meta, "sourcesChecked", json_integer(checked));
    json_object_set_new(ctx->meta, ctx->dryrun ? "wouldUpdate" : "sourcesUpdated", json_integer(updated));
    json_object_set_new(ctx->meta, ctx->dryrun ? "wouldDisable" : "sourcesDisabled", json_integer(disabled));
    json_object_set_new(ctx->meta, "threshold", json_integer(threshold));
    ctx->rowsaffected = ctx->dryrun ? 0 : updated;
    return 0;
}

static const struct param_def health_params[] = {
    {"sourceid", PARAM_ID, NULL, 0, 0, "recompute only this crawler.source (default: every source)"},
};

static const struct contract health_contract = {
    .tables =
        (const struct contract_table[]){
            {"crawler.source",
             "id:int name:text isenabled:bool consecutivefails:int lastfailedat:time "
             "lastsucceededat:time disabledat:time",
             "SELECT UPDATE(consecutivefails,lastfailedat,lastsucceededat,isenabled,disabledat)", 0,
             "the sources it counts and disables"},
            {"crawler.job", "id:int sourceid:int status:text createdat:time finishedat:time", "SELECT", 0,
             "the outcomes it counts"},
            {"system.setting", "key:text value:text", "SELECT", 0, "crawler.disable_threshold"},
            {"system.notification", "level:text title:text message:text details:jsonb", "INSERT", 0,
             "the notification when a source is disabled"},
            {0}},
    .indexes = (const struct contract_index[]){{"crawler.job", "finishedat",
                                                "the poll for outcomes finished since the last one", true, NULL},
                                               {"crawler.job", "sourceid", "a source's history (manual recompute)",
                                                false, NULL},
                                               {0}},
    .accelerator = "crawler",
};

const struct job_def job_crawler_source_health = {
    .key = "crawler.source_health",
    .description = "Auto-disable failing crawler sources (event-driven; a run recomputes streaks from history)",
    .cron = "*/30 * * * *",
    .enabled = false,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .params = health_params,
    .nparams = sizeof health_params / sizeof health_params[0],
    .run = health_run,
    .contract = &health_contract,
    .events = true,
};

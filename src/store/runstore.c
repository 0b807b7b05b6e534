/* runstore — see runstore.h. */
#include "store/runstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/lockkeys.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid7.h"
#include "util/xalloc.h"

static json_t *parse_json_col(PGresult *r, int row, int col)
{
    const char *v = pg_val(r, row, col);
    json_t *j = v ? json_loads(v, 0, NULL) : NULL;
    if (v && !j)
        log_error("msg=\"cannot parse run JSON from database\"");
    return j;
}

static char *params_text(const json_t *params)
{
    return params ? json_dumps(params, JSON_COMPACT) : xstrdup("{}");
}

enum enqueue_result runstore_enqueue(PGconn *c, const struct run_new *q, json_t **run)
{
    char id[UUID7_STRLEN + 1], timeout[32], slot[32] = "";
    if (uuid7_new_string(id))
        return ENQUEUE_ERROR;
    snprintf(timeout, sizeof timeout, "%lld", (long long)q->timeout_ms);
    if (q->scheduledfor)
        snprintf(slot, sizeof slot, "%lld", (long long)q->scheduledfor);
    char *params = params_text(q->params);
    const char *p[] = {
        id,     q->jobkey, q->lockkey, q->triggeredby, q->userid, params, q->dryrun ? "t" : "f", slot[0] ? slot : NULL,
        timeout};
    static const char sql[] =
        "INSERT INTO system.batchrun AS r (id, jobkey, lockkey, status, triggeredby, triggeredbyuserid, params,"
        " dryrun, scheduledfor, timeoutms) VALUES ($1, $2, $3, 'queued', $4, $5, $6::jsonb, $7,"
        " to_timestamp($8::bigint), $9) ON CONFLICT DO NOTHING RETURNING ";
    char full[sizeof sql + sizeof RUN_JSON_SQL];
    snprintf(full, sizeof full, "%s%s", sql, RUN_JSON_SQL);
    PGresult *r = pg_query(c, "runstore.enqueue", full, 9, p, NULL);
    free(params);
    if (!r)
        return ENQUEUE_ERROR;
    enum enqueue_result res = PQntuples(r) == 1 ? ENQUEUE_OK : ENQUEUE_CONFLICT;
    if (res == ENQUEUE_OK && run)
        *run = parse_json_col(r, 0, 0);
    PQclear(r);
    return res;
}

json_t *runstore_get(PGconn *c, const char *id, bool *db_error)
{
    char sql[sizeof RUN_JSON_SQL + 128];
    snprintf(sql, sizeof sql, "SELECT %s FROM system.batchrun r WHERE r.id = $1::uuid", RUN_JSON_SQL);
    const char *p[] = {id};
    char state[6] = "";
    PGresult *r = pg_query(c, "runstore.get", sql, 1, p, state);
    *db_error = !r && strcmp(state, "22P02"); /* a malformed uuid is "not found", not a failure */
    if (!r)
        return NULL;
    json_t *j = PQntuples(r) == 1 ? parse_json_col(r, 0, 0) : NULL;
    PQclear(r);
    return j;
}

/*
 * The run list (DESIGN §3, issue 12): exact totals and any page at a million runs, without counting or skipping the
 * runs before the page — in one statement (one snapshot, so the total and the page agree while runs are written;
 * one round trip).
 *
 * Counts: system.batchruncount (migration 010, kept by triggers in the writing transaction) has the runs per hour
 * and (jobkey, status, triggeredby), and per hour in all (the row whose key columns are ''). The list's runs per
 * hour are the total row of each hour (unfiltered) or the sum of its matching key rows, except for the hours that
 * hold `from` and `to`: only part of them is inside the window, so those are counted from the runs. A running sum
 * over the hours, newest first, says where the page lies: it starts `skip` runs into the newest hour it touches
 * (hi is that hour's end) and ends in the first hour at which the running sum reaches offset + limit (lo, that
 * hour's start; the oldest hour when the list ends first).
 *
 * Rows: the unfiltered list seeks batchrun_created to hi and reads skip + limit entries; a filtered one merges one
 * stream per matching key that has runs in [lo, hi) (index batchrun_job_status_trig, each stream at most skip +
 * limit entries, the keys from the count rows). A page costs the runs of the hours it spans, never those before it.
 *
 * Parameters: $1 jobkey, $2 status, $3 triggeredby (NULL: any), $4 from, $5 to (epoch seconds, inclusive; $5 NULL:
 * no upper bound), $6 offset, $7 limit. Result: the page's runs as columns, newest first, each row with the total
 * (LIST_ANSWER); the daemon writes their JSON itself (store/runjson.h: ~5x cheaper than json_build_object in
 * Postgres, which was half the cost of a 200-run page). Both are prepared statements of the
 * pool's sessions: their plan (a third of a small page's cost) is kept once Postgres finds the generic one good.
 */
/* clang-format off */
#define LIST_FILTER(t) \
    " " t ".jobkey <> '' AND ($1::text IS NULL OR " t ".jobkey = $1) AND ($2::text IS NULL OR " t ".status = $2)" \
    " AND ($3::text IS NULL OR " t ".triggeredby = $3)"
/* clang-format on */
/* clang-format off */
#define LIST_TIME(t) \
    " " t ".createdat >= to_timestamp($4::bigint) AND ($5::bigint IS NULL OR " t ".createdat <= to_timestamp($5::bigint))"
/* clang-format on */
/* The runs of stream s (a count row's key) created in [lo, hi) and inside the window, newest first. */
/* clang-format off */
#define LIST_STREAM(lo, hi) \
    "SELECT r.id, r.createdat FROM system.batchrun r WHERE r.jobkey = s.jobkey AND r.status = s.status" \
    " AND r.triggeredby = s.triggeredby AND r.createdat >= " lo " AND r.createdat < " hi " AND" LIST_TIME("r") \
    " ORDER BY r.createdat DESC, r.id DESC"
/* clang-format on */
#define HOUR "interval '1 hour'"

/* The list's hours: t, from the counts (TOTALS: the count rows to add up per hour); edge, the partial hours at `from`
 * and `to` counted from the runs (EDGE: the runs of hour t inside the window); cum, their running sum, newest
 * first; span, where the page lies. */
/* clang-format off */
#define LIST_SPAN(TOTALS, EDGE) \
    "WITH t AS (SELECT c.hour, sum(c.n) AS n FROM system.batchruncount c WHERE " TOTALS " AND c.n > 0" \
    "  AND c.hour >= date_bin('1 hour', to_timestamp($4::bigint), '1970-01-01 00:00:00+00')" \
    "  AND ($5::bigint IS NULL OR c.hour <= to_timestamp($5::bigint)) GROUP BY c.hour)," \
    " edge AS (SELECT t.hour, (" EDGE ") AS n FROM t WHERE t.hour < to_timestamp($4::bigint)" \
    "   OR ($5::bigint IS NOT NULL AND t.hour + " HOUR " > to_timestamp($5::bigint)))," \
    " cum AS (SELECT h.hour, h.n, sum(h.n) OVER (ORDER BY h.hour DESC) AS upto FROM (SELECT t.hour," \
    "  coalesce(edge.n, t.n) AS n FROM t LEFT JOIN edge USING (hour)) h WHERE h.n > 0)," \
    " span AS (SELECT top.hour + " HOUR " AS hi, $6::bigint - (top.upto - top.n) AS skip," \
    "  coalesce((SELECT max(cum.hour) FROM cum WHERE cum.upto >= $6::bigint + $7::int)," \
    "   (SELECT min(cum.hour) FROM cum)) AS lo" \
    "  FROM (SELECT * FROM cum WHERE cum.upto > $6::bigint ORDER BY cum.hour DESC LIMIT 1) top),"
/* clang-format on */
/* The page's runs (page: id, createdat), then the answer: one row per run of the page, newest first, each with the
 * total in column 0 and its fields from column 1 (RUN_COLS_SQL); a page without runs is one row of the total and
 * NULLs. */
/* clang-format off */
#define LIST_ANSWER \
    " SELECT tot.n, " RUN_COLS_SQL " FROM (SELECT coalesce(sum(cum.n), 0) AS n FROM cum) tot" \
    " LEFT JOIN (page JOIN system.batchrun r ON r.id = page.id) ON true ORDER BY page.createdat DESC, page.id DESC"
/* clang-format on */

/* Unfiltered: the hours' total rows; the runs through batchrun_created. $1..$3 are NULL (unused). */
/* clang-format off */
static const char list_all_sql[] =
    LIST_SPAN("c.jobkey = '' AND $1::text IS NULL AND $2::text IS NULL AND $3::text IS NULL",
              "SELECT count(*) FROM system.batchrun r WHERE r.createdat >= t.hour AND r.createdat < t.hour + " HOUR
              " AND" LIST_TIME("r"))
    " page AS (SELECT r.id, r.createdat FROM system.batchrun r WHERE r.createdat >= (SELECT lo FROM span)"
    "  AND r.createdat < (SELECT hi FROM span) AND" LIST_TIME("r")
    "  ORDER BY r.createdat DESC, r.id DESC OFFSET (SELECT skip FROM span) LIMIT $7::int)" LIST_ANSWER;
/* clang-format on */

/* Filtered: the matching key rows; the runs as the merge of the matching streams. */
/* clang-format off */
static const char list_streams_sql[] =
    LIST_SPAN(LIST_FILTER("c"),
              "SELECT count(*) FROM system.batchruncount s CROSS JOIN LATERAL (" LIST_STREAM("t.hour", "t.hour + " HOUR)
              ") x WHERE s.hour = t.hour AND" LIST_FILTER("s") " AND s.n > 0")
    " page AS (SELECT x.id, x.createdat FROM span CROSS JOIN LATERAL (SELECT DISTINCT c.jobkey, c.status,"
    "  c.triggeredby FROM system.batchruncount c WHERE" LIST_FILTER("c") " AND c.n > 0 AND c.hour >= span.lo"
    "  AND c.hour < span.hi) s CROSS JOIN LATERAL (" LIST_STREAM("span.lo", "span.hi") " LIMIT span.skip + $7::int) x"
    "  ORDER BY x.createdat DESC, x.id DESC OFFSET (SELECT skip FROM span) LIMIT $7::int)" LIST_ANSWER;
/* clang-format on */

/* The page of a LIST_ANSWER result as a JSON array. */
static char *page_json(const PGresult *r)
{
    struct jsontext out = {0};
    jsontext_raw(&out, "[", 1);
    for (int i = 0; i < PQntuples(r) && !PQgetisnull(r, i, 1); i++) {
        if (i)
            jsontext_raw(&out, ",", 1);
        runjson_append(&out, r, i, 1);
    }
    jsontext_raw(&out, "]", 1);
    return jsontext_take(&out);
}

int runstore_list(PGconn *c, const struct run_filter *f, char **items, int64_t *total)
{
    char from[24], to[24], offset[24], limit[16];
    snprintf(from, sizeof from, "%lld", (long long)f->from);
    snprintf(to, sizeof to, "%lld", (long long)f->to);
    snprintf(offset, sizeof offset, "%lld", (long long)(f->page - 1) * f->limit);
    snprintf(limit, sizeof limit, "%d", f->limit);
    const char *p[] = {f->jobkey, f->status, f->triggeredby, from, f->to < 0 ? NULL : to, offset, limit};
    bool all = !f->jobkey && !f->status && !f->triggeredby;
    /* The names carry the result's version (2: columns, not JSON): a server session that a pooler shares with a
     * daemon of another version may hold that one's statement of the old name. */
    PGresult *r = all ? pg_query_prepared(c, "runstore.list", "runstore_list_all_2", list_all_sql, 7, p)
                      : pg_query_prepared(c, "runstore.list", "runstore_list_streams_2", list_streams_sql, 7, p);
    if (!r)
        return -1;
    int rc = PQntuples(r) >= 1 && PQnfields(r) == 1 + RUNJSON_NCOLS ? 0 : -1;
    if (!rc) {
        *total = pg_int(r, 0, 0, 0);
        *items = page_json(r);
    }
    PQclear(r);
    return rc;
}

int runstore_request_cancel(PGconn *c, const char *jobkey, const char *id, json_t **ids)
{
    const char *p[] = {jobkey, id};
    PGresult *r = pg_query(
        c, "runstore.cancel",
        "UPDATE system.batchrun r SET"
        " status = CASE WHEN r.status = 'queued' THEN 'cancelled' ELSE r.status END,"
        " finishedat = CASE WHEN r.status = 'queued' THEN now() ELSE r.finishedat END,"
        " lasterror = CASE WHEN r.status = 'queued' THEN 'cancelled before it started' ELSE r.lasterror END,"
        " cancelrequestedat = COALESCE(r.cancelrequestedat, now())"
        " WHERE r.jobkey = $1 AND r.status IN ('queued', 'running') AND ($2::uuid IS NULL OR r.id = $2::uuid)"
        " RETURNING r.id, r.status",
        2, p, NULL);
    if (!r)
        return -1;
    *ids = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(*ids, json_pack("{s:s,s:s}", "id", PQgetvalue(r, i, 0), "status", PQgetvalue(r, i, 1)));
    int n = PQntuples(r);
    PQclear(r);
    return n;
}

static void fill_claimed(PGresult *r, struct claimed_run *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->jobkey, sizeof out->jobkey, "%s", PQgetvalue(r, 0, 1));
    out->params = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    if (!out->params)
        out->params = json_object();
    out->dryrun = pg_bool(r, 0, 3);
    out->timeout_ms = pg_int(r, 0, 4, 0);
    out->scheduled = pg_val(r, 0, 5) != NULL;
    out->skew_seconds = out->scheduled ? strtod(PQgetvalue(r, 0, 5), NULL) : 0;
    out->attempt = (int)pg_int(r, 0, 6, 1);
}

/* clang-format off */
#define CLAIM_RETURNING \
    " RETURNING r.id, r.jobkey, r.params::text, r.dryrun, r.timeoutms," \
    " extract(epoch FROM r.startedat - r.scheduledfor), r.attempt"
/* clang-format on */

int runstore_claim(PGconn *c, const char *instance, int instance_no, struct claimed_run *out)
{
    char no[16];
    snprintf(no, sizeof no, "%d", instance_no);
    const char *p[] = {instance, no};
    PGresult *r = pg_query(c, "runstore.claim",
                           "UPDATE system.batchrun r SET status = 'running', startedat = clock_timestamp(),"
                           " heartbeatat = now(), instance = $1, instanceno = $2::int"
                           " WHERE r.id = (SELECT id FROM system.batchrun WHERE status = 'queued'"
                           " AND (notbefore IS NULL OR notbefore <= now())"
                           " ORDER BY createdat, id FOR UPDATE SKIP LOCKED LIMIT 1)" CLAIM_RETURNING,
                           2, p, NULL);
    if (!r)
        return -1;
    int got = PQntuples(r) == 1;
    if (got)
        fill_claimed(r, out);
    PQclear(r);
    return got;
}

int64_t runstore_next_delayed_ms(PGconn *c)
{
    PGresult *r = pg_query(c, "runstore.next_delayed",
                           "SELECT GREATEST(0, ceil(extract(epoch FROM min(notbefore) - now()) * 1000))::bigint"
                           " FROM system.batchrun WHERE status = 'queued' AND notbefore IS NOT NULL",
                           0, NULL, NULL);
    int64_t ms = r ? pg_int(r, 0, 0, -1) : -1;
    PQclear(r);
    return ms;
}

int runstore_retry(PGconn *c, const char *failed_id, int max_attempts, int64_t delay_ms, json_t **run)
{
    char id[UUID7_STRLEN + 1], max[16], delay[32];
    if (uuid7_new_string(id))
        return -1;
    snprintf(max, sizeof max, "%d", max_attempts);
    snprintf(delay, sizeof delay, "%lld", (long long)delay_ms);
    const char *p[] = {id, failed_id, max, delay};
    static const char sql[] =
        "INSERT INTO system.batchrun AS r (id, jobkey, lockkey, status, triggeredby, triggeredbyuserid, params,"
        " dryrun, timeoutms, attempt, retryof, notbefore)"
        " SELECT $1, f.jobkey, f.lockkey, 'queued', f.triggeredby, f.triggeredbyuserid, f.params, f.dryrun,"
        " f.timeoutms, f.attempt + 1, f.id, now() + make_interval(secs => $4::bigint / 1000.0)"
        " FROM system.batchrun f WHERE f.id = $2::uuid AND f.status = 'failed' AND NOT f.dryrun"
        " AND f.attempt < $3::int ON CONFLICT DO NOTHING RETURNING ";
    char full[sizeof sql + sizeof RUN_JSON_SQL];
    snprintf(full, sizeof full, "%s%s", sql, RUN_JSON_SQL);
    PGresult *r = pg_query(c, "runstore.retry", full, 4, p, NULL);
    if (!r)
        return -1;
    int queued = PQntuples(r) == 1;
    if (queued && run)
        *run = parse_json_col(r, 0, 0);
    PQclear(r);
    return queued;
}

int runstore_start_inline(PGconn *c, const struct run_new *q, const char *instance, int instance_no,
                          struct claimed_run *out)
{
    char id[UUID7_STRLEN + 1], timeout[32], no[16];
    if (uuid7_new_string(id))
        return -1;
    snprintf(timeout, sizeof timeout, "%lld", (long long)q->timeout_ms);
    snprintf(no, sizeof no, "%d", instance_no);
    char *params = params_text(q->params);
    const char *p[] = {id, q->jobkey, q->lockkey, q->triggeredby, params, q->dryrun ? "t" : "f", timeout, instance, no};
    PGresult *r = pg_query(c, "runstore.start_inline",
                           "INSERT INTO system.batchrun AS r (id, jobkey, lockkey, status, triggeredby, params, dryrun,"
                           " timeoutms, instance, instanceno, startedat, heartbeatat) VALUES ($1, $2, $3, 'running',"
                           " $4, $5::jsonb, $6, $7, $8, $9::int, clock_timestamp(), now())"
                           " ON CONFLICT DO NOTHING" CLAIM_RETURNING,
                           9, p, NULL);
    free(params);
    if (!r)
        return -1;
    int got = PQntuples(r) == 1;
    if (got)
        fill_claimed(r, out);
    PQclear(r);
    return got;
}

int runstore_finish(PGconn *c, const char *id, int instance_no, const char *status, int64_t rowsaffected,
                    const char *error, const json_t *meta, int64_t progress_done, int64_t progress_total)
{
    char rows[32], no[16], pd[32], pt[32];
    snprintf(rows, sizeof rows, "%lld", (long long)rowsaffected);
    snprintf(no, sizeof no, "%d", instance_no);
    snprintf(pd, sizeof pd, "%lld", (long long)progress_done);
    snprintf(pt, sizeof pt, "%lld", (long long)progress_total);
    char *m = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    const char *p[] = {id, status, rows, error, m, no, progress_total > 0 ? pd : NULL, progress_total > 0 ? pt : NULL};
    int64_t n = pg_exec(
        c, "runstore.finish",
        "UPDATE system.batchrun SET status = $2, finishedat = clock_timestamp(),"
        " durationms = GREATEST(0, round(extract(epoch FROM clock_timestamp() - startedat) * 1000))::bigint,"
        " rowsaffected = $3::bigint, lasterror = $4, meta = $5::jsonb, heartbeatat = now(),"
        " progressdone = COALESCE($7::bigint, progressdone),"
        " progresstotal = COALESCE($8::bigint, progresstotal)"
        " WHERE id = $1::uuid AND status = 'running' AND instanceno = $6::int",
        8, p);
    free(m);
    return n < 0 ? -1 : (int)n;
}

PGresult *runstore_heartbeat(PGconn *c, int instance_no, const char *ids)
{
    char no[16];
    snprintf(no, sizeof no, "%d", instance_no);
    const char *p[] = {no, ids};
    return pg_query(c, "runstore.heartbeat",
                    "UPDATE system.batchrun SET heartbeatat = now() WHERE instanceno = $1::int"
                    " AND status = 'running' AND id = ANY($2::uuid[]) RETURNING id, cancelrequestedat IS NOT NULL",
                    2, p, NULL);
}

int runstore_progress(PGconn *c, const char *id, int64_t done, int64_t total)
{
    char d[32], t[32];
    snprintf(d, sizeof d, "%lld", (long long)done);
    snprintf(t, sizeof t, "%lld", (long long)total);
    const char *p[] = {id, d, t};
    return pg_exec(c, "runstore.progress",
                   "UPDATE system.batchrun SET progressdone = $2::bigint, progresstotal = $3::bigint"
                   " WHERE id = $1::uuid AND status = 'running'",
                   3, p) < 0
               ? -1
               : 0;
}

char *runstore_active_json(PGconn *c, int recent_seconds, int max)
{
    char secs[16], lim[16];
    snprintf(secs, sizeof secs, "%d", recent_seconds);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {secs, lim};
    PGresult *res = pg_query(c, "runstore.active",
                             "SELECT coalesce(json_agg(x.j ORDER BY x.createdat), '[]') FROM (SELECT " RUN_JSON_SQL
                             " AS j, r.createdat FROM system.batchrun r WHERE r.status IN ('queued', 'running')"
                             " OR r.finishedat > now() - make_interval(secs => $1::int)"
                             " ORDER BY r.createdat DESC LIMIT $2::int) x",
                             2, p, NULL);
    if (!res)
        return NULL;
    json_t *j = json_loads(pg_val(res, 0, 0) ? pg_val(res, 0, 0) : "[]", 0, NULL);
    PQclear(res);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL; /* one line: no newline in data */
    json_decref(j);
    return text;
}

json_t *runstore_active_counts(PGconn *c)
{
    PGresult *res = pg_query(c, "runstore.active_counts",
                             "SELECT jobkey, status, count(*) FROM system.batchrun WHERE status IN ('queued',"
                             " 'running') GROUP BY 1, 2 ORDER BY 1, 2",
                             0, NULL, NULL);
    if (!res)
        return NULL;
    json_t *out = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(out, json_pack("{s:s,s:s,s:I}", "jobkey", PQgetvalue(res, i, 0), "status",
                                             PQgetvalue(res, i, 1), "count", (json_int_t)pg_int(res, i, 2, 0)));
    PQclear(res);
    return out;
}

/* clang-format off */
static const char inflight_sql[] =
    "SELECT " RUN_JSON_SQL ", r.status = 'running' AND NOT " INSTANCE_LOCK_HELD_SQL("r.instanceno")
    " FROM system.batchrun r WHERE r.lockkey = $1 AND r.status IN ('queued', 'running')";
/* clang-format on */

json_t *runstore_inflight(PGconn *c, const char *lockkey, bool *session_gone)
{
    const char *p[] = {lockkey};
    PGresult *res = pg_query(c, "runstore.inflight", inflight_sql, 1, p, NULL);
    json_t *run = res && PQntuples(res) == 1 ? parse_json_col(res, 0, 0) : NULL;
    if (session_gone)
        *session_gone = run && pg_bool(res, 0, 1);
    PQclear(res);
    return run;
}

json_t *runstore_inflight_brief(PGconn *c, const char *lockkey)
{
    const char *p[] = {lockkey};
    /* clang-format off */
    PGresult *res = pg_query(
        c, "runstore.inflight_brief",
        "SELECT json_build_object('id', r.id, 'jobkey', r.jobkey, 'status', r.status, 'triggeredby', r.triggeredby,"
        " 'progressdone', r.progressdone, 'progresstotal', r.progresstotal, 'startedat', " RUN_ISO("r.startedat") ","
        " 'createdat', " RUN_ISO("r.createdat") ") FROM system.batchrun r WHERE r.lockkey = $1"
        " AND r.status IN ('queued', 'running') LIMIT 1",
        1, p, NULL);
    /* clang-format on */
    if (!res)
        return NULL;
    json_t *run = PQntuples(res) == 1 ? parse_json_col(res, 0, 0) : json_null();
    PQclear(res);
    return run;
}

/* The newest run of each job: the newest head of its ten (status, triggeredby) streams in batchrun_job_status_trig
 * (both columns have a CHECK-fixed domain, migration 001), ten index probes whatever the job's history holds. */
/* clang-format off */
static const char last_runs_sql[] =
    "SELECT k.jobkey, (SELECT " RUN_JSON_SQL " FROM (SELECT x.id FROM"
    "  (VALUES ('queued'), ('running'), ('done'), ('failed'), ('cancelled')) st (status)"
    "  CROSS JOIN (VALUES ('scheduler'), ('admin')) tb (triggeredby)"
    "  CROSS JOIN LATERAL (SELECT r.id, r.createdat FROM system.batchrun r WHERE r.jobkey = k.jobkey"
    "   AND r.status = st.status AND r.triggeredby = tb.triggeredby ORDER BY r.createdat DESC, r.id DESC LIMIT 1) x"
    "  ORDER BY x.createdat DESC, x.id DESC LIMIT 1) p JOIN system.batchrun r ON r.id = p.id)"
    " FROM json_array_elements_text($1::json) AS k (jobkey)";
/* clang-format on */

json_t *runstore_last_runs(PGconn *c, const json_t *jobkeys)
{
    char *keys = json_dumps(jobkeys, JSON_COMPACT);
    const char *p[] = {keys};
    PGresult *res = pg_query(c, "runstore.last_runs", last_runs_sql, 1, p, NULL);
    free(keys);
    if (!res)
        return NULL;
    json_t *out = json_object();
    for (int i = 0; i < PQntuples(res); i++)
        if (pg_val(res, i, 1))
            json_object_set_new(out, PQgetvalue(res, i, 0), parse_json_col(res, i, 1));
    PQclear(res);
    return out;
}

/* A running run is "dead" when its instance's lock (store/instances.c) is gone. pg_locks spans the whole cluster and
 * advisory locks are per database: without the database filter, instance N of another database on the same server
 * made a dead instance N here look alive. */
/* clang-format off */
static const char rescue_sql[] =
    "WITH lost AS (SELECT r.id, NOT " INSTANCE_LOCK_HELD_SQL("r.instanceno") " AS dead"
    "  FROM system.batchrun r WHERE r.status = 'running')"
    " UPDATE system.batchrun r SET status = 'failed', finishedat = now(),"
    "  durationms = GREATEST(0, round(extract(epoch FROM now() - r.startedat) * 1000))::bigint,"
    "  lasterror = CASE WHEN lost.dead THEN format('instance %s died while the run was running (its database "
    "session is gone; last heartbeat %s); committed batches are kept', r.instance,"
    "  " RUN_ISO("r.heartbeatat") ")"
    "  ELSE format('instance %s stopped heartbeating (last heartbeat %s, lease %ss); committed batches are kept',"
    "  r.instance, " RUN_ISO("r.heartbeatat") ", $1) END"
    " FROM lost WHERE r.id = lost.id AND r.status = 'running'"
    "  AND (r.heartbeatat < now() - make_interval(secs => $1::int)"
    "   OR (lost.dead AND r.heartbeatat < now() - make_interval(secs => $2::int)))"
    " RETURNING r.id, r.jobkey, r.lasterror, r.attempt";
/* clang-format on */

int runstore_rescue(PGconn *c, int lease_s, int dead_grace_s, struct rescued_run *out, int max)
{
    char lease[16], beat[16];
    snprintf(lease, sizeof lease, "%d", lease_s);
    snprintf(beat, sizeof beat, "%d", dead_grace_s);
    const char *p[] = {lease, beat};
    PGresult *r = pg_query(c, "runstore.rescue", rescue_sql, 2, p, NULL);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", PQgetvalue(r, i, 0));
        snprintf(out[i].jobkey, sizeof out[i].jobkey, "%s", PQgetvalue(r, i, 1));
        snprintf(out[i].lasterror, sizeof out[i].lasterror, "%s", PQgetvalue(r, i, 2));
        out[i].attempt = (int)pg_int(r, i, 3, 1);
    }
    PQclear(r);
    return n;
}

int64_t runstore_retention(PGconn *c, int days, int limit)
{
    char d[16], b[16];
    snprintf(d, sizeof d, "%d", days);
    snprintf(b, sizeof b, "%d", limit);
    const char *p[] = {d, b};
    return pg_exec(c, "runstore.retention",
                   "DELETE FROM system.batchrun WHERE id IN (SELECT id FROM system.batchrun WHERE finishedat <"
                   " now() - make_interval(days => $1::int) LIMIT $2::int)",
                   2, p);
}

int runstore_failure_streak(PGconn *c, const char *jobkey, int limit, char *lasterror, size_t errlen)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {jobkey, lim};
    PGresult *r = pg_query(c, "runstore.streak",
                           "SELECT r.status, r.lasterror FROM system.batchrun r WHERE r.jobkey = $1"
                           " AND r.status IN ('done', 'failed') AND NOT EXISTS (SELECT 1"
                           " FROM system.batchrun x WHERE x.retryof = r.id)"
                           " ORDER BY r.finishedat DESC, r.id DESC LIMIT $2::int",
                           2, p, NULL);
    if (!r)
        return -1;
    int streak = 0;
    while (streak < PQntuples(r) && !strcmp(PQgetvalue(r, streak, 0), "failed"))
        streak++;
    if (streak > 0)
        snprintf(lasterror, errlen, "%s", pg_val(r, 0, 1) ? pg_val(r, 0, 1) : "");
    PQclear(r);
    return streak;
}

json_t *runstore_last_success(PGconn *c, const json_t *jobkeys)
{
    char *keys = json_dumps(jobkeys, JSON_COMPACT);
    const char *p[] = {keys};
    /* The newest of the two (jobkey, 'done', triggeredby) streams' heads in batchrun_job_status_trig (migration 010). */
    PGresult *res = pg_query(
        c, "runstore.last_success",
        "SELECT k.jobkey, (SELECT floor(extract(epoch FROM x.finishedat))::bigint FROM"
        " (VALUES ('scheduler'), ('admin')) tb (triggeredby) CROSS JOIN LATERAL (SELECT r.createdat,"
        " r.id, r.finishedat FROM system.batchrun r WHERE r.jobkey = k.jobkey AND r.status = 'done'"
        " AND r.triggeredby = tb.triggeredby AND NOT r.dryrun ORDER BY r.createdat DESC, r.id DESC"
        " LIMIT 1) x ORDER BY x.createdat DESC, x.id DESC LIMIT 1)"
        " FROM json_array_elements_text($1::json) AS k(jobkey)",
        1, p, NULL);
    free(keys);
    if (!res)
        return NULL;
    json_t *out = json_object();
    for (int i = 0; i < PQntuples(res); i++)
        if (pg_val(res, i, 1))
            json_object_set_new(out, PQgetvalue(res, i, 0), json_integer(pg_int(res, i, 1, 0)));
    PQclear(res);
    return out;
}

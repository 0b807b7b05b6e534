/* runstore — see runstore.h. */
#include "runs/runstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/uuid7.h"

int64_t runstore_job_timeout(const struct config *cfg, const struct job_def *job)
{
    const struct job_settings *js = config_job(cfg, job->key);
    if (js && js->timeout_ms > 0)
        return js->timeout_ms;
    return job->timeout_ms ? job->timeout_ms : cfg->default_timeout_ms;
}

void runstore_lockkey(const struct job_def *job, const json_t *params, char *buf, size_t buflen)
{
    char scope[128];
    if (job->lock_scope && job->lock_scope(params, scope, sizeof scope))
        snprintf(buf, buflen, "%s:%s", job->key, scope);
    else
        snprintf(buf, buflen, "%s", job->key);
}

static json_t *parse_json_col(PGresult *r, int row, int col)
{
    const char *v = pg_val(r, row, col);
    json_t *j = v ? json_loads(v, 0, NULL) : NULL;
    if (v && !j)
        log_error("msg=\"cannot parse run JSON from database\"");
    return j;
}

/* The params a run stores: the caller's plus what the job fills from settings (resolve_params). New reference. */
static json_t *stored_params(const struct enqueue_req *q)
{
    if (!q->job->resolve_params)
        return json_incref((json_t *)q->params);
    if (!q->cfg)
        log_warn("msg=\"enqueue without settings: params not resolved\" job=%s", q->job->key);
    json_t *p = q->params ? json_deep_copy(q->params) : json_object();
    if (q->cfg)
        q->job->resolve_params(q->cfg, p);
    return p;
}

enum enqueue_result runstore_enqueue(PGconn *c, const struct enqueue_req *q, json_t **run)
{
    char id[UUID7_STRLEN + 1], lockkey[256], timeout[32], slot[32] = "";
    if (uuid7_new_string(id))
        return ENQUEUE_ERROR;
    json_t *sp = stored_params(q);
    runstore_lockkey(q->job, sp, lockkey, sizeof lockkey);
    snprintf(timeout, sizeof timeout, "%lld", (long long)q->timeout_ms);
    if (q->scheduledfor)
        snprintf(slot, sizeof slot, "%lld", (long long)q->scheduledfor);
    char *params = json_dumps(sp, JSON_COMPACT);
    json_decref(sp);
    const char *p[] = {id, q->job->key, lockkey, q->triggeredby, q->userid, params, q->dryrun ? "t" : "f",
                       slot[0] ? slot : NULL, timeout};
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

int runstore_list(PGconn *c, const struct run_filter *f, json_t **items, int64_t *total)
{
    char from[32], to[32], limit[16], offset[24];
    snprintf(from, sizeof from, "%lld", (long long)f->from);
    snprintf(to, sizeof to, "%lld", (long long)f->to);
    snprintf(limit, sizeof limit, "%d", f->limit);
    snprintf(offset, sizeof offset, "%lld", (long long)(f->page - 1) * f->limit);
    const char *p[] = {f->jobkey, f->status, f->triggeredby, from, f->to < 0 ? NULL : to, limit, offset};
    char sql[sizeof RUN_JSON_SQL + 1024];
    snprintf(sql, sizeof sql,
             "SELECT %s, count(*) OVER () FROM system.batchrun r"
             " WHERE ($1::text IS NULL OR r.jobkey = $1) AND ($2::text IS NULL OR r.status = $2)"
             " AND ($3::text IS NULL OR r.triggeredby = $3)"
             " AND r.createdat >= to_timestamp($4::bigint)"
             " AND ($5::bigint IS NULL OR r.createdat <= to_timestamp($5::bigint))"
             " ORDER BY r.createdat DESC, r.id DESC LIMIT $6::int OFFSET $7::bigint",
             RUN_JSON_SQL);
    PGresult *r = pg_query(c, "runstore.list", sql, 7, p, NULL);
    if (!r)
        return -1;
    *items = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(*items, parse_json_col(r, i, 0));
    *total = PQntuples(r) ? pg_int(r, 0, 1, 0) : 0;
    PQclear(r);
    if (*total == 0 && f->page > 1) { /* past the last page: the count still matters for `pages` */
        char csql[512];
        snprintf(csql, sizeof csql,
                 "SELECT count(*) FROM system.batchrun r WHERE ($1::text IS NULL OR r.jobkey = $1)"
                 " AND ($2::text IS NULL OR r.status = $2) AND ($3::text IS NULL OR r.triggeredby = $3)"
                 " AND r.createdat >= to_timestamp($4::bigint)"
                 " AND ($5::bigint IS NULL OR r.createdat <= to_timestamp($5::bigint))");
        PGresult *cr = pg_query(c, "runstore.count", csql, 5, p, NULL);
        if (cr) {
            *total = pg_int(cr, 0, 0, 0);
            PQclear(cr);
        }
    }
    return 0;
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
}

#define CLAIM_RETURNING \
    " RETURNING r.id, r.jobkey, r.params::text, r.dryrun, r.timeoutms," \
    " extract(epoch FROM r.startedat - r.scheduledfor)"

int runstore_claim(PGconn *c, const char *instance, int instance_no, struct claimed_run *out)
{
    char no[16];
    snprintf(no, sizeof no, "%d", instance_no);
    const char *p[] = {instance, no};
    PGresult *r = pg_query(c, "runstore.claim",
                           "UPDATE system.batchrun r SET status = 'running', startedat = clock_timestamp(),"
                           " heartbeatat = now(), instance = $1, instanceno = $2::int"
                           " WHERE r.id = (SELECT id FROM system.batchrun WHERE status = 'queued'"
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

int runstore_start_inline(PGconn *c, const struct enqueue_req *q, const char *instance, int instance_no,
                          struct claimed_run *out)
{
    char id[UUID7_STRLEN + 1], lockkey[256], timeout[32], no[16];
    if (uuid7_new_string(id))
        return -1;
    json_t *sp = stored_params(q);
    runstore_lockkey(q->job, sp, lockkey, sizeof lockkey);
    snprintf(timeout, sizeof timeout, "%lld", (long long)q->timeout_ms);
    snprintf(no, sizeof no, "%d", instance_no);
    char *params = json_dumps(sp, JSON_COMPACT);
    json_decref(sp);
    const char *p[] = {id, q->job->key, lockkey, q->triggeredby, params, q->dryrun ? "t" : "f", timeout, instance, no};
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
    int64_t n = pg_exec(c, "runstore.finish",
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

/* flush_apply — see flush_apply.h. */
#include "jobs/flush_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/idtypes.h"
#include "jobs/flush_redis.h"
#include "jobs/job_ctx.h"
#include "store/pg.h"
#include "util/timefmt.h"

#define APPLY_WORK_MEM "64MB" /* a million-key page hashes its ids in memory instead of spilling */
/*
 * The rows a flush touches are hot (they were just viewed): with the default random_page_cost (4) the planner
 * seq-scans a million chapters to update ten thousand; at 1.1 it probes the primary key for small pages and still
 * hash-joins large ones.
 */
#define APPLY_RANDOM_PAGE_COST "1.1"

/*
 * One page: both kinds in one statement. A negative sum (a DECRBY) never takes a count below 0 (the columns'
 * CHECK); ids without a row simply match nothing and are counted by the caller.
 */
static const char PAGE_SQL[] =
    "WITH c AS (UPDATE core.comic t SET viewcount = greatest(t.viewcount + u.n, 0)"
    "   FROM unnest($1::{comic}[], $2::bigint[]) AS u(id, n) WHERE t.id = u.id RETURNING u.n),"
    " h AS (UPDATE core.chapter t SET viewcount = greatest(t.viewcount + u.n, 0)"
    "   FROM unnest($3::{chapter}[], $4::bigint[]) AS u(id, n) WHERE t.id = u.id RETURNING u.n)"
    " SELECT (SELECT count(*) FROM c), (SELECT coalesce(sum(n), 0)::bigint FROM c),"
    " (SELECT count(*) FROM h), (SELECT coalesce(sum(n), 0)::bigint FROM h)";

/*
 * Records why (unless the run was cancelled: the worker knows why), rolls back, returns -1. A wait for a row lock
 * that passed the transaction's lock_timeout (SQLSTATE 55P03, `state`) is not the run's failure yet: it sets
 * lock_timeout and keeps the message in `err`, and the caller applies the staging list again (analytics_flush.c).
 */
static int tx_fail(struct flush_tx *t, const char *what, const char *state)
{
    char msg[sizeof t->err];
    snprintf(msg, sizeof msg, "%s failed: %s", what, PQerrorMessage(t->db));
    size_t len = strlen(msg);
    while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';
    t->lock_timeout = state && !strcmp(state, "55P03");
    if (!t->ctx || t->lock_timeout)
        snprintf(t->err, sizeof t->err, "%s", msg);
    else if (!job_cancelled(t->ctx))
        job_fail_state(t->ctx, state, "%s", msg);
    flush_tx_abort(t);
    return -1;
}

/* The SQLSTATE of a failed result, copied into `state`. */
static const char *state_of(const PGresult *r, char state[6])
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(state, 6, "%s", s ? s : "");
    return state;
}

static bool stopped(struct flush_tx *t)
{
    return t->ctx && job_cancelled(t->ctx);
}

/* Runs a statement synchronously; returns the result or NULL (after tx_fail). */
static PGresult *tx_exec(struct flush_tx *t, const char *what, const char *sql, int n, const char *const *p)
{
    if (stopped(t)) {
        flush_tx_abort(t);
        return NULL;
    }
    PGresult *r = PQexecParams(t->db, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    char state[6];
    state_of(r, state);
    PQclear(r);
    tx_fail(t, what, state);
    return NULL;
}

int flush_tx_begin(struct flush_tx *t, const char *id, bool recovered)
{
    memset(&t->res, 0, sizeof t->res);
    t->inflight = false;
    t->lock_timeout = false;
    t->wait_ms = 0;
    PGresult *r = tx_exec(t, "flush.begin", "BEGIN", 0, NULL);
    if (!r)
        return -1;
    PQclear(r);
    t->open = true;
    r = tx_exec(t, "flush.settings",
                "SELECT set_config('work_mem', '" APPLY_WORK_MEM "', true),"
                " set_config('random_page_cost', '" APPLY_RANDOM_PAGE_COST "', true),"
                " set_config('lock_timeout', '" JOB_LOCK_TIMEOUT "', true)",
                0, NULL);
    if (!r)
        return -1;
    PQclear(r);
    const char *p[] = {id, recovered ? "t" : "f"};
    r = tx_exec(t, "flush.ledger",
                "INSERT INTO system.flushledger (id, recovered) VALUES ($1::uuid, $2::boolean)"
                " ON CONFLICT (id) DO NOTHING RETURNING 1",
                2, p);
    if (!r)
        return -1;
    int fresh = PQntuples(r);
    PQclear(r);
    if (!fresh)
        flush_tx_abort(t);
    return fresh;
}

/* Collects the page in flight, if any. */
static int collect(struct flush_tx *t)
{
    if (!t->inflight)
        return 0;
    t->inflight = false;
    PGresult *r, *last = NULL;
    char state[6] = "";
    int64_t t0 = time_mono_ms();
    while ((r = PQgetResult(t->db)) != NULL) {
        if (PQresultStatus(r) != PGRES_TUPLES_OK && !state[0] && !state_of(r, state)[0])
            snprintf(state, sizeof state, "?"); /* failed without a SQLSTATE: still a failure */
        PQclear(last);
        last = r;
    }
    t->wait_ms += time_mono_ms() - t0;
    if (state[0] || !last) {
        PQclear(last);
        return tx_fail(t, "flush.apply", state);
    }
    int64_t c = pg_int(last, 0, 0, 0), cv = pg_int(last, 0, 1, 0), h = pg_int(last, 0, 2, 0);
    int64_t hv = pg_int(last, 0, 3, 0);
    PQclear(last);
    t->res.comics += c, t->res.chapters += h, t->res.views += cv + hv;
    t->res.unknown_comics += t->pend_comics - c;
    t->res.unknown_chapters += t->pend_chapters - h;
    t->res.views_dropped += t->pend_comic_views - cv + t->pend_chapter_views - hv;
    return 0;
}

int flush_tx_page(struct flush_tx *t, const struct flush_set *page)
{
    if (collect(t))
        return -1;
    if (stopped(t)) {
        flush_tx_abort(t);
        return -1;
    }
    const char *p[] = {page->comics.ids, page->comics.views, page->chapters.ids, page->chapters.views};
    if (!PQsendQueryParams(t->db, t->page_sql, 4, NULL, p, NULL, NULL, 0))
        return tx_fail(t, "flush.apply", NULL);
    t->inflight = true;
    t->pend_comics = page->comics.n, t->pend_comic_views = page->comics.total;
    t->pend_chapters = page->chapters.n, t->pend_chapter_views = page->chapters.total;
    return 0;
}

int flush_tx_commit(struct flush_tx *t, const char *id)
{
    if (collect(t))
        return -1;
    char c[32], h[32], v[32], u[32];
    snprintf(c, sizeof c, "%lld", (long long)t->res.comics);
    snprintf(h, sizeof h, "%lld", (long long)t->res.chapters);
    snprintf(v, sizeof v, "%lld", (long long)t->res.views);
    snprintf(u, sizeof u, "%lld", (long long)(t->res.unknown_comics + t->res.unknown_chapters));
    const char *q[] = {id, c, h, v, u};
    PGresult *r = tx_exec(t, "flush.ledger_counts",
                          "UPDATE system.flushledger SET comics = $2::bigint, chapters = $3::bigint,"
                          " views = $4::bigint, unknownids = $5::bigint WHERE id = $1::uuid",
                          5, q);
    if (!r)
        return -1;
    PQclear(r);
    if (!(r = tx_exec(t, "flush.commit", "COMMIT", 0, NULL)))
        return -1;
    PQclear(r);
    t->open = false;
    return 0;
}

int flush_tx_prepare(struct flush_tx *t)
{
    if (t->page_sql)
        return 0;
    struct id_types ids;
    char err[256];
    if (idtypes_detect(t->db, &ids, err, sizeof err)) {
        if (t->ctx)
            job_fail(t->ctx, "%s", err);
        else
            snprintf(t->err, sizeof t->err, "%s", err);
        return -1;
    }
    t->ids.comic_uuid = !strcmp(ids.name[ID_COMIC], "uuid");
    t->ids.chapter_uuid = !strcmp(ids.name[ID_CHAPTER], "uuid");
    t->page_sql = idtypes_sql(&ids, PAGE_SQL);
    return 0;
}

void flush_tx_finish(struct flush_tx *t)
{
    free(t->page_sql);
    t->page_sql = NULL;
}

void flush_tx_abort(struct flush_tx *t)
{
    if (t->inflight) {
        PGresult *r;
        while ((r = PQgetResult(t->db)) != NULL)
            PQclear(r);
        t->inflight = false;
    }
    if (t->open) {
        PQclear(PQexec(t->db, "ROLLBACK"));
        t->open = false;
    }
}

/* schedstore — see schedstore.h. */
#include "store/schedstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "util/xalloc.h"

#define EPOCH(col) "floor(extract(epoch FROM " col "))::bigint"
/* clang-format off */
#define ROW_COLUMNS \
    "jobkey, cron, isenabled, " EPOCH("nextrunat") ", misfire, params::text, maxattempts, retrydelayms," \
    " deadlinems, " EPOCH("expectedsince") ", " EPOCH("deadlinealerted") ", " EPOCH("disablednext") ", updatedby"
/* clang-format on */

static void fill_row(PGresult *r, int i, struct sched_row *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->jobkey, sizeof out->jobkey, "%s", PQgetvalue(r, i, 0));
    out->has_cron = pg_val(r, i, 1) != NULL;
    snprintf(out->cron, sizeof out->cron, "%s", out->has_cron ? PQgetvalue(r, i, 1) : "");
    out->isenabled = pg_bool(r, i, 2);
    out->nextrunat = (time_t)pg_int(r, i, 3, 0);
    snprintf(out->misfire, sizeof out->misfire, "%s", pg_val(r, i, 4) ? PQgetvalue(r, i, 4) : "");
    /* Written only through schedstore_update with text the API bounded to SCHED_PARAMS_MAX; a longer value (edited
     * by hand) would be cut and then fail to parse, which the scheduler reports, rather than be half-used. */
    snprintf(out->params, sizeof out->params, "%s", pg_val(r, i, 5) ? PQgetvalue(r, i, 5) : "");
    out->maxattempts = (int)pg_int(r, i, 6, 0);
    out->retrydelay_ms = pg_int(r, i, 7, 0);
    out->deadline_ms = pg_int(r, i, 8, -1);
    out->expectedsince = (time_t)pg_int(r, i, 9, 0);
    out->deadlinealerted = (time_t)pg_int(r, i, 10, 0);
    out->disablednext = (time_t)pg_int(r, i, 11, 0);
    snprintf(out->updatedby, sizeof out->updatedby, "%s", pg_val(r, i, 12) ? PQgetvalue(r, i, 12) : "");
}

int schedstore_seed(PGconn *c, const char *jobkey, bool enabled)
{
    const char *p[] = {jobkey, enabled ? "t" : "f"};
    return pg_exec(c, "schedstore.seed",
                   "INSERT INTO system.batchschedule (jobkey, isenabled) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
                   p) < 0
               ? -1
               : 0;
}

bool schedstore_present(PGconn *c)
{
    PGresult *r = pg_query(c, "schedstore.present", "SELECT to_regclass('system.batchschedule') IS NOT NULL", 0, NULL,
                           NULL);
    bool present = r && pg_bool(r, 0, 0);
    PQclear(r);
    return present;
}

int schedstore_list(PGconn *c, bool enabled_only, struct sched_row **rows)
{
    PGresult *r = pg_query(c, "schedstore.list",
                           "SELECT " ROW_COLUMNS " FROM system.batchschedule WHERE isenabled OR NOT $1::boolean"
                           " ORDER BY jobkey",
                           1, (const char *[]){enabled_only ? "t" : "f"}, NULL);
    if (!r)
        return -1;
    int n = PQntuples(r);
    *rows = xcalloc((size_t)n, sizeof **rows);
    for (int i = 0; i < n; i++)
        fill_row(r, i, &(*rows)[i]);
    PQclear(r);
    return n;
}

static int get_row(PGconn *c, const char *what, const char *sql, const char *jobkey, struct sched_row *out)
{
    const char *p[] = {jobkey};
    PGresult *r = pg_query(c, what, sql, 1, p, NULL);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        fill_row(r, 0, out);
    PQclear(r);
    return found;
}

int schedstore_get(PGconn *c, const char *jobkey, struct sched_row *out)
{
    return get_row(c, "schedstore.get", "SELECT " ROW_COLUMNS " FROM system.batchschedule WHERE jobkey = $1", jobkey,
                   out);
}

int schedstore_lock(PGconn *c, const char *jobkey, struct sched_row *out)
{
    return get_row(c, "schedstore.lock",
                   "SELECT " ROW_COLUMNS " FROM system.batchschedule WHERE jobkey = $1 FOR UPDATE", jobkey, out);
}

static const char *epoch_or_null(time_t t, char *buf, size_t len)
{
    if (t <= 0)
        return NULL;
    snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

/* One job's row ($1 = jobkey) updated with a moment ($2, epoch seconds): rows changed, or -1. */
static int64_t exec_at(PGconn *c, const char *what, const char *sql, const char *jobkey, time_t at)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)at);
    const char *p[] = {jobkey, t};
    return pg_exec(c, what, sql, 2, p);
}

int schedstore_update(PGconn *c, const char *jobkey, const struct sched_update *u)
{
    char next[32], dis[32], att[16], delay[32], dl[32];
    char on[2] = {u->isenabled < 0 ? 0 : (u->isenabled ? 't' : 'f'), 0};
    snprintf(att, sizeof att, "%d", u->maxattempts);
    snprintf(delay, sizeof delay, "%lld", (long long)u->retrydelay_ms);
    snprintf(dl, sizeof dl, "%lld", (long long)u->deadline_ms);
    const char *p[] = {jobkey,
                       u->cron,
                       on[0] ? on : NULL,
                       epoch_or_null(u->nextrunat, next, sizeof next),
                       epoch_or_null(u->disablednext, dis, sizeof dis),
                       u->set_params ? "t" : "f",
                       u->params,
                       att,
                       delay,
                       dl,
                       u->expect_from_now ? "t" : "f",
                       u->updatedby};
    int64_t n = pg_exec(c, "schedstore.update",
                        "UPDATE system.batchschedule SET cron = COALESCE($2, cron),"
                        " isenabled = COALESCE($3::boolean, isenabled), nextrunat = to_timestamp($4::bigint),"
                        " disablednext = to_timestamp($5::bigint),"
                        " params = CASE WHEN $6::boolean THEN $7::jsonb ELSE params END,"
                        " maxattempts = CASE WHEN $8::int = -2 THEN maxattempts ELSE NULLIF($8::int, 0) END,"
                        " retrydelayms = CASE WHEN $9::bigint = -2 THEN retrydelayms ELSE NULLIF($9::bigint, 0) END,"
                        " deadlinems = CASE WHEN $10::bigint = -2 THEN deadlinems WHEN $10::bigint = -1 THEN NULL"
                        "  ELSE $10::bigint END,"
                        " expectedsince = CASE WHEN $11::boolean THEN now() ELSE expectedsince END,"
                        " deadlinealerted = CASE WHEN $11::boolean THEN NULL ELSE deadlinealerted END,"
                        " updatedat = now(), updatedby = $12 WHERE jobkey = $1",
                        12, p);
    return n < 0 ? -1 : (int)n;
}

int schedstore_set_first(PGconn *c, const char *jobkey, time_t first)
{
    return exec_at(c, "schedstore.first",
                   "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                   " AND isenabled AND nextrunat IS NULL",
                   jobkey, first) < 0
               ? -1
               : 0;
}

int schedstore_follow_default(PGconn *c, const char *jobkey, time_t first)
{
    int64_t n = exec_at(c, "schedstore.follow_default",
                        "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint)"
                        " WHERE jobkey = $1 AND cron IS NULL AND isenabled"
                        " AND nextrunat IS DISTINCT FROM to_timestamp($2::bigint)",
                        jobkey, first);
    return n < 0 ? -1 : n > 0;
}

int schedstore_advance(PGconn *c, const char *jobkey, time_t old, time_t next)
{
    char o[32], n[32];
    snprintf(o, sizeof o, "%lld", (long long)old);
    const char *p[] = {jobkey, epoch_or_null(next, n, sizeof n), o};
    int64_t moved = pg_exec(c, "schedstore.advance",
                            "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                            " AND isenabled AND nextrunat = to_timestamp($3::bigint)",
                            3, p);
    return moved < 0 ? -1 : (int)moved;
}

int schedstore_advance_disabled(PGconn *c, const char *jobkey, time_t old, time_t next)
{
    char o[32], n[32];
    snprintf(o, sizeof o, "%lld", (long long)old);
    const char *p[] = {jobkey, epoch_or_null(next, n, sizeof n), o};
    int64_t moved = pg_exec(c, "schedstore.advance_disabled",
                            "UPDATE system.batchschedule SET disablednext = to_timestamp($2::bigint)"
                            " WHERE jobkey = $1 AND NOT isenabled AND disablednext = to_timestamp($3::bigint)",
                            3, p);
    return moved < 0 ? -1 : (int)moved;
}

int schedstore_mark_deadline_alert(PGconn *c, const char *jobkey, time_t reference)
{
    int64_t n = exec_at(c, "schedstore.deadline_alert",
                        "UPDATE system.batchschedule SET deadlinealerted = to_timestamp($2::bigint) WHERE jobkey = $1"
                        " AND deadlinealerted IS DISTINCT FROM to_timestamp($2::bigint)",
                        jobkey, reference);
    return n < 0 ? -1 : (int)n;
}

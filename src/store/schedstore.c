/* schedstore — see schedstore.h. */
#include "store/schedstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "util/xalloc.h"

#define ROW_COLUMNS "jobkey, cron, isenabled, extract(epoch FROM nextrunat)::bigint, misfire"

static void fill_row(PGresult *r, int i, struct sched_row *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->jobkey, sizeof out->jobkey, "%s", PQgetvalue(r, i, 0));
    out->has_cron = pg_val(r, i, 1) != NULL;
    snprintf(out->cron, sizeof out->cron, "%s", out->has_cron ? PQgetvalue(r, i, 1) : "");
    out->isenabled = pg_bool(r, i, 2);
    out->nextrunat = (time_t)pg_int(r, i, 3, 0);
    snprintf(out->misfire, sizeof out->misfire, "%s", pg_val(r, i, 4) ? PQgetvalue(r, i, 4) : "");
}

int schedstore_seed(PGconn *c, const char *jobkey, bool enabled)
{
    const char *p[] = {jobkey, enabled ? "t" : "f"};
    return pg_exec(c, "schedstore.seed",
                   "INSERT INTO system.batchschedule (jobkey, isenabled) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
                   p) < 0 ? -1 : 0;
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

int schedstore_update(PGconn *c, const char *jobkey, const struct sched_update *u)
{
    char next[32] = "", on[2] = {u->isenabled < 0 ? 0 : (u->isenabled ? 't' : 'f'), 0};
    if (u->nextrunat > 0)
        snprintf(next, sizeof next, "%lld", (long long)u->nextrunat);
    const char *p[] = {jobkey, u->cron, on[0] ? on : NULL, next[0] ? next : NULL, u->updatedby};
    int64_t n = pg_exec(c, "schedstore.update",
                        "UPDATE system.batchschedule SET cron = COALESCE($2, cron),"
                        " isenabled = COALESCE($3::boolean, isenabled), nextrunat = to_timestamp($4::bigint),"
                        " updatedat = now(), updatedby = $5 WHERE jobkey = $1",
                        5, p);
    return n < 0 ? -1 : (int)n;
}

int schedstore_set_first(PGconn *c, const char *jobkey, time_t first)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)first);
    const char *p[] = {jobkey, t};
    return pg_exec(c, "schedstore.first",
                   "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                   " AND isenabled AND nextrunat IS NULL",
                   2, p) < 0 ? -1 : 0;
}

int schedstore_advance(PGconn *c, const char *jobkey, time_t old, time_t next)
{
    char o[32], n[32];
    snprintf(o, sizeof o, "%lld", (long long)old);
    snprintf(n, sizeof n, "%lld", (long long)next);
    const char *p[] = {jobkey, next > 0 ? n : NULL, o};
    int64_t moved = pg_exec(c, "schedstore.advance",
                            "UPDATE system.batchschedule SET nextrunat = to_timestamp($2::bigint) WHERE jobkey = $1"
                            " AND isenabled AND nextrunat = to_timestamp($3::bigint)",
                            3, p);
    return moved < 0 ? -1 : (int)moved;
}

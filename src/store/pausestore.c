/* pausestore — see pausestore.h. */
#include "store/pausestore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "util/xalloc.h"

static const char *epoch(time_t t, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

int pausestore_active(PGconn *c, time_t now, struct pause_row **rows)
{
    char n[32];
    const char *p[] = {epoch(now, n, sizeof n)};
    *rows = NULL;
    PGresult *r = pg_query(c, "pausestore.active",
                           "SELECT scope, extract(epoch FROM until)::bigint, coalesce(reason, ''), createdby"
                           " FROM system.batchpause WHERE until > to_timestamp($1::bigint) ORDER BY scope",
                           1, p, NULL);
    if (!r)
        return -1;
    int count = PQntuples(r);
    if (count)
        *rows = xcalloc((size_t)count, sizeof **rows);
    for (int i = 0; i < count; i++) {
        struct pause_row *x = &(*rows)[i];
        snprintf(x->scope, sizeof x->scope, "%s", PQgetvalue(r, i, 0));
        x->until = (time_t)pg_int(r, i, 1, 0);
        snprintf(x->reason, sizeof x->reason, "%s", PQgetvalue(r, i, 2));
        snprintf(x->createdby, sizeof x->createdby, "%s", PQgetvalue(r, i, 3));
    }
    PQclear(r);
    return count;
}

json_t *pausestore_active_json(PGconn *c, time_t now)
{
    char n[32];
    const char *p[] = {epoch(now, n, sizeof n)};
    /* clang-format off */
    PGresult *r = pg_query(c, "pausestore.active_json",
                           "SELECT coalesce(json_agg(json_build_object('scope', scope, 'jobkey', NULLIF(scope, '"
                           PAUSE_ALL "'), 'until', " PG_ISO("until") ", 'reason', reason, 'createdby', createdby,"
                           " 'createdat', " PG_ISO("createdat") ") ORDER BY scope), '[]')"
                           " FROM system.batchpause WHERE until > to_timestamp($1::bigint)",
                           1, p, NULL);
    /* clang-format on */
    json_t *out = r ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    return out;
}

int pausestore_set(PGconn *c, const char *scope, time_t until, const char *reason, const char *createdby)
{
    char u[32];
    const char *p[] = {scope, epoch(until, u, sizeof u), reason, createdby};
    return pg_exec(c, "pausestore.set",
                   "INSERT INTO system.batchpause (scope, until, reason, createdby) VALUES ($1,"
                   " to_timestamp($2::bigint), $3, $4) ON CONFLICT (scope) DO UPDATE SET until = EXCLUDED.until,"
                   " reason = EXCLUDED.reason, createdby = EXCLUDED.createdby, createdat = now()",
                   4, p) == 1
               ? 0
               : -1;
}

int pausestore_end(PGconn *c, const char *scope, time_t now)
{
    char n[32];
    const char *p[] = {scope, epoch(now, n, sizeof n)};
    int64_t rows = pg_exec(c, "pausestore.end",
                           "DELETE FROM system.batchpause WHERE scope = $1 AND until > to_timestamp($2::bigint)", 2, p);
    return rows < 0 ? -1 : rows > 0;
}

int64_t pausestore_cleanup(PGconn *c, time_t now)
{
    char n[32];
    const char *p[] = {epoch(now, n, sizeof n)};
    return pg_exec(c, "pausestore.cleanup", "DELETE FROM system.batchpause WHERE until <= to_timestamp($1::bigint)", 1,
                   p);
}

const struct pause_row *pause_covering(const struct pause_row *rows, int n, const char *jobkey)
{
    const struct pause_row *best = NULL;
    for (int i = 0; i < n; i++)
        if ((!strcmp(rows[i].scope, PAUSE_ALL) || !strcmp(rows[i].scope, jobkey)) &&
            (!best || rows[i].until > best->until))
            best = &rows[i];
    return best;
}

/* leaderstore — see leaderstore.h. */
#include "store/leaderstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/lockkeys.h"
#include "store/pg.h"

int64_t leaderstore_take(PGconn *c, const char *instance, int instance_no)
{
    char no[16];
    snprintf(no, sizeof no, "%d", instance_no);
    const char *p[] = {instance, no};
    /* An upsert: a row deleted by hand (or lost with an asynchronous standby) is made again. */
    PGresult *r = pg_query(c, "leader.take",
                           "INSERT INTO system.batchleader AS l (id, epoch, instance, instanceno, backendpid, takenat,"
                           " heartbeatat) VALUES (1, 1, $1, $2::int, pg_backend_pid(), now(), now())"
                           " ON CONFLICT (id) DO UPDATE SET epoch = l.epoch + 1, instance = $1, instanceno = $2::int,"
                           " backendpid = pg_backend_pid(), takenat = now(), heartbeatat = now() RETURNING l.epoch",
                           2, p, NULL);
    int64_t epoch = r && PQntuples(r) == 1 ? pg_int(r, 0, 0, -1) : -1;
    PQclear(r);
    return epoch;
}

static int one_row(PGconn *c, const char *what, const char *sql, int64_t epoch)
{
    char e[32];
    snprintf(e, sizeof e, "%lld", (long long)epoch);
    const char *p[] = {e};
    PGresult *r = pg_query(c, what, sql, 1, p, NULL);
    if (!r)
        return -1;
    int n = PQntuples(r) == 1;
    PQclear(r);
    return n;
}

int leaderstore_beat(PGconn *c, int64_t epoch)
{
    return one_row(c, "leader.beat",
                   "UPDATE system.batchleader SET heartbeatat = now() WHERE id = 1 AND epoch = $1::bigint"
                   " AND backendpid = pg_backend_pid() AND NOT pg_is_in_recovery() RETURNING 1",
                   epoch);
}

int leaderstore_hold(PGconn *c, int64_t epoch)
{
    return one_row(c, "leader.hold", "SELECT 1 FROM system.batchleader WHERE id = 1 AND epoch = $1::bigint FOR SHARE",
                   epoch);
}

/* The holder of the leader lock (a single bigint key: classid = high half, objid = low half, objsubid = 1), in this
 * database only (advisory locks are per database; pg_locks shows the whole cluster), terminated only when the
 * leader's heartbeat is older than the lease. */
static const char fence_sql[] =
    "SELECT l.pid, coalesce(b.instance, ''), coalesce(extract(epoch FROM now() - b.heartbeatat), -1),"
    " CASE WHEN b.heartbeatat IS NULL OR b.heartbeatat < now() - make_interval(secs => $1::int)"
    "  THEN pg_terminate_backend(l.pid, 5000) ELSE false END"
    " FROM system.batchleader b, pg_locks l"
    " WHERE b.id = 1 AND l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()"
    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    "  AND l.classid = ((" LOCK_LEADER ")::bigint >> 32)::oid"
    "  AND l.objid = ((" LOCK_LEADER ")::bigint & 4294967295)::oid AND l.objsubid = 1";

int leaderstore_fence(PGconn *c, int lease_s, struct leader_fence *out)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_s);
    const char *p[] = {lease};
    memset(out, 0, sizeof *out);
    out->age_s = -1;
    PGresult *r = pg_query(c, "leader.fence", fence_sql, 1, p, NULL);
    if (!r)
        return -1;
    int fenced = 0;
    if (PQntuples(r) >= 1) {
        out->pid = (int)pg_int(r, 0, 0, 0);
        snprintf(out->who, sizeof out->who, "%s", PQgetvalue(r, 0, 1));
        out->age_s = strtod(PQgetvalue(r, 0, 2), NULL);
        fenced = pg_bool(r, 0, 3);
    }
    PQclear(r);
    return fenced;
}

int leaderstore_status(PGconn *c, struct leader_status *out)
{
    PGresult *r = pg_query(c, "leader.status",
                           "SELECT epoch, extract(epoch FROM now() - heartbeatat), coalesce(instance, '')"
                           " FROM system.batchleader WHERE id = 1",
                           0, NULL, NULL);
    if (!r)
        return -1;
    memset(out, 0, sizeof *out);
    out->heartbeat_age_s = -1;
    if (PQntuples(r) == 1) {
        out->epoch = pg_int(r, 0, 0, 0);
        if (pg_val(r, 0, 1))
            out->heartbeat_age_s = strtod(PQgetvalue(r, 0, 1), NULL);
        snprintf(out->instance, sizeof out->instance, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return 0;
}

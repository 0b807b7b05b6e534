/* instances — see instances.h. */
#include "store/instances.h"

#include <stdio.h>

#include "store/lockkeys.h"
#include "store/pg.h"
#include "util/log.h"

int instances_register(PGconn *c, const struct instance_info *info)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", info->pid);
    const char *p[] = {info->name, info->hostname, pid, info->version};
    PGresult *r = pg_query(c, "instances.register",
                           "INSERT INTO system.batchinstance (name, hostname, pid, version) VALUES ($1, $2, $3::int,"
                           " $4) RETURNING no",
                           4, p, NULL);
    if (!r)
        return -1;
    int no = (int)pg_int(r, 0, 0, 0);
    PQclear(r);
    pg_exec(c, "instances.prune", "DELETE FROM system.batchinstance WHERE lastseenat < now() - interval '7 days'", 0,
            NULL);
    return no > 0 ? no : -1;
}

int instances_reregister(PGconn *c, int no, const struct instance_info *info)
{
    char n[16], pid[16];
    snprintf(n, sizeof n, "%d", no);
    snprintf(pid, sizeof pid, "%d", info->pid);
    const char *p[] = {n, info->name, info->hostname, pid, info->version};
    return pg_exec(c, "instances.reregister",
                   "INSERT INTO system.batchinstance (no, name, hostname, pid, version) VALUES ($1::int, $2, $3,"
                   " $4::int, $5) ON CONFLICT (no) DO UPDATE SET lastseenat = now()",
                   5, p) < 0
               ? -1
               : 0;
}

static int try_lock(PGconn *c, const char *const *p)
{
    PGresult *r = pg_query(c, "instances.lock", "SELECT pg_try_advisory_lock(" LOCK_INSTANCE_CLASS ", $1::int)", 1, p,
                           NULL);
    int got = r ? pg_bool(r, 0, 0) : -1;
    PQclear(r);
    return got;
}

int instances_lock(PGconn *c, int no)
{
    char n[16];
    snprintf(n, sizeof n, "%d", no);
    const char *p[] = {n};
    int got = try_lock(c, p);
    if (got != 0)
        return got == 1 ? 0 : -1;
    PGresult *r = pg_query(c, "instances.unlock_stale",
                           "SELECT l.pid, pg_terminate_backend(l.pid, 5000) FROM pg_locks l"
                           " WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()"
                           " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                           " AND l.classid = " LOCK_INSTANCE_CLASS
                           "::oid AND l.objid = $1::int::oid AND l.objsubid = 2",
                           1, p, NULL);
    if (r && PQntuples(r) > 0)
        log_warn("msg=\"terminated a stale session that still held this instance's lock\" instance_no=%d backend=%s",
                 no, PQgetvalue(r, 0, 0));
    PQclear(r);
    return try_lock(c, p) == 1 ? 0 : -1;
}

int instances_touch(PGconn *c, int no)
{
    char n[16];
    snprintf(n, sizeof n, "%d", no);
    const char *p[] = {n};
    return pg_exec(c, "instances.touch", "UPDATE system.batchinstance SET lastseenat = now() WHERE no = $1::int", 1,
                   p) < 0
               ? -1
               : 0;
}

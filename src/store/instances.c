/* instances — see instances.h. */
#include "store/instances.h"

#include <stdio.h>

#include "store/lockkeys.h"
#include "store/pg.h"

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

int instances_lock(PGconn *c, int no)
{
    char n[16];
    snprintf(n, sizeof n, "%d", no);
    const char *p[] = {n};
    return pg_exec(c, "instances.lock", "SELECT pg_advisory_lock(" LOCK_INSTANCE_CLASS ", $1::int)", 1, p) < 0 ? -1
                                                                                                                  : 0;
}

int instances_touch(PGconn *c, int no)
{
    char n[16];
    snprintf(n, sizeof n, "%d", no);
    const char *p[] = {n};
    return pg_exec(c, "instances.touch", "UPDATE system.batchinstance SET lastseenat = now() WHERE no = $1::int", 1,
                   p) < 0 ? -1 : 0;
}

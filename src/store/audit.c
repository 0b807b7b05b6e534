/* audit — see audit.h. */
#include "store/audit.h"

#include <stdlib.h>

#include "store/pg.h"

int audit_write(PGconn *c, const struct audit_actor *who, const char *action, const char *target, const json_t *details)
{
    char *dj = details ? json_dumps(details, JSON_COMPACT) : NULL;
    /* actoruserid's type is the platform's (uuid or bigint): an untyped parameter takes the column's type. */
    const char *p[] = {who->actor, who->userid, action, target, dj};
    int64_t n = pg_exec(c, "audit.write",
                        "INSERT INTO system.auditlog (actor, actoruserid, action, target, details)"
                        " VALUES ($1, $2, $3, $4, $5::jsonb)",
                        5, p);
    free(dj);
    return n == 1 ? 0 : -1;
}

/* accounts — see accounts.h. */
#include "store/accounts.h"

#include <stdio.h>

#include "store/pg.h"

int accounts_live_session(PGconn *c, const char *tokenhash_hex, struct account_session *out)
{
    const char *p[] = {tokenhash_hex};
    PGresult *res = pg_query(c, "accounts.session",
                             "SELECT a.id, a.role FROM users.session s JOIN users.account a ON a.id = s.userid"
                             " WHERE s.tokenhash = $1 AND s.revokedat IS NULL AND s.expiresat > now()",
                             1, p, NULL);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(out->userid, sizeof out->userid, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

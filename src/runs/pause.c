/* pause — see pause.h. */
#include "runs/pause.h"

#include <string.h>

#include "store/pausestore.h"
#include "store/pg.h"
#include "util/timefmt.h"

static json_t *find_scope(json_t *list, const char *scope)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) if (!strcmp(json_string_value(json_object_get(p, "scope")), scope)) return p;
    return NULL;
}

json_t *pause_set(PGconn *c, const char *jobkey, time_t until, const char *reason, const struct pause_actor *by,
                  time_t now)
{
    const char *scope = jobkey ? jobkey : PAUSE_ALL;
    char u[32];
    json_t *details = json_pack("{s:s,s:s,s:s?,s:s?}", "scope", scope, "until", time_format_iso(until, u, sizeof u),
                                "reason", reason, "via", by->via);
    json_t *list = NULL, *out = NULL;
    if (!pg_cmd(c, "BEGIN") && !pausestore_set(c, scope, until, reason, by->via ? by->via : by->who.actor) &&
        !audit_write(c, &by->who, "batch.schedule.pause", scope, details) && (list = pausestore_active_json(c, now)) &&
        !pg_cmd(c, "COMMIT"))
        out = json_incref(find_scope(list, scope));
    else
        pg_cmd(c, "ROLLBACK");
    json_decref(list);
    json_decref(details);
    return out;
}

int pause_resume(PGconn *c, const char *jobkey, const struct pause_actor *by, time_t now)
{
    const char *scope = jobkey ? jobkey : PAUSE_ALL;
    if (pg_cmd(c, "BEGIN"))
        return -1;
    int ended = pausestore_end(c, scope, now);
    json_t *details = json_pack("{s:s,s:s?}", "scope", scope, "via", by->via);
    if (ended == 1 && audit_write(c, &by->who, "batch.schedule.resume", scope, details))
        ended = -1;
    json_decref(details);
    if (ended == 1 && !pg_cmd(c, "COMMIT"))
        return 1;
    pg_cmd(c, "ROLLBACK");
    return ended == 0 ? 0 : -1;
}

json_t *pause_list(PGconn *c, time_t now)
{
    return pausestore_active_json(c, now);
}

/* notifications — see notifications.h. */
#include "store/notifications.h"

#include <stdlib.h>

#include "store/pg.h"

int notifications_add(PGconn *c, const char *level, const char *title, const char *message, const json_t *details)
{
    char *dj = details ? json_dumps(details, JSON_COMPACT) : NULL;
    const char *p[] = {level, title, message, dj};
    int64_t n = pg_exec(c, "notifications.add",
                        "INSERT INTO system.notification (level, title, message, details) VALUES ($1, $2, $3,"
                        " $4::jsonb)",
                        4, p);
    free(dj);
    return n == 1 ? 0 : -1;
}

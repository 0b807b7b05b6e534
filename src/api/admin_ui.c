/*
 * admin_ui — small reads the admin pages need beside the batch API: one run by id (the jobs page's run detail) and
 * the list of routes this server answers (the maintenance page shows a card only when its endpoint exists here).
 */
#include <string.h>

#include "api/api.h"
#include "api/routes.h"
#include "app.h"
#include "store/runstore.h"
#include "store/pg.h"

static bool looks_like_uuid(const char *id)
{
    return strlen(id) == 36 && strspn(id, "0123456789abcdefABCDEF-") == 36;
}

void api_run_get(struct http_req *r)
{
    const char *id = req_param(r, "id");
    if (!looks_like_uuid(id)) {
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "id", id), "No run with this id");
        return;
    }
    PGconn *c = pgpool_acquire(r->app->pool, 5000);
    if (!c) {
        reply_db_unavailable(r);
        return;
    }
    bool dberr = false;
    json_t *run = runstore_get(c, id, &dberr);
    pgpool_release(r->app->pool, c);
    if (run)
        reply_data(r, 200, run);
    else if (dberr)
        reply_internal(r);
    else
        reply_error(r, 404, ERR_NOT_FOUND, json_pack("{s:s}", "id", id), "No run with this id");
}

void api_routes_list(struct http_req *r)
{
    size_t n;
    const struct route *routes = api_routes(&n);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(out, json_pack("{s:s,s:s,s:b}", "method", routes[i].method, "path", routes[i].pattern,
                                             "admin", routes[i].access == ROUTE_ADMIN));
    }
    reply_data(r, 200, out);
}

/*
 * admin_ui — what the admin pages need beside the batch API: the list of routes this server answers (the
 * maintenance page shows a card only when its endpoint exists here).
 */
#include "api/api.h"
#include "api/routes.h"

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

/*
 * batch_triggers — the seed's per-job trigger endpoints (POST /admin/batch/sessions/cleanup, …). Each is the
 * generic trigger with the job fixed by its route's data (struct trigger_route in routes.c): body fields become
 * params (except `dryrun`), and a path param may supply one (`/library/hasnew/:comicId` → params.comicid).
 * Adding an endpoint is adding one row to the route table.
 */
#include "api/api.h"
#include "api/routes.h"

void api_trigger_named(struct http_req *r)
{
    const struct trigger_route *t = r->route_data;
    json_t *body = req_body_object_or_reply(r);
    if (!body)
        return;
    json_t *dry = json_object_get(body, "dryrun");
    if (dry && !json_is_boolean(dry)) {
        reply_invalid(r, "dryrun", "dryrun must be true or false");
        json_decref(body);
        return;
    }
    bool dryrun = json_is_true(dry);
    json_object_del(body, "dryrun");
    if (t->path_param)
        json_object_set_new(body, t->param_name, json_string(req_param(r, t->path_param)));
    api_trigger(r, t->jobkey, body, dryrun);
    json_decref(body);
}

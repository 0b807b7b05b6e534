/* test_routes — the API route table (src/api/routes.c): every route has a handler, no two routes collide, and every
 * per-job trigger endpoint carries the key of a job the registry knows (a typo would make it answer 404 forever). */
#include <criterion/criterion.h>
#include <string.h>

#include "api/api.h"
#include "api/routes.h"
#include "jobs/registry.h"

Test(routes, every_route_has_a_handler_and_a_leading_slash)
{
    size_t n;
    const struct route *r = api_routes(&n);
    cr_assert_gt(n, 20);
    for (size_t i = 0; i < n; i++) {
        cr_expect_not_null(r[i].handler, "%s %s has no handler", r[i].method, r[i].pattern);
        cr_expect_eq(r[i].pattern[0], '/', "%s", r[i].pattern);
    }
}

Test(routes, no_two_routes_share_method_and_pattern)
{
    size_t n;
    const struct route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            cr_expect(strcmp(r[i].method, r[k].method) || strcmp(r[i].pattern, r[k].pattern), "%s %s twice",
                      r[i].method, r[i].pattern);
}

Test(routes, trigger_routes_name_registered_jobs_and_declared_path_params)
{
    size_t n, triggers = 0;
    const struct route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (r[i].handler != api_trigger_named)
            continue;
        triggers++;
        const struct trigger_route *t = r[i].data;
        cr_assert_not_null(t, "%s has no trigger data", r[i].pattern);
        cr_expect_not_null(registry_find(t->jobkey), "%s names unknown job %s", r[i].pattern, t->jobkey);
        cr_expect_eq(r[i].access, ROUTE_ADMIN, "%s must need an admin", r[i].pattern);
        if (t->path_param) {
            char seg[64];
            snprintf(seg, sizeof seg, "/:%s", t->path_param);
            cr_expect_not_null(strstr(r[i].pattern, seg), "%s lacks :%s", r[i].pattern, t->path_param);
            cr_expect_not_null(t->param_name);
        }
    }
    cr_expect_eq(triggers, 12, "the seed names 12 trigger endpoints, found %zu", triggers);
}

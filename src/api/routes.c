/* routes — see routes.h. Every endpoint of the service, in one table. */
#include "api/routes.h"

#include "api/api.h"

#define ADMIN(fn) (&(const struct api_route){fn, ROUTE_ADMIN})
#define PUBLIC(fn) (&(const struct api_route){fn, ROUTE_PUBLIC})
#define B "/api/v1/admin/batch"

static const struct route routes[] = {
    {"GET", "/healthz", PUBLIC(api_healthz)},
    {"GET", "/readyz", PUBLIC(api_readyz)},
    {"GET", "/metrics", PUBLIC(api_metrics)},
    {"GET", "/api/v1/covers/by-url", PUBLIC(api_cover_by_url)},
    {"GET", "/api/v1/covers/:comicId", PUBLIC(api_cover_by_comic)},
    {"POST", "/api/v1/covers/invalidate-cache", ADMIN(api_cover_invalidate)},
    {"GET", B "/jobs", ADMIN(api_runs_list)},
    {"GET", B "/jobs/:jobKey", ADMIN(api_job_history)},
    {"POST", B "/jobs/:jobKey/run", ADMIN(api_job_run)},
    {"POST", B "/jobs/:jobKey/cancel", ADMIN(api_job_cancel)},
    {"GET", B "/schedule", ADMIN(api_schedule_list)},
    {"PATCH", B "/schedule/:jobKey", ADMIN(api_schedule_patch)},
    {"GET", B "/cron/preview", ADMIN(api_cron_preview)},
    {"GET", B "/runs/:id", ADMIN(api_run_get)},
    {"GET", B "/events", ADMIN(api_batch_events)},
    {"GET", "/api/v1/admin/routes", ADMIN(api_routes_list)},
    {"POST", B "/sessions/cleanup", ADMIN(api_trigger_named)},
    {"POST", B "/announcements/expire", ADMIN(api_trigger_named)},
    {"POST", B "/library/hasnew", ADMIN(api_trigger_named)},
    {"POST", B "/library/hasnew/:comicId", ADMIN(api_trigger_named)},
    {"POST", B "/history/cap", ADMIN(api_trigger_named)},
    {"POST", B "/comics/ratings", ADMIN(api_trigger_named)},
    {"POST", B "/comics/counts", ADMIN(api_trigger_named)},
    {"POST", B "/analytics/flush-counters", ADMIN(api_trigger_named)},
    {"POST", B "/analytics/anonymize", ADMIN(api_trigger_named)},
    {"POST", B "/analytics/partition", ADMIN(api_trigger_named)},
    {"POST", B "/crawler/partitions", ADMIN(api_trigger_named)},
    {"POST", B "/storage/cleanup", ADMIN(api_trigger_named)},
    {"POST", "/api/v1/series/invalidate-metadata-hashes", ADMIN(api_series_invalidate_hashes)},
    {"POST", "/api/v1/series/refresh-all", ADMIN(api_series_refresh_all)},
    {"GET", "/api/v1/providers", ADMIN(api_providers_list)},
};

const struct route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

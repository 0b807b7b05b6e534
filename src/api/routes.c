/*
 * routes — see routes.h. Every endpoint of the service, in one table. A route blocks (runs on the handler pool)
 * unless marked NONBLOCKING; COVER routes form the public surface, served on [server] public_listen when set.
 */
#include "api/routes.h"

#include "api/api.h"
#include "api/openapi.h"

#define ADMIN(fn) NULL, fn, ROUTE_ADMIN, 0
#define PUBLIC(fn) NULL, fn, ROUTE_PUBLIC, 0
#define NONBLOCKING(fn) NULL, fn, ROUTE_PUBLIC, ROUTE_NONBLOCKING
#define COVER(fn, flags) NULL, fn, ROUTE_PUBLIC, ROUTE_PUBLIC_SURFACE | (flags)
/* A per-job trigger endpoint: the job it enqueues, and the path param (if any) that becomes one of its params. */
#define TRIGGER(job) &(const struct trigger_route){job, NULL, NULL}, api_trigger_named, ROUTE_ADMIN, 0
#define TRIGGER_P(job, param, as) &(const struct trigger_route){job, param, as}, api_trigger_named, ROUTE_ADMIN, 0
#define B "/api/v1/admin/batch"

static const struct route routes[] = {
    {"GET", "/healthz", NONBLOCKING(api_healthz)},
    {"GET", "/readyz", PUBLIC(api_readyz)},
    {"GET", "/metrics", PUBLIC(api_metrics)},
    {"GET", "/api/v1/covers/by-url", COVER(api_cover_by_url, ROUTE_NONBLOCKING)}, /* a miss: req_offload */
    {"GET", "/api/v1/covers/:comicId", COVER(api_cover_by_comic, 0)},             /* reads core.comic */
    {"POST", "/api/v1/covers/invalidate-cache", ADMIN(api_cover_invalidate)},
    {"GET", B "/jobs", ADMIN(api_runs_list)},
    {"GET", B "/jobs/:jobKey", ADMIN(api_job_history)},
    {"POST", B "/jobs/:jobKey/run", ADMIN(api_job_run)},
    {"POST", B "/jobs/:jobKey/cancel", ADMIN(api_job_cancel)},
    {"GET", B "/schedule", ADMIN(api_schedule_list)},
    {"PATCH", B "/schedule/:jobKey", ADMIN(api_schedule_patch)},
    {"GET", B "/schedule/:jobKey/missed", ADMIN(api_schedule_missed)},
    {"GET", B "/pause", ADMIN(api_pause_list)},
    {"POST", B "/pause", ADMIN(api_pause_set)},
    {"DELETE", B "/pause", ADMIN(api_pause_end)},
    {"GET", B "/cron/preview", ADMIN(api_cron_preview)},
    {"GET", B "/runs/:id", ADMIN(api_run_get)},
    {"GET", B "/events", ADMIN(api_batch_events)},
    {"GET", "/api/v1/admin/routes", ADMIN(api_routes_list)},
    {"POST", B "/sessions/cleanup", TRIGGER("sessions.cleanup")},
    {"POST", B "/announcements/expire", TRIGGER("announcements.expire")},
    {"POST", B "/library/hasnew", TRIGGER("library.hasnew")},
    {"POST", B "/library/hasnew/:comicId", TRIGGER_P("library.hasnew", "comicId", "comicid")},
    {"POST", B "/history/cap", TRIGGER("library.viewhistory_cap")},
    {"POST", B "/comics/ratings", TRIGGER("comics.ratings_recalc")},
    {"POST", B "/comics/counts", TRIGGER("comics.counts_recalc")},
    {"POST", B "/analytics/flush-counters", TRIGGER("analytics.flush_counters")},
    {"POST", B "/analytics/anonymize", TRIGGER("analytics.anonymize")},
    {"POST", B "/analytics/partition", TRIGGER("analytics.partition")},
    {"POST", B "/crawler/partitions", TRIGGER("crawler.partition")},
    {"POST", B "/storage/cleanup", TRIGGER("storage.orphan_cleanup")},
    {"POST", "/api/v1/series/invalidate-metadata-hashes", ADMIN(api_series_invalidate_hashes)},
    {"POST", "/api/v1/series/refresh-all", ADMIN(api_series_refresh_all)},
    {"GET", "/api/v1/providers", ADMIN(api_providers_list)},
    {"GET", "/api/v1/openapi.json", NONBLOCKING(api_openapi)}, /* embedded text */
};

const struct route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

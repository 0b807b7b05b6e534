/* api — the handlers behind the route table (one file per resource). */
#ifndef COMICBATCH_API_H
#define COMICBATCH_API_H

#include <jansson.h>
#include <stdbool.h>

#include "http/request.h"

/* batch_jobs.c */
void api_runs_list(struct http_req *r);
void api_job_history(struct http_req *r);
void api_job_run(struct http_req *r);
void api_job_cancel(struct http_req *r);
/** Validates and enqueues a run of `jobkey` for the caller; answers 202/400/404/409. `params` borrowed. */
void api_trigger(struct http_req *r, const char *jobkey, const json_t *params, bool dryrun);

/* batch_schedule.c, cron_preview.c */
void api_schedule_list(struct http_req *r);
void api_schedule_patch(struct http_req *r);
/** GET /admin/batch/schedule/:jobKey/missed — one job's missed slots (the ledger), newest first, paged. */
void api_schedule_missed(struct http_req *r);
void api_cron_preview(struct http_req *r);

/* batch_pause.c: maintenance windows */
/** GET /admin/batch/pause — the pauses in force. */
void api_pause_list(struct http_req *r);
/** POST /admin/batch/pause — pause every job or one until a time; audit-logged. */
void api_pause_set(struct http_req *r);
/** DELETE /admin/batch/pause?jobkey= — end a pause early; audit-logged. */
void api_pause_end(struct http_req *r);

/* batch_triggers.c: the seed's per-job trigger endpoints */
void api_trigger_named(struct http_req *r);

/** GET /admin/batch/runs/:id — one run, or 404. */
void api_run_get(struct http_req *r);

/* admin_ui.c, events.c: what the admin pages read beside the batch API */
/** GET /admin/routes — every route this server answers: {method, path, admin}. */
void api_routes_list(struct http_req *r);
/** GET /admin/batch/events — text/event-stream of `runs` events (active + just-finished runs), ends after ~5 min. */
void api_batch_events(struct http_req *r);

struct api_env;
struct events_feed;
struct sse_hub;
/** Starts the one thread that feeds every open event stream (see events.c). NULL if it cannot start. */
struct events_feed *events_feed_create(struct api_env *env);
/** The hub the feed's streams subscribe to (borrowed; give it to the listener that serves them). */
struct sse_hub *events_feed_hub(struct events_feed *f);
/** A listener_fn for the comicbatch_run channel: a run changed status, query now. Never blocks. */
void events_feed_on_run(const char *channel, const char *payload, void *arg);
/** Stops the thread and frees the hub. Destroy the HTTP servers first (they end the streams). NULL is a no-op. */
void events_feed_destroy(struct events_feed *f);

/* series.c, providers.c: metadata maintenance (spec: admin-maintenance) */
/** POST /series/invalidate-metadata-hashes — clears metadata_hash on provider-backed rows; audit-logged. */
void api_series_invalidate_hashes(struct http_req *r);
/** POST /series/refresh-all — enqueues metadata.series_refresh for the active provider, or reports the one in flight. */
void api_series_refresh_all(struct http_req *r);
/** GET /providers — providers with record counts, last dump refresh and in-flight refresh runs. */
void api_providers_list(struct http_req *r);

/* covers.c: the cover-image proxy (DESIGN §5) */
/** GET /covers/by-url?url=… — an allowlisted https image through the cache (public). */
void api_cover_by_url(struct http_req *r);
/** GET /covers/:comicId — the image at core.comic.coverurl through the cache (public). */
void api_cover_by_comic(struct http_req *r);
/** POST /covers/invalidate-cache — deletes every cached cover → {filesDeleted, bytesFreed}; audit-logged. */
void api_cover_invalidate(struct http_req *r);

/* health.c, metrics.c */
void api_healthz(struct http_req *r);
void api_readyz(struct http_req *r);
void api_metrics(struct http_req *r);

#endif

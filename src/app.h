/*
 * app — the process context built once by main and passed down (no globals): settings, the database pool, the
 * job registry, this instance's identity, the run machinery and the metrics. Its pieces are started in dependency
 * order by app_start and stopped in reverse by app_stop.
 */
#ifndef COMICBATCH_APP_H
#define COMICBATCH_APP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "api/api_env.h"
#include "config.h"
#include "runs/runs_env.h"
#include "sched/tick.h"
#include "util/metrics.h"

struct http_server;
struct crawler_events;
struct hasnew_events;

struct app {
    struct config cfg;
    char instance[64];   /* "host:pid:shortid", shown in system.batchrun.instance */
    struct runs_env run; /* what runs/ sees: cfg, metrics, instance, instance_no, workers, leader, availability */
    struct api_env api;  /* what the handlers see (r->env): cfg, pool, instance, metrics, covers, events, listener */
    struct crawler_events *crawler_events; /* crawler.source_health events (runs/crawler_events.h) */
    struct hasnew_events *hasnew_events;   /* event-driven hasnew recalcs (runs/hasnew_events.h) */
    struct sched_host sched_host;          /* what the leader asks of the run model (runs/scheduling.h) */
    struct http_server *http;              /* [server] listen: everything, or the private surfaces */
    struct http_server *http_public;       /* [server] public_listen: the cover routes (NULL when not configured) */
    struct metrics metrics;
    atomic_bool stopping;
};

/** Initialises `a` from a loaded, validated config (takes ownership of `cfg`'s strings). */
void app_init(struct app *a, struct config *cfg);

/**
 * Whether the database of `c` has exactly this build's migrations (none pending, none from a newer build). 0, or -1
 * with a sentence in `err` saying what to do. serve (app_start) and `run` refuse to start otherwise.
 */
int app_check_migrations(const struct config *c, char *err, size_t errlen);

/**
 * Starts the serving process: pool, instance registration, listener, workers, leader loop, HTTP.
 * Returns 0, or -1 with `err` (everything started so far is stopped again).
 */
int app_start(struct app *a, char *err, size_t errlen);

/** Stops everything app_start started (HTTP first, so no new work arrives), in reverse order. */
void app_stop(struct app *a);

/** Releases what app_init took. */
void app_finish(struct app *a);

#endif

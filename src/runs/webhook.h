/*
 * webhook — delivers the alerts' webhook POSTs (runs/alerts.h) off every critical path. An alert is decided and its
 * system.notification row written by whoever raises it (the leader thread, a worker); the POST is only queued here
 * and sent by this module's own thread, so an endpoint that is slow or never answers costs the leader nothing (issue
 * 11: a leader cannot hang the cluster; before, three hanging posts in one tick outlasted the 15 s leader lease).
 *
 * Words: a *post* is one alert's JSON body on its way to `[runs] alert_webhook_url`; it is *delivered* (a 2xx
 * answer), *failed* (an error, a non-2xx answer, the per-post timeout, or cut off at shutdown; the notification row
 * and the error log line are the durable record) or *dropped* (never sent). A try that failed the way an endpoint
 * being restarted fails (connection refused or reset, 5xx, 408, 429) is tried again, WEBHOOK_ATTEMPTS tries in all,
 * WEBHOOK_RETRY_MS and then three times as long apart; a timeout or any other answer is final at once (a slow
 * endpoint would only get slower; a 4xx stays wrong).
 *
 * The queue is bounded. When it is full the OLDEST queued post is dropped to make room: the queue only fills while
 * the endpoint is failing or slow, and then a post that has waited behind the whole queue (minutes, at the per-post
 * timeout) says the least about what is wrong now; every dropped alert is still in system.notification and the log.
 * Each drop is counted (comicbatch_alert_webhooks_total{outcome="dropped"}) and logged.
 *
 * Stopping is bounded: the queue gets `drain_ms` to finish, then the post in flight is aborted (curl's progress
 * callback, called at least about once a second) and whatever is still queued is dropped.
 */
#ifndef COMICBATCH_WEBHOOK_H
#define COMICBATCH_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>

struct metrics;
struct webhook;

#define WEBHOOK_QUEUE_MAX 64       /* posts waiting; past it the oldest is dropped */
#define WEBHOOK_TIMEOUT_MS 5000    /* one post, connection included */
#define WEBHOOK_STOP_DRAIN_MS 2000 /* what the daemon's stop gives the queue before cutting it off */
#define WEBHOOK_ATTEMPTS 3         /* tries per post, when the failures are worth another (above) */
#define WEBHOOK_RETRY_MS 1000      /* the pause before the second try; ×3 before each later one */

/** What the queue has done so far (webhook_stats). */
struct webhook_stats {
    int queued;     /* waiting, not counting the one in flight */
    bool in_flight; /* a post is being sent */
    uint64_t delivered, failed, dropped;
};

/**
 * Creates the queue for `url` (copied) holding at most `capacity` posts (≥ 1), counting outcomes in `metrics`
 * (borrowed for its lifetime), and starts its thread. Returns it (stop with webhook_destroy) or NULL when the thread
 * cannot start.
 */
struct webhook *webhook_create(const char *url, int capacity, struct metrics *metrics);

/** Queues `body` (JSON text; taken: freed by the queue) and returns at once; drops the oldest post when full. */
void webhook_post_take(struct webhook *w, char *body);

/** Copies the counts so far into `*out`. */
void webhook_stats(struct webhook *w, struct webhook_stats *out);

/**
 * Stops the thread: what is queued gets `drain_ms` milliseconds to be sent (each post still bounded by
 * WEBHOOK_TIMEOUT_MS), then the post in flight is aborted and the rest dropped (counted, logged); frees. Returns
 * within about `drain_ms` + 1 s. NULL is fine.
 */
void webhook_destroy(struct webhook *w, int drain_ms);

#endif

/*
 * crawler_events — crawler.source_health, event-driven (DESIGN §4). A trigger (migration 004) marks every
 * crawler.job that reaches `failed` or `succeeded` as health-pending and NOTIFYs `comicbatch_crawler` with its id.
 * The listener thread only queues the id (no SQL there); this module's own thread drains the queue and runs the
 * set-based update of crawler_health.c, which consumes the pending marks — so a duplicate or replayed event counts
 * once, and several instances may process the same events safely. The thread also catches up on every pending job
 * when it starts and about once a minute (events sent while no daemon was listening, or a lost connection).
 * Processed jobs are counted in comicbatch_event_recalcs_total{kind="crawler"}.
 */
#ifndef COMICBATCH_CRAWLER_EVENTS_H
#define COMICBATCH_CRAWLER_EVENTS_H

struct config;
struct crawler_events;
struct metrics;

/** The channel the migration's trigger notifies. */
#define CRAWLER_EVENTS_CHANNEL "comicbatch_crawler"

/**
 * Creates the event processor and starts its thread (its own connection with cfg->database_url; work counted in
 * `metrics`; both borrowed for its lifetime). Returns it (stop with crawler_events_destroy) or NULL when the thread
 * cannot start. Subscribe crawler_events_on_notify to CRAWLER_EVENTS_CHANNEL to feed it.
 */
struct crawler_events *crawler_events_create(const struct config *cfg, struct metrics *metrics);

/** A listener_fn (arg = the crawler_events): queues the crawler job id in `payload` and wakes the thread. No SQL. */
void crawler_events_on_notify(const char *channel, const char *payload, void *arg);

/** Stops the thread (finishing the statement in flight) and frees. NULL is fine. */
void crawler_events_destroy(struct crawler_events *ev);

#endif

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

#include <stddef.h>

struct app;
struct listener;
struct crawler_events;

/** The channel the migration's trigger notifies. */
#define CRAWLER_EVENTS_CHANNEL "comicbatch_crawler"

/**
 * Creates the event processor, subscribes it to `l` (before listener_start) and starts its thread. Returns it
 * (stop with crawler_events_destroy) or NULL with `err`.
 */
struct crawler_events *crawler_events_create(struct app *app, struct listener *l, char *err, size_t errlen);

/** Stops the thread (finishing the statement in flight) and frees. NULL is fine. */
void crawler_events_destroy(struct crawler_events *ev);

#endif

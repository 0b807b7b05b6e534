/*
 * hasnew_events — event-driven hasnew recalculation (see hasnew_events.c): a thread that drains the hasnew queue
 * shortly after each comicbatch_hasnew notification, coalescing bursts.
 */
#ifndef COMICBATCH_HASNEW_EVENTS_H
#define COMICBATCH_HASNEW_EVENTS_H

struct config;
struct hasnew_events;
struct metrics;

/** The channel the hasnew accelerator triggers notify. */
#define HASNEW_EVENTS_CHANNEL "comicbatch_hasnew"

/**
 * Starts the thread (it opens its own connection with cfg->database_url and counts its work in `metrics`; both
 * borrowed for its lifetime). NULL if the thread cannot start. Stop with _destroy.
 */
struct hasnew_events *hasnew_events_create(const struct config *cfg, struct metrics *metrics);

/** A listener_fn (arg = the hasnew_events): notes that the queue has work. Does no SQL; never blocks for long. */
void hasnew_events_on_notify(const char *channel, const char *payload, void *arg);

/** Stops the thread (after the statement in flight), closes its connection, frees. NULL is a no-op. */
void hasnew_events_destroy(struct hasnew_events *ev);

#endif

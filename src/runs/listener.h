/*
 * listener — this instance's identity in the database and its ears. On a dedicated connection it registers the
 * instance and holds its instance lock for the process's lifetime (store/instances.h: so others can tell at once
 * that a dead instance's runs are orphaned), and LISTENs:
 *   comicbatch_queue    → wake the workers;     comicbatch_cancel → cancel the run if it is ours;
 *   comicbatch_schedule → wake the leader;      comicbatch_run    → wake request threads waiting on a run.
 * Extra channels (job events) can be subscribed with a callback.
 */
#ifndef COMICBATCH_LISTENER_H
#define COMICBATCH_LISTENER_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct runs_env;
struct listener;

/** Called on the listener thread for each notification of a subscribed channel: must not block or run SQL. */
typedef void (*listener_fn)(const char *channel, const char *payload, void *arg);

/**
 * Behind a pool in transaction mode (PgBouncer's usual setup) a "session" connection is not one: LISTEN misses
 * notifications, session advisory locks land on server sessions other clients then use, and two instances can both
 * believe they lead. `db` (a connection to config_session_url) is checked with pg_session_shared: 0 when it has a
 * session of its own, -1 with `err` naming the setting that fixes it (or why the check failed). listener_create
 * refuses to start on it; doctor reports it.
 */
int listener_check_session(PGconn *db, const struct config *cfg, char *err, size_t errlen);

/**
 * Connects, registers the instance (sets env->instance_no) and takes the instance lock. The thread starts with
 * listener_start. NULL with `err` on failure.
 */
struct listener *listener_create(struct runs_env *env, char *err, size_t errlen);

/** Adds a channel with its callback (before listener_start). Returns 0 or -1 when the table is full. */
int listener_subscribe(struct listener *l, const char *channel, listener_fn fn, void *arg);

/** Starts the listening thread. Returns 0 or -1. */
int listener_start(struct listener *l, char *err, size_t errlen);

/** The current run-event sequence number (increments on every comicbatch_run notification). */
uint64_t listener_run_seq(struct listener *l);

/** Waits until the run-event sequence passes `seen` or `timeout_ms` elapses. Returns the new sequence. */
uint64_t listener_wait_run_event(struct listener *l, uint64_t seen, int timeout_ms);

/** Stops the thread, closes the connection (releasing the instance lock), frees. */
void listener_destroy(struct listener *l);

#endif

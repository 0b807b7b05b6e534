/*
 * service — the serving process between start and stop: tells the service manager it is ready (only after
 * app_start returned 0: the database answered, the instance registered, the HTTP socket listens), keeps its STATUS=
 * line current ("leader, 4 workers, 1 running"), pings the watchdog when WatchdogSec= is set, reloads the settings
 * on SIGHUP and reports STOPPING=1 when SIGTERM/SIGINT arrives. The protocol itself is util/sdnotify.h.
 */
#ifndef COMICBATCH_SERVICE_H
#define COMICBATCH_SERVICE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct app;

/** The shortest time an HTTP part must be stuck before the watchdog stops being pinged. */
#define SERVICE_STUCK_MIN_MS 2000

/**
 * How long an HTTP event-loop thread may sit in one callback, or the handler pool go without moving while all its
 * threads are busy, before WATCHDOG=1 stops: half of WatchdogSec= (`watchdog_usec`), at least
 * SERVICE_STUCK_MIN_MS. The pool gets `[storage] cover_timeout` more (a handler may wait that long for an upstream).
 */
int64_t service_stuck_bound_ms(uint64_t watchdog_usec);

/** How often STATUS= is refreshed when no watchdog asks for more. */
#define SERVICE_TICK_MS 2000

/**
 * Runs the main loop of a started app until SIGTERM or SIGINT; returns that signal after STOPPING=1 was sent.
 * `sigs` holds SIGHUP, SIGTERM and SIGINT and is blocked in every thread. `config_path` (may be NULL) is re-read on
 * SIGHUP.
 */
int service_run(struct app *a, const sigset_t *sigs, const char *config_path);

/**
 * Re-reads `config_path` and the environment, applies what can change without a restart (config_reload.h: log
 * level and format, job timeouts and misfire policies, schedules from settings, …), reschedules a job whose default
 * cron changed, and logs one line naming what it applied and what needs a restart. Returns 0, or -1 when the new
 * settings did not load (logged; nothing changed).
 */
int service_reload(struct app *a, const char *config_path);

/**
 * The STATUS= text: "leader, 4 workers, 1 running", "follower, …", or "scheduler off, …" when `leading` < 0.
 * Returns buf.
 */
const char *service_status_text(char *buf, size_t len, int leading, int workers, int running);

#endif

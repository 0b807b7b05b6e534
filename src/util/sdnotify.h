/*
 * sdnotify — the service manager's notification protocol (sd_notify(3), libsystemd) behind a small seam: the
 * daemon says READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1 and STATUS=… through a `struct sdnotify`, whose `send`
 * is libsystemd's sd_notify unless a test puts its own function there. Outside systemd (no NOTIFY_SOCKET) every
 * call is a no-op.
 */
#ifndef COMICBATCH_SDNOTIFY_H
#define COMICBATCH_SDNOTIFY_H

#include <stdint.h>

/** Sends one notification (newline-separated assignments); returns > 0 sent, 0 no manager, < 0 error. */
typedef int (*sdnotify_send_fn)(void *ctx, const char *state);

struct sdnotify {
    sdnotify_send_fn send;  /* the seam: libsystemd's sd_notify by default */
    void *ctx;              /* passed to send */
    uint64_t watchdog_usec; /* WatchdogSec= of the unit (WATCHDOG_USEC), 0 when the watchdog is off */
};

/** Fills `n` for this process: libsystemd's sender and the watchdog interval from the environment. */
void sdnotify_init(struct sdnotify *n);

/** READY=1 with STATUS=`status` (may be NULL): the service is up (also the end of a reload). */
int sdnotify_ready(const struct sdnotify *n, const char *status);

/** RELOADING=1 with MONOTONIC_USEC= (systemd ≥ 253 wants it; older ones ignore it). */
int sdnotify_reloading(const struct sdnotify *n);

/** STOPPING=1: shutdown has begun. */
int sdnotify_stopping(const struct sdnotify *n);

/** Sends WATCHDOG=1 (the caller decides the process is healthy: cli/service.c). A no-op when the watchdog is off. */
int sdnotify_watchdog(const struct sdnotify *n);

/** STATUS=`status`: one line shown by `systemctl status`. */
int sdnotify_status(const struct sdnotify *n, const char *status);

#endif

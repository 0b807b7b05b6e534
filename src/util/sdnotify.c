/* sdnotify — see sdnotify.h. */
#include "util/sdnotify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static int libsystemd_send(void *ctx, const char *state)
{
    (void)ctx;
    return sd_notify(0, state);
}

void sdnotify_init(struct sdnotify *n)
{
    n->send = libsystemd_send;
    n->ctx = NULL;
    n->watchdog_usec = 0;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        n->watchdog_usec = usec;
}

static int sendf(const struct sdnotify *n, const char *what, const char *status)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", what, status ? (*what ? "\nSTATUS=" : "STATUS=") : "", status ? status : "");
    return n->send(n->ctx, buf);
}

int sdnotify_ready(const struct sdnotify *n, const char *status)
{
    return sendf(n, "READY=1", status);
}

int sdnotify_reloading(const struct sdnotify *n)
{
    struct timespec ts;
    char buf[64];
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(buf, sizeof buf, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
    return n->send(n->ctx, buf);
}

int sdnotify_stopping(const struct sdnotify *n)
{
    return sendf(n, "STOPPING=1", NULL);
}

int sdnotify_watchdog(const struct sdnotify *n)
{
    return n->watchdog_usec ? sendf(n, "WATCHDOG=1", NULL) : 0;
}

int sdnotify_status(const struct sdnotify *n, const char *status)
{
    return sendf(n, "", status);
}

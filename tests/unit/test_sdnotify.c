/*
 * Unit tests for util/sdnotify.c through its seam (a recording `send`) and for the STATUS= text of cli/service.c:
 * the exact datagrams a service manager receives, and that the watchdog is silent when it is off.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/service.h"
#include "util/sdnotify.h"

struct recorder {
    char sent[8][256];
    int n;
};

static int record(void *ctx, const char *state)
{
    struct recorder *r = ctx;
    snprintf(r->sent[r->n++ % 8], sizeof r->sent[0], "%s", state);
    return 1;
}

static struct sdnotify fake(struct recorder *r, uint64_t watchdog_usec)
{
    return (struct sdnotify){.send = record, .ctx = r, .watchdog_usec = watchdog_usec};
}

Test(sdnotify, messages_are_the_protocol_assignments)
{
    struct recorder r = {0};
    struct sdnotify n = fake(&r, 0);
    sdnotify_ready(&n, "leader, 4 workers, 1 running");
    sdnotify_ready(&n, NULL);
    sdnotify_status(&n, "follower, 4 workers, 0 running");
    sdnotify_stopping(&n);
    sdnotify_reloading(&n);
    cr_assert_eq(r.n, 5);
    cr_assert_str_eq(r.sent[0], "READY=1\nSTATUS=leader, 4 workers, 1 running");
    cr_assert_str_eq(r.sent[1], "READY=1");
    cr_assert_str_eq(r.sent[2], "STATUS=follower, 4 workers, 0 running");
    cr_assert_str_eq(r.sent[3], "STOPPING=1");
    unsigned long long usec;
    cr_assert_eq(sscanf(r.sent[4], "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1, "%s", r.sent[4]);
    cr_assert_gt(usec, 0);
}

Test(sdnotify, watchdog_only_when_enabled)
{
    struct recorder r = {0};
    struct sdnotify off = fake(&r, 0), on = fake(&r, 500000);
    cr_assert_eq(sdnotify_watchdog(&off), 0);
    cr_assert_eq(r.n, 0, "no WATCHDOG=1 without WatchdogSec=");
    cr_assert_eq(sdnotify_watchdog(&on), 1);
    cr_assert_str_eq(r.sent[0], "WATCHDOG=1");
}

Test(sdnotify, init_reads_the_watchdog_from_the_environment)
{
    struct sdnotify n;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "300000", 1);
    sdnotify_init(&n);
    cr_assert_eq(n.watchdog_usec, 300000);
    cr_assert_not_null(n.send);
    setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog: not ours */
    sdnotify_init(&n);
    cr_assert_eq(n.watchdog_usec, 0);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    sdnotify_init(&n);
    cr_assert_eq(n.watchdog_usec, 0);
    cr_assert_eq(sdnotify_ready(&n, "x"), 0, "no NOTIFY_SOCKET: a no-op");
}

Test(sdnotify, status_text)
{
    char buf[128];
    cr_assert_str_eq(service_status_text(buf, sizeof buf, 1, 4, 1), "leader, 4 workers, 1 running");
    cr_assert_str_eq(service_status_text(buf, sizeof buf, 0, 1, 0), "follower, 1 worker, 0 running");
    cr_assert_str_eq(service_status_text(buf, sizeof buf, -1, 2, 2), "scheduler off, 2 workers, 2 running");
}

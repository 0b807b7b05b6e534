/*
 * Unit tests for runs/conn_loss.c: the lasterror of a run whose connection was lost says what libpq said (first
 * meaningful line, no "FATAL:"), and tells a failover (another host:port after reconnecting) from a restart (the
 * server started after the run did) from a session ended on a server that kept running; it names the instance.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "runs/conn_loss.h"

#define T_RUN 1767225600 /* 2026-01-01T00:00:00Z */

static const char *restart_msg = "FATAL:  terminating connection due to administrator command\n"
                                 "server closed the connection unexpectedly\n"
                                 "\tThis probably means the server terminated abnormally\n";

Test(conn_loss, restart_is_named_with_its_time)
{
    char out[1024];
    struct conn_loss l = {.error = restart_msg,
                          .server_before = "/tmp/a:5432",
                          .server_after = "/tmp/a:5432",
                          .run_started = T_RUN,
                          .server_started = T_RUN + 75,
                          .instance = "h:1:abcd"};
    conn_loss_describe(&l, out, sizeof out);
    cr_assert(strstr(out, "database connection lost during the run (terminating connection due to administrator "
                          "command)"),
              "%s", out);
    cr_assert(strstr(out, "restarted at 2026-01-01T00:01:15Z"), "%s", out);
    cr_assert(strstr(out, "instance h:1:abcd"), "%s", out);
    cr_assert(!strstr(out, "FATAL"), "%s", out);
    cr_assert(!strstr(out, "failed over"), "%s", out);
}

Test(conn_loss, another_host_is_a_failover)
{
    char out[1024];
    struct conn_loss l = {.error = "server closed the connection unexpectedly\n",
                          .server_before = "/tmp/p:5441",
                          .server_after = "/tmp/s:5442",
                          .run_started = T_RUN,
                          .server_started = T_RUN - 3600,
                          .instance = "x"};
    conn_loss_describe(&l, out, sizeof out);
    cr_assert(strstr(out, "failed over from /tmp/p:5441 to /tmp/s:5442"), "%s", out);
    cr_assert(strstr(out, "(server closed the connection unexpectedly)"), "%s", out);
    cr_assert(!strstr(out, "restarted"), "%s", out);
}

Test(conn_loss, same_server_still_up_is_a_closed_session)
{
    char out[1024];
    struct conn_loss l = {.error = "\n  ",
                          .server_before = "db:5432",
                          .server_after = "db:5432",
                          .run_started = T_RUN,
                          .server_started = T_RUN - 1,
                          .instance = "x"};
    conn_loss_describe(&l, out, sizeof out);
    cr_assert(strstr(out, "(no message)"), "%s", out);
    cr_assert(strstr(out, "did not restart"), "%s", out);
    l.server_started = 0; /* unknown: never claims a restart */
    conn_loss_describe(&l, out, sizeof out);
    cr_assert(strstr(out, "did not restart"), "%s", out);
}

Test(conn_loss, output_is_bounded)
{
    char out[40];
    struct conn_loss l = {.error = restart_msg, .run_started = T_RUN, .server_started = T_RUN + 1, .instance = "x"};
    conn_loss_describe(&l, out, sizeof out);
    cr_assert_eq(strlen(out), sizeof out - 1);
}

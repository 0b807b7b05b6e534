/*
 * conn_loss — the words a run ends with when its worker lost the database connection in the middle of it (issue
 * 11): what the connection said, what the worker found once it was connected again (the server restarted after the
 * run began, or the database now answers on another host: a failover), and that the run's own instance recorded
 * the end. Pure: the caller gathers the facts.
 */
#ifndef COMICBATCH_CONN_LOSS_H
#define COMICBATCH_CONN_LOSS_H

#include <stddef.h>
#include <time.h>

/** What a worker knows about a connection it lost during a run (all borrowed). */
struct conn_loss {
    const char *error;         /* libpq's message when it was lost (several lines; the first that says something
                                * is used, without its "FATAL:" prefix) */
    const char *server_before; /* "host:port" of the connection the run used */
    const char *server_after;  /* "host:port" it reconnected to */
    time_t run_started;        /* when the run started (Unix seconds) */
    time_t server_started;     /* pg_postmaster_start_time() after reconnecting; <= 0 unknown */
    const char *instance;      /* this instance's name */
};

/** Writes the run's lasterror for `in` into `out` (always NUL-terminated). Returns `out`. */
char *conn_loss_describe(const struct conn_loss *in, char *out, size_t len);

#endif

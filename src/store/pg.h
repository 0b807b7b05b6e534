/*
 * pg — libpq helpers: a fixed-size connection pool for request handlers, dedicated connections for long-lived
 * loops (listener, leader, workers), and small wrappers that log failures once with their SQL state.
 * Every query uses PQexecParams with text parameters; nothing is ever spliced into SQL text.
 */
#ifndef COMICBATCH_PG_H
#define COMICBATCH_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgpool;

/** SQL rendering a timestamptz column as the API's ISO 8601 UTC text ("2026-02-22T00:26:32Z"). */
#define PG_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/** Opens a dedicated connection to `url` (UTC session time zone). NULL on failure with `err` filled. */
PGconn *pg_connect(const char *url, const char *appname, char *err, size_t errlen);

/** Creates a pool of up to `size` connections to `url`, opened lazily. Destroy with pgpool_destroy. */
struct pgpool *pgpool_create(const char *url, int size);

/**
 * Borrows a healthy connection, waiting up to `wait_ms` for one to free up; reconnects a broken one.
 * Returns NULL when none could be had (caller answers 503). Give it back with pgpool_release.
 */
PGconn *pgpool_acquire(struct pgpool *pool, int wait_ms);

/** Returns `conn` to the pool; a connection left inside a transaction or broken is reset or closed. */
void pgpool_release(struct pgpool *pool, PGconn *conn);

/** Closes every connection and frees the pool. No connection may be borrowed. */
void pgpool_destroy(struct pgpool *pool);

/**
 * Runs `sql` with `n` text parameters (NULL entries are SQL NULL). Returns the result (caller PQclear()s) or NULL
 * on failure, in which case the error is logged with `what` and the SQL state and, if `sqlstate` is not NULL,
 * the 5-char state is copied there (empty when the connection failed).
 */
PGresult *pg_query(PGconn *c, const char *what, const char *sql, int n, const char *const *params,
                   char sqlstate[6]);

/**
 * Like pg_query for a statement run often, as the named prepared statement `name` of the session: prepared on first
 * use on each connection (again after a reconnect), so Postgres can keep its plan instead of planning each call; run
 * unprepared when a pooler (PgBouncer in transaction mode) hands the execution to a session that lacks it. Only
 * outside a transaction block (a first use fails once before it prepares). `name` and `sql` must always go together.
 */
PGresult *pg_query_prepared(PGconn *c, const char *what, const char *name, const char *sql, int n,
                            const char *const *params);

/** Like pg_query for statements whose rows are not needed; returns affected rows or -1. */
int64_t pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params);

/** Runs a plain command (BEGIN, COMMIT, ROLLBACK, LISTEN x); returns 0 or -1 (logged). */
int pg_cmd(PGconn *c, const char *sql);

/** The value at (row, col) or NULL if SQL NULL. Borrowed from `r`. */
const char *pg_val(const PGresult *r, int row, int col);

/** Parses a bigint column; `dflt` when NULL. */
int64_t pg_int(const PGresult *r, int row, int col, int64_t dflt);

/** True when the value is 't'. */
bool pg_bool(const PGresult *r, int row, int col);

#endif

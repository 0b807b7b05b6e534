/*
 * pg — libpq helpers: a fixed-size connection pool for request handlers, dedicated connections for long-lived
 * loops (listener, leader, workers), and small wrappers that log failures once with their SQL state.
 * Every query uses PQexecParams with text parameters; nothing is ever spliced into SQL text.
 *
 * Surviving the real infrastructure (issue 11). A URL may name several hosts (libpq multi-host; every connection
 * asks for `target_session_attrs=read-write` unless the URL says otherwise): a new connection, or pg_reset of a lost
 * one, walks the list and lands on the current primary. A connection is "usable" while it is open and not known to sit on a read-only node: a server
 * that reports `in_hot_standby` or `default_transaction_read_only` on, or a statement that failed with SQLSTATE
 * 25006 (read_only_sql_transaction: the node was demoted, or a pooler now routes to a standby), after which
 * pg_query drops the connection so that every owner's ordinary "connection lost" path reconnects it.
 * Pooling safety (PgBouncer in transaction mode): no server-side prepared statements (PQexecParams uses the unnamed
 * statement), no session state across transactions, and the session time zone is set after connecting with
 * set_config rather than the `options` startup parameter PgBouncer refuses: TimeZone is one of the parameters
 * PgBouncer tracks per client and replays on whichever server connection serves it.
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

/**
 * Opens a dedicated connection to `url` (UTC session time zone, TCP keepalives, a 10 s connect timeout per host and
 * `target_session_attrs=read-write` unless the URL says otherwise). NULL on failure with `err` filled. Close it
 * with PQfinish.
 */
PGconn *pg_connect(const char *url, const char *appname, char *err, size_t errlen);

/**
 * Re-opens a lost connection in place (PQreset: the URL's host list is walked again, so a multi-host URL finds
 * the new primary) with pg_connect's session setup. Returns 0 when `c` is usable again, -1 when not.
 */
int pg_reset(PGconn *c);

/** True when `c` is open and not known to be on a read-only node (see the top of this file). NULL: false. */
bool pg_usable(const PGconn *c);

/**
 * Marks `c` lost: its socket is shut down under libpq, which then reports CONNECTION_BAD, so the owner's
 * reconnect path (the same as after a server restart) replaces it. The owner still PQfinish()es it.
 */
void pg_drop(PGconn *c);

/** "host:port" of the server `c` talks (or talked) to, into `buf`. Returns `buf` ("?" when unknown). */
const char *pg_server_name(const PGconn *c, char *buf, size_t len);

/**
 * Whether `c` is pooled per transaction (PgBouncer's transaction mode): a second connection to `url` is opened and
 * both ask pg_backend_pid() and pg_postmaster_start_time(), up to three times. 1 when they were served by the same
 * PostgreSQL session (`*pid` gets its pid): `c` has no session of its own, so LISTEN and session advisory locks on it
 * are not what they seem. 0 when they never were (a session of its own, or a pool that happened to hand out another
 * session each time); -1 on error with `err` filled.
 */
int pg_session_shared(PGconn *c, const char *url, int64_t *pid, char *err, size_t errlen);

/**
 * libpq's messages span lines ("FATAL: …\nserver closed the connection…"): `msg` (NULL: "") into `buf` as one line —
 * trailing newlines cut, newlines and tabs as spaces, double quotes as single ones. Returns `buf`.
 */
const char *pg_one_line(const char *msg, char *buf, size_t len);

/** When the server behind `c` last started (pg_postmaster_start_time(), Unix seconds), or -1 on error. */
int64_t pg_server_started(PGconn *c);

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
 * the 5-char state is copied there (empty when the connection failed). A failure with SQLSTATE 25006 (the node is
 * read-only) also drops the connection (pg_drop).
 */
PGresult *pg_query(PGconn *c, const char *what, const char *sql, int n, const char *const *params, char sqlstate[6]);

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

/*
 * lockkeys — every PostgreSQL advisory lock comicbatch takes, in one place, with what it guards. Advisory locks
 * are per database and belong to a session: they vanish with the connection that holds them, which is what makes
 * each of these safe after a crash. The numbers spell "CBA…" in ASCII-ish so they are recognisable in pg_locks;
 * they never change (another version of comicbatch on the same database must agree on them).
 *
 *   LOCK_LEADER        pg_try_advisory_lock(key)          the leader's session lock (sched/leader.c): one
 *                                                         instance runs the scheduler, rescue and retention;
 *                                                         system.batchleader (store/leaderstore.c) carries its
 *                                                         epoch and heartbeat, and a candidate that finds the
 *                                                         heartbeat older than the lease terminates the holder's
 *                                                         session (found in pg_locks) to take the lock over
 *   LOCK_MIGRATE       pg_advisory_lock(key)              `comicbatch migrate` (store/migrate.c): one migrator
 *   LOCK_INSTANCE_CLASS pg_try_advisory_lock(class, no)   held by each live instance for its lifetime on its
 *                                                         listener connection (store/instances.c), re-taken after
 *                                                         a reconnect (a stale session of its own that still holds
 *                                                         it is terminated first); the rescue (store/runstore.c)
 *                                                         reads pg_locks for it
 *   LOCK_FLUSH         pg_try_advisory_lock(class, 1)     analytics.flush_counters and its start-up recovery
 *                                                         (jobs/analytics_flush.c): one flusher at a time
 * All of them are session-scoped: behind PgBouncer in transaction mode they must be taken on `[database] direct_url`
 * connections (config_session_url), never on pooled ones.
 * The values are SQL text, to be spliced into statements (they are constants, never user input).
 */
#ifndef COMICBATCH_LOCKKEYS_H
#define COMICBATCH_LOCKKEYS_H

#define LOCK_LEADER "1128415807"
#define LOCK_MIGRATE "1128415808"
#define LOCK_INSTANCE_CLASS "1128415809"
#define LOCK_FLUSH "1128415810, 1"

/** SQL: whether instance number `no` (an SQL expression) holds its lock in this database: it is alive. */
#define INSTANCE_LOCK_HELD_SQL(no)                                                       \
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"                     \
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
    " AND l.classid = " LOCK_INSTANCE_CLASS "::oid AND l.objid = (" no ")::oid AND l.objsubid = 2 AND l.granted)"

#endif

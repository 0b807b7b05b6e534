/*
 * instances — system.batchinstance, the live daemon processes, and the instance lock: each instance holds
 * pg_advisory_lock(LOCK_INSTANCE_CLASS, no) on one connection for its lifetime, so the leader's rescue can tell at
 * once that a dead instance's runs are orphaned (store/runstore.c reads pg_locks for it). After its connection is
 * lost (database restart, failover) an instance registers again under the same number (the row may be gone with
 * an asynchronous standby) and takes its lock again.
 */
#ifndef COMICBATCH_INSTANCES_H
#define COMICBATCH_INSTANCES_H

#include <libpq-fe.h>

/** What an instance says about itself when it registers. */
struct instance_info {
    const char *name; /* "host:pid:shortid" */
    const char *hostname;
    int pid;
    const char *version;
};

/** Registers an instance and returns its number (> 0), or -1. Also prunes rows not seen for 7 days. */
int instances_register(PGconn *c, const struct instance_info *info);

/** Registers instance `no` again after a reconnect: its row is made again if missing, else marked seen. 0 or -1. */
int instances_reregister(PGconn *c, int no, const struct instance_info *info);

/**
 * Takes the instance lock for `no` on `c` (held until the session ends). Numbers are never shared, so a backend
 * that still holds it can only be a stale session of this same instance (a connection the server has not noticed
 * is gone): it is terminated first. Returns 0, or -1 when the lock could not be had.
 */
int instances_lock(PGconn *c, int no);

/** Marks instance `no` as seen now. Returns 0 or -1. */
int instances_touch(PGconn *c, int no);

#endif

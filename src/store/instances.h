/*
 * instances — system.batchinstance, the live daemon processes, and the instance lock: each instance holds
 * pg_advisory_lock(LOCK_INSTANCE_CLASS, no) on one connection for its lifetime, so the leader's rescue can tell at
 * once that a dead instance's runs are orphaned (store/runstore.c reads pg_locks for it).
 */
#ifndef COMICBATCH_INSTANCES_H
#define COMICBATCH_INSTANCES_H

#include <libpq-fe.h>

/** What an instance says about itself when it registers. */
struct instance_info {
    const char *name;     /* "host:pid:shortid" */
    const char *hostname;
    int pid;
    const char *version;
};

/** Registers an instance and returns its number (> 0), or -1. Also prunes rows not seen for 7 days. */
int instances_register(PGconn *c, const struct instance_info *info);

/** Takes the instance lock for `no` on `c` (blocking; held until the session ends). Returns 0 or -1. */
int instances_lock(PGconn *c, int no);

/** Marks instance `no` as seen now. Returns 0 or -1. */
int instances_touch(PGconn *c, int no);

#endif

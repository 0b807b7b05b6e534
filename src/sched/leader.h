/*
 * leader — leader election (DESIGN §3): one instance at a time holds the leader's session advisory lock
 * (store/lockkeys.h LOCK_LEADER) on a dedicated connection and, while it does, runs the scheduler loop
 * (sched/tick.h), the rescue sweep of runs whose instance died, retention (runs, the missed-slot ledger, ended
 * pauses) and the deadline checks of its host. The others retry the lock every few seconds and take over when the
 * leader's connection dies. The `comicbatch_leader` gauge says whether this instance leads; the moment it became
 * leader tells the tick which missed slots had no leader.
 */
#ifndef COMICBATCH_LEADER_H
#define COMICBATCH_LEADER_H

#include <stddef.h>

struct config;
struct leader;
struct metrics;
struct sched_host;

/** What the leader thread needs, borrowed for its lifetime. */
struct leader_opts {
    const struct config *cfg;      /* database url, lease/heartbeat, retention, misfire grace */
    struct metrics *metrics;
    const char *instance;          /* this instance's name, for the logs */
    const struct sched_host *host; /* the run model (sched/tick.h) */
};

/** Starts the leader thread. NULL with `err` on failure. */
struct leader *leader_create(const struct leader_opts *o, char *err, size_t errlen);

/** Wakes the loop early (schedule changed). */
void leader_wake(struct leader *l);

/** Stops the thread (releasing the lock with its connection) and frees. NULL is a no-op. */
void leader_destroy(struct leader *l);

#endif

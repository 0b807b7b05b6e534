/*
 * leader — leader election (DESIGN §3, issue 11): one instance at a time holds the leader's session advisory lock
 * (store/lockkeys.h LOCK_LEADER) on a dedicated connection and, while it does, runs the scheduler loop
 * (sched/tick.h), the rescue sweep of runs whose instance died, retention (runs, the missed-slot ledger, ended
 * pauses) and the deadline checks of its host. Leadership carries an epoch (system.batchleader,
 * store/leaderstore.h) bumped by every takeover, and a heartbeat the leader refreshes every second on its lock
 * connection; every leader-only write (slots, the ledger, rescue, retention) is conditional on the epoch it holds.
 * A leader steps down at once when its lock connection is lost or lands on a node in recovery, or when it notices
 * its own heartbeat is older than `[runs] leader_lease_seconds`; the others retry the lock every second (and right
 * when the leader's lease runs out), and fence a leader whose heartbeat is older than the lease (terminating its
 * lock session) to take over, so a paused or wedged leader costs at most one lease. The `comicbatch_leader` gauge
 * says whether this instance leads; the moment it became leader tells the tick which missed slots had no leader.
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
    const struct config *cfg; /* database url, lease/heartbeat, retention, misfire grace */
    struct metrics *metrics;
    const char *instance;          /* this instance's name, recorded with the epoch and in the logs */
    int instance_no;               /* its system.batchinstance.no */
    const struct sched_host *host; /* the run model (sched/tick.h) */
};

/** Starts the leader thread. NULL with `err` on failure. */
struct leader *leader_create(const struct leader_opts *o, char *err, size_t errlen);

/** Wakes the loop early (schedule changed). */
void leader_wake(struct leader *l);

/** Stops the thread (releasing the lock with its connection) and frees. NULL is a no-op. */
void leader_destroy(struct leader *l);

#endif

/*
 * leaderstore — system.batchleader, the one row of leadership (DESIGN §3, issue 11): the epoch a leader bumps when
 * it takes over, who holds it, the backend of its lock session and its heartbeat. The only place its SQL lives.
 * Who may lead is still decided by the session advisory lock LOCK_LEADER (store/lockkeys.h); this row makes the
 * leader's writes conditional (leaderstore_hold) and lets a candidate fence a leader that stopped proving it is
 * alive (leaderstore_fence). Every function here runs on the leader's (or candidate's) lock connection.
 */
#ifndef COMICBATCH_LEADERSTORE_H
#define COMICBATCH_LEADERSTORE_H

#include <libpq-fe.h>
#include <stdint.h>

/**
 * Takes over: bumps the epoch and records this instance, the calling session's backend and a fresh heartbeat.
 * Call with the leader lock held. Returns the new epoch (> 0), or -1.
 */
int64_t leaderstore_take(PGconn *c, const char *instance, int instance_no);

/**
 * The leader's heartbeat and ping: refreshes heartbeatat if `epoch` is still current and the node is not in
 * recovery (on a standby the UPDATE itself fails: read-only). Returns 1 still the leader, 0 the epoch moved on, -1
 * error (connection lost, read-only node): either way other than 1, step down.
 */
int leaderstore_beat(PGconn *c, int64_t epoch);

/**
 * The fence of a leader-only write: inside the caller's transaction, locks the row FOR SHARE if `epoch` is still
 * current. A takeover (which updates the row) then waits for this transaction, and one that committed first makes
 * this return 0. Returns 1 hold (go on writing), 0 deposed (roll back), -1 error.
 */
int leaderstore_hold(PGconn *c, int64_t epoch);

/** What a candidate learned from leaderstore_fence. */
struct leader_fence {
    int pid;       /* the backend holding the leader lock (0: nobody holds it) */
    double age_s;  /* how old the leader's heartbeat is (< 0: none recorded) */
    char who[128]; /* the leader's instance name, as recorded ("" when unknown) */
};

/**
 * A candidate's fence: when the leader's heartbeat is older than `lease_s`, terminates the backend that holds the
 * leader lock (waiting up to 5 s for it to exit), which releases the lock and aborts any write in flight. Fills
 * `out` either way (with a fresh heartbeat, its age says when the lease runs out). Returns 1 fenced, 0 not (fresh
 * heartbeat, or nobody holds the lock), -1 on error.
 */
int leaderstore_fence(PGconn *c, int lease_s, struct leader_fence *out);

/** What /metrics shows of leadership. */
struct leader_status {
    int64_t epoch;
    double heartbeat_age_s; /* < 0: no heartbeat recorded yet */
    char instance[128];     /* "" when nobody has led yet */
};

/** Reads the row (any connection). Returns 0 or -1. */
int leaderstore_status(PGconn *c, struct leader_status *out);

#endif

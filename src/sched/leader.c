/*
 * leader — see leader.h.
 *
 * One loop on the leader thread, over one dedicated "lock connection" (config_session_url: a real session, never a
 * pooled one, since it holds LOCK_LEADER):
 *  - no usable connection: connect again, with backoff; a leader whose connection is lost has stepped down.
 *  - follower: every RETRY_LOCK_MS (or right when the leader's lease runs out, if sooner), try the lock. When
 *    someone else holds it and the leader's heartbeat in system.batchleader is older than the leader lease, fence
 *    that leader (terminate the backend of its lock session, which releases the lock and aborts whatever it was
 *    writing) and try again at once. On success, take over in one transaction: bump the epoch, seed the schedule
 *    rows.
 *  - leader: first, if this thread's last heartbeat is older than the lease by its own monotonic clock (the process
 *    was paused, the thread was stuck), step down without writing anything: a candidate may have fenced it already.
 *    Then the heartbeat, which is also the ping: an UPDATE conditional on the epoch we hold, failing when the
 *    connection is lost or the node is in recovery (read-only) — any answer but "still yours" steps down at once.
 *    Then the duties (scheduler tick, rescue, retention), every write in a transaction that opens with
 *    leaderstore_hold(epoch) (leader_begin): a write of a deposed leader either committed before the takeover or
 *    finds another epoch and is rolled back.
 * Stepping down closes the lock connection (which releases the lock if the session still had it).
 */
#include "sched/leader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "sched/tick.h"
#include "store/leaderstore.h"
#include "store/lockkeys.h"
#include "store/pausestore.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "store/slotledger.h"
#include "util/backoff.h"
#include "util/bgthread.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define TICK_MS 1000
#define RESCUE_EVERY_MS 1000
#define RETENTION_EVERY_MS (10 * 60 * 1000)
#define DEADLINES_EVERY_MS 5000
#define RETENTION_BATCH 10000 /* runs deleted per fenced transaction; a full batch asks for another next tick */
#define RETRY_LOCK_MS 1000
#define RESCUE_MAX 64 /* rescued runs reported (alerts, logs) per sweep; the rest are failed all the same */

struct leader {
    struct leader_opts o;
    struct bgthread thread; /* a wake-up = the schedule changed */
    PGconn *db;             /* the lock connection; leader thread only */
    struct backoff backoff; /* between connection attempts */
    int64_t next_connect_ms;
    bool connect_failed; /* the last attempt failed (logged once per outage) */
    int64_t epoch;       /* > 0 while this instance leads */
    time_t since;        /* when this instance last became the leader (wall clock: the tick's "no-leader") */
    int64_t leading_since_ms, last_beat_ms, next_try_ms, last_rescue_ms, last_retention_ms, last_deadlines_ms;
    bool retention_more;                    /* the last retention batch was full */
    bool deposed;                           /* a fenced write found another epoch (or failed) during this tick */
    struct sched_enqueue_failures failures; /* the tick's memory of failed enqueues */
};

static int64_t lease_ms(const struct leader *l)
{
    return l->o.cfg->leader_lease_seconds * 1000LL;
}

static void step_down(struct leader *l, const char *why)
{
    if (l->epoch && why)
        log_warn("msg=\"stepping down as leader\" instance=%s epoch=%lld reason=\"%s\"", l->o.instance,
                 (long long)l->epoch, why);
    l->epoch = 0;
    atomic_store(&l->o.metrics->is_leader, 0);
    PQfinish(l->db); /* releases the advisory lock if the session still holds it */
    l->db = NULL;
}

/* Opens the transaction of a leader-only write and fences it with our epoch (sched_env.begin). */
static int leader_begin(void *arg, PGconn *db)
{
    struct leader *l = arg;
    if (l->deposed || !l->epoch || pg_cmd(db, "BEGIN")) {
        l->deposed = true;
        return -1;
    }
    int hold = leaderstore_hold(db, l->epoch);
    if (hold == 1) {
        static atomic_int stall = -1; /* tests: a wedged scheduler thread, inside its write, holding the epoch */
        fault_stall_once(&stall, "leader:stall_in_write");
        return 0;
    }
    pg_cmd(db, "ROLLBACK");
    if (hold == 0)
        log_warn("msg=\"leader-only write refused: another instance took over\" epoch=%lld", (long long)l->epoch);
    l->deposed = true;
    return -1;
}

/* Queues the retries of the rescued runs in the rescue's transaction. 0 or -1. */
static int rescue_retries(struct leader *l, const struct rescued_run *runs, int n)
{
    for (int i = 0; i < n && i < RESCUE_MAX; i++)
        if (l->o.host->rescued_retry(l->o.host->arg, l->db, &runs[i]))
            return -1;
    return 0;
}

/*
 * Fails runs whose instance is gone (DESIGN §3 heartbeat and rescue) and queues their retries in one fenced
 * transaction; then each goes through the host's alert path.
 */
static void rescue(struct leader *l)
{
    struct rescued_run runs[RESCUE_MAX];
    const struct config *cfg = l->o.cfg;
    if (leader_begin(l, l->db))
        return;
    int n = runstore_rescue(l->db, cfg->lease_seconds, cfg->heartbeat_seconds * 2 + 1, runs, RESCUE_MAX);
    if (n < 0 || rescue_retries(l, runs, n) || pg_cmd(l->db, "COMMIT")) {
        pg_cmd(l->db, "ROLLBACK");
        return;
    }
    for (int i = 0; i < n && i < RESCUE_MAX; i++) {
        log_error("msg=\"run rescued\" run=%s job=%s error=\"%s\"", runs[i].id, runs[i].jobkey, runs[i].lasterror);
        char label[160];
        snprintf(label, sizeof label, "job=\"%.120s\"", runs[i].jobkey);
        metrics_add(l->o.metrics, "comicbatch_runs_rescued_total", label, 1);
        l->o.host->rescued(l->o.host->arg, l->db, &runs[i]);
    }
}

/* Old runs (a batch), old missed-slot rows and ended pauses, in one fenced transaction. */
static void retention(struct leader *l)
{
    int days = l->o.cfg->retention_days;
    if (leader_begin(l, l->db))
        return;
    int64_t n = runstore_retention(l->db, days, RETENTION_BATCH);
    int64_t m = n < 0 ? -1 : slotledger_retention(l->db, days, SLOTLEDGER_KEEP_PER_JOB);
    if (n < 0 || m < 0 || pausestore_cleanup(l->db, (time_t)(time_now_ms() / 1000)) < 0 || pg_cmd(l->db, "COMMIT")) {
        pg_cmd(l->db, "ROLLBACK");
        return;
    }
    l->retention_more = n == RETENTION_BATCH;
    if (n > 0)
        log_info("msg=\"old runs deleted\" count=%lld retention_days=%d", (long long)n, days);
    if (m > 0)
        log_info("msg=\"old missed-slot rows deleted\" count=%lld retention_days=%d", (long long)m, days);
}

/*
 * After a takeover the rescue waits for live instances to show themselves: after a database restart or failover
 * every heartbeat looks old and every instance lock is gone until the owners reconnect (with backoff of at most
 * 2 s) and heartbeat again; rescuing at once would fail runs whose owners are about to record their end.
 */
static int64_t rescue_grace_ms(const struct leader *l)
{
    return (l->o.cfg->heartbeat_seconds * 2 + 2) * 1000LL;
}

static void duties(struct leader *l, int64_t now)
{
    time_t wall = (time_t)(time_now_ms() / 1000);
    struct sched_env env = {.host = l->o.host,
                            .cfg = l->o.cfg,
                            .metrics = l->o.metrics,
                            .leader_since = l->since,
                            .instance = l->o.instance,
                            .failures = &l->failures,
                            .begin = leader_begin,
                            .begin_arg = l};
    sched_tick(l->db, wall, &env);
    if (!l->deposed && now - l->leading_since_ms >= rescue_grace_ms(l) && now - l->last_rescue_ms >= RESCUE_EVERY_MS) {
        rescue(l);
        l->last_rescue_ms = now;
    }
    if (!l->deposed && (l->retention_more || now - l->last_retention_ms >= RETENTION_EVERY_MS)) {
        retention(l);
        l->last_retention_ms = now;
    }
    /* Deadline alerts are not inside the fence: each breach is marked once by compare-and-set, so a deposed leader
     * can at most send the one alert its successor would. The host only queues their webhook posts (and the rescue's)
     * for a thread of its own: a slow endpoint must not hold this thread past the lease. */
    if (!l->deposed && now - l->last_deadlines_ms >= DEADLINES_EVERY_MS && l->o.host->check_deadlines) {
        l->o.host->check_deadlines(l->o.host->arg, l->db, wall);
        l->last_deadlines_ms = now;
    }
}

static void lead_tick(struct leader *l, int64_t now)
{
    if (now - l->last_beat_ms > lease_ms(l)) {
        step_down(l, "this instance's last heartbeat is older than the leader lease (paused or stuck); another "
                     "instance may lead now");
        return;
    }
    int beat = leaderstore_beat(l->db, l->epoch);
    if (beat != 1) {
        step_down(l, beat == 0 ? "another instance took over (the epoch moved on)"
                               : "the lock connection failed its ping (lost, or the node is read-only)");
        return;
    }
    l->last_beat_ms = now;
    atomic_store(&l->o.metrics->leader_until_ms, now + lease_ms(l));
    l->deposed = false;
    duties(l, now);
    if (l->deposed)
        step_down(l, "a leader-only write was refused or failed");
}

static void take_over(struct leader *l, int64_t now)
{
    int64_t epoch = -1;
    if (pg_cmd(l->db, "BEGIN") == 0) {
        epoch = leaderstore_take(l->db, l->o.instance, l->o.instance_no);
        if (epoch < 0 || sched_seed(l->db, l->o.host) || pg_cmd(l->db, "COMMIT"))
            epoch = -1;
    }
    if (epoch < 0) {
        log_warn("msg=\"could not take over the leadership; will retry\"");
        step_down(l, NULL); /* closes the connection: the lock goes with it */
        return;
    }
    l->epoch = epoch;
    l->since = (time_t)(time_now_ms() / 1000);
    l->leading_since_ms = l->last_beat_ms = l->last_rescue_ms = now;
    l->last_retention_ms = now - RETENTION_EVERY_MS; /* retention and deadlines on the first leading tick */
    l->last_deadlines_ms = now - DEADLINES_EVERY_MS;
    atomic_store(&l->o.metrics->leader_until_ms, now + lease_ms(l));
    atomic_store(&l->o.metrics->is_leader, 1);
    log_info("msg=\"this instance is now the leader\" instance=%s epoch=%lld", l->o.instance, (long long)epoch);
}

/* 1 got the lock, 0 someone else holds it, -1 error. */
static int try_lock(struct leader *l)
{
    PGresult *r = pg_query(l->db, "leader.lock", "SELECT pg_try_advisory_lock(" LOCK_LEADER ")", 0, NULL, NULL);
    int got = r ? pg_bool(r, 0, 0) : -1;
    PQclear(r);
    return got;
}

/*
 * A follower tries the lock every RETRY_LOCK_MS, and sooner when the leader's lease is about to run out (its
 * heartbeat's age says when), so that a paused leader is replaced right as its lease ends.
 */
static void follow_tick(struct leader *l, int64_t now)
{
    if (now < l->next_try_ms)
        return;
    l->next_try_ms = now + RETRY_LOCK_MS;
    int got = try_lock(l);
    if (got == 0) {
        struct leader_fence f;
        int lease_s = l->o.cfg->leader_lease_seconds;
        int fenced = leaderstore_fence(l->db, lease_s, &f);
        if (fenced == 1) {
            log_warn("msg=\"fenced a leader whose heartbeat is older than the lease\" leader=\"%s\" backend=%d "
                     "heartbeat_age_s=%.1f lease_s=%d",
                     f.who, f.pid, f.age_s, lease_s);
            got = try_lock(l);
        } else if (fenced == 0 && f.pid > 0 && f.age_s >= 0) {
            int64_t expires_in = (int64_t)((lease_s - f.age_s) * 1000.0) + 20;
            if (expires_in < RETRY_LOCK_MS)
                l->next_try_ms = now + (expires_in > 20 ? expires_in : 20);
        }
    }
    if (got == 1)
        take_over(l, time_mono_ms());
}

/* True with a usable lock connection; otherwise (re)connects when the backoff allows. */
static bool connected(struct leader *l, int64_t now)
{
    if (pg_usable(l->db))
        return true;
    if (l->db)
        step_down(l, "the lock connection was lost");
    if (now < l->next_connect_ms)
        return false;
    char err[512];
    l->db = pg_connect(config_session_url(l->o.cfg), "comicbatch-leader", err, sizeof err);
    if (!l->db) {
        if (!l->connect_failed)
            log_warn("msg=\"leader: cannot connect; retrying with backoff\" error=\"%s\"", err);
        l->connect_failed = true;
        l->next_connect_ms = now + backoff_next(&l->backoff);
        return false;
    }
    l->connect_failed = false;
    backoff_reset(&l->backoff);
    return true;
}

static void *leader_main(void *arg)
{
    struct leader *l = arg;
    unsigned seen;
    while (bgthread_begin(&l->thread, &seen)) {
        int64_t now = time_mono_ms();
        if (connected(l, now)) {
            if (l->epoch)
                lead_tick(l, now);
            else
                follow_tick(l, now);
        }
        int64_t wait = !l->db     ? l->next_connect_ms - time_mono_ms()
                       : l->epoch ? TICK_MS
                                  : l->next_try_ms - time_mono_ms();
        bgthread_wait(&l->thread, seen, (int)(wait < 10 ? 10 : wait > TICK_MS ? TICK_MS : wait));
    }
    step_down(l, "this instance is stopping"); /* another instance takes over within its retry interval */
    return NULL;
}

struct leader *leader_create(const struct leader_opts *o, char *err, size_t errlen)
{
    struct leader *l = xcalloc(1, sizeof *l);
    l->o = *o;
    backoff_init(&l->backoff, 100, 2000, (uint32_t)time_now_ms() ^ (uint32_t)o->instance_no * 2654435761u);
    bgthread_init(&l->thread);
    if (bgthread_start(&l->thread, 1, leader_main, l)) {
        snprintf(err, errlen, "cannot start the leader thread");
        leader_destroy(l);
        return NULL;
    }
    return l;
}

void leader_wake(struct leader *l)
{
    bgthread_wake(&l->thread);
}

void leader_destroy(struct leader *l)
{
    if (!l)
        return;
    bgthread_stop(&l->thread);
    bgthread_finish(&l->thread);
    free(l);
}

/* tick — see tick.h. */
#include "sched/tick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sched/slots.h"
#include "store/pausestore.h"
#include "store/pg.h"
#include "store/schedstore.h"
#include "store/slotledger.h"

_Static_assert(SCHEDSTORE_CRON_MAX >= CRON_MAX_EXPR, "a stored cron override must hold the longest expression");
#include "util/duration.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"

/* One tick: the connection, the settings, the instant and the pauses in force (read once per tick). */
struct tick {
    PGconn *db;
    const struct sched_env *env;
    time_t now;
    const struct pause_row *pauses;
    int npauses;
};

/* A job's schedule as the tick uses it: parsed, its zone loaded once (NULL: UTC). */
struct plan {
    struct cron_schedule s;
    struct tz *zone;
    char err[256];
};

/* The job's latest ledger row, read once per decision and kept current as spans are written. */
struct tail {
    bool has;
    struct missed_row row;
};

int sched_seed(PGconn *db, const struct sched_host *host)
{
    struct sched_job j;
    for (size_t i = 0; host->job_at(host->arg, i, &j); i++)
        if (schedstore_seed(db, j.key, j.enabled))
            return -1;
    return 0;
}

static int plan_open(const char *expr, struct plan *p)
{
    p->zone = NULL;
    if (cron_parse(expr, &p->s, p->err, sizeof p->err))
        return -1;
    char why[200];
    if (p->s.zone[0] && !(p->zone = tz_load(p->s.zone, why, sizeof why))) {
        snprintf(p->err, sizeof p->err, "CRON_TZ: %s", why);
        return -1;
    }
    return 0;
}

static void plan_close(struct plan *p)
{
    tz_destroy(p->zone);
    p->zone = NULL;
}

/* The stored override wins over the job's default (which already includes [job.KEY] misfire). */
static enum misfire_policy effective_misfire(const struct sched_job *job, const struct sched_row *row)
{
    if (row->misfire[0])
        return !strcmp(row->misfire, "once") ? MISFIRE_ONCE : MISFIRE_SKIP;
    return job->misfire;
}

static void count(const struct sched_env *env, const char *name, const char *jobkey, const char *label2,
                  const char *value2, double n)
{
    char l[200];
    if (label2)
        snprintf(l, sizeof l, "job=\"%.120s\",%s=\"%s\"", jobkey, label2, value2);
    else
        snprintf(l, sizeof l, "job=\"%.120s\"", jobkey);
    metrics_add(env->metrics, name, l, n);
}

/* Every write of a tick is a leader-only write: its transaction opens with the leader's epoch fence (issue 11). */
static int begin_write(const struct tick *t)
{
    return t->env->begin ? t->env->begin(t->env->begin_arg, t->db) : pg_cmd(t->db, "BEGIN");
}

/* Commits what `rc` (>= 0) wrote after begin_write, or rolls it back; returns rc, or -1 when the commit failed. */
static int end_write(const struct tick *t, int rc)
{
    if (rc >= 0 && pg_cmd(t->db, "COMMIT") == 0)
        return rc;
    pg_cmd(t->db, "ROLLBACK");
    return -1;
}

static int tail_read(const struct tick *t, const char *jobkey, struct tail *tail)
{
    int got = slotledger_latest(t->db, jobkey, &tail->row);
    tail->has = got == 1;
    return got < 0 ? -1 : 0;
}

/* How loud a missed slot is logged: an operator's choice is news, a refused slot needs an operator. */
static enum log_level missed_level(enum missed_reason why)
{
    if (why == MISSED_PAUSED || why == MISSED_DISABLED)
        return LOG_INFO;
    return why == MISSED_INVALID_PARAMS ? LOG_ERROR : LOG_WARN;
}

/* Writes `sp` of `jobkey` to the ledger: extends the latest row when it is the same reason and no slot lies in
 * between, else a new row. Counts and logs what was new. */
static int record_span(const struct tick *t, const char *jobkey, const struct plan *p, struct tail *tail,
                       enum missed_reason why, const struct slot_span *sp, const char *detail)
{
    const char *name = slots_reason_name(why);
    bool extend = tail->has && !strcmp(tail->row.reason, name) &&
                  slots_continues(&p->s, p->zone, tail->row.lastslot, sp->first);
    int64_t id = tail->has ? tail->row.id : 0;
    int rc = extend ? slotledger_extend(t->db, id, sp->last, sp->count, detail)
                    : slotledger_insert(t->db, jobkey, name, sp->first, sp->last, sp->count, detail, &id);
    if (rc <= 0)
        return rc;
    if (!extend)
        *tail = (struct tail){true, {.id = id, .firstslot = sp->first}};
    snprintf(tail->row.reason, sizeof tail->row.reason, "%s", name);
    tail->row.lastslot = sp->last;
    count(t->env, "comicbatch_schedule_missed_total", jobkey, "reason", name, sp->count);
    char first[32], last[32];
    log_write(missed_level(why),
              "msg=\"scheduled slot missed\" job=%s reason=%s slots=%d%s first=%s last=%s detail=\"%s\"", jobkey, name,
              sp->count, sp->capped ? "+" : "", time_format_iso(sp->first, first, sizeof first),
              time_format_iso(sp->last, last, sizeof last), detail);
    return 0;
}

/* The slots from stored slot `first` through `hi` that the ledger does not hold yet (the tail says how far it
 * goes). Returns their count. */
static int unrecorded(const struct plan *p, const struct tail *tail, time_t first, time_t hi, struct slot_span *sp)
{
    memset(sp, 0, sizeof *sp);
    if (tail->has && tail->row.lastslot >= first)
        return slots_span(&p->s, p->zone, tail->row.lastslot, hi, sp);
    return slots_span_from(&p->s, p->zone, first, hi, sp);
}

/* Records the slots from stored slot `first` through `hi` that the ledger does not hold yet. */
static int record_range(const struct tick *t, const char *jobkey, const struct plan *p, struct tail *tail,
                        enum missed_reason why, time_t first, time_t hi, const char *detail)
{
    struct slot_span sp;
    return unrecorded(p, tail, first, hi, &sp) ? record_span(t, jobkey, p, tail, why, &sp, detail) : 0;
}

/* The index of the job's remembered enqueue failure (sched_enqueue_failures), or -1. */
static int failure_of(const struct tick *t, const char *jobkey)
{
    const struct sched_enqueue_failures *f = t->env->failures;
    for (int i = 0; f && i < f->n; i++)
        if (!strcmp(f->e[i].jobkey, jobkey))
            return i;
    return -1;
}

/* Remembers that enqueueing `slot` of `jobkey` failed with `why` (counting the tries of that slot). Returns the
 * tries so far (1 when nothing is kept); `*changed` is set when the error text differs from the last try's. */
static int note_failure(const struct tick *t, const char *jobkey, time_t slot, const char *why, bool *changed)
{
    *changed = true;
    struct sched_enqueue_failures *f = t->env->failures;
    int i = failure_of(t, jobkey);
    if (!f || (i < 0 && f->n == SCHED_MAX_FAILING))
        return 1;
    if (i < 0) {
        i = f->n++;
        snprintf(f->e[i].jobkey, sizeof f->e[i].jobkey, "%s", jobkey);
        f->e[i].slot = 0;
        f->e[i].why[0] = '\0';
    }
    if (f->e[i].slot != slot)
        f->e[i].tries = 0;
    *changed = f->e[i].tries == 0 || strncmp(f->e[i].why, why, sizeof f->e[i].why - 1);
    f->e[i].slot = slot;
    f->e[i].tries++;
    snprintf(f->e[i].why, sizeof f->e[i].why, "%s", why); /* one line already (sched_host.enqueue) */
    return f->e[i].tries;
}

/* Logs a failed enqueue of `jobkey`'s slot: the first try, a changed error, then tries 2, 4, 8, … of the same one
 * (the leader retries every tick until the misfire grace; one line per tick would flood the log). */
static void log_failure(const struct tick *t, const char *jobkey, time_t slot, const char *why)
{
    bool changed;
    int tries = note_failure(t, jobkey, slot, why, &changed);
    if (changed || (tries & (tries - 1)) == 0)
        log_error("msg=\"cannot enqueue a scheduled slot\" job=%s tries=%d error=\"%s\"", jobkey, tries, why);
}

/* Forgets `jobkey`'s failures: its step went through. */
static void forget_failure(const struct tick *t, const char *jobkey)
{
    struct sched_enqueue_failures *f = t->env->failures;
    int i = failure_of(t, jobkey);
    if (i >= 0)
        f->e[i] = f->e[--f->n];
}

/* Appends to `detail` why the leader could not enqueue a slot of [first, hi], when it tried and failed. */
static void add_failure(const struct tick *t, const char *jobkey, time_t first, time_t hi, char *detail, size_t len)
{
    int i = failure_of(t, jobkey);
    if (i < 0)
        return;
    const struct sched_enqueue_failures *f = t->env->failures;
    if (f->e[i].slot < first || f->e[i].slot > hi)
        return;
    size_t n = strlen(detail);
    snprintf(detail + n, len - n, "; the leader tried to enqueue it %d time%s, and the database refused: %s",
             f->e[i].tries, f->e[i].tries == 1 ? "" : "s", f->e[i].why);
}

/* Misfired slots from `first` through `hi`: those older than this leadership had no leader, the others were
 * skipped late. */
static int record_misfire(const struct tick *t, const char *jobkey, const struct plan *p, struct tail *tail,
                          time_t first, time_t hi, enum misfire_policy pol)
{
    time_t since = t->env->leader_since;
    char detail[600], waited[32], at[32];
    struct slot_span sp;
    if (since > 0 && unrecorded(p, tail, first, hi < since - 1 ? hi : since - 1, &sp)) {
        snprintf(detail, sizeof detail, "no leader for %s after the slot: instance %s took over at %s",
                 duration_format((int64_t)(since - sp.first) * 1000, waited, sizeof waited),
                 t->env->instance ? t->env->instance : "?", time_format_iso(since, at, sizeof at));
        if (record_span(t, jobkey, p, tail, MISSED_NO_LEADER, &sp, detail))
            return -1;
    }
    if (!unrecorded(p, tail, first, hi, &sp))
        return 0;
    snprintf(detail, sizeof detail, "found %s late, past the misfire grace (%ds); policy %s",
             duration_format((int64_t)(t->now - sp.first) * 1000, waited, sizeof waited),
             t->env->cfg->misfire_grace_seconds, pol == MISFIRE_ONCE ? "once: the latest missed slot ran" : "skip");
    add_failure(t, jobkey, sp.first, sp.last, detail, sizeof detail);
    return record_span(t, jobkey, p, tail, MISSED_MISFIRE, &sp, detail);
}

/* A due slot the host did not enqueue, recorded in the step's transaction: the job's active run held it (overlap),
 * or the host refused it (invalid-params: retrying would be refused again, so nextrunat moves on all the same).
 * Returns `res`, or ENQUEUE_ERROR when the ledger write failed. */
static enum enqueue_result record_unenqueued(const struct tick *t, const char *jobkey, const struct plan *p,
                                             struct tail *tail, time_t slot, enum enqueue_result res, const char *why)
{
    enum missed_reason reason = res == ENQUEUE_CONFLICT ? MISSED_OVERLAP : MISSED_INVALID_PARAMS;
    if (res == ENQUEUE_CONFLICT)
        count(t->env, "comicbatch_schedule_overlaps_total", jobkey, NULL, NULL, 1);
    return record_range(t, jobkey, p, tail, reason, slot, slot, why) ? ENQUEUE_ERROR : res;
}

/* Moves nextrunat from the row's slot to `d->next` (compare-and-set), records what it skips and enqueues, in one
 * transaction. Returns 1 enqueued, 0 not, -1 error. */
static int apply_decision(const struct tick *t, const struct sched_job *job, const struct sched_row *row,
                          const struct plan *p, const struct sched_decision *d, enum misfire_policy pol)
{
    PGconn *db = t->db;
    struct tail tail;
    if (begin_write(t))
        return -1;
    int moved = schedstore_advance(db, job->key, row->nextrunat, d->next > 0 ? d->next : 0);
    if (moved != 1) {
        pg_cmd(db, "ROLLBACK");
        return moved < 0 ? -1 : 0;
    }
    if (tail_read(t, job->key, &tail) || (d->misfired && record_misfire(t, job->key, p, &tail, row->nextrunat,
                                                                        d->enqueue ? d->slot - 1 : t->now, pol))) {
        pg_cmd(db, "ROLLBACK");
        return -1;
    }
    char why[512] = "";
    enum enqueue_result res = ENQUEUE_OK;
    if (d->enqueue)
        res = t->env->host->enqueue(t->env->host->arg, db, job->key, d->slot, row->params, why, sizeof why);
    if (res == ENQUEUE_CONFLICT || res == ENQUEUE_REFUSED)
        res = record_unenqueued(t, job->key, p, &tail, d->slot, res, why);
    if (res == ENQUEUE_ERROR) {
        pg_cmd(db, "ROLLBACK");
        log_failure(t, job->key, d->slot, why);
        return -1;
    }
    if (pg_cmd(db, "COMMIT"))
        return -1;
    forget_failure(t, job->key);
    return d->enqueue && res == ENQUEUE_OK;
}

static void note_misfire(const struct sched_env *env, const char *jobkey, time_t slot, enum misfire_policy pol)
{
    char t[32];
    count(env, "comicbatch_schedule_misfires_total", jobkey, "policy", pol == MISFIRE_ONCE ? "once" : "skip", 1);
    log_warn("msg=\"missed scheduled slot\" job=%s slot=%s policy=%s", jobkey, time_format_iso(slot, t, sizeof t),
             pol == MISFIRE_ONCE ? "once (one catch-up run)" : "skip");
}

/* Why `jobkey` may not run now (paused or unavailable), with a sentence. False when it may. */
static bool blocked(const struct tick *t, const char *jobkey, enum missed_reason *why, char *detail, size_t len)
{
    const struct pause_row *pz = pause_covering(t->pauses, t->npauses, jobkey);
    if (pz) {
        char until[32];
        snprintf(detail, len, "%s paused until %s by %s%s%s", strcmp(pz->scope, PAUSE_ALL) ? "job" : "scheduling",
                 time_format_iso(pz->until, until, sizeof until), pz->createdby, pz->reason[0] ? ": " : "", pz->reason);
        *why = MISSED_PAUSED;
        return true;
    }
    const struct sched_host *h = t->env->host;
    detail[0] = '\0';
    if (h->available && !h->available(h->arg, jobkey, detail, len)) {
        *why = MISSED_UNAVAILABLE;
        return true;
    }
    return false;
}

/* The stored slot is due but the expression cannot be used: record that slot once (nextrunat stays on it). */
static int record_invalid(const struct tick *t, const char *jobkey, const struct sched_row *row, const char *err)
{
    struct tail tail;
    if (tail_read(t, jobkey, &tail))
        return -1;
    if (tail.has && tail.row.lastslot >= row->nextrunat)
        return 0;
    char detail[400];
    int64_t id;
    snprintf(detail, sizeof detail, "the schedule cannot be used: %s", err);
    int rc = slotledger_insert(t->db, jobkey, slots_reason_name(MISSED_INVALID), row->nextrunat, row->nextrunat, 1,
                               detail, &id);
    if (rc == 1) {
        count(t->env, "comicbatch_schedule_missed_total", jobkey, "reason", slots_reason_name(MISSED_INVALID), 1);
        log_error("msg=\"scheduled slot missed: the stored cron cannot be used\" job=%s error=\"%s\"", jobkey, err);
    }
    return rc < 0 ? -1 : 0;
}

/* An enabled job whose stored slot is due at `t->now`. */
static int tick_due(const struct tick *t, const struct sched_job *job, const struct sched_row *row, const char *expr)
{
    struct plan p;
    if (plan_open(expr, &p))
        return begin_write(t) ? -1 : end_write(t, record_invalid(t, job->key, row, p.err));
    enum missed_reason why;
    char detail[400];
    int rc;
    if (blocked(t, job->key, &why, detail, sizeof detail)) {
        struct tail tail;
        if (begin_write(t))
            rc = -1;
        else
            rc = end_write(t, tail_read(t, job->key, &tail)
                                  ? -1
                                  : record_range(t, job->key, &p, &tail, why, row->nextrunat, t->now, detail));
    } else {
        enum misfire_policy pol = effective_misfire(job, row);
        struct sched_decision d;
        sched_decide(&p.s, p.zone, row->nextrunat, t->now, t->env->cfg->misfire_grace_seconds, pol, &d);
        if (d.misfired)
            note_misfire(t->env, job->key, row->nextrunat, pol);
        rc = apply_decision(t, job, row, &p, &d, pol);
    }
    plan_close(&p);
    return rc;
}

/* Moves disablednext past `t->now` and records the passed slots, in one transaction. */
static int disabled_in_tx(const struct tick *t, const char *jobkey, const struct sched_row *row, const struct plan *p)
{
    char detail[200];
    snprintf(detail, sizeof detail, "the job is disabled%s%s%s", row->updatedby[0] ? " (by " : "", row->updatedby,
             row->updatedby[0] ? ")" : "");
    time_t next = cron_next_tz(&p->s, p->zone, t->now);
    struct tail tail;
    int moved = schedstore_advance_disabled(t->db, jobkey, row->disablednext, next > 0 ? next : 0);
    if (moved != 1)
        return moved;
    return tail_read(t, jobkey, &tail) ||
                   record_range(t, jobkey, p, &tail, MISSED_DISABLED, row->disablednext, t->now, detail)
               ? -1
               : 1;
}

/* A job an operator disabled: its would-be slots that passed are recorded as `disabled`. */
static int tick_disabled(const struct tick *t, const char *jobkey, const struct sched_row *row, const char *expr)
{
    struct plan p;
    if (!row->disablednext || row->disablednext > t->now)
        return 0;
    if (plan_open(expr, &p))
        return 0; /* an expression that cannot be used is reported once the job is enabled again */
    int rc = begin_write(t) ? -1 : disabled_in_tx(t, jobkey, row, &p);
    if (rc == 1)
        rc = pg_cmd(t->db, "COMMIT");
    else
        pg_cmd(t->db, "ROLLBACK");
    plan_close(&p);
    return rc;
}

/* First sight of an enabled job (or enabled again without a slot): schedule from now. An expression that cannot be
 * used gets the current minute as its slot, so the next tick records it as missed instead of never firing. */
static int tick_first(const struct tick *t, const char *jobkey, const char *expr)
{
    struct plan p;
    time_t first = plan_open(expr, &p) ? t->now - t->now % 60 : cron_next_tz(&p.s, p.zone, t->now);
    plan_close(&p);
    if (first <= 0) /* never fires again: leave nextrunat NULL rather than store 1969 */
        return 0;
    return begin_write(t) ? -1 : end_write(t, schedstore_set_first(t->db, jobkey, first));
}

static int tick_job(const struct tick *t, const struct sched_job *job, const struct sched_row *row)
{
    const char *expr = row->has_cron ? row->cron : job->cron;
    if (!row->isenabled)
        return tick_disabled(t, job->key, row, expr);
    if (!row->nextrunat)
        return tick_first(t, job->key, expr);
    if (row->nextrunat > t->now)
        return 0;
    return tick_due(t, job, row, expr);
}

int sched_tick(PGconn *db, time_t now, const struct sched_env *env)
{
    struct sched_row *rows;
    int n = schedstore_list(db, false, &rows);
    if (n < 0)
        return -1;
    struct pause_row *pauses = NULL;
    struct tick t = {.db = db, .env = env, .now = now};
    t.npauses = pausestore_active(db, now, &pauses);
    t.pauses = pauses;
    if (t.npauses < 0) { /* without knowing the pauses, enqueue nothing this tick */
        free(rows);
        return -1;
    }
    int enqueued = 0;
    for (int i = 0; i < n; i++) {
        struct sched_job job;
        if (!env->host->job(env->host->arg, rows[i].jobkey, &job))
            continue;
        int got = tick_job(&t, &job, &rows[i]);
        enqueued += got > 0 ? got : 0;
    }
    free(pauses);
    free(rows);
    return enqueued;
}

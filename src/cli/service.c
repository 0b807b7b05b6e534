/*
 * service — see service.h. The loop waits for a signal with a timeout (sigtimedwait): a timeout is a tick (watchdog
 * ping, STATUS= refresh), SIGHUP a reload, anything else the end. The tick is half the watchdog interval, so one
 * late tick never trips it. WATCHDOG=1 vouches for more than this loop: it is sent only while no HTTP event-loop
 * thread has sat in one callback, and no handler pool has gone without moving, for longer than
 * service_stuck_bound_ms; so a hung event loop or a wedged pool gets the service restarted.
 */
#include "cli/service.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cli/settings.h"
#include "config_reload.h"
#include "http/server.h"
#include "jobs/registry.h"
#include "runs/reschedule.h"
#include "runs/worker.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/sdnotify.h"
#include "util/timefmt.h"

#define MAX_CONFIG_CRONS 16 /* jobs whose default cron comes from settings */

const char *service_status_text(char *buf, size_t len, int leading, int workers, int running)
{
    snprintf(buf, len, "%s, %d worker%s, %d running",
             leading < 0 ? "scheduler off"
             : leading   ? "leader"
                         : "follower",
             workers, workers == 1 ? "" : "s", running);
    return buf;
}

static const char *status_now(struct app *a, char *buf, size_t len)
{
    int leading = a->cfg.scheduler_enabled ? atomic_load(&a->metrics.is_leader) : -1;
    return service_status_text(buf, len, leading, a->cfg.workers,
                               a->run.workers ? worker_pool_active_count(a->run.workers) : 0);
}

/* The default crons that come from settings, copied (a reload may replace the strings). */
struct cron_snapshot {
    const struct job_def *job[MAX_CONFIG_CRONS];
    char cron[MAX_CONFIG_CRONS][128];
    int n;
};

static void snapshot_crons(const struct config *cfg, struct cron_snapshot *s)
{
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    s->n = 0;
    for (size_t i = 0; i < n && s->n < MAX_CONFIG_CRONS; i++)
        if (jobs[i]->config_cron) {
            s->job[s->n] = jobs[i];
            snprintf(s->cron[s->n++], sizeof s->cron[0], "%s", registry_default_cron(cfg, jobs[i]));
        }
}

/* Moves the stored next slot of every job whose settings cron changed; appends their keys to `moved`. */
static void reschedule_changed(struct app *a, const struct cron_snapshot *before, char *moved, size_t len)
{
    PGconn *db = NULL;
    for (int i = 0; i < before->n; i++) {
        const char *now_cron = registry_default_cron(&a->cfg, before->job[i]);
        if (!strcmp(now_cron, before->cron[i]))
            continue;
        if (!db && !(db = pgpool_acquire(a->api.pool, 5000))) {
            log_error("msg=\"reload: cannot reschedule, the database is unavailable\" job=%s", before->job[i]->key);
            return;
        }
        if (reschedule_default_cron(db, before->job[i]->key, now_cron, (time_t)(time_now_ms() / 1000)) > 0) {
            size_t n = strlen(moved);
            snprintf(moved + n, len - n, "%s%s", n ? "," : "", before->job[i]->key);
        }
    }
    if (db)
        pgpool_release(a->api.pool, db);
}

int service_reload(struct app *a, const char *config_path)
{
    struct config next;
    char err[1024];
    if (cli_settings_load(&next, config_path, true, true, err, sizeof err)) {
        log_error("msg=\"reload failed: the configuration did not load; nothing changed\" error=\"%s\"", err);
        config_finish(&next);
        return -1;
    }
    struct cron_snapshot crons;
    snapshot_crons(&a->cfg, &crons);
    struct config_reload_report rep;
    config_reload(&a->cfg, &next, &rep);
    config_finish(&next);
    log_set_level((enum log_level)a->cfg.log_level);
    log_set_format((enum log_format)a->cfg.log_format);
    char moved[512] = "";
    reschedule_changed(a, &crons, moved, sizeof moved);
    log_write(rep.nrestart ? LOG_WARN : LOG_INFO,
              "msg=\"configuration reloaded\" file=\"%s\" applied=\"%s\" rescheduled=\"%s\" "
              "not_applied_restart_needed=\"%s\"",
              config_path ? config_path : "(none: environment only)", rep.applied, moved, rep.restart);
    return 0;
}

static int64_t tick_ms(const struct sdnotify *n)
{
    int64_t half = (int64_t)(n->watchdog_usec / 2000);
    return n->watchdog_usec && half < SERVICE_TICK_MS ? (half > 10 ? half : 10) : SERVICE_TICK_MS;
}

int64_t service_stuck_bound_ms(uint64_t watchdog_usec)
{
    int64_t half = (int64_t)(watchdog_usec / 2000);
    return half > SERVICE_STUCK_MIN_MS ? half : SERVICE_STUCK_MIN_MS;
}

/*
 * Whether an HTTP part is stuck past its bound; names it in `what`, with how long in `*ms`. A handler may hold its
 * pool thread for a whole upstream fetch (cover_timeout) legitimately, so the pool gets that much more.
 */
static bool stuck_part(struct app *a, int64_t bound, char *what, size_t len, int64_t *ms)
{
    struct http_server *s[] = {a->http, a->http_public};
    int64_t now = time_mono_ms(), pool_bound = bound + a->cfg.cover_timeout_ms;
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        struct http_stuck st;
        if (!s[i])
            continue;
        http_server_stuck(s[i], now, &st);
        if (st.loop_ms > bound || st.pool_ms > pool_bound) {
            bool loop = st.loop_ms > bound;
            *ms = loop ? st.loop_ms : st.pool_ms;
            snprintf(what, len, "%s", loop ? st.loop : st.pool);
            return true;
        }
    }
    return false;
}

/* WATCHDOG=1 only while no HTTP part is stuck past the bound; logs once when that changes. */
static void feed_watchdog(struct app *a, const struct sdnotify *n, bool *starving)
{
    if (!n->watchdog_usec)
        return;
    char what[96] = "";
    int64_t ms = 0;
    if (stuck_part(a, service_stuck_bound_ms(n->watchdog_usec), what, sizeof what, &ms)) {
        if (!*starving)
            log_error("msg=\"watchdog: not pinging, a part is stuck (the service manager will restart the "
                      "service)\" %s stuck_ms=%lld",
                      what, (long long)ms);
        *starving = true;
        return;
    }
    if (*starving)
        log_warn("msg=\"watchdog: every part moves again, pinging\"");
    *starving = false;
    sdnotify_watchdog(n);
}

int service_run(struct app *a, const sigset_t *sigs, const char *config_path)
{
    bool starving = false;
    struct sdnotify n;
    char status[128], last[128];
    sdnotify_init(&n);
    sdnotify_ready(&n, status_now(a, last, sizeof last));
    int64_t ms = tick_ms(&n);
    for (;;) {
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig == SIGHUP) {
            sdnotify_reloading(&n);
            service_reload(a, config_path);
            sdnotify_ready(&n, status_now(a, last, sizeof last));
        } else if (sig > 0) {
            sdnotify_stopping(&n);
            return sig;
        } else if (errno != EAGAIN && errno != EINTR) {
            log_error("msg=\"sigtimedwait failed\" error=\"%s\"", strerror(errno));
        }
        feed_watchdog(a, &n, &starving);
        if (strcmp(status_now(a, status, sizeof status), last)) {
            sdnotify_status(&n, status);
            memcpy(last, status, sizeof last);
        }
    }
}

/* listener — see listener.h. */
#include "runs/listener.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "jobs/job_ctx.h"
#include "runs/runs_env.h"
#include "runs/worker.h"
#include "sched/leader.h"
#include "store/instances.h"
#include "store/pg.h"
#include "util/backoff.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "version.h"

#define MAX_SUBS 16
#define PING_EVERY_MS 5000

struct subscription {
    char channel[64];
    listener_fn fn;
    void *arg;
};

struct listener {
    struct runs_env *env;
    PGconn *db;             /* session connection (config_session_url): LISTEN and the instance lock */
    struct backoff backoff; /* between reconnect attempts */
    int64_t lost_at_ms;     /* monotonic, when the connection was found lost (0: connected) */
    pthread_t thread;
    bool started;
    atomic_bool stopping;
    int pipe[2]; /* written to stop the poll */
    struct subscription subs[MAX_SUBS];
    int nsubs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t run_seq;
};

static int listen_all(struct listener *l)
{
    for (int i = 0; i < l->nsubs; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "LISTEN %s", l->subs[i].channel);
        if (pg_cmd(l->db, sql))
            return -1;
    }
    return 0;
}

static void describe_instance(struct listener *l, struct instance_info *info, char *host, size_t hostlen)
{
    snprintf(host, hostlen, "localhost");
    gethostname(host, hostlen - 1);
    *info = (struct instance_info){
        .name = l->env->instance, .hostname = host, .pid = (int)getpid(), .version = COMICBATCH_VERSION};
}

static int register_instance(struct listener *l, char *err, size_t errlen)
{
    char host[128];
    struct instance_info info;
    describe_instance(l, &info, host, sizeof host);
    int no = instances_register(l->db, &info);
    if (no < 0) {
        char line[512]; /* the migrations were checked before (app_start): no guess about them here */
        snprintf(err, errlen, "cannot register this instance in system.batchinstance: %s",
                 pg_one_line(PQerrorMessage(l->db), line, sizeof line));
        return -1;
    }
    l->env->instance_no = no;
    return instances_lock(l->db, no);
}

static void on_queue(const char *ch, const char *payload, void *arg)
{
    struct runs_env *env = ((struct listener *)arg)->env;
    if (env->workers)
        worker_pool_wake(env->workers);
}

static void on_cancel(const char *ch, const char *payload, void *arg)
{
    struct runs_env *env = ((struct listener *)arg)->env;
    if (env->workers)
        worker_pool_cancel(env->workers, payload, CANCEL_REQUESTED);
}

static void on_schedule(const char *ch, const char *payload, void *arg)
{
    struct runs_env *env = ((struct listener *)arg)->env;
    if (env->leader)
        leader_wake(env->leader);
}

static void on_run(const char *ch, const char *payload, void *arg)
{
    struct listener *l = arg;
    pthread_mutex_lock(&l->mu);
    l->run_seq++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

int listener_check_session(PGconn *db, const struct config *cfg, char *err, size_t errlen)
{
    int64_t pid = 0;
    int shared = pg_session_shared(db, config_session_url(cfg), &pid, err, errlen);
    if (shared == 1)
        snprintf(err, errlen,
                 "%s is pooled per transaction (PgBouncer's transaction mode?): two of its connections ran on one "
                 "PostgreSQL session (backend pid %lld). LISTEN and the leader's and the instance's advisory locks "
                 "need sessions of their own: set [database] direct_url (COMICBATCH_DATABASE_DIRECT_URL) to "
                 "PostgreSQL itself, or to a pool in session mode",
                 cfg->database_direct_url && *cfg->database_direct_url ? "[database] direct_url" : "[database] url",
                 (long long)pid);
    return shared ? -1 : 0;
}

struct listener *listener_create(struct runs_env *env, char *err, size_t errlen)
{
    struct listener *l = xcalloc(1, sizeof *l);
    l->env = env;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pipe(l->pipe)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(l);
        return NULL;
    }
    backoff_init(&l->backoff, 100, 2000, (uint32_t)time_now_ms() ^ (uint32_t)getpid() * 2654435761u);
    l->db = pg_connect(config_session_url(env->cfg), "comicbatch-listener", err, errlen);
    if (!l->db || listener_check_session(l->db, env->cfg, err, errlen) || register_instance(l, err, errlen)) {
        listener_destroy(l);
        return NULL;
    }
    listener_subscribe(l, "comicbatch_queue", on_queue, l);
    listener_subscribe(l, "comicbatch_cancel", on_cancel, l);
    listener_subscribe(l, "comicbatch_schedule", on_schedule, l);
    listener_subscribe(l, "comicbatch_run", on_run, l);
    return l;
}

int listener_subscribe(struct listener *l, const char *channel, listener_fn fn, void *arg)
{
    if (l->nsubs == MAX_SUBS || l->started)
        return -1;
    struct subscription *s = &l->subs[l->nsubs++];
    snprintf(s->channel, sizeof s->channel, "%s", channel);
    s->fn = fn;
    s->arg = arg;
    return 0;
}

static void dispatch_notifies(struct listener *l)
{
    PGnotify *n;
    while ((n = PQnotifies(l->db)) != NULL) {
        for (int i = 0; i < l->nsubs; i++)
            if (!strcmp(l->subs[i].channel, n->relname))
                l->subs[i].fn(n->relname, n->extra, l->subs[i].arg);
        PQfreemem(n);
    }
}

/*
 * After a lost connection (database restart, failover, a read-only node): reconnect (the URL's host list finds the
 * primary), register this instance again under its number and take its lock again (store/instances.h), LISTEN on
 * every channel, then assume every notification sent meanwhile is gone: wake the workers (they re-read the queue),
 * the leader and the run-event waiters. Returns 0 when connected again.
 */
static int reconnect(struct listener *l)
{
    PQfinish(l->db);
    char err[512], host[128];
    struct instance_info info;
    describe_instance(l, &info, host, sizeof host);
    l->db = pg_connect(config_session_url(l->env->cfg), "comicbatch-listener", err, sizeof err);
    if (!l->db || instances_reregister(l->db, l->env->instance_no, &info) ||
        instances_lock(l->db, l->env->instance_no) || listen_all(l)) {
        log_debug("msg=\"listener reconnect failed; retrying with backoff\" error=\"%s\"",
                  l->db ? PQerrorMessage(l->db) : err);
        PQfinish(l->db);
        l->db = NULL;
        return -1;
    }
    log_info("msg=\"listener reconnected: instance registered and locked again, channels listened again, queue "
             "re-read\" instance_no=%d down_ms=%lld",
             l->env->instance_no, (long long)(time_mono_ms() - l->lost_at_ms));
    l->lost_at_ms = 0;
    backoff_reset(&l->backoff);
    on_queue(NULL, NULL, l);
    on_schedule(NULL, NULL, l);
    on_run(NULL, NULL, l);
    return 0;
}

/*
 * An idle listener hears nothing from a node that went read-only or from a peer that vanished without closing the
 * socket: every PING_EVERY_MS of silence it asks something, which brings the server's latest parameter reports
 * (pg_usable) or the error that marks the connection lost. Notifications that arrive meanwhile are kept by libpq.
 */
static void ping(struct listener *l)
{
    PGresult *r = PQexec(l->db, "SELECT 1");
    PQclear(r);
}

/* Waits up to `ms` for the stop pipe. */
static void wait_stop(struct listener *l, int ms)
{
    struct pollfd fd = {.fd = l->pipe[0], .events = POLLIN};
    poll(&fd, 1, ms);
}

static void *listener_main(void *arg)
{
    struct listener *l = arg;
    while (!atomic_load(&l->stopping)) {
        if (!pg_usable(l->db)) {
            if (!l->lost_at_ms) {
                log_warn("msg=\"listener connection lost; reconnecting\" error=\"%s\"",
                         l->db ? PQerrorMessage(l->db) : "");
                l->lost_at_ms = time_mono_ms();
            }
            if (reconnect(l)) {
                wait_stop(l, backoff_next(&l->backoff));
                continue;
            }
        }
        struct pollfd fds[2] = {{.fd = PQsocket(l->db), .events = POLLIN}, {.fd = l->pipe[0], .events = POLLIN}};
        int rc = poll(fds, 2, PING_EVERY_MS);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc == 0)
            ping(l);
        else if (fds[0].revents && !PQconsumeInput(l->db))
            continue; /* lost: the top of the loop reconnects */
        dispatch_notifies(l);
    }
    return NULL;
}

int listener_start(struct listener *l, char *err, size_t errlen)
{
    if (listen_all(l)) {
        snprintf(err, errlen, "LISTEN failed: %s", PQerrorMessage(l->db));
        return -1;
    }
    if (pthread_create(&l->thread, NULL, listener_main, l)) {
        snprintf(err, errlen, "cannot start the listener thread");
        return -1;
    }
    l->started = true;
    return 0;
}

uint64_t listener_run_seq(struct listener *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t s = l->run_seq;
    pthread_mutex_unlock(&l->mu);
    return s;
}

uint64_t listener_wait_run_event(struct listener *l, uint64_t seen, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)timeout_ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&l->mu);
    while (l->run_seq == seen)
        if (pthread_cond_timedwait(&l->cv, &l->mu, &until))
            break;
    uint64_t s = l->run_seq;
    pthread_mutex_unlock(&l->mu);
    return s;
}

void listener_destroy(struct listener *l)
{
    if (!l)
        return;
    atomic_store(&l->stopping, true);
    if (l->started) {
        ssize_t w = write(l->pipe[1], "x", 1);
        (void)w;
        pthread_join(l->thread, NULL);
    }
    PQfinish(l->db);
    close(l->pipe[0]);
    close(l->pipe[1]);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

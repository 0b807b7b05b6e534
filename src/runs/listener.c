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

#include "app.h"
#include "jobs/job_ctx.h"
#include "runs/worker.h"
#include "sched/leader.h"
#include "store/instances.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "version.h"
#include "util/xalloc.h"

#define MAX_SUBS 16

struct subscription {
    char channel[64];
    listener_fn fn;
    void *arg;
};

struct listener {
    struct app *app;
    PGconn *db;
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

static int register_instance(struct listener *l, char *err, size_t errlen)
{
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    struct instance_info info = {.name = l->app->instance, .hostname = host, .pid = (int)getpid(),
                                 .version = COMICBATCH_VERSION};
    int no = instances_register(l->db, &info);
    if (no < 0) {
        snprintf(err, errlen, "cannot register this instance: %s (did `comicbatch migrate` run?)",
                 PQerrorMessage(l->db));
        return -1;
    }
    l->app->instance_no = no;
    return instances_lock(l->db, no);
}

static void on_queue(const char *ch, const char *payload, void *arg)
{
    struct app *app = ((struct listener *)arg)->app;
    if (app->workers)
        worker_pool_wake(app->workers);
}

static void on_cancel(const char *ch, const char *payload, void *arg)
{
    struct app *app = ((struct listener *)arg)->app;
    if (app->workers)
        worker_pool_cancel(app->workers, payload, CANCEL_REQUESTED);
}

static void on_schedule(const char *ch, const char *payload, void *arg)
{
    struct app *app = ((struct listener *)arg)->app;
    if (app->leader)
        leader_wake(app->leader);
}

static void on_run(const char *ch, const char *payload, void *arg)
{
    struct listener *l = arg;
    pthread_mutex_lock(&l->mu);
    l->run_seq++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

struct listener *listener_create(struct app *app, char *err, size_t errlen)
{
    struct listener *l = xcalloc(1, sizeof *l);
    l->app = app;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pipe(l->pipe)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(l);
        return NULL;
    }
    l->db = pg_connect(app->cfg.database_url, "comicbatch-listener", err, errlen);
    if (!l->db || register_instance(l, err, errlen)) {
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

/* After a lost connection: reconnect, re-take the instance lock, re-LISTEN, and assume we missed events. */
static void reconnect(struct listener *l)
{
    PQfinish(l->db);
    char err[512];
    l->db = pg_connect(l->app->cfg.database_url, "comicbatch-listener", err, sizeof err);
    if (!l->db || instances_lock(l->db, l->app->instance_no) || listen_all(l)) {
        log_error("msg=\"listener reconnect failed\" error=\"%s\"", l->db ? PQerrorMessage(l->db) : err);
        return;
    }
    log_info("msg=\"listener reconnected\"");
    on_queue(NULL, NULL, l);
    on_schedule(NULL, NULL, l);
    on_run(NULL, NULL, l);
}

static void *listener_main(void *arg)
{
    struct listener *l = arg;
    while (!atomic_load(&l->stopping)) {
        if (!l->db || PQstatus(l->db) != CONNECTION_OK) {
            reconnect(l);
            if (!l->db || PQstatus(l->db) != CONNECTION_OK) {
                time_sleep_ms(1000);
                continue;
            }
        }
        struct pollfd fds[2] = {{.fd = PQsocket(l->db), .events = POLLIN}, {.fd = l->pipe[0], .events = POLLIN}};
        int rc = poll(fds, 2, 5000);
        if (rc < 0 && errno != EINTR)
            break;
        if (fds[0].revents && !PQconsumeInput(l->db)) {
            log_warn("msg=\"listener connection lost\" error=\"%s\"", PQerrorMessage(l->db));
            continue;
        }
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

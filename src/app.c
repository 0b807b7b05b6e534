/* app — see app.h. */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/routes.h"
#include "contract/availability.h"
#include "covers/covers.h"
#include "http/server.h"
#include "jobs/analytics_flush.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/crawler_events.h"
#include "runs/hasnew_events.h"
#include "runs/listener.h"
#include "runs/scheduling.h"
#include "runs/webhook.h"
#include "runs/worker.h"
#include "sched/leader.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/uuid7.h"

void app_init(struct app *a, struct config *cfg)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    metrics_init(&a->metrics);
    char host[64] = "localhost", id[UUID7_STRLEN + 1];
    gethostname(host, sizeof host - 1);
    uuid7_new_string(id);
    snprintf(a->instance, sizeof a->instance, "%.30s:%d:%.4s", host, (int)getpid(), id + 32);
    a->run = (struct runs_env){.cfg = &a->cfg, .metrics = &a->metrics, .instance = a->instance};
    a->api = (struct api_env){.cfg = &a->cfg, .instance = a->instance, .metrics = &a->metrics, .run = &a->run};
}

static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%d\n", port) >= 0;
    ok = f && !fclose(f) && ok && !rename(tmp, path);
    if (!ok) {
        snprintf(err, errlen, "server.port_file: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int event_threads(const struct config *c)
{
    long n = c->event_threads > 0 ? c->event_threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* One listener's settings; the public one differs in name, surface, address and handler pool. */
static struct http_server_opts listener_opts(struct app *a, bool split, int max_connections)
{
    size_t nroutes;
    const struct route *routes = api_routes(&nroutes);
    const struct config *c = &a->cfg;
    return (struct http_server_opts){.name = split ? "private" : "http",
                                     .surface = split ? HTTP_SERVE_PRIVATE : HTTP_SERVE_ALL,
                                     .setting = "server.listen",
                                     .listen_host = c->listen_host,
                                     .listen_port = c->listen_port,
                                     .listen_text = c->listen,
                                     .max_body = c->max_body_bytes,
                                     .event_threads = event_threads(c),
                                     .handler_threads = c->handler_threads,
                                     .handler_queue = c->handler_queue,
                                     .max_connections = max_connections,
                                     .max_per_client = c->max_connections_per_client,
                                     .head_timeout_ms = c->head_timeout_ms,
                                     .keepalive_timeout_ms = c->keepalive_timeout_ms,
                                     .routes = routes,
                                     .nroutes = nroutes,
                                     .auth = {.admin_token = c->admin_token, .pool = a->api.pool},
                                     .metrics = &a->metrics,
                                     .sse = events_feed_hub(a->api.events),
                                     .env = &a->api};
}

/* The listeners: one for everything, or the private surfaces on `listen` and the cover routes on `public_listen`. */
static int start_http(struct app *a, char *err, size_t errlen)
{
    const struct config *c = &a->cfg;
    bool split = c->public_listen && *c->public_listen;
    long fds = http_raise_fd_limit();
    int maxconn = http_connection_budget(c->max_connections, fds, split ? 2 : 1);
    log_info("msg=\"open-file limit\" nofile=%ld max_connections=%d listeners=%d", fds, maxconn, split ? 2 : 1);
    if (maxconn < c->max_connections)
        log_warn("msg=\"server.max_connections lowered to fit the open-file limit (raise LimitNOFILE)\" wanted=%d",
                 c->max_connections);
    struct http_server_opts ho = listener_opts(a, split, maxconn);
    if (!(a->http = http_server_create(&ho, err, errlen)) ||
        (c->port_file && *c->port_file && write_port_file(c->port_file, http_server_port(a->http), err, errlen)))
        return -1;
    if (!split)
        return 0;
    ho.name = "public";
    ho.surface = HTTP_SERVE_PUBLIC;
    ho.setting = "server.public_listen";
    ho.listen_host = c->public_listen_host;
    ho.listen_port = c->public_listen_port;
    ho.listen_text = c->public_listen;
    ho.handler_threads = c->public_handler_threads;
    ho.handler_queue = c->public_handler_queue;
    ho.sse = NULL;
    if (!(a->http_public = http_server_create(&ho, err, errlen)))
        return -1;
    if (c->public_port_file && *c->public_port_file)
        return write_port_file(c->public_port_file, http_server_port(a->http_public), err, errlen);
    return 0;
}

int app_check_migrations(const struct config *c, char *err, size_t errlen)
{
    PGconn *db = pg_connect(c->database_url, "comicbatch-start", err, errlen);
    int rc = db ? migrate_check_current(db, err, errlen) : -1;
    PQfinish(db);
    return rc;
}

/* What only takes work once the host parts are up: the leader, the hasnew event thread, the workers, LISTEN. */
static int start_work(struct app *a, char *err, size_t errlen)
{
    scheduling_host_init(&a->sched_host, &a->run);
    struct leader_opts lo = {.cfg = &a->cfg,
                             .metrics = &a->metrics,
                             .instance = a->instance,
                             .instance_no = a->run.instance_no,
                             .host = &a->sched_host};
    if (a->cfg.scheduler_enabled && !(a->run.leader = leader_create(&lo, err, errlen)))
        return -1;
    if (a->cfg.hasnew_events &&
        (!(a->hasnew_events = hasnew_events_create(&a->cfg, &a->metrics)) ||
         listener_subscribe(a->api.listener, HASNEW_EVENTS_CHANNEL, hasnew_events_on_notify, a->hasnew_events))) {
        snprintf(err, errlen, "cannot start the hasnew event thread or subscribe it to %s", HASNEW_EVENTS_CHANNEL);
        return -1;
    }
    if (!(a->run.workers = worker_pool_create(&a->run, a->cfg.workers, err, errlen)))
        return -1;
    return listener_start(a->api.listener, err, errlen);
}

int app_start(struct app *a, char *err, size_t errlen)
{
    if (app_check_migrations(&a->cfg, err, errlen))
        return -1;
    a->api.pool = pgpool_create(a->cfg.database_url, a->cfg.db_pool_size);
    /* Every job's schema contract, checked before anything schedules or runs one (unavailable jobs are logged). */
    a->run.availability = availability_create(a->cfg.database_url, registry_contract_jobs(), &a->cfg);
    char cerr[512];
    if (availability_refresh(a->run.availability, cerr, sizeof cerr))
        log_warn("msg=\"cannot check the jobs schema contracts at start\" error=\"%s\"", cerr);
    if (!(a->api.listener = listener_create(&a->run, err, errlen)))
        goto fail;
    analytics_flush_recover_at_start(&a->cfg);
    if (!(a->crawler_events = crawler_events_create(&a->cfg, &a->metrics)) ||
        listener_subscribe(a->api.listener, CRAWLER_EVENTS_CHANNEL, crawler_events_on_notify, a->crawler_events)) {
        snprintf(err, errlen, "cannot start the crawler event thread or subscribe it to %s", CRAWLER_EVENTS_CHANNEL);
        goto fail;
    }
    if (alerts_start(&a->run)) { /* before anything that raises alerts: the workers, the leader */
        snprintf(err, errlen, "cannot start the alert webhook thread");
        goto fail;
    }
    if (!(a->api.events = events_feed_create(&a->api)) ||
        listener_subscribe(a->api.listener, "comicbatch_run", events_feed_on_run, a->api.events)) {
        snprintf(err, errlen, "cannot start the event-stream feed thread or subscribe it to comicbatch_run");
        goto fail;
    }
    /* What can fail on the host (the addresses, the port files, the cover cache) before this instance leads or
     * claims a run: a start that fails must not take work from the instances that run (and fail it on the way out). */
    if (!(a->api.covers = covers_create(&a->cfg, &a->metrics, err, errlen)) || start_http(a, err, errlen) ||
        start_work(a, err, errlen))
        goto fail;
    log_info("msg=\"serving\" url=http://%s:%d/ admin=http://%s:%d/admin/ instance=%s workers=%d", a->cfg.listen_host,
             http_server_port(a->http), a->cfg.listen_host, http_server_port(a->http), a->instance, a->cfg.workers);
    if (a->http_public)
        log_info("msg=\"serving covers\" url=http://%s:%d/api/v1/covers/", a->cfg.public_listen_host,
                 http_server_port(a->http_public));
    return 0;
fail:
    app_stop(a);
    return -1;
}

void app_stop(struct app *a)
{
    atomic_store(&a->stopping, true);
    http_server_destroy(a->http_public);
    a->http_public = NULL;
    http_server_destroy(a->http); /* ends the event streams too */
    a->http = NULL;
    covers_destroy(a->api.covers);
    a->api.covers = NULL;
    leader_destroy(a->run.leader);
    a->run.leader = NULL;
    worker_pool_destroy(a->run.workers);
    a->run.workers = NULL;
    alerts_stop(&a->run, WEBHOOK_STOP_DRAIN_MS); /* after the leader and the workers, which raise alerts; bounded */
    listener_destroy(a->api.listener);
    a->api.listener = NULL;
    hasnew_events_destroy(a->hasnew_events); /* after the listener: its callback signals it */
    a->hasnew_events = NULL;
    events_feed_destroy(a->api.events); /* after the listener (its callback wakes it) and the servers (its streams) */
    a->api.events = NULL;
    crawler_events_destroy(a->crawler_events); /* after the listener: its callback queues into it */
    a->crawler_events = NULL;
    pgpool_destroy(a->api.pool);
    availability_destroy(a->run.availability); /* after everything that asks it (HTTP, leader) */
    a->run.availability = NULL;
    a->api.pool = NULL;
}

void app_finish(struct app *a)
{
    config_finish(&a->cfg);
    metrics_finish(&a->metrics);
}

/* app — see app.h. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/routes.h"
#include "covers/covers.h"
#include "http/server.h"
#include "jobs/analytics_flush.h"
#include "runs/crawler_events.h"
#include "runs/hasnew_events.h"
#include "runs/scheduling.h"
#include "sched/leader.h"
#include "runs/listener.h"
#include "runs/worker.h"
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
}

static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) || rename(tmp, path)) {
        snprintf(err, errlen, "server.port_file: cannot write %s", path);
        return -1;
    }
    return 0;
}

int app_start(struct app *a, char *err, size_t errlen)
{
    a->pool = pgpool_create(a->cfg.database_url, a->cfg.db_pool_size);
    if (!(a->listener = listener_create(a, err, errlen)))
        goto fail;
    analytics_flush_recover_at_start(&a->cfg);
    if (!(a->crawler_events = crawler_events_create(&a->cfg, &a->metrics)) ||
        listener_subscribe(a->listener, CRAWLER_EVENTS_CHANNEL, crawler_events_on_notify, a->crawler_events)) {
        snprintf(err, errlen, "cannot start the crawler event thread or subscribe it to %s", CRAWLER_EVENTS_CHANNEL);
        goto fail;
    }
    if (!(a->workers = worker_pool_create(a, a->cfg.workers, err, errlen)))
        goto fail;
    scheduling_host_init(&a->sched_host, a);
    struct leader_opts lo = {.cfg = &a->cfg, .metrics = &a->metrics, .instance = a->instance,
                             .instance_no = a->instance_no, .host = &a->sched_host};
    if (a->cfg.scheduler_enabled && !(a->leader = leader_create(&lo, err, errlen)))
        goto fail;
    if (a->cfg.hasnew_events) {
        if (!(a->hasnew_events = hasnew_events_create(&a->cfg, &a->metrics)) ||
            listener_subscribe(a->listener, HASNEW_EVENTS_CHANNEL, hasnew_events_on_notify, a->hasnew_events)) {
            snprintf(err, errlen, "cannot start the hasnew event thread or subscribe it to %s", HASNEW_EVENTS_CHANNEL);
            goto fail;
        }
    }
    if (listener_start(a->listener, err, errlen))
        goto fail;
    if (!(a->covers = covers_create(&a->cfg, err, errlen)))
        goto fail;
    size_t nroutes;
    const struct route *routes = api_routes(&nroutes);
    struct http_server_opts ho = {
        .listen_host = a->cfg.listen_host, .listen_port = a->cfg.listen_port, .listen_text = a->cfg.listen,
        .max_body = a->cfg.max_body_bytes, .routes = routes, .nroutes = nroutes,
        .auth = {.admin_token = a->cfg.admin_token, .pool = a->pool}, .metrics = &a->metrics, .app = a};
    if (!(a->http = http_server_create(&ho, err, errlen)))
        goto fail;
    if (a->cfg.port_file && *a->cfg.port_file &&
        write_port_file(a->cfg.port_file, http_server_port(a->http), err, errlen))
        goto fail;
    log_info("msg=\"serving\" url=http://%s:%d/ admin=http://%s:%d/admin/ instance=%s workers=%d",
             a->cfg.listen_host, http_server_port(a->http), a->cfg.listen_host, http_server_port(a->http),
             a->instance, a->cfg.workers);
    return 0;
fail:
    app_stop(a);
    return -1;
}

void app_stop(struct app *a)
{
    atomic_store(&a->stopping, true);
    http_server_destroy(a->http);
    a->http = NULL;
    covers_destroy(a->covers);
    a->covers = NULL;
    leader_destroy(a->leader);
    a->leader = NULL;
    worker_pool_destroy(a->workers);
    a->workers = NULL;
    listener_destroy(a->listener);
    a->listener = NULL;
    hasnew_events_destroy(a->hasnew_events); /* after the listener: its callback signals it */
    a->hasnew_events = NULL;
    crawler_events_destroy(a->crawler_events); /* after the listener: its callback queues into it */
    a->crawler_events = NULL;
    pgpool_destroy(a->pool);
    a->pool = NULL;
}

void app_finish(struct app *a)
{
    config_finish(&a->cfg);
    metrics_finish(&a->metrics);
}

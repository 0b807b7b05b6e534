/*
 * api_env — what the handlers need from the process (r->env): the settings, the database pool, this instance's
 * name, the metrics, the cover proxy, the event-stream feed, the LISTEN connection, and the run machinery's
 * context (availability, workers). app.c owns the pieces and fills this; api/ never sees struct app.
 */
#ifndef COMICBATCH_API_ENV_H
#define COMICBATCH_API_ENV_H

struct config;
struct pgpool;
struct metrics;
struct covers;
struct events_feed;
struct listener;
struct runs_env;

struct api_env {
    const struct config *cfg;   /* the process's settings (a reload updates them in place) */
    struct pgpool *pool;        /* for request handlers and short service calls */
    const char *instance;       /* "host:pid:shortid" */
    struct metrics *metrics;    /* /metrics */
    struct covers *covers;      /* the cover proxy (cache + fetch policy) */
    struct events_feed *events; /* feeds the admin pages' event streams (api/events.c) */
    struct listener *listener;  /* the LISTEN connection: its state for /readyz */
    struct runs_env *run;       /* availability (which jobs can run), the worker pool */
};

#endif

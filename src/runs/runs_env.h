/*
 * runs_env — what the run machinery needs from the process it runs in: the settings, the metrics, this instance's
 * identity, and the sibling pieces it wakes or asks (the worker pool, the leader, the jobs' availability, the alerts'
 * webhook queue). app.c fills it (the one place that knows the whole process) and hands it to the listener, the
 * worker pool, the scheduling host, the alerts and the deadline checks; runs/ never sees struct app.
 */
#ifndef COMICBATCH_RUNS_ENV_H
#define COMICBATCH_RUNS_ENV_H

struct config;
struct metrics;
struct worker_pool;
struct leader;
struct availability;
struct webhook;

struct runs_env {
    const struct config *cfg;          /* the process's settings (a reload updates them in place) */
    struct metrics *metrics;           /* /metrics */
    const char *instance;              /* "host:pid:shortid", shown in system.batchrun.instance */
    int instance_no;                   /* system.batchinstance.no: set by listener_create, 0 until registered */
    struct worker_pool *workers;       /* NULL until started (the listener's wake-ups check) */
    struct leader *leader;             /* NULL when this instance runs no scheduler */
    struct availability *availability; /* which jobs this database can run; NULL: all of them */
    struct webhook *webhook;           /* the alerts' webhook queue (alerts_start); NULL: no webhook configured */
};

#endif

/*
 * metrics — /metrics in Prometheus text: this process's series (runs, durations, skew, missed slots, retries, HTTP,
 * leader) plus cluster-wide gauges read from Postgres at scrape time (runs running/queued by job; each job's last
 * success and deadline, runs/deadlines.h; the leadership epoch and how old the leader's last heartbeat is). The
 * cluster-wide gauges are the same on every instance, hence max() in the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_env.h"
#include "config.h"
#include "runs/deadlines.h"
#include "store/leaderstore.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* The leadership gauges (system.batchleader) as Prometheus text appended to `out`; nothing when unreadable. */
static size_t leader_gauges(PGconn *c, char *out, size_t cap)
{
    struct leader_status st;
    if (leaderstore_status(c, &st))
        return 0;
    size_t len = (size_t)snprintf(out, cap,
                                  "# HELP comicbatch_leader_epoch Leadership epoch, bumped by every takeover\n"
                                  "# TYPE comicbatch_leader_epoch gauge\ncomicbatch_leader_epoch %lld\n"
                                  "# HELP comicbatch_leader_heartbeat_age_seconds Seconds since the leader last "
                                  "proved it holds the lock\n# TYPE comicbatch_leader_heartbeat_age_seconds gauge\n",
                                  (long long)st.epoch);
    if (st.heartbeat_age_s >= 0 && len < cap)
        len += (size_t)snprintf(out + len, cap - len, "comicbatch_leader_heartbeat_age_seconds %.3f\n",
                                st.heartbeat_age_s);
    return len < cap ? len : cap - 1;
}

/* The cluster-wide gauges, read from the stores at scrape time, as Prometheus text (malloc'd) or NULL. */
static char *db_gauges(struct api_env *env, char **deadlines)
{
    PGconn *c = pgpool_acquire(env->pool, 2000);
    if (!c)
        return NULL;
    json_t *counts = runstore_active_counts(c);
    char leader[512];
    size_t leader_len = leader_gauges(c, leader, sizeof leader);
    *deadlines = deadlines_metrics(c, env->cfg, (time_t)(time_now_ms() / 1000));
    pgpool_release(env->pool, c);
    if (!counts)
        return NULL;
    size_t cap = 512 + sizeof leader + json_array_size(counts) * 160, len = 0, i;
    char *out = xmalloc(cap);
    len += (size_t)snprintf(out + len, cap - len,
                            "# HELP comicbatch_runs_active Runs queued or running in the cluster, by job\n"
                            "# TYPE comicbatch_runs_active gauge\n");
    json_t *e;
    json_array_foreach(counts, i, e)
    {
        len += (size_t)snprintf(out + len, cap - len, "comicbatch_runs_active{job=\"%.80s\",status=\"%s\"} %lld\n",
                                json_string_value(json_object_get(e, "jobkey")),
                                json_string_value(json_object_get(e, "status")),
                                (long long)json_integer_value(json_object_get(e, "count")));
    }
    snprintf(out + len, cap - len, "%.*s", (int)leader_len, leader);
    json_decref(counts);
    return out;
}

void api_metrics(struct http_req *r)
{
    char *local = metrics_render(r->env->metrics);
    char *deadlines = NULL;
    char *db = db_gauges(r->env, &deadlines);
    size_t n = strlen(local) + (db ? strlen(db) : 0) + (deadlines ? strlen(deadlines) : 0) + 1;
    char *all = xmalloc(n);
    snprintf(all, n, "%s%s%s", local, db ? db : "", deadlines ? deadlines : "");
    reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", all, strlen(all));
    free(all);
    free(local);
    free(db);
    free(deadlines);
}

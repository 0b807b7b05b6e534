/*
 * metrics — /metrics in Prometheus text: this process's series (runs, durations, skew, HTTP, leader) plus
 * cluster-wide gauges read from Postgres at scrape time (runs running/queued by job).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "store/pg.h"
#include "util/xalloc.h"

static char *db_gauges(struct app *app)
{
    PGconn *c = pgpool_acquire(app->pool, 2000);
    if (!c)
        return NULL;
    PGresult *res = pg_query(c, "metrics.active",
                             "SELECT jobkey, status, count(*) FROM system.batchrun WHERE status IN ('queued',"
                             " 'running') GROUP BY 1, 2 ORDER BY 1, 2",
                             0, NULL, NULL);
    pgpool_release(app->pool, c);
    if (!res)
        return NULL;
    size_t cap = 512 + (size_t)PQntuples(res) * 160, len = 0;
    char *out = xmalloc(cap);
    len += (size_t)snprintf(out + len, cap - len,
                            "# HELP comicbatch_runs_active Runs queued or running in the cluster, by job\n"
                            "# TYPE comicbatch_runs_active gauge\n");
    for (int i = 0; i < PQntuples(res); i++)
        len += (size_t)snprintf(out + len, cap - len, "comicbatch_runs_active{job=\"%.80s\",status=\"%s\"} %s\n",
                                PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
    PQclear(res);
    return out;
}

void api_metrics(struct http_req *r)
{
    char *local = metrics_render(&r->app->metrics);
    char *db = db_gauges(r->app);
    size_t n = strlen(local) + (db ? strlen(db) : 0) + 1;
    char *all = xmalloc(n);
    snprintf(all, n, "%s%s", local, db ? db : "");
    reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", all, strlen(all));
    free(all);
    free(local);
    free(db);
}

/* deadlines — see deadlines.h. */
#include "runs/deadlines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contract/check.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/runs_env.h"
#include "sched/slots.h"
#include "store/runstore.h"
#include "store/schedstore.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* The window and where it comes from; false when none applies. */
static bool window(const struct config *cfg, const struct job_def *job, const struct sched_row *row, time_t now,
                   int64_t *seconds, const char **source)
{
    if (row && row->deadline_ms >= 0) {
        *seconds = row->deadline_ms / 1000;
        *source = "schedule";
        return row->deadline_ms > 0;
    }
    const struct job_settings *js = config_job(cfg, job->key);
    int64_t ms = js ? atomic_load(&js->deadline_ms) : -1;
    if (ms > 0) {
        *seconds = ms / 1000;
        *source = "config";
        return true;
    }
    /* The default expects runs only of a job that can be scheduled: enabled, and configured (a job that lacks a
     * setting is unavailable, never scheduled: it has no runs to be late with). */
    bool enabled = row ? row->isenabled : job->enabled;
    struct cron_schedule s;
    char err[256];
    const char *expr = row && row->has_cron ? row->cron : registry_default_cron(cfg, job);
    if (!enabled || !contract_configured(job->contract, cfg) || cron_parse(expr, &s, err, sizeof err))
        return false;
    *seconds = slots_default_deadline(&s, now);
    *source = "default";
    return *seconds > 0;
}

void deadline_resolve(const struct config *cfg, const struct job_def *job, const struct sched_row *row,
                      time_t lastsuccess, time_t now, struct deadline *out)
{
    memset(out, 0, sizeof *out);
    out->lastsuccess = lastsuccess;
    if (!window(cfg, job, row, now, &out->seconds, &out->source)) {
        out->source = NULL;
        out->seconds = 0;
        return;
    }
    time_t since = row ? row->expectedsince : 0;
    out->reference = lastsuccess > since ? lastsuccess : since;
    out->dueby = out->reference + (time_t)out->seconds;
    out->overdue = now > out->dueby;
}

static json_t *iso_or_null(time_t t)
{
    char buf[32];
    return t > 0 ? json_string(time_format_iso(t, buf, sizeof buf)) : json_null();
}

json_t *deadline_json(const struct deadline *d)
{
    if (!d->source)
        return json_null();
    return json_pack("{s:I,s:s,s:o,s:o,s:o,s:b}", "seconds", (json_int_t)d->seconds, "source", d->source, "lastsuccess",
                     iso_or_null(d->lastsuccess), "measuredfrom", iso_or_null(d->reference), "dueby",
                     iso_or_null(d->dueby), "overdue", d->overdue);
}

static const struct sched_row *find_row(const struct sched_row *rows, int n, const char *jobkey)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].jobkey, jobkey))
            return &rows[i];
    return NULL;
}

int deadlines_all(PGconn *c, const struct config *cfg, time_t now, struct deadline **out, size_t *n)
{
    const struct job_def *const *jobs = registry_all(n);
    json_t *keys = json_array();
    for (size_t i = 0; i < *n; i++)
        json_array_append_new(keys, json_string(jobs[i]->key));
    struct sched_row *rows = NULL;
    int nrows = schedstore_list(c, false, &rows);
    json_t *last = nrows >= 0 ? runstore_last_success(c, keys) : NULL;
    json_decref(keys);
    if (!last) {
        free(rows);
        return -1;
    }
    *out = xcalloc(*n ? *n : 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        time_t ls = (time_t)json_integer_value(json_object_get(last, jobs[i]->key));
        deadline_resolve(cfg, jobs[i], find_row(rows, nrows, jobs[i]->key), ls, now, &(*out)[i]);
    }
    json_decref(last);
    free(rows);
    return 0;
}

void deadlines_check(struct runs_env *env, PGconn *db, time_t now)
{
    struct deadline *all;
    size_t n;
    if (deadlines_all(db, env->cfg, now, &all, &n))
        return;
    const struct job_def *const *jobs = registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        const struct deadline *d = &all[i];
        if (d->overdue && schedstore_mark_deadline_alert(db, jobs[i]->key, d->reference) == 1)
            alerts_deadline(env, db, jobs[i]->key, d->seconds, d->reference, d->lastsuccess);
    }
    free(all);
}

char *deadlines_metrics(PGconn *c, const struct config *cfg, time_t now)
{
    struct deadline *all;
    size_t n;
    if (deadlines_all(c, cfg, now, &all, &n))
        return NULL;
    const struct job_def *const *jobs = registry_all(&n);
    size_t cap = 600 + n * 2 * 200, len = 0;
    char *out = xmalloc(cap);
    len += (size_t)snprintf(out + len, cap - len,
                            "# HELP comicbatch_job_last_success_timestamp_seconds Last successful run of each job "
                            "(for a job with a deadline and no success since it became expected: that moment)\n"
                            "# TYPE comicbatch_job_last_success_timestamp_seconds gauge\n");
    for (size_t i = 0; i < n; i++) {
        time_t t = all[i].source ? all[i].reference : all[i].lastsuccess;
        if (t > 0)
            len += (size_t)snprintf(out + len, cap - len,
                                    "comicbatch_job_last_success_timestamp_seconds{job=\"%.120s\"} %lld\n",
                                    jobs[i]->key, (long long)t);
    }
    len += (size_t)snprintf(out + len, cap - len,
                            "# HELP comicbatch_job_deadline_seconds Each job's deadline: it must have succeeded "
                            "within this long\n# TYPE comicbatch_job_deadline_seconds gauge\n");
    for (size_t i = 0; i < n; i++)
        if (all[i].source)
            len += (size_t)snprintf(out + len, cap - len, "comicbatch_job_deadline_seconds{job=\"%.120s\"} %lld\n",
                                    jobs[i]->key, (long long)all[i].seconds);
    free(all);
    return out;
}

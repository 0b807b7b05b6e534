/* alerts — see alerts.h. */
#include "runs/alerts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "runs/runs_env.h"
#include "runs/webhook.h"
#include "store/notifications.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"

/* Writes the notification, logs it, counts it in `metric` and queues the webhook's post (sent by runs/webhook.c's
 * thread: the caller, the leader or a worker, never waits for the endpoint). Takes `details`. */
static void raise_alert(struct runs_env *env, PGconn *db, const char *metric, const char *jobkey, const char *title,
                        const char *msg, json_t *details)
{
    notifications_add(db, "critical", title, msg, details);
    char *d = json_dumps(details, JSON_COMPACT);
    log_error("msg=\"%s\" job=%s details=%s", msg, jobkey, d ? d : "{}");
    free(d);
    char l[160];
    snprintf(l, sizeof l, "job=\"%.120s\"", jobkey);
    metrics_add(env->metrics, metric, l, 1);
    if (env->webhook) {
        json_t *body = json_pack("{s:s,s:s,s:o}", "level", "critical", "message", msg, "details", details);
        char *b = json_dumps(body, JSON_COMPACT);
        if (b)
            webhook_post_take(env->webhook, b);
        json_decref(body);
    } else {
        json_decref(details);
    }
}

int alerts_start(struct runs_env *env)
{
    const char *url = env->cfg->alert_webhook_url;
    if (!url || !*url)
        return 0;
    env->webhook = webhook_create(url, WEBHOOK_QUEUE_MAX, env->metrics);
    return env->webhook ? 0 : -1;
}

void alerts_stop(struct runs_env *env, int drain_ms)
{
    webhook_destroy(env->webhook, drain_ms);
    env->webhook = NULL;
}

void alerts_after_failure(struct runs_env *env, PGconn *db, const char *jobkey)
{
    int n = env->cfg->alert_after;
    char lasterror[1024] = "";
    int streak = runstore_failure_streak(db, jobkey, n, lasterror, sizeof lasterror);
    if (streak != n)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "Batch job %s has failed %d times consecutively", jobkey, n);
    raise_alert(
        env, db, "comicbatch_alerts_total", jobkey, "Batch job failing", msg,
        json_pack("{s:s,s:s,s:i,s:s}", "kind", "failures", "jobkey", jobkey, "failures", n, "lasterror", lasterror));
}

void alerts_deadline(struct runs_env *env, PGconn *db, const char *jobkey, int64_t deadline_s, time_t reference,
                     time_t lastsuccess)
{
    char msg[320], dl[32], ref[32], last[32];
    duration_format(deadline_s * 1000, dl, sizeof dl);
    if (lastsuccess)
        snprintf(msg, sizeof msg, "Batch job %s has not succeeded within its deadline (%s); last success %s", jobkey,
                 dl, time_format_iso(lastsuccess, last, sizeof last));
    else
        snprintf(msg, sizeof msg, "Batch job %s has not succeeded within its deadline (%s); no success since %s",
                 jobkey, dl, time_format_iso(reference, ref, sizeof ref));
    json_t *details = json_pack(
        "{s:s,s:s,s:I,s:s,s:o}", "kind", "deadline", "jobkey", jobkey, "deadlineSeconds", (json_int_t)deadline_s,
        "measuredFrom", time_format_iso(reference, ref, sizeof ref), "lastSuccess",
        lastsuccess ? json_string(time_format_iso(lastsuccess, last, sizeof last)) : json_null());
    raise_alert(env, db, "comicbatch_deadline_alerts_total", jobkey, "Batch job overdue", msg, details);
}

/* alerts — see alerts.h. */
#include "runs/alerts.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "runs/runs_env.h"
#include "store/notifications.h"
#include "store/pg.h"
#include "store/runstore.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"

static void post_webhook(const char *url, const char *body)
{
    CURL *h = curl_easy_init();
    if (!h)
        return;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status >= 300)
        log_warn("msg=\"alert webhook failed\" status=%ld error=\"%s\"", status, curl_easy_strerror(rc));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
}

/* Writes the notification, logs it, counts it in `metric` and posts the webhook. Takes `details`. */
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
    if (env->cfg->alert_webhook_url && *env->cfg->alert_webhook_url) {
        json_t *body = json_pack("{s:s,s:s,s:o}", "level", "critical", "message", msg, "details", details);
        char *b = json_dumps(body, JSON_COMPACT);
        post_webhook(env->cfg->alert_webhook_url, b);
        free(b);
        json_decref(body);
    } else {
        json_decref(details);
    }
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

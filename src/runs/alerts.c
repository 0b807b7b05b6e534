/* alerts — see alerts.h. */
#include "runs/alerts.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "store/pg.h"
#include "util/log.h"

/* Number of failures at the head of the job's history (ignoring cancelled runs). */
static int failure_streak(PGconn *db, const char *jobkey, int limit, char *lasterror, size_t errlen)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {jobkey, lim};
    PGresult *r = pg_query(db, "alerts.streak",
                           "SELECT status, lasterror FROM system.batchrun WHERE jobkey = $1"
                           " AND status IN ('done', 'failed') ORDER BY finishedat DESC, id DESC LIMIT $2::int",
                           2, p, NULL);
    if (!r)
        return -1;
    int streak = 0;
    while (streak < PQntuples(r) && !strcmp(PQgetvalue(r, streak, 0), "failed"))
        streak++;
    if (streak > 0)
        snprintf(lasterror, errlen, "%s", pg_val(r, 0, 1) ? pg_val(r, 0, 1) : "");
    PQclear(r);
    return streak;
}

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

void alerts_after_failure(struct app *app, PGconn *db, const char *jobkey)
{
    int n = app->cfg.alert_after;
    char lasterror[1024] = "";
    int streak = failure_streak(db, jobkey, n, lasterror, sizeof lasterror);
    if (streak != n)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "Batch job %s has failed %d times consecutively", jobkey, n);
    json_t *details = json_pack("{s:s,s:i,s:s}", "jobkey", jobkey, "failures", n, "lasterror", lasterror);
    char *dj = json_dumps(details, JSON_COMPACT);
    const char *p[] = {msg, dj};
    pg_exec(db, "alerts.notify",
            "INSERT INTO system.notification (level, title, message, details) VALUES ('critical',"
            " 'Batch job failing', $1, $2::jsonb)",
            2, p);
    log_error("msg=\"%s\" job=%s lasterror=\"%s\"", msg, jobkey, lasterror);
    char l[160];
    snprintf(l, sizeof l, "job=\"%s\"", jobkey);
    metrics_add(&app->metrics, "comicbatch_alerts_total", l, 1);
    if (app->cfg.alert_webhook_url && *app->cfg.alert_webhook_url) {
        json_t *body = json_pack("{s:s,s:s,s:o}", "level", "critical", "message", msg, "details", details);
        char *b = json_dumps(body, JSON_COMPACT);
        post_webhook(app->cfg.alert_webhook_url, b);
        free(b);
        json_decref(body);
    } else {
        json_decref(details);
    }
    free(dj);
}

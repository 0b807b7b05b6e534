/* webhook — see webhook.h. */
#include "runs/webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/bgthread.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define METRIC_OUTCOMES "comicbatch_alert_webhooks_total"
#define METRIC_QUEUE "comicbatch_alert_webhook_queue"

enum outcome { DELIVERED, FAILED, DROPPED, OUTCOMES };
static const char *const outcome_names[OUTCOMES] = {"delivered", "failed", "dropped"};

struct webhook {
    char *url;
    struct metrics *metrics;
    struct bgthread thread; /* its mu guards everything below */
    char **ring;            /* `n` queued bodies from `head`, oldest first */
    int cap, head, n;
    bool in_flight;
    int64_t drain_until_ms; /* once stopping: monotonic ms after which the post in flight is aborted */
    uint64_t count[OUTCOMES];
};

/* Caller holds mu. Publishes the queue's length. */
static void publish_queue_locked(struct webhook *w)
{
    metrics_set(w->metrics, METRIC_QUEUE, "", (double)w->n);
}

/* Caller holds mu. Counts `n` posts with outcome `o`. */
static void count_locked(struct webhook *w, enum outcome o, int n)
{
    w->count[o] += (uint64_t)n;
    char label[48];
    snprintf(label, sizeof label, "outcome=\"%s\"", outcome_names[o]);
    metrics_add(w->metrics, METRIC_OUTCOMES, label, n);
}

void webhook_post_take(struct webhook *w, char *body)
{
    char *oldest = NULL;
    pthread_mutex_lock(&w->thread.mu);
    if (w->n == w->cap) {
        oldest = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->n--;
        count_locked(w, DROPPED, 1);
    }
    w->ring[(w->head + w->n) % w->cap] = body;
    w->n++;
    publish_queue_locked(w);
    uint64_t dropped = w->count[DROPPED];
    bgthread_wake_locked(&w->thread);
    pthread_mutex_unlock(&w->thread.mu);
    if (oldest) {
        log_warn("msg=\"alert webhook queue full: the oldest queued alert is dropped (it stays in system.notification "
                 "and the error log)\" queue=%d dropped_total=%llu",
                 w->cap, (unsigned long long)dropped);
        free(oldest);
    }
}

/* The oldest queued body (the caller frees it), marked in flight; NULL when none, or when stopping past the drain. */
static char *take(struct webhook *w)
{
    char *body = NULL;
    pthread_mutex_lock(&w->thread.mu);
    w->in_flight = false;
    if (w->n && !(w->thread.stopping && time_mono_ms() >= w->drain_until_ms)) {
        body = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->n--;
        w->in_flight = true;
        publish_queue_locked(w);
    }
    pthread_mutex_unlock(&w->thread.mu);
    return body;
}

/* True once the daemon stops and the drain time is over: the post in flight is abandoned. */
static bool give_up(struct webhook *w)
{
    pthread_mutex_lock(&w->thread.mu);
    bool r = w->thread.stopping && time_mono_ms() >= w->drain_until_ms;
    pthread_mutex_unlock(&w->thread.mu);
    return r;
}

/* curl's progress callback: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return give_up(arg) ? 1 : 0;
}

/* Drops whatever the answer carries (a webhook's reply body means nothing to us). */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

/* What one try of a post came to. */
enum attempt { SENT, RETRY, GIVE_UP };

/*
 * Whether a failed try is worth another: a refused or reset connection, nothing answered, or an answer that says
 * "not now" (5xx, 408, 429) — an endpoint restarting. Not a timeout (a slow endpoint would only get slower, and the
 * queue behind it waits), not any other answer (4xx: the request is wrong and stays wrong), not a stop.
 */
static enum attempt judge(CURLcode rc, long status)
{
    if (rc == CURLE_OK)
        return status >= 200 && status < 300 ? SENT : status >= 500 || status == 408 || status == 429 ? RETRY : GIVE_UP;
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
                   rc == CURLE_COULDNT_RESOLVE_HOST
               ? RETRY
               : GIVE_UP;
}

/* POSTs `body` once; the outcome, with the reason logged when it is not SENT. */
static enum attempt send_one(struct webhook *w, const char *body, int attempt)
{
    CURL *h = xcheck(curl_easy_init());
    struct curl_slist *hdr = xcheck(curl_slist_append(NULL, "Content-Type: application/json"));
    curl_easy_setopt(h, CURLOPT_URL, w->url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    enum attempt a = judge(rc, status);
    if (a == RETRY && attempt >= WEBHOOK_ATTEMPTS)
        a = GIVE_UP;
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        log_warn("msg=\"alert webhook abandoned: the daemon is stopping and the endpoint did not answer in time\"");
    else if (a != SENT)
        log_warn("msg=\"alert webhook failed%s\" status=%ld error=\"%s\" attempt=%d of=%d",
                 a == RETRY ? ", trying again" : "", status, rc == CURLE_OK ? "" : curl_easy_strerror(rc), attempt,
                 WEBHOOK_ATTEMPTS);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return a;
}

/* Waits `ms` before the next try; false (at once) when the daemon stops past its drain time meanwhile. */
static bool pause_before_retry(struct webhook *w, int ms)
{
    for (int64_t until = time_mono_ms() + ms; time_mono_ms() < until;) {
        if (give_up(w))
            return false;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return !give_up(w);
}

/* Delivers `body` in at most WEBHOOK_ATTEMPTS tries, WEBHOOK_RETRY_MS apart, then longer; true when delivered. */
static bool deliver(struct webhook *w, const char *body)
{
    int wait_ms = WEBHOOK_RETRY_MS;
    for (int attempt = 1;; attempt++) {
        enum attempt a = send_one(w, body, attempt);
        if (a != RETRY)
            return a == SENT;
        if (!pause_before_retry(w, wait_ms))
            return false;
        wait_ms *= 3;
    }
}

static void *webhook_main(void *arg)
{
    struct webhook *w = arg;
    unsigned seen;
    for (;;) {
        bool running = bgthread_begin(&w->thread, &seen);
        char *body = take(w);
        if (body) {
            bool ok = deliver(w, body);
            free(body);
            pthread_mutex_lock(&w->thread.mu);
            count_locked(w, ok ? DELIVERED : FAILED, 1);
            pthread_mutex_unlock(&w->thread.mu);
            continue;
        }
        if (!running)
            return NULL;
        bgthread_wait(&w->thread, seen, 60000);
    }
}

struct webhook *webhook_create(const char *url, int capacity, struct metrics *metrics)
{
    struct webhook *w = xcalloc(1, sizeof *w);
    w->url = xstrdup(url);
    w->metrics = metrics;
    w->cap = capacity < 1 ? 1 : capacity;
    w->ring = xcalloc((size_t)w->cap, sizeof *w->ring);
    bgthread_init(&w->thread);
    pthread_mutex_lock(&w->thread.mu);
    for (int o = 0; o < OUTCOMES; o++)
        count_locked(w, (enum outcome)o, 0); /* every outcome on /metrics from the start, at 0 */
    publish_queue_locked(w);
    pthread_mutex_unlock(&w->thread.mu);
    if (bgthread_start(&w->thread, 1, webhook_main, w)) {
        webhook_destroy(w, 0);
        return NULL;
    }
    return w;
}

void webhook_stats(struct webhook *w, struct webhook_stats *out)
{
    pthread_mutex_lock(&w->thread.mu);
    *out = (struct webhook_stats){.queued = w->n,
                                  .in_flight = w->in_flight,
                                  .delivered = w->count[DELIVERED],
                                  .failed = w->count[FAILED],
                                  .dropped = w->count[DROPPED]};
    pthread_mutex_unlock(&w->thread.mu);
}

void webhook_destroy(struct webhook *w, int drain_ms)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->thread.mu);
    w->drain_until_ms = time_mono_ms() + (drain_ms > 0 ? drain_ms : 0);
    pthread_mutex_unlock(&w->thread.mu);
    bgthread_stop(&w->thread);
    int left = w->n;
    for (; w->n; w->n--, w->head = (w->head + 1) % w->cap)
        free(w->ring[w->head]);
    if (left) {
        count_locked(w, DROPPED, left); /* the thread is gone: nobody else takes mu */
        log_warn("msg=\"alert webhooks not sent: the daemon stopped before the endpoint took them (they are in "
                 "system.notification and the error log)\" count=%d",
                 left);
    }
    bgthread_finish(&w->thread);
    free(w->ring);
    free(w->url);
    free(w);
}

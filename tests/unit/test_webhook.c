/*
 * test_webhook — the alerts' webhook queue (src/runs/webhook.c) against a loopback endpoint in this process. The
 * endpoint "hangs" by not accepting: the kernel completes the connection and buffers the request, so the post waits
 * for an answer that does not come; "answering" starts a thread that accepts, records each body and replies 204.
 * Checked: a full queue drops its oldest post (the one in flight and the newest are delivered; counted on /metrics);
 * stopping while the endpoint hangs aborts the post in flight after the drain time instead of waiting for its 5 s
 * timeout, and drops the rest; an endpoint that refuses the connection, or answers 503 every time, is tried
 * WEBHOOK_ATTEMPTS times and then counts as failed; one that answers 503 while it restarts gets the post on a later
 * try; a 4xx is final at once.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runs/webhook.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct endpoint {
    int fd;
    char url[64];
    pthread_t tid;
    atomic_bool answering, stop;
    pthread_mutex_t mu;
    char bodies[8][128];
    int n;
    int fail_first;  /* answer the first this many requests with fail_status instead of 204 */
    int fail_status; /* e.g. 503 */
};

static void endpoint_open(struct endpoint *e)
{
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    e->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(e->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(e->fd, 16), 0);
    getsockname(e->fd, (struct sockaddr *)&a, &len);
    snprintf(e->url, sizeof e->url, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
}

/* Reads one request on `c` (headers, then Content-Length bytes) and records its body. */
static void serve_one(struct endpoint *e, int c)
{
    char buf[4096];
    size_t got = 0;
    char *body = NULL;
    long want = -1;
    for (ssize_t r; got < sizeof buf - 1 && (r = read(c, buf + got, sizeof buf - 1 - got)) > 0;) {
        got += (size_t)r;
        buf[got] = '\0';
        if (!body && (body = strstr(buf, "\r\n\r\n"))) {
            char *cl = strcasestr(buf, "Content-Length:");
            want = cl ? strtol(cl + 15, NULL, 10) : 0;
            body += 4;
        }
        if (body && (long)(buf + got - body) >= want)
            break;
    }
    pthread_mutex_lock(&e->mu);
    bool fail = e->n < e->fail_first;
    if (body && e->n < 8)
        snprintf(e->bodies[e->n++], sizeof e->bodies[0], "%s", body);
    pthread_mutex_unlock(&e->mu);
    char answer[128];
    if (fail)
        snprintf(answer, sizeof answer, "HTTP/1.1 %d Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                 e->fail_status);
    else
        snprintf(answer, sizeof answer, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    cr_assert_eq(write(c, answer, strlen(answer)), (ssize_t)strlen(answer));
    close(c);
}

static void *endpoint_main(void *arg)
{
    struct endpoint *e = arg;
    while (!atomic_load(&e->stop)) {
        struct pollfd p = {.fd = e->fd, .events = POLLIN};
        if (poll(&p, 1, 50) == 1) {
            int c = accept(e->fd, NULL, NULL);
            if (c >= 0)
                serve_one(e, c);
        }
    }
    return NULL;
}

/* From now on the endpoint answers, the connections it left waiting first. */
static void endpoint_answer(struct endpoint *e)
{
    atomic_store(&e->answering, true);
    cr_assert_eq(pthread_create(&e->tid, NULL, endpoint_main, e), 0);
}

static void endpoint_close(struct endpoint *e)
{
    atomic_store(&e->stop, true);
    if (atomic_load(&e->answering))
        pthread_join(e->tid, NULL);
    close(e->fd);
    pthread_mutex_destroy(&e->mu);
}

/* Waits (at most `ms`) until `w` has a post in flight and nothing queued. */
static void wait_in_flight(struct webhook *w, int ms)
{
    struct webhook_stats st;
    for (int64_t until = time_mono_ms() + ms; time_mono_ms() < until; usleep(5000)) {
        webhook_stats(w, &st);
        if (st.in_flight && !st.queued)
            return;
    }
    cr_assert_fail("no post went in flight within %d ms", ms);
}

/* The value of `series` (name{labels}: a sample line, not the HELP line) in the rendered metrics, or -1 if absent. */
static double metric(struct metrics *m, const char *series)
{
    char needle[160];
    snprintf(needle, sizeof needle, "\n%s ", series);
    char *text = metrics_render(m), *at = strstr(text, needle);
    double v = at ? strtod(at + strlen(needle), NULL) : -1;
    free(text);
    return v;
}

static struct metrics *new_metrics(void)
{
    struct metrics *m = xmalloc(sizeof *m);
    metrics_init(m);
    return m;
}

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

TestSuite(webhook, .init = setup, .timeout = 30);

Test(webhook, a_full_queue_drops_its_oldest_post)
{
    struct endpoint e;
    endpoint_open(&e);
    struct metrics *m = new_metrics();
    struct webhook *w = webhook_create(e.url, 2, m);
    cr_assert(w);
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"dropped\"}"), 0, "every outcome shown at 0");
    webhook_post_take(w, xstrdup("{\"n\":1}"));
    wait_in_flight(w, 5000); /* waiting for an answer that does not come yet */
    for (int i = 2; i <= 4; i++) {
        char b[16];
        snprintf(b, sizeof b, "{\"n\":%d}", i);
        webhook_post_take(w, xstrdup(b));
    }
    struct webhook_stats st;
    webhook_stats(w, &st);
    cr_assert_eq(st.queued, 2, "the capacity");
    cr_assert_eq(st.dropped, 1);
    cr_assert_eq(metric(m, "comicbatch_alert_webhook_queue{}"), 2);
    endpoint_answer(&e);
    for (int64_t until = time_mono_ms() + 10000; time_mono_ms() < until; usleep(10000)) {
        webhook_stats(w, &st);
        if (st.delivered + st.failed == 3)
            break;
    }
    cr_assert_eq(st.delivered, 3, "the one in flight and the two newest: %llu delivered, %llu failed",
                 (unsigned long long)st.delivered, (unsigned long long)st.failed);
    pthread_mutex_lock(&e.mu);
    cr_assert_eq(e.n, 3);
    cr_assert_str_eq(e.bodies[0], "{\"n\":1}");
    cr_assert_str_eq(e.bodies[1], "{\"n\":3}", "the oldest queued post (n = 2) was the one dropped");
    cr_assert_str_eq(e.bodies[2], "{\"n\":4}");
    pthread_mutex_unlock(&e.mu);
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"delivered\"}"), 3);
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"dropped\"}"), 1);
    cr_assert_eq(metric(m, "comicbatch_alert_webhook_queue{}"), 0);
    webhook_destroy(w, 1000);
    endpoint_close(&e);
    metrics_finish(m);
    free(m);
}

Test(webhook, stopping_while_the_endpoint_hangs_is_bounded_by_the_drain_time)
{
    struct endpoint e;
    endpoint_open(&e);
    struct metrics *m = new_metrics();
    struct webhook *w = webhook_create(e.url, 8, m);
    for (int i = 0; i < 3; i++)
        webhook_post_take(w, xstrdup("{}"));
    for (int64_t until = time_mono_ms() + 5000; time_mono_ms() < until; usleep(5000)) {
        struct webhook_stats st;
        webhook_stats(w, &st);
        if (st.in_flight)
            break;
    }
    int64_t t0 = time_mono_ms();
    webhook_destroy(w, 200);
    int64_t took = time_mono_ms() - t0;
    /* The post's own timeout is 5 s, and two more wait behind it: without the abort this takes ≥ 5 s. */
    cr_assert_lt(took, WEBHOOK_TIMEOUT_MS - 1000, "stop took %lld ms", (long long)took);
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"failed\"}"), 1, "the post in flight, cut off");
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"dropped\"}"), 2, "the two never sent");
    cr_assert_eq(metric(m, "comicbatch_alert_webhooks_total{outcome=\"delivered\"}"), 0);
    endpoint_close(&e);
    metrics_finish(m);
    free(m);
}

Test(webhook, a_refused_connection_counts_as_failed)
{
    struct endpoint e;
    endpoint_open(&e);
    char url[64];
    snprintf(url, sizeof url, "%s", e.url);
    endpoint_close(&e); /* nothing listens on that port any more */
    struct metrics *m = new_metrics();
    struct webhook *w = webhook_create(url, 8, m);
    webhook_post_take(w, xstrdup("{}"));
    struct webhook_stats st;
    int64_t t0 = time_mono_ms();
    for (int64_t until = t0 + 15000; time_mono_ms() < until; usleep(5000)) {
        webhook_stats(w, &st);
        if (st.failed + st.delivered)
            break;
    }
    /* Refused is how a restarting endpoint fails: tried WEBHOOK_ATTEMPTS times, 1 s and 3 s apart. */
    cr_assert_geq(time_mono_ms() - t0, WEBHOOK_RETRY_MS * 4 - 100, "gave up after %lld ms",
                  (long long)(time_mono_ms() - t0));
    cr_assert_eq(st.failed, 1);
    cr_assert_eq(st.delivered, 0);
    webhook_destroy(w, 0);
    metrics_finish(m);
    free(m);
}

/* Posts one body to an endpoint that answers its first `fail_first` requests with `status`; waits for the outcome.
 * Returns how many requests the endpoint saw; *st gets the counts. */
static int post_against(int fail_first, int status, struct webhook_stats *st)
{
    struct endpoint e;
    endpoint_open(&e);
    e.fail_first = fail_first;
    e.fail_status = status;
    endpoint_answer(&e);
    struct metrics *m = new_metrics();
    struct webhook *w = webhook_create(e.url, 8, m);
    webhook_post_take(w, xstrdup("{\"alert\":1}"));
    for (int64_t until = time_mono_ms() + 15000; time_mono_ms() < until; usleep(5000)) {
        webhook_stats(w, st);
        if (st->failed + st->delivered)
            break;
    }
    webhook_destroy(w, 0);
    endpoint_close(&e);
    metrics_finish(m);
    free(m);
    return e.n;
}

Test(webhook, an_endpoint_that_answers_503_while_it_restarts_gets_the_post_on_a_later_try)
{
    struct webhook_stats st;
    int seen = post_against(WEBHOOK_ATTEMPTS - 1, 503, &st);
    cr_assert_eq(st.delivered, 1);
    cr_assert_eq(st.failed, 0);
    cr_assert_eq(seen, WEBHOOK_ATTEMPTS, "the same post, tried %d times", seen);
}

Test(webhook, a_4xx_answer_is_final_and_a_post_is_tried_at_most_WEBHOOK_ATTEMPTS_times)
{
    struct webhook_stats st;
    cr_assert_eq(post_against(1, 400, &st), 1, "a 400 is not tried again");
    cr_assert_eq(st.failed, 1);
    cr_assert_eq(post_against(100, 503, &st), WEBHOOK_ATTEMPTS);
    cr_assert_eq(st.failed, 1);
    cr_assert_eq(st.delivered, 0);
}

/*
 * conns — see conns.h. One lock (`bg.mu`) guards the list, the client table and the counters; the event-loop
 * threads take it only when a connection opens or closes, never per request (a request only stores its deadline,
 * an atomic). The timer thread takes it once per tick for the sweep.
 */
#include "http/conns.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http/limits.h"
#include "util/bgthread.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct http_conns {
    struct http_conns_opts o;
    char name[32];
    struct bgthread bg; /* bg.mu guards everything below */
    struct client_counts clients;
    struct http_conn *head;
    struct http_conns_stats stats;
    int tick_ms;
    bool started;
};

struct http_conns *http_conns_create(const struct http_conns_opts *o)
{
    struct http_conns *cs = xcalloc(1, sizeof *cs);
    cs->o = *o;
    snprintf(cs->name, sizeof cs->name, "%s", o->name ? o->name : "http");
    cs->o.name = cs->name;
    bgthread_init(&cs->bg);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)cs;
    client_counts_init(&cs->clients, o->per_client ? (size_t)o->max_connections : 0, seed);
    return cs;
}

/* Caller holds bg.mu. Counts `c` against its client's limit; false when over it. */
static bool take_client_slot(struct http_conns *cs, struct http_conn *c, const struct sockaddr *peer)
{
    struct client_key k;
    if (!cs->o.per_client || !peer || !client_key_from_sockaddr(peer, &k))
        return true;
    if (!client_counts_acquire(&cs->clients, &k, cs->o.per_client))
        return false;
    memcpy(c->key, k.b, sizeof c->key);
    c->counted = true;
    return true;
}

struct http_conn *http_conns_open(struct http_conns *cs, int fd, const struct sockaddr *peer, int64_t now_ms)
{
    struct http_conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    atomic_init(&c->deadline_ms, now_ms + cs->o.head_timeout_ms);
    pthread_mutex_lock(&cs->bg.mu);
    if (!take_client_slot(cs, c, peer)) {
        c->refused = true;
        atomic_store(&c->deadline_ms, 0);
        cs->stats.refused_per_client++;
    }
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->stats.open++;
    pthread_mutex_unlock(&cs->bg.mu);
    if (c->refused)
        shutdown(fd, SHUT_RDWR); /* libmicrohttpd reads end-of-file and closes it */
    return c;
}

void http_conns_close(struct http_conns *cs, struct http_conn *c)
{
    pthread_mutex_lock(&cs->bg.mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->counted) {
        struct client_key k;
        memcpy(k.b, c->key, sizeof k.b);
        client_counts_release(&cs->clients, &k);
    }
    cs->stats.open--;
    pthread_mutex_unlock(&cs->bg.mu);
    free(c);
}

void http_conn_head_received(struct http_conns *cs, struct http_conn *c, int64_t now_ms)
{
    atomic_store(&c->in_body, cs->o.body_timeout_ms > 0);
    atomic_store(&c->deadline_ms, cs->o.body_timeout_ms > 0 ? now_ms + cs->o.body_timeout_ms : 0);
}

void http_conn_request_received(struct http_conn *c)
{
    atomic_store(&c->in_body, false);
    atomic_store(&c->deadline_ms, 0);
}

void http_conn_response_done(struct http_conns *cs, struct http_conn *c, int64_t now_ms)
{
    if (c->refused)
        return;
    atomic_store(&c->kept_alive, true);
    atomic_store(&c->in_body, false);
    atomic_store(&c->deadline_ms, now_ms + cs->o.keepalive_timeout_ms);
}

/* Caller holds bg.mu. Shuts `c` down if its deadline passed and no head (or body) completed meanwhile. */
static bool expire(struct http_conns *cs, struct http_conn *c, int64_t now_ms)
{
    long long d = atomic_load(&c->deadline_ms);
    if (!d || d > now_ms || !atomic_compare_exchange_strong(&c->deadline_ms, &d, 0))
        return false;
    shutdown(c->fd, SHUT_RDWR);
    /* A first-request deadline is accept + head_timeout; later ones were set by http_conn_response_done, body
     * deadlines by http_conn_head_received. */
    if (atomic_load(&c->in_body))
        cs->stats.body_timeouts++;
    else if (atomic_load(&c->kept_alive))
        cs->stats.keepalive_timeouts++;
    else
        cs->stats.head_timeouts++;
    return true;
}

int http_conns_sweep(struct http_conns *cs, int64_t now_ms)
{
    int n = 0;
    pthread_mutex_lock(&cs->bg.mu);
    for (struct http_conn *c = cs->head; c; c = c->next)
        n += expire(cs, c, now_ms);
    pthread_mutex_unlock(&cs->bg.mu);
    return n;
}

static void *timer_main(void *arg)
{
    struct http_conns *cs = arg;
    while (bgthread_sleep(&cs->bg, cs->tick_ms)) {
        int n = http_conns_sweep(cs, time_mono_ms());
        if (n)
            log_debug("msg=\"http: connections past their deadline shut down\" listener=%s n=%d", cs->name, n);
        if (cs->o.on_tick)
            cs->o.on_tick(cs->o.arg);
    }
    return NULL;
}

int http_conns_start(struct http_conns *cs, int tick_ms)
{
    cs->tick_ms = tick_ms > 0 ? tick_ms : 100;
    cs->started = true;
    return bgthread_start(&cs->bg, 1, timer_main, cs);
}

struct http_conns_stats http_conns_stats(struct http_conns *cs)
{
    pthread_mutex_lock(&cs->bg.mu);
    struct http_conns_stats s = cs->stats;
    pthread_mutex_unlock(&cs->bg.mu);
    return s;
}

void http_conns_destroy(struct http_conns *cs)
{
    if (!cs)
        return;
    bgthread_stop(&cs->bg);
    while (cs->head)
        http_conns_close(cs, cs->head);
    bgthread_finish(&cs->bg);
    client_counts_finish(&cs->clients);
    free(cs);
}

/*
 * server — see server.h. libmicrohttpd calls `on_request` several times per request: once when the head is
 * complete (state is created, the head deadline replaced by the body's, an oversized Content-Length refused at
 * once, and so is any body of a GET/HEAD on the public listener), once per body chunk (appended up to the cap, the
 * rest discarded and remembered), then with no data: the request is complete (no deadline now) and is dispatched. A
 * non-blocking route runs right there; a blocking one reserves a place on the handler pool, suspends the
 * connection and is submitted; the pool thread prepares the reply and resumes the connection, and libmicrohttpd
 * calls `on_request` once more, on the event loop, where the prepared reply is queued. Every response is queued
 * on the event-loop thread that owns the connection (libmicrohttpd requires it).
 *
 * Order in which a request's state is touched: the event loop until the job is submitted, then only the pool
 * thread until it resumes the connection (libmicrohttpd's resume lock orders the two), then the event loop again.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/auth.h"
#include "http/conns.h"
#include "http/head.h"
#include "http/pool.h"
#include "http/reqstats.h"
#include "http/respcache.h"
#include "http/sse.h"
#include "http/static.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define RETRY_AFTER_SECONDS 1
/* libmicrohttpd's memory per connection: read buffer, request head, response head. It bounds the request head
 * (about half of it; past that the client gets 431) and is zeroed after every request, so it is kept small. */
#define CONNECTION_MEMORY (16 * 1024)
/* Event-loop threads that get a prepared-reply cache of their own (respcache.h); more threads go without. */
#define RESPCACHE_THREADS 16
#define LOG_EVERY_MS 1000     /* libmicrohttpd's own messages: at most one line per listener per second */
#define REPORT_EVERY_MS 10000 /* refusals: at most one line per listener per 10 s */

#define MAX_EVENT_THREADS 64
/* The body of a request must arrive within head_timeout plus one second per this many bytes of max_body. */
#define BODY_BYTES_PER_SECOND (64 * 1024)

struct http_server {
    struct MHD_Daemon *daemons[MAX_EVENT_THREADS]; /* one per event-loop thread, all on one address */
    int ndaemons;
    struct http_server_opts o;
    char name[32];
    struct route *routes;     /* the routes this listener answers (a filtered copy of o.routes) */
    const char **route_names; /* routes[i].pattern, the metrics labels */
    size_t nroutes;
    struct http_reqstats *stats;
    /* Prepared replies shared by requests (cover cache hits), one cache per event-loop thread: no lock or
     * response is ever shared between two threads, so a thread preempted on a busy machine stalls no other. */
    struct http_respcache *respcache[RESPCACHE_THREADS];
    /* Per event-loop thread (same slot as its cache): when its current on_request call began, 0 = not in one. The
     * watchdog reads it (http_server_stuck): a callback that never returns is a hung event loop. */
    atomic_llong busy_since[MAX_EVENT_THREADS];
    atomic_int next_slot;
    struct http_conns *conns;
    struct http_pool *pool;
    int port;
    atomic_llong last_log_ms;
    atomic_int log_suppressed;
    int64_t last_metrics_ms; /* timer thread only */
    int64_t last_report_ms;  /* timer thread only: the last refusal report */
    long long reported[5];   /* timer thread only: refusal counts at that report */
};

/* One request, from its complete head to libmicrohttpd's "completed" notification. */
struct req_state {
    struct http_req r;
    struct http_server *s;
    struct http_job job;
    size_t slot;       /* the route's counter slot (reqstats.h) */
    route_handler run; /* what the pool job runs */
    bool auth;         /* the job authenticates the caller first (admin routes) */
    bool dispatched;   /* on the pool: the next call queues the prepared reply */
    int corked_fd;     /* the socket corked for a file reply, uncorked when it is sent; -1 = none */
    char *body;
    size_t len, cap;
    bool too_large;
    bool body_refused;   /* a GET or HEAD with a body on the public listener: 400 before reading it */
    bool head_refused;   /* the head leaves too little connection memory for the reply's head: 431 at once */
    bool length_refused; /* Content-Length repeated with different values, or not a number: 400 at once */
};

static void append_body(struct req_state *st, const char *data, size_t n, size_t max)
{
    if (st->too_large || st->len + n > max) {
        st->too_large = true;
        return;
    }
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n + 1)
            cap *= 2;
        st->body = xrealloc(st->body, cap);
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
}

/* Fault injection (util/fault.h): the tests wedge an event-loop thread or the handler pool once with these. */
static atomic_int loop_stall = -1, handler_stall = -1;

/* ---- the handler pool ---- */

static void run_job(struct http_job *j)
{
    fault_stall_once(&handler_stall, "http:stall_handler");
    struct req_state *st = (struct req_state *)((char *)j - offsetof(struct req_state, job));
    struct http_req *r = &st->r;
    r->body = st->body ? st->body : "";
    r->body_len = st->len;
    if (!st->auth || auth_admin_or_reply(r) == 0)
        st->run(r);
    if (!r->replied) {
        log_error("msg=\"handler did not reply\" route=%s", r->route);
        reply_internal(r);
    }
}

/* After the pool released the job's place: hand the connection back to its event loop. */
static void resume_job(struct http_job *j)
{
    struct req_state *st = (struct req_state *)((char *)j - offsetof(struct req_state, job));
    MHD_resume_connection(st->r.conn);
}

/* Continues the request on the pool with `fn`, or answers 503 + Retry-After when the pool is full. */
static void offload(struct http_server *s, struct req_state *st, route_handler fn, bool auth)
{
    if (http_pool_reserve(s->pool)) {
        reply_busy(&st->r, RETRY_AFTER_SECONDS);
        return;
    }
    st->run = fn;
    st->auth = auth;
    st->r.offload = NULL;
    st->r.cache = NULL; /* a thread's cache stays with its thread */
    st->dispatched = true;
    st->job.run = run_job;
    st->job.after = resume_job;
    MHD_suspend_connection(st->r.conn); /* before submitting: the job resumes it */
    http_pool_submit(s->pool, &st->job);
}

/* ---- dispatch ---- */

static void dispatch_route(struct http_server *s, struct req_state *st, const struct route *rt)
{
    struct http_req *r = &st->r;
    r->route = rt->pattern;
    r->route_data = rt->data;
    if (!(rt->flags & ROUTE_NONBLOCKING)) {
        offload(s, st, rt->handler, rt->access == ROUTE_ADMIN);
        return;
    }
    rt->handler(r);
    if (r->offload && !r->replied)
        offload(s, st, r->offload, false);
    else if (!r->replied) {
        log_error("msg=\"handler did not reply\" route=%s", r->route);
        reply_internal(r);
    }
}

/* 405 with the Allow header listing what the path does answer (RFC 9110 §15.5.6). */
static void reply_not_allowed(struct http_server *s, struct http_req *r)
{
    char allow[128];
    router_allowed(s->routes, s->nroutes, r->path, allow, sizeof allow);
    reply_error(r, 405, "METHOD_NOT_ALLOWED", json_pack("{s:s}", "allow", allow), "Method %s is not allowed on %s",
                r->method, r->path);
    if (r->response)
        MHD_add_response_header(r->response, "Allow", allow);
}

static void dispatch(struct http_server *s, struct req_state *st)
{
    struct http_req *r = &st->r;
    if (st->body_refused) {
        reply_error(r, 400, ERR_VALIDATION, NULL, "A %s request takes no body", r->method);
        return;
    }
    if (st->too_large) {
        reply_error(r, 413, ERR_TOO_LARGE, NULL, "Request body is larger than %lld bytes", (long long)s->o.max_body);
        return;
    }
    if (st->head_refused) {
        reply_error(r, 431, ERR_TOO_LARGE, json_pack("{s:i}", "limit", HTTP_HEAD_MAX),
                    "The request head is larger than %d bytes", HTTP_HEAD_MAX);
        return;
    }
    if (st->length_refused) {
        reply_error(r, 400, ERR_VALIDATION, json_pack("{s:s}", "field", "Content-Length"),
                    "Content-Length must be one decimal number (given once, or repeated with the same value)");
        return;
    }
    if (req_args_or_reply(r))
        return;
    bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    if (s->o.surface != HTTP_SERVE_PUBLIC && get && static_owns(r->path)) {
        if (!http_path_ok(r->path)) { /* routed paths get the same check in router_match */
            reply_error(r, 400, ERR_VALIDATION, NULL, "Malformed request path");
            return;
        }
        r->route = "/admin/*";
        st->slot = HTTP_REQSTATS_PAGES;
        static_serve(r);
        return;
    }
    size_t idx;
    /* HEAD is answered as GET: libmicrohttpd sends the headers and drops the body. */
    switch (router_match(s->routes, s->nroutes, get ? "GET" : r->method, r->path, &idx, &r->match)) {
    case ROUTER_NOT_FOUND:
        reply_error(r, 404, ERR_NOT_FOUND, NULL, "No such endpoint: %s %s", r->method, r->path);
        return;
    case ROUTER_METHOD_NOT_ALLOWED: reply_not_allowed(s, r); return;
    case ROUTER_BAD_PATH: reply_error(r, 400, ERR_VALIDATION, NULL, "Malformed request path"); return;
    case ROUTER_FOUND: break;
    }
    st->slot = idx;
    dispatch_route(s, st, &s->routes[idx]);
}

static struct http_conn *conn_of(struct MHD_Connection *conn);

/*
 * libmicrohttpd 0.9.75 pushes the head of a file (sendfile) reply as a packet of its own, so the client is woken
 * twice per reply. Corking the socket (TCP_CORK) before the reply is queued holds the head back until the body
 * follows, as nginx's tcp_nopush does; on_completed uncorks it, which pushes the last partial segment at once.
 * libmicrohttpd's own cork bookkeeping stays right: it believes the socket uncorked, and if it corks and uncorks
 * a large body itself, the final uncork here is a no-op.
 */
static void cork(struct req_state *st)
{
    struct http_conn *c = conn_of(st->r.conn);
    int on = 1;
    if (c && setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0)
        st->corked_fd = c->fd;
}

/* Queues the prepared reply (event loop) and counts it. */
static enum MHD_Result queue_reply(struct http_server *s, struct req_state *st)
{
    struct http_req *r = &st->r;
    if (!r->response)
        reply_internal(r);
    if (!r->response)
        return MHD_NO;
    if (r->cork && strcmp(r->method, "HEAD"))
        cork(st);
    enum MHD_Result ok = MHD_queue_response(r->conn, r->status, r->response);
    if (!r->shared || r->response != r->shared->resp)
        MHD_destroy_response(r->response);
    r->response = NULL;
    http_shared_unref(r->shared); /* queued: libmicrohttpd holds the response while it sends it */
    r->shared = NULL;
    http_reqstats_count(s->stats, s->o.metrics, st->slot, r->route, r->status);
    return ok;
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The calling event-loop thread's slot in `s` (each thread serves one listener for its life). */
static int thread_slot(struct http_server *s)
{
    static _Thread_local const struct http_server *owner;
    static _Thread_local int slot;
    if (owner != s) {
        owner = s;
        slot = atomic_fetch_add(&s->next_slot, 1);
    }
    return slot;
}

/* The prepared-reply cache of the calling event-loop thread, or NULL. */
static struct http_respcache *thread_cache(struct http_server *s)
{
    int slot = thread_slot(s);
    return slot < RESPCACHE_THREADS ? s->respcache[slot] : NULL;
}

/* First call for a request: its head is complete. NULL when the connection was refused (close it). */
static struct req_state *begin_request(struct http_server *s, struct MHD_Connection *conn, const char *url,
                                       const char *method)
{
    struct http_conn *c = conn_of(conn);
    if (c && c->refused)
        return NULL;
    if (c)
        http_conn_head_received(s->conns, c, time_mono_ms());
    struct req_state *st = xcalloc(1, sizeof *st);
    st->s = s;
    st->corked_fd = -1;
    st->slot = HTTP_REQSTATS_UNMATCHED;
    st->r = (struct http_req){.env = s->o.env,
                              .auth = &s->o.auth,
                              .conn = conn,
                              .method = method,
                              .path = url,
                              .body = "",
                              .route = "unmatched",
                              .cache = thread_cache(s)};
    struct http_head h;
    http_head_check(conn, url, method, (size_t)s->o.max_body, &h);
    st->head_refused = h.too_big;
    st->length_refused = h.length_bad;
    st->too_large = h.body_too_large;
    /* The cover routes never take a body: on the public listener one is refused before a byte of it is read, so
     * a GET cannot hold a connection open with a slow body either. */
    st->body_refused = s->o.surface == HTTP_SERVE_PUBLIC && (!strcmp(method, "GET") || !strcmp(method, "HEAD")) &&
                       h.declares_body;
    return st;
}

static enum MHD_Result handle_request(struct http_server *s, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct req_state *st = *con_cls;
    if (!st) {
        if (!(st = begin_request(s, conn, url, method)))
            return MHD_NO;
        *con_cls = st;
        if (!st->too_large && !st->body_refused && !st->head_refused && !st->length_refused)
            return MHD_YES;
        /* Refuse before reading a byte of an announced oversized (or unwanted) body. */
    } else if (*upload_data_size) {
        append_body(st, upload_data, *upload_data_size, (size_t)s->o.max_body);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->dispatched) /* resumed: the pool prepared the reply */
        return queue_reply(s, st);
    struct http_conn *c = conn_of(conn);
    if (c) /* the request is complete: no deadline while it is handled */
        http_conn_request_received(c);
    st->r.body = st->body ? st->body : "";
    st->r.body_len = st->len;
    dispatch(s, st);
    return st->dispatched ? MHD_YES : queue_reply(s, st);
}

/* libmicrohttpd's request callback: handle_request, with the thread's busy stamp set around it (the watchdog). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    int slot = thread_slot(s);
    atomic_llong *busy = slot < MAX_EVENT_THREADS ? &s->busy_since[slot] : NULL;
    if (busy)
        atomic_store_explicit(busy, time_mono_ms(), memory_order_relaxed);
    fault_stall_once(&loop_stall, "http:stall_event_loop");
    enum MHD_Result r = handle_request(s, conn, url, method, upload_data, upload_data_size, con_cls);
    if (busy)
        atomic_store_explicit(busy, 0, memory_order_relaxed);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct http_server *s = cls;
    struct req_state *st = *con_cls;
    if (st) {
        if (st->corked_fd >= 0) {
            int off = 0;
            setsockopt(st->corked_fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
        }
        if (st->r.response && (!st->r.shared || st->r.response != st->r.shared->resp))
            MHD_destroy_response(st->r.response); /* prepared but never queued: the server stopped first */
        http_shared_unref(st->r.shared);
        req_args_free(&st->r);
        free(st->body);
        free(st);
        *con_cls = NULL;
    }
    struct http_conn *c = conn_of(conn);
    if (c && t == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        http_conn_response_done(s->conns, c, time_mono_ms());
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (*socket_context)
            http_conns_close(s->conns, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *peer = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd)
        *socket_context = http_conns_open(s->conns, fd->connect_fd, peer ? peer->client_addr : NULL, time_mono_ms());
}

/* ---- logging and metrics ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    int64_t now = time_mono_ms();
    long long last = atomic_load(&s->last_log_ms);
    if (now - last < LOG_EVERY_MS || !atomic_compare_exchange_strong(&s->last_log_ms, &last, now)) {
        atomic_fetch_add(&s->log_suppressed, 1);
        return;
    }
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    int skipped = atomic_exchange(&s->log_suppressed, 0);
    log_warn("msg=\"http: %s\" listener=%s suppressed=%d", buf, s->name, skipped);
}

/*
 * One log line, at most every REPORT_EVERY_MS, with what was refused since the last one: an attack shows in the
 * log without flooding it (the counters are in the metrics). Idle keep-alive closes are routine: not logged.
 */
static void report_refusals(struct http_server *s, const long long n[5], int64_t now)
{
    if (now - s->last_report_ms < REPORT_EVERY_MS)
        return;
    long long d[5];
    for (int i = 0; i < 5; i++)
        d[i] = n[i] - s->reported[i];
    if (d[0] || d[1] || d[3] || d[4])
        log_warn("msg=\"http: requests refused\" listener=%s per_client=%lld head_timeout=%lld busy=%lld "
                 "body_timeout=%lld",
                 s->name, d[0], d[1], d[3], d[4]);
    memcpy(s->reported, n, sizeof s->reported);
    s->last_report_ms = now;
}

static void publish_metrics(void *arg)
{
    struct http_server *s = arg;
    int64_t now = time_mono_ms();
    if (now - s->last_metrics_ms < 1000)
        return;
    s->last_metrics_ms = now;
    http_reqstats_publish(s->stats, s->o.metrics, s->route_names);
    struct http_conns_stats c = http_conns_stats(s->conns);
    struct http_pool_stats p = http_pool_stats(s->pool);
    char l[96];
    struct metrics *m = s->o.metrics;
    snprintf(l, sizeof l, "listener=\"%s\"", s->name);
    metrics_set(m, "comicbatch_http_connections", l, (double)c.open);
    snprintf(l, sizeof l, "listener=\"%s\",state=\"running\"", s->name);
    metrics_set(m, "comicbatch_http_handler_jobs", l, p.running);
    snprintf(l, sizeof l, "listener=\"%s\",state=\"queued\"", s->name);
    metrics_set(m, "comicbatch_http_handler_jobs", l, p.queued);
    const struct {
        const char *reason;
        long long n;
    } refused[] = {{"per_client", c.refused_per_client},
                   {"head_timeout", c.head_timeouts},
                   {"keepalive_timeout", c.keepalive_timeouts},
                   {"busy", p.refused},
                   {"body_timeout", c.body_timeouts}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(l, sizeof l, "listener=\"%s\",reason=\"%s\"", s->name, refused[i].reason);
        metrics_set(m, "comicbatch_http_refused_total", l, (double)refused[i].n);
    }
    long long n[5] = {c.refused_per_client, c.head_timeouts, c.keepalive_timeouts, p.refused, c.body_timeouts};
    report_refusals(s, n, now);
}

/* ---- life cycle ---- */

static void filter_routes(struct http_server *s)
{
    s->routes = xcalloc(s->o.nroutes, sizeof *s->routes);
    s->route_names = xcalloc(s->o.nroutes, sizeof *s->route_names);
    for (size_t i = 0; i < s->o.nroutes; i++) {
        bool pub = s->o.routes[i].flags & ROUTE_PUBLIC_SURFACE;
        if (s->o.surface == HTTP_SERVE_ALL || pub == (s->o.surface == HTTP_SERVE_PUBLIC)) {
            s->route_names[s->nroutes] = s->o.routes[i].pattern;
            s->routes[s->nroutes++] = s->o.routes[i];
        }
    }
    s->stats = http_reqstats_create(s->nroutes);
    for (int i = 0; i < RESPCACHE_THREADS && i < s->o.event_threads; i++)
        s->respcache[i] = http_respcache_create();
}

static int start_parts(struct http_server *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->o.nroutes; i++)
        if ((s->o.routes[i].flags & ROUTE_NONBLOCKING) && s->o.routes[i].access != ROUTE_PUBLIC) {
            snprintf(err, errlen, "route %s: a non-blocking route cannot need an admin", s->o.routes[i].pattern);
            return -1;
        }
    filter_routes(s);
    struct http_conns_opts co = {.name = s->name,
                                 .head_timeout_ms = s->o.head_timeout_ms,
                                 .keepalive_timeout_ms = s->o.keepalive_timeout_ms,
                                 .body_timeout_ms = s->o.head_timeout_ms + s->o.max_body * 1000 / BODY_BYTES_PER_SECOND,
                                 .per_client = (uint32_t)s->o.max_per_client,
                                 .max_connections = s->o.max_connections,
                                 .on_tick = publish_metrics,
                                 .arg = s};
    s->conns = http_conns_create(&co);
    if (!(s->pool = http_pool_create(s->o.handler_threads, s->o.handler_queue))) {
        snprintf(err, errlen, "%s: cannot start the handler threads", s->o.setting);
        return -1;
    }
    int64_t shortest = s->o.head_timeout_ms < s->o.keepalive_timeout_ms ? s->o.head_timeout_ms
                                                                        : s->o.keepalive_timeout_ms;
    int tick = (int)(shortest / 4 < 20 ? 20 : shortest / 4 > 250 ? 250 : shortest / 4);
    if (http_conns_start(s->conns, tick)) {
        snprintf(err, errlen, "%s: cannot start the connection timer thread", s->o.setting);
        return -1;
    }
    return 0;
}

/*
 * libmicrohttpd percent-decodes the path and the query by default; the router decoded path params a second time
 * (%2541 matched "A") and a decoded %00 cut the C strings it handed over (/jobs/%00 was /jobs/). Leaving the text
 * as sent and decoding it in one place (router_decode, for the path and each query argument) decodes exactly once
 * and sees every NUL. ('+' in the query is still a space: libmicrohttpd turns it before calling this.)
 */
static size_t unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

/* One event-loop thread: a libmicrohttpd daemon with its own listening socket (SO_REUSEPORT) and epoll set. */
static struct MHD_Daemon *start_daemon(struct http_server *s, const struct sockaddr_in *sa, unsigned limit)
{
    unsigned idle_s = (unsigned)((s->o.keepalive_timeout_ms + 999) / 1000);
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL, MHD_OPTION_END);
}

/*
 * 0 when nothing listens on `sa` yet, else the errno of a trial bind (EADDRINUSE, EACCES for a privileged port,
 * EADDRNOTAVAIL for an address not on this host, …). The daemons bind with SO_REUSEPORT, which would otherwise let
 * this listener quietly share a port with another server of the same user instead of failing. Port 0 is always free.
 */
static int address_error(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0)
        return 0; /* let the real bind report it */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int err = bind(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 ? 0 : errno;
    close(fd);
    return err == EADDRINUSE && !sa->sin_port ? 0 : err;
}

/*
 * The event loop: `event_threads` single-threaded daemons on one address. Each has its own listening socket in
 * the same SO_REUSEPORT group, so the kernel spreads new connections evenly over the threads. (libmicrohttpd's
 * own thread pool shares one listening socket, and whichever thread is awake accepts: measured 820/184 of 1,000
 * connections on two threads, which halved throughput when the busy thread lost its core.)
 */
static int start_daemons(struct http_server *s, struct sockaddr_in sa, char *err, size_t errlen)
{
    int n = s->o.event_threads < 1                   ? 1
            : s->o.event_threads > MAX_EVENT_THREADS ? MAX_EVENT_THREADS
                                                     : s->o.event_threads;
    unsigned max = (unsigned)s->o.max_connections;
    n = (unsigned)n > max ? (int)max : n;
    int bind_err = address_error(&sa);
    if (bind_err) {
        snprintf(err, errlen, "%s: cannot listen on %s (%s)", s->o.setting, s->o.listen_text,
                 bind_err == EADDRINUSE ? "address in use" : strerror(bind_err));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        unsigned limit = max / (unsigned)n + ((unsigned)i < max % (unsigned)n);
        errno = 0;
        if (!(s->daemons[i] = start_daemon(s, &sa, limit))) {
            int e = errno;
            snprintf(err, errlen, "%s: cannot listen on %s%s%s%s", s->o.setting, s->o.listen_text, e ? " (" : "",
                     e ? strerror(e) : "", e ? ")" : "");
            return -1;
        }
        s->ndaemons++;
        if (i == 0) { /* the others join the port the first one got (port 0: any free port) */
            const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemons[0], MHD_DAEMON_INFO_BIND_PORT);
            s->port = info ? info->port : ntohs(sa.sin_port);
            sa.sin_port = htons((uint16_t)s->port);
        }
    }
    return 0;
}

struct http_server *http_server_create(const struct http_server_opts *o, char *err, size_t errlen)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->o = *o;
    snprintf(s->name, sizeof s->name, "%s", o->name ? o->name : "http");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->listen_port)};
    if (inet_pton(AF_INET, o->listen_host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "%s: \"%s\" is not an IPv4 address", o->setting, o->listen_host);
        http_server_destroy(s);
        return NULL;
    }
    if (start_parts(s, err, errlen) || start_daemons(s, sa, err, errlen)) {
        http_server_destroy(s);
        return NULL;
    }
    return s;
}

void http_server_stuck(struct http_server *s, int64_t now_ms, struct http_stuck *out)
{
    *out = (struct http_stuck){0};
    int n = atomic_load(&s->next_slot);
    for (int i = 0; i < n && i < MAX_EVENT_THREADS; i++) {
        long long since = atomic_load_explicit(&s->busy_since[i], memory_order_relaxed);
        if (since && now_ms - since > out->loop_ms) {
            out->loop_ms = now_ms - since;
            snprintf(out->loop, sizeof out->loop, "listener=%s part=event_loop thread=%d", s->name, i);
        }
    }
    out->pool_ms = s->pool ? http_pool_stuck_ms(s->pool, now_ms) : 0;
    snprintf(out->pool, sizeof out->pool, "listener=%s part=handler_pool", s->name);
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_destroy(struct http_server *s)
{
    if (!s)
        return;
    /* No connection may stay suspended when libmicrohttpd stops: end the streams (parked ones are resumed and
     * none parks again), then let every job on the pool finish and resume its connection (new ones get 503). */
    sse_hub_close(s->o.sse);
    if (s->pool)
        http_pool_drain(s->pool);
    for (int i = 0; i < s->ndaemons; i++)
        MHD_stop_daemon(s->daemons[i]);
    http_pool_destroy(s->pool);
    for (int i = 0; i < RESPCACHE_THREADS; i++)
        http_respcache_destroy(s->respcache[i]); /* no connection is left to hold an entry */
    http_conns_destroy(s->conns);
    if (s->stats) /* what the timer thread had not published yet */
        http_reqstats_publish(s->stats, s->o.metrics, s->route_names);
    http_reqstats_destroy(s->stats);
    free(s->route_names);
    free(s->routes);
    free(s);
}

long http_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

int http_connection_budget(int wanted, long fd_limit, int listeners)
{
    long reserve = fd_limit / 10 < 256 ? 256 : fd_limit / 10 > 4096 ? 4096 : fd_limit / 10;
    long per = (fd_limit - reserve) / (listeners > 0 ? listeners : 1);
    long n = wanted < per ? wanted : per;
    return n < 16 ? 16 : (int)n;
}

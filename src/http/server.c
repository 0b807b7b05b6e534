/*
 * server — see server.h. libmicrohttpd calls `on_request` several times per request: once with the headers
 * (state is created and an oversized Content-Length is refused at once), once per body chunk (appended up to the
 * cap, the rest discarded and remembered), and once with no data, when the request is dispatched.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "http/static.h"
#include "util/metrics.h"
#include "util/log.h"
#include "util/xalloc.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_opts o;
    int port;
};

struct conn_state {
    char *body;
    size_t len;
    size_t cap;
    bool too_large;
};

static bool declared_too_large(struct MHD_Connection *conn, size_t max)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    return cl && strtoull(cl, NULL, 10) > max;
}

static void append_body(struct conn_state *st, const char *data, size_t n, size_t max)
{
    if (st->too_large || st->len + n > max) {
        st->too_large = true;
        return;
    }
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n + 1)
            cap *= 2;
        char *b = xrealloc(st->body, cap);
        st->body = b;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
}

static void dispatch_api(const struct http_server *s, struct http_req *r)
{
    size_t idx;
    const struct route *routes = s->o.routes;
    /* HEAD is answered as GET: libmicrohttpd sends the headers and drops the body. */
    const char *method = strcmp(r->method, "HEAD") ? r->method : "GET";
    switch (router_match(routes, s->o.nroutes, method, r->path, &idx, &r->match)) {
    case ROUTER_NOT_FOUND:
        reply_error(r, 404, ERR_NOT_FOUND, NULL, "No such endpoint: %s %s", r->method, r->path);
        return;
    case ROUTER_METHOD_NOT_ALLOWED:
        reply_error(r, 405, "METHOD_NOT_ALLOWED", NULL, "Method %s is not allowed on %s", r->method, r->path);
        return;
    case ROUTER_BAD_PATH:
        reply_error(r, 400, ERR_VALIDATION, NULL, "Malformed request path");
        return;
    case ROUTER_FOUND:
        break;
    }
    const struct route *rt = &routes[idx];
    r->route = rt->pattern;
    r->route_data = rt->data;
    if (rt->access == ROUTE_ADMIN && auth_admin_or_reply(r))
        return;
    rt->handler(r);
    if (!r->replied) {
        log_error("msg=\"handler did not reply\" route=%s", r->route);
        reply_internal(r);
    }
}

static void dispatch(const struct http_server *s, struct http_req *r, struct conn_state *st)
{
    if (st->too_large) {
        reply_error(r, 413, ERR_TOO_LARGE, NULL, "Request body is larger than %lld bytes", (long long)s->o.max_body);
        return;
    }
    if (static_owns(r->path) && (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))) {
        r->route = "/admin/*";
        static_serve(r);
        return;
    }
    dispatch_api(s, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    size_t max = (size_t)s->o.max_body;
    struct conn_state *st = *con_cls;
    if (!st) {
        st = xcalloc(1, sizeof *st);
        *con_cls = st;
        st->too_large = declared_too_large(conn, max);
        if (!st->too_large)
            return MHD_YES;
        /* Refuse before reading a byte of an announced oversized body. */
    } else if (*upload_data_size) {
        append_body(st, upload_data, *upload_data_size, max);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct http_req r = {.app = s->o.app, .auth = &s->o.auth, .conn = conn, .method = method, .path = url,
                         .body = st->body ? st->body : "", .body_len = st->len, .route = "unmatched"};
    dispatch(s, &r, st);
    metrics_http(s->o.metrics, r.route, r.status);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct conn_state *st = *con_cls;
    if (st) {
        free(st->body);
        free(st);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    log_warn("msg=\"http: %s\"", buf);
}

struct http_server *http_server_create(const struct http_server_opts *o, char *err, size_t errlen)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->o = *o;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->listen_port)};
    if (inet_pton(AF_INET, o->listen_host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "server.listen: \"%s\" is not an IPv4 address", o->listen_host);
        free(s);
        return NULL;
    }
    s->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "server.listen: cannot listen on %s (address in use?)", o->listen_text);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->listen_port;
    return s;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_destroy(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}

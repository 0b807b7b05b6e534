/*
 * request — one HTTP request as handlers see it, and the helpers that answer it. Handlers answer exactly once with
 * a reply_* call; the `…_or_reply` helpers have already answered when they return failure, so a handler reads as a
 * flat list of `if (!x) return;` (STYLE: Redis' …OrReply). Error bodies are the seed's envelope, made only here.
 *
 * A reply only prepares the response; the server hands it to libmicrohttpd on the connection's event-loop thread
 * once the handler has returned (a handler may run on a pool thread while its connection is suspended). A handler
 * of a non-blocking route runs on the event loop itself and must not block: when it finds blocking work after all
 * (a cover cache miss) it calls req_offload instead of replying, and the request continues on the handler pool.
 */
#ifndef COMICBATCH_REQUEST_H
#define COMICBATCH_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/router.h"

struct api_env;
struct http_auth;
struct MHD_Connection;
struct MHD_Response;
struct http_respcache;
struct http_shared;

enum principal_kind { PRINCIPAL_NONE = 0, PRINCIPAL_ADMIN_TOKEN, PRINCIPAL_SESSION };

/** Who is calling: the admin token, or a platform user by session. */
struct principal {
    enum principal_kind kind;
    char userid[64]; /* users.account.id (uuid or bigint, as text) when kind == PRINCIPAL_SESSION */
    char role[16];
};

struct http_req {
    struct api_env *env;          /* the handlers' context (api/api_env.h; opaque to http/) */
    const struct http_auth *auth; /* what auth_admin_or_reply checks against */
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; empty string when none */
    size_t body_len;
    const char *route;      /* matched pattern, for metrics; "unmatched" otherwise */
    const void *route_data; /* the matched route's data (struct route.data) */
    struct route_match match;
    struct principal principal;
    unsigned status; /* set by the reply */
    bool replied;
    struct MHD_Response *response; /* the prepared reply, queued by the server (owned until then) */
    bool cork;                     /* a file reply: hold its head back to leave in one packet with the body */
    struct http_respcache *cache;  /* the listener's shared prepared replies (respcache.h) */
    struct http_shared *shared;    /* a shared reply this request holds (released by the server) */
    route_handler offload;         /* set by req_offload: continue with this on the handler pool */
    struct http_arg *args;         /* the query string, decoded once (req_args_or_reply); owned by the server */
    size_t nargs;
};

/** One query-string argument, percent-decoded: valid UTF-8 without NUL. `value` is NULL for `?name` alone. */
struct http_arg {
    char *name, *value;
};

/** Error codes of the envelope (DESIGN §1). */
#define ERR_NOT_FOUND "NOT_FOUND"
#define ERR_CONFLICT "CONFLICT"
#define ERR_VALIDATION "VALIDATION_ERROR"
#define ERR_UNAUTHORIZED "UNAUTHORIZED"
#define ERR_FORBIDDEN "FORBIDDEN"
#define ERR_TOO_LARGE "PAYLOAD_TOO_LARGE"
#define ERR_UNAVAILABLE "UNAVAILABLE"
#define ERR_INTERNAL "INTERNAL"

/** Answers `status` with `body` as JSON. Steals the reference to `body`. */
void reply_json(struct http_req *r, unsigned status, json_t *body);

/** Answers `{"data": data}`. Steals `data`. */
void reply_data(struct http_req *r, unsigned status, json_t *data);

/** Answers `{"data": items, "meta": meta}`. Steals both. */
void reply_list(struct http_req *r, json_t *items, json_t *meta);

/**
 * Answers `{"data": items, "meta": meta}` where `items` is the text of a JSON array made elsewhere (the database
 * renders long lists itself, so they are not parsed and printed again here). Borrows `items`, steals `meta`.
 */
void reply_list_text(struct http_req *r, const char *items, json_t *meta);

/** Answers the error envelope `{"error": message, "code": code, "details": details?}`. Steals `details`. */
void reply_error(struct http_req *r, unsigned status, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Answers a VALIDATION_ERROR naming `field` in details.field (400). */
void reply_invalid(struct http_req *r, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Answers with raw bytes (copied) and a content type; adds nosniff and no-store. */
void reply_bytes(struct http_req *r, unsigned status, const char *content_type, const void *buf, size_t len);

/**
 * Answers `status` with `size` bytes of `fd` from `offset`, sent by libmicrohttpd with sendfile; takes `fd` (closed
 * once sent, or at once on failure). fd < 0 answers an empty body (a 304). `headers` is a NULL-terminated list of
 * name, value pairs. Adds nosniff but, unlike the other replies, no `Cache-Control: no-store`: the caller's headers
 * say how the bytes may be cached.
 */
void reply_fd(struct http_req *r, unsigned status, int fd, uint64_t offset, uint64_t size, const char *const *headers);

/**
 * Answers with a response built by an http/ module (takes `resp`); adds nosniff and `Cache-Control: no-store` unless
 * the response already says how it may be cached.
 */
void reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp);

/**
 * The prepared reply the listener keeps under `key` for generation `gen` (see http/respcache.h), or NULL. The
 * request holds it until it ends: read its tag, then answer with reply_cached or anything else.
 */
const struct http_shared *req_cached(struct http_req *r, const char *key, uint64_t gen);

/** Answers with the reply found by req_cached (its status, headers and body, shared). */
void reply_cached(struct http_req *r);

/**
 * Answers like reply_fd, and keeps the prepared reply in the listener's cache under `key`, `tag` and `gen` for
 * later requests (req_cached); the entry records `size` as its body length.
 */
void reply_fd_shared(struct http_req *r, unsigned status, int fd, uint64_t offset, uint64_t size,
                     const char *const *headers, const char *key, const char *tag, uint64_t gen);

/** Answers 503 UNAVAILABLE with `Retry-After: seconds`: the server is too busy to take the request now. */
void reply_busy(struct http_req *r, unsigned retry_after_seconds);

/**
 * From a non-blocking route's handler (on the event loop): instead of replying, continue this request with `fn`
 * on the handler pool (the connection is suspended meanwhile; a full pool answers 503 with Retry-After).
 */
void req_offload(struct http_req *r, route_handler fn);

/** Answers 500 INTERNAL with a generic message (the cause was logged where it was seen). */
void reply_internal(struct http_req *r);

/** Answers 503 UNAVAILABLE: the database could not be reached. */
void reply_db_unavailable(struct http_req *r);

/**
 * Decodes the query string into r->args (each name and value percent-decoded once; '+' is a space). Returns 0, or
 * -1 after answering 400 naming the argument when one is malformed, holds a NUL or is not UTF-8. The server calls
 * it before a request is routed; req_args_free releases what it made.
 */
int req_args_or_reply(struct http_req *r);

/** Frees r->args. */
void req_args_free(struct http_req *r);

/** A query-string argument (the first of that name), decoded, or NULL. Borrowed from the request. */
const char *req_query(struct http_req *r, const char *name);

/**
 * The query argument `name` as an integer from lo to hi into *out (`dflt` when absent). Returns 0, or -1 after
 * answering 400 naming it (not only digits, out of range).
 */
int req_query_int_or_reply(struct http_req *r, const char *name, int dflt, int lo, int hi, int *out);

/** A request header, or NULL. Borrowed from the connection. */
const char *req_header(struct http_req *r, const char *name);

/** The path param `name` (always present when the route declares it). Borrowed. */
const char *req_param(struct http_req *r, const char *name);

/** The caller as system.auditlog.actor spells it: "user:<uuid>" for a session, else "admin-token". Returns buf. */
const char *req_actor(const struct http_req *r, char *buf, size_t len);

/**
 * Parses the body as a JSON object. An empty body gives an empty object. Returns a new reference, or NULL after
 * answering 400 (not JSON, not an object).
 */
json_t *req_body_object_or_reply(struct http_req *r);

/** For an action without fields: the body must be empty or `{}`. Returns 0, or -1 after answering 400. */
int req_body_empty_or_reply(struct http_req *r);

#endif

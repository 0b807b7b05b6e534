/* auth — see auth.h. */
#include "http/auth.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/accounts.h"
#include "store/pg.h"
#include "util/sha256.h"

#define MAX_TOKEN_LEN 512

/* The bearer token, or NULL with *too_long set when there is one but it is longer than any we issue. */
static const char *bearer_token(struct http_req *r, bool *too_long)
{
    const char *h = req_header(r, "Authorization");
    *too_long = false;
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    *too_long = n > MAX_TOKEN_LEN;
    return (n == 0 || n > MAX_TOKEN_LEN) ? NULL : h;
}

/* Looks the session up; returns 1 found (principal filled), 0 not found, -1 database unavailable. */
static int lookup_session(struct http_req *r, const char *token)
{
    char hex[65];
    sha256_hex(token, strlen(token), hex);
    PGconn *c = pgpool_acquire(r->auth->pool, 2000);
    if (!c)
        return -1;
    struct account_session s;
    int found = accounts_live_session(c, hex, &s);
    pgpool_release(r->auth->pool, c);
    if (found == 1) {
        r->principal.kind = PRINCIPAL_SESSION;
        snprintf(r->principal.userid, sizeof r->principal.userid, "%s", s.userid);
        snprintf(r->principal.role, sizeof r->principal.role, "%s", s.role);
    }
    return found;
}

/* 401 with the scheme to use (RFC 6750 §3). */
static void unauthorized(struct http_req *r, const char *msg)
{
    reply_error(r, 401, ERR_UNAUTHORIZED, NULL, "%s", msg);
    if (r->response)
        MHD_add_response_header(r->response, "WWW-Authenticate", "Bearer");
}

int auth_admin_or_reply(struct http_req *r)
{
    bool too_long;
    const char *token = bearer_token(r, &too_long);
    if (too_long) {
        char msg[64];
        snprintf(msg, sizeof msg, "Invalid token (longer than %d characters)", MAX_TOKEN_LEN);
        unauthorized(r, msg);
        return -1;
    }
    if (!token) {
        unauthorized(r, "Missing bearer token (Authorization: Bearer <token>)");
        return -1;
    }
    if (secret_equal(token, r->auth->admin_token)) {
        r->principal.kind = PRINCIPAL_ADMIN_TOKEN;
        snprintf(r->principal.role, sizeof r->principal.role, "admin");
        return 0;
    }
    int found = lookup_session(r, token);
    if (found < 0) {
        reply_db_unavailable(r);
        return -1;
    }
    if (!found) {
        unauthorized(r, "Invalid or expired token");
        return -1;
    }
    if (strcmp(r->principal.role, "admin")) {
        reply_error(r, 403, ERR_FORBIDDEN, NULL, "This action requires the admin role");
        return -1;
    }
    return 0;
}

/*
 * auth — Bearer authentication (DESIGN §1): the configured admin token, compared in constant time, or a platform
 * session token whose SHA-256 hex is a live users.session.tokenhash (not expired, not revoked) of an account with
 * role 'admin'. Tokens are never logged.
 */
#ifndef COMICBATCH_AUTH_H
#define COMICBATCH_AUTH_H

#include "http/request.h"

struct pgpool;

/** What the server authenticates against (borrowed for the server's lifetime). */
struct http_auth {
    const char *admin_token; /* the configured admin bearer token */
    struct pgpool *pool;     /* for session lookups (store/accounts) */
};

/** Fills r->principal for an admin caller and returns 0; otherwise answers 401/403/503 and returns -1. */
int auth_admin_or_reply(struct http_req *r);

#endif

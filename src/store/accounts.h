/*
 * accounts — the platform's users.session and users.account, read (never written) to authenticate a platform
 * session token (DESIGN §1 auth): the only place their SQL lives.
 */
#ifndef COMICBATCH_ACCOUNTS_H
#define COMICBATCH_ACCOUNTS_H

#include <libpq-fe.h>

/** Who a live session belongs to. */
struct account_session {
    char userid[64]; /* users.account.id as text (uuid or bigint) */
    char role[16];   /* users.account.role, truncated */
};

/**
 * Looks up the live session (not revoked, not expired) whose users.session.tokenhash is `tokenhash_hex` (the
 * token's SHA-256, lowercase hex). Returns 1 and fills `out`, 0 when there is none, -1 on a database error.
 */
int accounts_live_session(PGconn *c, const char *tokenhash_hex, struct account_session *out);

#endif

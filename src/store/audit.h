/*
 * audit — system.auditlog, the platform's record of who changed what: the one place comicbatch writes it. Every
 * admin action that changes state (schedule edits, cache invalidation, metadata-hash invalidation) leaves one row,
 * written in the caller's transaction when there is one, so the change and its record commit together.
 */
#ifndef COMICBATCH_AUDIT_H
#define COMICBATCH_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>

/** Who acted, as the API identified them. */
struct audit_actor {
    const char *actor;  /* "admin-token" or "user:<id>" */
    const char *userid; /* users.account.id as text, or NULL for the admin token */
};

/**
 * Inserts one row: `action` (e.g. "batch.schedule.update") on `target` (may be NULL) with `details` (borrowed,
 * may be NULL). Returns 0, or -1 (logged by the pg helper).
 */
int audit_write(PGconn *c, const struct audit_actor *who, const char *action, const char *target,
                const json_t *details);

#endif

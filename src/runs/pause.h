/*
 * pause — maintenance windows as the API, the CLI and the admin pages change them: pause the scheduling of every
 * job, or of one, until a time (with a reason), and resume early. Each change writes its audit row in the same
 * transaction (store/audit.h). While a pause is in force the scheduler enqueues nothing for the jobs it covers and
 * records their slots as `paused` in the missed-slot ledger; when it ends, each job's misfire policy decides about
 * the slots in between (`once`: one catch-up run), as after downtime. Manual runs are not affected.
 *
 * The CLI acts with the service's own authority: system.auditlog (the platform's table) knows only the admin token
 * and admin sessions as actors, so a CLI change is audited as "admin-token" with `via` ("cli:<login>") in its
 * details, and the pause's `createdby` is that `via`.
 */
#ifndef COMICBATCH_PAUSE_H
#define COMICBATCH_PAUSE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <time.h>

#include "store/audit.h"

/** Longest pause accepted: a maintenance window, not a way to disable a job (PATCH isenabled does that). */
#define PAUSE_MAX_SECONDS (30 * 86400)

/** Longest reason kept. */
#define PAUSE_REASON_MAX 200

/** Who changes a pause: the API's caller, or the CLI (`via` "cli:<login>"; NULL for the API). */
struct pause_actor {
    struct audit_actor who;
    const char *via;
};

/**
 * Pauses `jobkey` (NULL: every job) until `until` with `reason` (may be NULL), replacing a pause of the same scope.
 * Returns the pause as JSON {scope, jobkey, until, reason, createdby, createdat} (new reference), or NULL (rolled
 * back; logged by the store). The caller has checked `until` (after now, within PAUSE_MAX_SECONDS).
 */
json_t *pause_set(PGconn *c, const char *jobkey, time_t until, const char *reason, const struct pause_actor *by,
                  time_t now);

/** Ends the pause of `jobkey` (NULL: the pause of every job) in force at `now`. Returns 1 ended, 0 none, -1 error. */
int pause_resume(PGconn *c, const char *jobkey, const struct pause_actor *by, time_t now);

/** The pauses in force at `now`: a JSON array (new reference), or NULL on error. */
json_t *pause_list(PGconn *c, time_t now);

#endif

/*
 * pausestore — system.batchpause, the maintenance windows: a row pauses scheduling until `until` for every job
 * (scope PAUSE_ALL) or for one (scope = its job key). A row whose `until` has passed means nothing; the leader
 * deletes such rows. The only place its SQL lives; its trigger NOTIFYs comicbatch_schedule (the leader wakes).
 */
#ifndef COMICBATCH_PAUSESTORE_H
#define COMICBATCH_PAUSESTORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/** The scope of a pause of every job. */
#define PAUSE_ALL "*"

/** One pause. */
struct pause_row {
    char scope[128]; /* PAUSE_ALL or a job key */
    time_t until;
    char reason[256]; /* "" when none was given */
    char createdby[96];
};

/** The pauses in force at `now` into a malloc'd array (caller frees; NULL when none). Count, or -1. */
int pausestore_active(PGconn *c, time_t now, struct pause_row **rows);

/** The pauses in force at `now` as a JSON array of {scope, jobkey, until, reason, createdby, createdat} (new), or NULL. */
json_t *pausestore_active_json(PGconn *c, time_t now);

/** Pauses `scope` until `until` (replacing its pause if it has one). Returns 0 or -1. */
int pausestore_set(PGconn *c, const char *scope, time_t until, const char *reason, const char *createdby);

/** Ends the pause of `scope` if one is in force at `now`. Returns 1 ended, 0 none in force, -1 error. */
int pausestore_end(PGconn *c, const char *scope, time_t now);

/** Deletes pauses that ended before `now`. Returns how many, or -1. */
int64_t pausestore_cleanup(PGconn *c, time_t now);

/** The pause covering `jobkey` in `rows` (the later-ending when both a global and its own apply), or NULL. */
const struct pause_row *pause_covering(const struct pause_row *rows, int n, const char *jobkey);

#endif

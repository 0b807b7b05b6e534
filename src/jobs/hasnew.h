/*
 * hasnew — what library.hasnew (src/jobs/library_hasnew.c) and the hasnew event thread (hasnew_events.c) share:
 * the definition of the flag and the statement that drains the change queue of migration 003.
 *
 * Definition (the seed's UPDATE, verbatim in spirit): an entry (userid, comicid) has something new when a live
 * chapter (deletedat IS NULL) of the comic exists that the user has not read (no library.chapterread row).
 *
 * Queue (the hasnew accelerator, db/accelerators/hasnew.install.sql): jobstate.hasnew_queue rows are (comicid,
 * NULL) = every follower of the comic, or (comicid, userid) = one entry. They are written by triggers in the same
 * transaction as the change, so a committed change is always queued. Draining takes rows with FOR UPDATE SKIP LOCKED and deletes them in the statement that rewrites the
 * entries, so a crash or a cancel puts them back and any number of drainers (instances, the sweep) never collide.
 * Entries are locked in id order before they are written, so two drainers never deadlock on them.
 */
#ifndef COMICBATCH_HASNEW_H
#define COMICBATCH_HASNEW_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct run_control;

/** The flag for entry alias `e` (columns userid, comicid): the seed's EXISTS … NOT EXISTS. */
/* clang-format off */
#define HASNEW_EXPR(e)                                                                                              \
    "EXISTS (SELECT 1 FROM core.chapter ch WHERE ch.comicid = " e ".comicid AND ch.deletedat IS NULL"               \
    " AND NOT EXISTS (SELECT 1 FROM library.chapterread cr WHERE cr.userid = " e ".userid AND cr.chapterid = ch.id))"
/* clang-format on */

/**
 * Drains up to $1 single-entry rows and $2 whole-comic rows of the queue, recomputes the entries they name and
 * writes those whose flag changes. One row: queue rows taken, entries checked, entries updated.
 */
/* clang-format off */
#define HASNEW_DRAIN_SQL                                                                                            \
    "WITH p1 AS (SELECT id FROM jobstate.hasnew_queue WHERE userid IS NOT NULL ORDER BY id LIMIT $1"                 \
    "            FOR UPDATE SKIP LOCKED),"                                                                          \
    " p2 AS (SELECT id FROM jobstate.hasnew_queue WHERE userid IS NULL ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)," \
    " q AS (DELETE FROM jobstate.hasnew_queue WHERE id IN (SELECT id FROM p1 UNION ALL SELECT id FROM p2)"          \
    "       RETURNING comicid, userid),"                                                                            \
    " t AS (SELECT e.id FROM library.entry e WHERE e.comicid IN (SELECT comicid FROM q WHERE userid IS NULL)"       \
    "       UNION SELECT e.id FROM library.entry e JOIN q ON q.userid = e.userid AND q.comicid = e.comicid),"       \
    " calc AS MATERIALIZED (SELECT e.id, e.hasnew, " HASNEW_EXPR("e") " AS v FROM library.entry e"                 \
    "       WHERE e.id IN (SELECT id FROM t) ORDER BY e.id FOR NO KEY UPDATE OF e),"                                  \
    " upd AS (UPDATE library.entry e SET hasnew = c.v FROM calc c WHERE e.id = c.id AND e.hasnew IS DISTINCT FROM c.v" \
    "       RETURNING 1)"                                                                                           \
    " SELECT (SELECT count(*) FROM q), (SELECT count(*) FROM calc), (SELECT count(*) FROM upd)"
/* clang-format on */

/** Queue rows per drain statement: single entries, whole comics (each may have thousands of followers). */
#define HASNEW_DRAIN_PAIRS 10000
#define HASNEW_DRAIN_COMICS 200
/** Drain statements per catch-up pass, so a flood cannot starve the event thread's shutdown checks. */
#define HASNEW_CATCH_UP_ROUNDS 1000

/** What one catch-up pass did. */
struct hasnew_pass {
    char mode[16];   /* "incremental", "recent", or "none" (a full sweep is due: the scheduled run makes it) */
    int64_t taken;   /* queue rows drained (incremental) */
    int64_t checked; /* entries recomputed */
    int64_t updated; /* entries whose flag changed */
};

/**
 * The event thread's pass (runs/hasnew_events.c), the scheduled run's choice without a run record: with the hasnew
 * accelerator, drains the queue; without it, recomputes the entries touched since the last pass, by their timestamps
 * (nothing when a full sweep is due: the scheduled run makes those, one at a time). Stops between statements once
 * ctl->cancel is set (the caller's shutdown; borrowed). Uses `db`
 * (its own connection: temporary tables). Returns 0, or -1 with `err`.
 */
int hasnew_catch_up(PGconn *db, const struct config *cfg, struct run_control *ctl, struct hasnew_pass *out, char *err,
                    size_t errlen);

#endif

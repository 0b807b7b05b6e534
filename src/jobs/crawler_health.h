/*
 * crawler_health — crawler.source_health's SQL (seed §5: "after each failed crawler job, ConsecutiveFails++; at
 * the threshold, disable the source and notify the admins"), shared by the event path (crawler_events.c) and the
 * registered job (a manual recompute, param `sourceid`).
 * Rules: a failed job adds one to crawler.source.consecutivefails, a succeeded one resets it to 0 (outcomes are
 * taken in finishedat, id order); when the count reaches the setting `crawler.disable_threshold` (system.setting,
 * default 5; below 1 = never disable) an enabled source is disabled (isenabled = false, disabledat = now()) and
 * one system.notification row is written, in the same transaction. A disabled source is never re-enabled here.
 */
#ifndef COMICBATCH_CRAWLER_HEALTH_H
#define COMICBATCH_CRAWLER_HEALTH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct health_result {
    int64_t jobs;     /* outcomes consumed */
    int64_t sources;  /* sources updated */
    int64_t disabled; /* sources disabled now (one notification each) */
};

/**
 * Consumes the health-pending marks of jobs `ids[0..n)` (or of every pending job when `ids` is NULL) and applies
 * them to their sources, set-based, in one statement. Idempotent: a job already consumed counts nothing.
 * Returns 0 or -1 with `err`.
 */
int crawler_health_apply_events(PGconn *db, const long long *ids, int n, struct health_result *res, char *err,
                                size_t errlen);

#endif

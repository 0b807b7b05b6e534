/*
 * flush_apply — the Postgres half of analytics.flush_counters (step 2 in analytics_flush.h): ONE transaction that
 * inserts the flush id into system.flushledger, adds the counts to core.comic/core.chapter viewcount and commits.
 * The counts arrive a page at a time: each page is one set-based statement (an UPDATE … FROM unnest per table, ids
 * ascending), sent asynchronously, so Postgres updates page k while Redis moves page k+1. Nothing is visible before
 * the COMMIT, which also makes the ledger row visible: applied and recorded together, or neither. The transaction
 * waits at most JOB_LOCK_TIMEOUT for a row lock (lock_timeout, below deadlock_timeout): in a lock cycle with a
 * platform transaction that updates view counts too, it is the flush that gives up, rolls back whole (releasing
 * every row it locked) and is applied again from its staging list (analytics_flush.c) — never the platform's.
 */
#ifndef COMICBATCH_FLUSH_APPLY_H
#define COMICBATCH_FLUSH_APPLY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "jobs/flush_redis.h"

struct flush_set;
struct job_ctx;

/** What applying did. */
struct flush_result {
    int64_t comics, chapters, views;                         /* rows updated, views added */
    int64_t unknown_comics, unknown_chapters, views_dropped; /* ids with no row (deleted): counted, not an error */
};

/** One apply transaction. Fill db and ctx (NULL at daemon start), zero the rest. */
struct flush_tx {
    PGconn *db;
    struct job_ctx *ctx; /* errors go to the run (job_fail); without a run, to `err` */
    char err[512];
    bool open, inflight;
    bool lock_timeout; /* the last failure was a row lock wait past JOB_LOCK_TIMEOUT: rolled back whole (yielded) */
    int64_t pend_comics, pend_comic_views, pend_chapters, pend_chapter_views; /* the page in flight */
    int64_t wait_ms; /* time spent waiting for Postgres to finish a page (the rest overlapped with Redis) */
    struct flush_result res;
    struct flush_ids ids; /* the form of this platform's comic and chapter ids (flush_tx_prepare) */
    char *page_sql;       /* the page statement for those id types (flush_tx_prepare; freed by flush_tx_finish) */
};

/** Reads the platform's id types from the catalog: fills ids and page_sql. Returns 0 or -1. */
int flush_tx_prepare(struct flush_tx *t);

/** Frees what flush_tx_prepare made (after flush_tx_abort). */
void flush_tx_finish(struct flush_tx *t);

/**
 * Opens the transaction and inserts the ledger row for `id`. Returns 1 (go on), 0 (`id` is already recorded:
 * nothing to do, the transaction is closed) or -1 (error, rolled back).
 */
int flush_tx_begin(struct flush_tx *t, const char *id, bool recovered);

/** Adds one finished page's counts (collecting the previous page's result first). Returns 0 or -1 (rolled back). */
int flush_tx_page(struct flush_tx *t, const struct flush_set *page);

/** Collects the last page, writes the totals into the ledger row and commits. Returns 0 or -1 (rolled back). */
int flush_tx_commit(struct flush_tx *t, const char *id);

/** Rolls back if still open (after an error elsewhere). */
void flush_tx_abort(struct flush_tx *t);

#endif

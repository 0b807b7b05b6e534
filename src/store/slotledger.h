/*
 * slotledger — system.batchmissed, the ledger of cron slots that produced no run (sched/slots.h has the reasons
 * and the span arithmetic). One row is a span: consecutive missed slots of one job for one reason (`firstslot` …
 * `lastslot`, `slots` of them) with a sentence saying why. Only the leader writes it (sched/tick.c); the API and
 * the jobs page read it. Retained like runs, with a cap per job. The only place its SQL lives.
 */
#ifndef COMICBATCH_SLOTLEDGER_H
#define COMICBATCH_SLOTLEDGER_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

/** Longest detail sentence stored (longer ones are cut). */
#define SLOTLEDGER_DETAIL_MAX 500

/** Rows kept per job by retention, newest first (beyond retention_days they go anyway). */
#define SLOTLEDGER_KEEP_PER_JOB 2000

/** One ledger row. */
struct missed_row {
    int64_t id;
    char reason[24];
    time_t firstslot, lastslot;
    int slots;
};

/** The row of `jobkey` with the latest lastslot into `out`. Returns 1 found, 0 none, -1 error. */
int slotledger_latest(PGconn *c, const char *jobkey, struct missed_row *out);

/**
 * Inserts a span; `*id` gets the new row's id. Returns 1 inserted, 0 when a row of `jobkey` already starts at
 * `first` (recorded before: the ledger never counts a slot twice), -1 error.
 */
int slotledger_insert(PGconn *c, const char *jobkey, const char *reason, time_t first, time_t last, int slots,
                      const char *detail, int64_t *id);

/** Extends row `id` to `last`, adding `slots`, with the newest `detail`. Returns 1, 0 (no such row), -1. */
int slotledger_extend(PGconn *c, int64_t id, time_t last, int slots, const char *detail);

/**
 * One page of `jobkey`'s rows, newest first: `*items` gets a JSON array of {id, jobkey, reason, firstslot,
 * lastslot, slots, detail, recordedat} (new reference) and `*total` the row count. Returns 0 or -1.
 */
int slotledger_list(PGconn *c, const char *jobkey, int page, int limit, json_t **items, int64_t *total);

/**
 * Per job, the slots missed with a lastslot after `since` and the latest row: an object jobkey → {slots, latest}
 * (new reference; jobs without rows are absent), or NULL on error.
 */
json_t *slotledger_summary(PGconn *c, time_t since);

/** Deletes rows whose last slot is older than `days`, and each job's rows past the newest `keep`. Count or -1. */
int64_t slotledger_retention(PGconn *c, int days, int keep);

#endif

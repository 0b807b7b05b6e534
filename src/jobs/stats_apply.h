/*
 * stats_apply — the shared skeleton of comics.ratings_recalc and comics.counts_recalc: both keep denormalised
 * columns equal to aggregates that migration 003 maintains in jobstate (stats tables fed by append-only delta
 * logs), and both go the same way: fold the deltas, optionally rebuild the stats from the platform tables
 * (`full`), then walk the target table in keyset batches writing only the rows that differ.
 * A dry run does all of it inside one REPEATABLE READ transaction that is rolled back: it sees what a real run
 * would, and changes nothing (not even jobstate).
 */
#ifndef COMICBATCH_STATS_APPLY_H
#define COMICBATCH_STATS_APPLY_H

#include <stdint.h>

struct job_ctx;

/**
 * Starts the run: for a dry run, opens the transaction; with param `full`, runs `rebuild_sql` (in a REPEATABLE
 * READ transaction of its own for a real run); then runs each of the `nfold` fold statements. 0 or -1.
 */
int stats_begin(struct job_ctx *ctx, const char *rebuild_sql, const char *const *fold_sql, int nfold);

/**
 * Runs `batch_sql` until the table is walked. Its parameters: $1 last id seen, $2 batch size, $3 dry run
 * (boolean), then `nextra` more; it returns one row: max id of the batch, rows in the batch, rows that differ,
 * rows updated. Adds the differing rows to *would and the updated ones to *updated. 0 or -1.
 */
int stats_walk(struct job_ctx *ctx, const char *what, const char *batch_sql, int nextra, const char *const *extra,
               int64_t *updated, int64_t *would);

/** Ends the run: rolls the dry-run transaction back. Returns the job's result (0, or -1 if failed/cancelled). */
int stats_end(struct job_ctx *ctx);

#endif

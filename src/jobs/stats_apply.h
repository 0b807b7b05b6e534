/*
 * stats_apply — the shared skeleton of comics.ratings_recalc and comics.counts_recalc: both keep denormalised
 * columns equal to aggregates, and both go the same way. With their accelerator (db/accelerators/counts, ratings)
 * the aggregates are kept in jobstate (stats tables fed by append-only delta logs): fold the deltas, optionally
 * rebuild the stats from the platform tables (`full`), find the rows that differ with one read-only statement over
 * the whole table (a merge of two id-ordered tables: tens of milliseconds for 52k comics). Without it the
 * read-only statement aggregates the platform tables itself. Either way only the rows that differ are written, in
 * batches of batch_rows ids.
 * A dry run does all of it inside one REPEATABLE READ transaction that is rolled back and writes no batch: it sees
 * what a real run would, and changes nothing (not even jobstate).
 */
#ifndef COMICBATCH_STATS_APPLY_H
#define COMICBATCH_STATS_APPLY_H

#include <libpq-fe.h>
#include <stdint.h>

struct job_ctx;

/**
 * Starts the run: for a dry run, opens the transaction; with param `full` and a `rebuild_sql` (NULL: nothing to
 * rebuild), runs it (in a REPEATABLE READ transaction of its own for a real run); then runs each of the `nfold`
 * fold statements. 0 or -1.
 */
int stats_begin(struct job_ctx *ctx, const char *rebuild_sql, const char *const *fold_sql, int nfold);

/** The statements of one stats_apply pass and their extra parameters. */
struct stats_pass {
    const char *what;
    const char *diff_sql;  /* $1..$n = params; returns the ids of the rows that differ, in order */
    const char *apply_sql; /* $1 = an array of up to batch_rows of those ids (then, with ncols > 1, arrays of the
                              diff's next columns as $2..$ncols), then the params; re-checks that the row still
                              differs; one row updated per row */
    int nparams;
    const char *const *params;
    int ncols;           /* diff columns passed to apply as arrays, from column 0 (the ids); 0 means 1 */
    int64_t done_before; /* rows of this pass written before its diff's rows (progress counts on from there) */
};

/**
 * Runs the pass's diff and adds the number of rows that differ to *would; unless dry, runs its apply per batch of
 * ids, adding to *updated. 0 or -1.
 */
int stats_apply(struct job_ctx *ctx, const struct stats_pass *pass, int64_t *updated, int64_t *would);

/**
 * The second half of stats_apply, for a diff the caller ran itself: the ids in column 0 of rows [0, n) of `ids`
 * (borrowed) are counted into *would and, unless dry, written in batches with the pass's apply. 0 or -1.
 */
int stats_apply_rows(struct job_ctx *ctx, const struct stats_pass *pass, const PGresult *ids, int n, int64_t *updated,
                     int64_t *would);

/** Ends the run: rolls the dry-run transaction back. Returns the job's result (0, or -1 if failed/cancelled). */
int stats_end(struct job_ctx *ctx);

/**
 * The values of column `col` of rows [from, to) of `r` as a Postgres array literal ("{a,NULL}"; values are numbers
 * or uuids, never quoted); free() it.
 */
char *stats_array_text(const PGresult *r, int col, int from, int to);

#endif

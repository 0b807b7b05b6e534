/*
 * runjson — the JSON shape of a run (the seed's BatchJobRun plus params, dryrun, progress, lock, instance and retry
 * fields), defined once as a table of fields and rendered two ways from it:
 *   - RUN_JSON_SQL, an SQL expression that builds the object in PostgreSQL (one run, a few runs);
 *   - RUN_COLS_SQL + runjson_append, the same fields as plain columns that the daemon writes as JSON text — for the
 *     run list, where PostgreSQL's json_build_object costs ~25 µs a run (it looks up every argument's output
 *     function on every row) and the columns cost ~5 (issue 12, BENCHMARKS.md "Run history").
 * Both read a system.batchrun row aliased `r`. The keys, their order and each value's expression come from the one
 * table below, so the two renderings cannot drift apart (tests/integration/history.test.mjs compares them).
 */
#ifndef COMICBATCH_RUNJSON_H
#define COMICBATCH_RUNJSON_H

#include <libpq-fe.h>

#include "store/pg.h"
#include "util/jsontext.h"

#define RUN_ISO(col) PG_ISO(col)

/* How a field's column text becomes JSON: a string, a token copied as it is (numbers, jsonb), a boolean ('t'/'f').
 * NULL is null for all three. */
enum runjson_kind { RJ_STR, RJ_RAW, RJ_BOOL };

/* The fields after "id", in the API's order: X(key, SQL expression, kind). */
/* clang-format off */
#define RUN_FIELDS_AFTER_ID(X) \
    X("jobkey", "r.jobkey", RJ_STR) X("status", "r.status", RJ_STR) X("triggeredby", "r.triggeredby", RJ_STR) \
    X("triggeredbyuserid", "r.triggeredbyuserid", RJ_STR) X("startedat", RUN_ISO("r.startedat"), RJ_STR) \
    X("finishedat", RUN_ISO("r.finishedat"), RJ_STR) X("durationms", "r.durationms", RJ_RAW) \
    X("rowsaffected", "r.rowsaffected", RJ_RAW) X("lasterror", "r.lasterror", RJ_STR) X("meta", "r.meta", RJ_RAW) \
    X("createdat", RUN_ISO("r.createdat"), RJ_STR) X("params", "r.params", RJ_RAW) X("dryrun", "r.dryrun", RJ_BOOL) \
    X("lockkey", "r.lockkey", RJ_STR) X("scheduledfor", RUN_ISO("r.scheduledfor"), RJ_STR) \
    X("instance", "r.instance", RJ_STR) X("heartbeatat", RUN_ISO("r.heartbeatat"), RJ_STR) \
    X("cancelrequestedat", RUN_ISO("r.cancelrequestedat"), RJ_STR) X("progressdone", "r.progressdone", RJ_RAW) \
    X("progresstotal", "r.progresstotal", RJ_RAW) X("timeoutms", "r.timeoutms", RJ_RAW) \
    X("attempt", "r.attempt", RJ_RAW) X("retryof", "r.retryof", RJ_STR) X("notbefore", RUN_ISO("r.notbefore"), RJ_STR)
/* clang-format on */
#define RUNJSON_SQL_PAIR(key, expr, kind) ", '" key "', " expr
#define RUNJSON_SQL_COL(key, expr, kind) ", " expr

/** The SQL expression that renders the run `r` as the API's JSON object. */
#define RUN_JSON_SQL "json_build_object('id', r.id" RUN_FIELDS_AFTER_ID(RUNJSON_SQL_PAIR) ")"

/** The run `r`'s fields as columns, in the table's order (RUNJSON_NCOLS of them), for runjson_append. */
#define RUN_COLS_SQL "r.id" RUN_FIELDS_AFTER_ID(RUNJSON_SQL_COL)

/** How many columns RUN_COLS_SQL yields. */
#define RUNJSON_NCOLS 25

/**
 * Appends the JSON object of the run whose RUN_COLS_SQL columns start at column `col0` of row `row` of `r`. The
 * caller has checked that `r` has those RUNJSON_NCOLS columns.
 */
void runjson_append(struct jsontext *out, const PGresult *r, int row, int col0);

#endif

/*
 * analytics_flush — analytics.flush_counters (DESIGN §4): Redis view counters into core.comic/core.chapter
 * viewcount, exactly once. The steps, and what a crash (kill -9) after each leaves behind:
 *   0. take the flush lock (a Postgres advisory lock: one flusher/recoverer at a time, across instances; it dies
 *      with its connection) and recover (below);
 *   1. stage: move the counters into the staging list comicbatch:flush:<id> (flush_redis.h)
 *      — crash → the staging list holds the moved counts; recovery applies them;
 *   2. apply: in ONE transaction, insert <id> into system.flushledger and add the counts (set-based: unnest + one
 *      UPDATE … FROM per table) — crash before COMMIT → rolled back, recovery re-applies; after COMMIT → the id is
 *      in the ledger, recovery only drops the staging list;
 *   3. drop the staging list.
 * Recovery (at the start of each run and when the daemon starts): every staging list whose id is in the ledger is
 * dropped, every other one is applied (step 2) and dropped. Staging lists register themselves in a Redis set as
 * they are created (in the same atomic script), so a run finds them without walking the keyspace; the daemon start
 * also walks it (SCAN) as a safety net.
 * Fault points for the crash tests (util/fault.h): flush:after_staging, flush:after_commit, flush:before_drop.
 */
#ifndef COMICBATCH_ANALYTICS_FLUSH_H
#define COMICBATCH_ANALYTICS_FLUSH_H

struct config;

/**
 * Daemon start: applies or drops staging lists left by a crashed flush, unless another process holds the flush
 * lock (it recovers them itself). Never fails the start: problems are logged and left to the next run.
 */
void analytics_flush_recover_at_start(const struct config *cfg);

#endif

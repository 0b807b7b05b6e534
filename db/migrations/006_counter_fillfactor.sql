-- 006_counter_fillfactor.sql — room on each page for the next version of a row whose counters change often
-- (owner: analytics.flush_counters; found by bench/bench_flush.sh).
--
-- analytics.flush_counters adds views to core.comic.viewcount and core.chapter.viewcount every hour, and
-- comics.counts_recalc / comics.ratings_recalc rewrite core.comic's other counters. None of these columns is
-- indexed, so PostgreSQL can update such a row in place (a HOT update: no new entry in any index, a fraction of the
-- WAL) — but only if the new version fits on the same page. Packed to 100% (the default), pages have no room and
-- every flush rewrote every index of every touched row: 10k chapters cost ~5 WAL records each instead of ~1.5.
-- At 90%, a page keeps room for its rows' next versions (and pruning reclaims the old ones), so steady-state flushes
-- are HOT. New pages follow the setting at once; pages already full get it when next rewritten (VACUUM FULL).
ALTER TABLE core.comic SET (fillfactor = 90);
ALTER TABLE core.chapter SET (fillfactor = 90);

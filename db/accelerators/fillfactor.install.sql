-- fillfactor accelerator (storage tuning; owner: analytics.flush_counters, found by bench/bench_flush.sh). Only the
-- tables' owner may run it.
-- analytics.flush_counters adds views to core.comic.viewcount and core.chapter.viewcount every hour, and
-- comics.counts_recalc / ratings_recalc rewrite core.comic's other counters. None of these columns is indexed, so
-- PostgreSQL can update such a row in place (a HOT update: no new entry in any index, a fraction of the WAL) — but
-- only if the new version fits on the same page. Packed to 100% (the default), pages have no room and every flush
-- rewrites every index of every touched row. At 90%, a page keeps room for its rows' next versions. New pages
-- follow the setting at once; pages already full get it when next rewritten (VACUUM FULL, pg_repack).
ALTER TABLE core.comic SET (fillfactor = 90);
ALTER TABLE core.chapter SET (fillfactor = 90);

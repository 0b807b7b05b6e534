-- history_fill.sql — N runs (psql variable :runs, default set by the caller) in system.batchrun, created over the
-- last :days days (default 6.9, so that all of them stay inside the API's default 7-day window while the benchmark
-- runs), with the shapes a busy platform has: library.hasnew triggered per comic (lock key
-- library.hasnew:comic:N, params {"comicid": N}) for most of them, every other job of the registry from the
-- scheduler and from admins in decreasing shares, mostly done with a few percent failed and cancelled, and the
-- newest runs of some per-comic lock keys still queued or running. Deterministic (hashint4 of the row number).
-- Columns are those of migration 001, so the same file fills the schema of any version (before/after).
\set ON_ERROR_STOP 1
\if :{?runs}
\else
\set runs 1000000
\endif
\if :{?days}
\else
\set days 6.9
\endif
SET synchronous_commit = off;
INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, triggeredbyuserid, params, dryrun,
                             scheduledfor, timeoutms, instance, instanceno, startedat, finishedat, durationms,
                             rowsaffected, lasterror, meta, heartbeatat, createdat)
SELECT g.id, g.jobkey,
       CASE WHEN g.percomic THEN 'library.hasnew:comic:' || g.comic ELSE g.jobkey END,
       g.status, g.trig,
       CASE WHEN g.trig = 'admin' AND g.h % 3 = 0 THEN '00000000-0000-4000-8000-00000000000' || (g.h % 10) END::uuid,
       CASE WHEN g.percomic THEN jsonb_build_object('comicid', g.comic) ELSE '{}'::jsonb END,
       false,
       CASE WHEN g.trig = 'scheduler' THEN g.created END,
       1800000, 'bench-host:' || (g.h % 4), 1 + g.h % 4,
       CASE WHEN g.status <> 'queued' THEN g.created + interval '50 ms' END,
       CASE WHEN g.status IN ('done', 'failed', 'cancelled') THEN g.created + interval '50 ms' + g.dur END,
       CASE WHEN g.status IN ('done', 'failed', 'cancelled') THEN (extract(epoch FROM g.dur) * 1000)::bigint END,
       CASE WHEN g.status = 'done' THEN g.h % 5000 END,
       CASE g.status WHEN 'failed' THEN 'canceling statement due to statement timeout (job ' || g.jobkey || ')'
                     WHEN 'cancelled' THEN 'cancelled by an admin' END,
       CASE WHEN g.status = 'done' THEN jsonb_build_object('entriesChecked', g.h % 100000, 'entriesUpdated', g.h % 37) END,
       CASE WHEN g.status <> 'queued' THEN g.created + interval '50 ms' + g.dur END,
       g.created
FROM (
    SELECT i, h, gen_random_uuid() AS id,
           -- job mix: 70% hasnew, then the other jobs in decreasing shares
           CASE WHEN j < 700 THEN 'library.hasnew'
                WHEN j < 780 THEN 'analytics.flush_counters'
                WHEN j < 830 THEN 'comics.ratings_recalc'
                WHEN j < 880 THEN 'comics.counts_recalc'
                WHEN j < 920 THEN 'metadata.series_refresh'
                WHEN j < 950 THEN 'system.canary'
                WHEN j < 970 THEN 'storage.orphan_cleanup'
                WHEN j < 980 THEN 'sessions.cleanup'
                WHEN j < 990 THEN 'announcements.expire'
                WHEN j < 995 THEN 'library.viewhistory_cap'
                WHEN j < 998 THEN 'analytics.anonymize'
                WHEN j < 999 THEN 'analytics.partition'
                ELSE 'crawler.partition' END AS jobkey,
           j < 595 AS percomic,                      -- 85% of hasnew runs are per comic, by admins
           CASE WHEN i <= 200 THEN 50000 + i ELSE 1 + (h / 7) % 50000 END AS comic,
           CASE WHEN j < 595 THEN 'admin' WHEN (h / 11) % 10 < 7 THEN 'scheduler' ELSE 'admin' END AS trig,
           -- the newest 200 per-comic runs are still active (distinct comics: one active run per lock key)
           CASE WHEN j < 595 AND i <= 200 THEN (CASE WHEN i % 4 = 0 THEN 'running' ELSE 'queued' END)
                WHEN (h / 13) % 100 < 4 THEN 'failed'
                WHEN (h / 13) % 100 < 6 THEN 'cancelled'
                ELSE 'done' END AS status,
           now() - make_interval(secs => (i - 1 + (h % 1000) / 1000.0) * :days * 86400 / :runs) AS created,
           make_interval(secs => 0.2 + (h % 600000) / 1000.0) AS dur
    FROM (SELECT i, abs(hashint4(i)) AS h, abs(hashint4(i)) % 1000 AS j FROM generate_series(1, :runs) i) s
) g;
ANALYZE system.batchrun;

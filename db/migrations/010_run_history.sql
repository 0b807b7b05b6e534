-- 010_run_history.sql — run history that stays fast at a million runs (issue 12), with exact totals.
--
-- Counting: system.batchruncount holds, per hour of createdat and per (jobkey, status, triggeredby), how many runs
-- there are, plus one row per hour with all three columns '' holding the hour's total (the unfiltered list reads
-- 24 rows a day instead of one per key). Statement-level triggers on system.batchrun keep it exact in the
-- transaction of every write — the daemon's inserts, claims, finishes, cancels, rescues and retention deletes, and
-- any SQL a person or a test runs — so it is as crash-safe as the rows themselves. Each statement adds its changes
-- up per key and upserts them in key order, after all its row changes: a claim or a finish moves one run from one
-- key to another (two row updates; the hour's total does not change and is not written), a heartbeat or progress
-- update writes nothing and only pays for the trigger call. A total over [from, to] is then the sum of the whole
-- hours inside it plus exact counts of the two partial edge hours (store/runstore.c).
--
-- Reading: runs are found through two indexes that give the list's order (createdat DESC, id DESC) directly:
--   batchrun_created         (createdat, id)                                  the unfiltered list
--   batchrun_job_status_trig (jobkey, status, triggeredby, createdat, id)     any filter: one ordered stream per
--                             (jobkey, status, triggeredby) that matches, merged; the counts say which exist
-- They replace batchrun_createdat (createdat) and batchrun_job_createdat (jobkey, createdat): the number of indexes
-- a write maintains stays the same.
--
-- Runs once, inside the migrator's transaction. The table lock keeps writers out between the backfill and the
-- triggers, so no run is counted twice or missed.

LOCK TABLE system.batchrun IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE system.batchruncount (
    hour        timestamptz NOT NULL,              -- date_bin('1 hour', createdat, epoch): whole UTC hours
    jobkey      text        NOT NULL,              -- '' in the hour's total row (all three '')
    status      text        NOT NULL,
    triggeredby text        NOT NULL,
    n           bigint      NOT NULL,              -- runs with that key created in that hour (0 rows are allowed)
    PRIMARY KEY (hour, jobkey, status, triggeredby)
) WITH (fillfactor = 70);                          -- room for HOT updates: n changes on every run's claim/finish

-- One job's history reads its hours without touching the other jobs' rows.
CREATE INDEX batchruncount_job ON system.batchruncount (jobkey, hour);

-- The runs already there (the lock above keeps new ones out until the triggers exist).
INSERT INTO system.batchruncount (hour, jobkey, status, triggeredby, n)
SELECT h, coalesce(jobkey, ''), coalesce(status, ''), coalesce(triggeredby, ''), count(*)
FROM (SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00') AS h, jobkey, status, triggeredby
      FROM system.batchrun) x
GROUP BY GROUPING SETS ((h, jobkey, status, triggeredby), (h));

-- Adds signed per-run deltas (d: +1 a row that now exists, -1 one that no longer does) up per key and per hour,
-- skipping keys whose sum is zero, and upserts them in key order (two statements lock the count rows they share in
-- the same order, so they cannot deadlock on them).
CREATE FUNCTION system.batchrun_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO system.batchruncount AS c (hour, jobkey, status, triggeredby, n)
    SELECT h, coalesce(jobkey, ''), coalesce(status, ''), coalesce(triggeredby, ''), count(*)
    FROM (SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00') AS h, jobkey, status, triggeredby
          FROM new_rows) x
    GROUP BY GROUPING SETS ((h, jobkey, status, triggeredby), (h)) ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, jobkey, status, triggeredby) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION system.batchrun_count_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO system.batchruncount AS c (hour, jobkey, status, triggeredby, n)
    SELECT h, coalesce(jobkey, ''), coalesce(status, ''), coalesce(triggeredby, ''), sum(d)
    FROM (SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00') AS h, jobkey, status, triggeredby, 1 AS d
          FROM new_rows
          UNION ALL
          SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00'), jobkey, status, triggeredby, -1
          FROM old_rows) x
    GROUP BY GROUPING SETS ((h, jobkey, status, triggeredby), (h)) HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, jobkey, status, triggeredby) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

-- Deletes (retention) also drop the count rows of the hours they touched that reached zero, so the table does not
-- keep an hour whose runs are all gone.
CREATE FUNCTION system.batchrun_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO system.batchruncount AS c (hour, jobkey, status, triggeredby, n)
    SELECT h, coalesce(jobkey, ''), coalesce(status, ''), coalesce(triggeredby, ''), -count(*)
    FROM (SELECT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00') AS h, jobkey, status, triggeredby
          FROM old_rows) x
    GROUP BY GROUPING SETS ((h, jobkey, status, triggeredby), (h)) ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, jobkey, status, triggeredby) DO UPDATE SET n = c.n + excluded.n;
    DELETE FROM system.batchruncount c
    WHERE c.n = 0 AND c.hour IN (SELECT DISTINCT date_bin('1 hour', createdat, '1970-01-01 00:00:00+00')
                                 FROM old_rows);
    RETURN NULL;
END $$;

CREATE FUNCTION system.batchrun_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM system.batchruncount;
    RETURN NULL;
END $$;

CREATE TRIGGER batchrun_count_ins AFTER INSERT ON system.batchrun
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION system.batchrun_count_ins();
CREATE TRIGGER batchrun_count_upd AFTER UPDATE ON system.batchrun
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION system.batchrun_count_upd();
CREATE TRIGGER batchrun_count_del AFTER DELETE ON system.batchrun
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION system.batchrun_count_del();
CREATE TRIGGER batchrun_count_truncate AFTER TRUNCATE ON system.batchrun
    FOR EACH STATEMENT EXECUTE FUNCTION system.batchrun_count_truncate();

DROP INDEX IF EXISTS system.batchrun_createdat;
DROP INDEX IF EXISTS system.batchrun_job_createdat;
CREATE INDEX batchrun_created ON system.batchrun (createdat, id);
CREATE INDEX batchrun_job_status_trig ON system.batchrun (jobkey, status, triggeredby, createdat, id);

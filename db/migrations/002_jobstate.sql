-- 002_jobstate.sql — schema `jobstate`: comicbatch's own bookkeeping for the jobs that watch the platform's tables.
-- Never read by the platform. This migration creates only what every mode needs; the incremental state that the
-- optional triggers keep (queues, delta logs, per-comic stats) is created by `comicbatch accelerators install` with
-- the platform's id types, and dropped by `comicbatch accelerators remove` (db/accelerators/).
--
-- Runs once, inside the migrator's transaction.

DO $$
BEGIN
    IF to_regnamespace('jobstate') IS NULL THEN
        CREATE SCHEMA jobstate;  -- see 001 for why not CREATE SCHEMA IF NOT EXISTS
    END IF;
END $$;

-------------------------------------------------------------------------------------------------------------
-- library.hasnew
-------------------------------------------------------------------------------------------------------------

-- fullneeded: the next scheduled run must be a full sweep (a fresh install, an accelerator installed or removed:
-- a verified starting point). polledat: when the last trigger-less catch-up started (the database's clock); the
-- next one looks at chapters, reads and follows stamped since then, minus a margin for transactions that commit
-- late (src/jobs/hasnew.h). Set by every full sweep and every catch-up.
CREATE TABLE jobstate.hasnew_state (
    one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
    fullneeded boolean     NOT NULL,
    lastfullat timestamptz NULL,
    polledat   timestamptz NULL
);
INSERT INTO jobstate.hasnew_state (fullneeded) VALUES (true);

-------------------------------------------------------------------------------------------------------------
-- crawler.source_health: each outcome of a crawler.job counted exactly once
-------------------------------------------------------------------------------------------------------------

-- The outcomes (a job reaching failed/succeeded) already folded into crawler.source. Found by polling crawler.job
-- for outcomes finished since the last poll (minus a margin), or at once for the job ids a NOTIFY accelerator
-- announces; either way the INSERT ... ON CONFLICT DO NOTHING into this table, in the transaction that updates the
-- sources, is what makes an outcome count once, however many instances, notifications or polls see it. A job that
-- fails again after a retry has a new finishedat and counts again. Ids are kept as text: the platform's type.
CREATE TABLE jobstate.crawler_outcome (
    jobid    text        NOT NULL,
    fin      timestamptz NOT NULL,   -- coalesce(finishedat, createdat) of the outcome
    status   text        NOT NULL,
    sourceid text        NOT NULL,
    PRIMARY KEY (jobid, fin, status)
);
CREATE INDEX crawler_outcome_fin_idx ON jobstate.crawler_outcome (fin);

-- baselineat: outcomes finished before it are history that crawler.source already reflects (set when comicbatch
-- was installed); polledat: when the last poll started.
CREATE TABLE jobstate.crawler_state (
    one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
    baselineat timestamptz NOT NULL DEFAULT now(),
    polledat   timestamptz NULL
);
INSERT INTO jobstate.crawler_state DEFAULT VALUES;

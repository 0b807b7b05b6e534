-- 013_schedule_ledger: scheduling that explains itself (issue 13) — per-job schedule settings beside the cron (the
-- params scheduled runs use, retries, a deadline), retries as runs linked to the run they retry, and the ledger of
-- every cron slot that did not produce a run. Time zones need no column: the zone lives in the stored expression
-- (`CRON_TZ=Asia/Tokyo 0 0 * * *`), the one source of truth.

-- A retry is a new run: `attempt` counts from 1, `retryof` is the failed run it repeats, and `notbefore` holds it
-- in the queue until its backoff has passed (workers claim only runs whose notbefore is NULL or past). A waiting
-- retry is a queued run: it holds the job's lock key, so a slot or a trigger during the backoff is an overlap (409).
ALTER TABLE system.batchrun
    ADD COLUMN attempt   integer     NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    ADD COLUMN retryof   uuid        NULL,
    ADD COLUMN notbefore timestamptz NULL;
CREATE UNIQUE INDEX batchrun_retryof ON system.batchrun (retryof) WHERE retryof IS NOT NULL; -- one retry per run

-- Schedule settings set through the API (NULL = the job's default: `[job.KEY] …`, else the registry's).
ALTER TABLE system.batchschedule
    ADD COLUMN params         jsonb       NULL,    -- the params scheduled runs use (validated like a trigger's)
    ADD COLUMN maxattempts    integer     NULL CHECK (maxattempts BETWEEN 1 AND 20),
    ADD COLUMN retrydelayms   bigint      NULL CHECK (retrydelayms > 0),  -- the first retry's backoff
    ADD COLUMN deadlinems     bigint      NULL CHECK (deadlinems >= 0),   -- must have succeeded within; 0 = off
    -- Since when the job is expected to succeed: the row's creation, its last enabling or its deadline's change.
    -- A job that never succeeded is measured against it.
    ADD COLUMN expectedsince  timestamptz NOT NULL DEFAULT now(),
    -- The deadline breach already alerted (the last success it was measured from): once per breach, whichever
    -- instance leads.
    ADD COLUMN deadlinealerted timestamptz NULL,
    -- For a job an operator disabled: its next slot, recorded in the ledger as `disabled` when it passes (NULL for
    -- jobs that are disabled by default: they were never meant to run).
    ADD COLUMN disablednext   timestamptz NULL;

-- The missed-slot ledger: every cron slot that produced no run, with why. Consecutive missed slots of one job for
-- the same reason are one row (`firstslot`..`lastslot`, `slots` of them), so a month of downtime of a per-minute
-- job is one row, not 43,200. Retained like runs (runs.retention_days), at most a bounded number per job.
CREATE TABLE system.batchmissed (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jobkey     text        NOT NULL,
    reason     text        NOT NULL CHECK (reason IN ('overlap', 'misfire-skipped', 'disabled', 'paused',
                                                      'unavailable', 'no-leader', 'invalid-schedule')),
    firstslot  timestamptz NOT NULL,
    lastslot   timestamptz NOT NULL,
    slots      integer     NOT NULL DEFAULT 1 CHECK (slots >= 1),
    detail     text        NULL,                  -- a sentence: which run held the lock, who paused, how long…
    recordedat timestamptz NOT NULL DEFAULT now(),
    CHECK (lastslot >= firstslot),
    UNIQUE (jobkey, firstslot)
);
CREATE INDEX batchmissed_job_last ON system.batchmissed (jobkey, lastslot DESC);
CREATE INDEX batchmissed_lastslot ON system.batchmissed (lastslot);

-- 004_analytics_crawler_storage.sql — what analytics.flush_counters and crawler.source_health need beyond the
-- platform tables of 002 (analytics.anonymize, the partition jobs and storage.orphan_cleanup use 002 as it is:
-- pageview_identifiable_idx, system.ensure_month_partition, the mediafile reference indexes).
-- Runs once, inside the migrator's transaction.

-------------------------------------------------------------------------------------------------------------
-- analytics.flush_counters: the ledger of applied flushes (DESIGN §4, exactly once)
-------------------------------------------------------------------------------------------------------------

-- One row per flush whose counts reached core.comic/core.chapter. The row is inserted in the same transaction
-- that adds the counts, so "id is here" <=> "its staging hash (Redis comicbatch:flush:<id>) was applied": on
-- recovery a staging hash whose id is here is only dropped, any other one is applied. Rows are never needed
-- after their staging hash is gone; the job prunes rows older than 90 days.
CREATE TABLE system.flushledger (
    id         uuid        PRIMARY KEY,             -- the flush id (UUIDv7), also the staging hash's name
    appliedat  timestamptz NOT NULL DEFAULT now(),
    comics     bigint      NOT NULL DEFAULT 0,      -- core.comic rows updated
    chapters   bigint      NOT NULL DEFAULT 0,      -- core.chapter rows updated
    views      bigint      NOT NULL DEFAULT 0,      -- views added
    unknownids bigint      NOT NULL DEFAULT 0,      -- counters whose comic/chapter no longer exists (dropped)
    recovered  boolean     NOT NULL DEFAULT false   -- applied by recovery after a crash, not by its own run
);
CREATE INDEX flushledger_appliedat_idx ON system.flushledger (appliedat);

-------------------------------------------------------------------------------------------------------------
-- crawler.source_health: event-driven, each outcome counted exactly once
-------------------------------------------------------------------------------------------------------------

-- A job that reaches failed/succeeded is marked health-pending in the same transaction, and its id is announced
-- on channel comicbatch_crawler (delivered on commit). The daemon consumes the mark with
--   UPDATE crawler.job SET healthpending = false WHERE id = ANY(...) AND healthpending RETURNING ...
-- in the transaction that updates crawler.source, so a duplicate notification, a second instance, or a replay
-- after a crash finds nothing left to count. A job that fails again after a retry is marked again.
ALTER TABLE crawler.job ADD COLUMN healthpending boolean NOT NULL DEFAULT false;
CREATE INDEX job_healthpending_idx ON crawler.job (sourceid, finishedat, id) WHERE healthpending;

CREATE FUNCTION crawler.job_health_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('failed', 'succeeded')
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
        NEW.healthpending := true;
        PERFORM pg_notify('comicbatch_crawler', NEW.id::text);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER job_health_notify BEFORE INSERT OR UPDATE OF status ON crawler.job
    FOR EACH ROW EXECUTE FUNCTION crawler.job_health_notify();

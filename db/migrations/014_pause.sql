-- 014_pause: maintenance windows (issue 13). A row pauses scheduling until `until`: of every job (scope '*') or of
-- one (scope = the job key). A paused job's slots are recorded in system.batchmissed as `paused` and enqueue
-- nothing; manual runs still work. Rows whose `until` has passed mean nothing and are deleted by the leader.
CREATE TABLE system.batchpause (
    scope     text        PRIMARY KEY,         -- '*' = all jobs, else a job key
    until     timestamptz NOT NULL,
    reason    text        NULL,
    createdby text        NOT NULL,            -- the audit actor ("admin-token", "user:<id>", "cli:<user>")
    createdat timestamptz NOT NULL DEFAULT now()
);

-- A pause or a resume wakes the leader at once, like a schedule edit (same channel).
CREATE FUNCTION system.batchpause_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('comicbatch_schedule', COALESCE(NEW.scope, OLD.scope));
    RETURN NULL;
END $$;

CREATE TRIGGER batchpause_notify AFTER INSERT OR UPDATE OR DELETE ON system.batchpause
    FOR EACH ROW EXECUTE FUNCTION system.batchpause_notify();

-- 011_leader: leadership that cannot split (issue 11). The leader's session advisory lock says who may lead; this
-- one row says since when, under which epoch, and when it last proved it was alive. A new leader bumps the epoch
-- when it takes over; every leader-only write (enqueue a slot, rescue, retention) runs in a transaction that first
-- locks this row FOR SHARE with the epoch it holds, so a write of a deposed leader either committed before the bump
-- or finds another epoch and writes nothing. A candidate that sees `heartbeatat` older than the leader lease ends
-- the holder's lock session (pg_terminate_backend) and takes over.
CREATE TABLE system.batchleader (
    id          integer     PRIMARY KEY CHECK (id = 1),  -- one row
    epoch       bigint      NOT NULL,                    -- bumped by every takeover
    instance    text        NULL,                        -- the leader's instance name
    instanceno  integer     NULL,                        -- its system.batchinstance.no
    backendpid  integer     NULL,                        -- the backend of its lock session (what fencing ends)
    takenat     timestamptz NULL,
    heartbeatat timestamptz NULL                         -- refreshed every second by the leader
);

INSERT INTO system.batchleader (id, epoch) VALUES (1, 0);

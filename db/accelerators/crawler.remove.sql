-- crawler accelerator, removed (the function CASCADE takes its triggers: see hasnew.remove.sql). Outcomes are then
-- found by the daemon's poll, within a minute.
DROP FUNCTION IF EXISTS jobstate.crawler_notify() CASCADE;

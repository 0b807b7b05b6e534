-- viewhistory accelerator, removed (functions CASCADE take their triggers: see hasnew.remove.sql).
DROP FUNCTION IF EXISTS jobstate.viewhistory_ins(), jobstate.viewhistory_del(), jobstate.viewhistory_upd() CASCADE;
DROP FUNCTION IF EXISTS jobstate.rebuild_viewhistory_users();
DROP TABLE IF EXISTS jobstate.viewhistory_users;

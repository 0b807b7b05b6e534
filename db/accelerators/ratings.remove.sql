-- ratings accelerator, removed (functions CASCADE take their triggers: see hasnew.remove.sql).
DROP FUNCTION IF EXISTS jobstate.ratings_ins(), jobstate.ratings_del(), jobstate.ratings_upd() CASCADE;
DROP FUNCTION IF EXISTS jobstate.rebuild_comic_ratings();
DROP TABLE IF EXISTS jobstate.comic_ratings, jobstate.comic_ratings_delta;

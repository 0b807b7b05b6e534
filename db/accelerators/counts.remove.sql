-- counts accelerator, removed (functions CASCADE take their triggers: see hasnew.remove.sql). comics.counts_recalc
-- then counts from the platform tables again.
DROP FUNCTION IF EXISTS jobstate.counts_chapter_ins(), jobstate.counts_chapter_del(), jobstate.counts_chapter_upd(),
    jobstate.counts_entry_ins(), jobstate.counts_entry_del(), jobstate.counts_entry_upd(),
    jobstate.counts_groupfollow_ins(), jobstate.counts_groupfollow_del(), jobstate.counts_groupfollow_upd() CASCADE;
DROP FUNCTION IF EXISTS jobstate.rebuild_comic_counts(), jobstate.rebuild_group_follows();
DROP TABLE IF EXISTS jobstate.comic_counts, jobstate.comic_counts_delta, jobstate.group_follows,
    jobstate.group_follows_delta;

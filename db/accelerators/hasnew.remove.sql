-- hasnew accelerator, removed. Dropping the functions CASCADE drops the triggers that call them: PostgreSQL lets
-- only a table's owner DROP TRIGGER, but the owner of a trigger's function may drop it with its dependents, so
-- comicbatch's role can remove what it installed with no more than the TRIGGER privilege. Entries the queue still
-- named are covered by the full sweep the next scheduled run makes (fullneeded).
DROP FUNCTION IF EXISTS jobstate.hasnew_chapter_ins(), jobstate.hasnew_chapter_del(), jobstate.hasnew_chapter_upd(),
    jobstate.hasnew_chapterread(), jobstate.hasnew_chapterread_upd(), jobstate.hasnew_entry_ins(),
    jobstate.hasnew_entry_upd() CASCADE;
DROP TABLE IF EXISTS jobstate.hasnew_queue;
UPDATE jobstate.hasnew_state SET fullneeded = true;

-- hasnew accelerator: makes library.hasnew incremental and event-driven (~200 ms after a change). Statement
-- triggers on core.chapter, library.chapterread and library.entry queue, in the same transaction as the change,
-- which entries may have a stale flag (jobstate.hasnew_queue) and NOTIFY comicbatch_hasnew; the daemon's event
-- thread and the scheduled run drain the queue (src/jobs/hasnew.h). UPDATE triggers are row-level with a WHEN
-- clause, so updates that do not matter here (viewcount flushes, hasnew itself) never call PL/pgSQL.
-- Functions are SECURITY DEFINER (owned by comicbatch's role): the platform's writers need no rights on jobstate.
-- They carry no SET search_path (that clause costs ~30 us per call, about as much as the trigger itself): instead
-- every name in their bodies is qualified — tables by schema, functions and operators by pg_catalog — so the
-- caller's search_path cannot change what they run. The same holds for every accelerator's trigger functions.
-- {comic} and {user} are replaced by the platform's id types. Installed in one transaction; the next scheduled
-- run is a full sweep (fullneeded), so the queue starts from a verified state.

CREATE TABLE jobstate.hasnew_queue (
    id      bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comicid {comic} NOT NULL,
    userid  {user}  NULL         -- NULL: every follower of comicid (a chapter appeared or disappeared)
);

CREATE FUNCTION jobstate.hasnew_chapter_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid) SELECT DISTINCT comicid FROM newrows WHERE deletedat IS NULL;
    IF FOUND THEN
        PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'chapter');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.hasnew_chapter_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid) SELECT DISTINCT comicid FROM oldrows WHERE deletedat IS NULL;
    IF FOUND THEN
        PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'chapter');
    END IF;
    RETURN NULL;
END $$;

-- Soft-delete, undelete, or a move to another comic (fired only for those, by the WHEN clause).
CREATE FUNCTION jobstate.hasnew_chapter_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid) SELECT DISTINCT c FROM (VALUES (OLD.comicid), (NEW.comicid)) v (c);
    PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'chapter');
    RETURN NULL;
END $$;

-- A read of a live chapter may clear hasnew, removing it may set it.
CREATE FUNCTION jobstate.hasnew_chapterread() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid)
    SELECT DISTINCT ch.comicid, r.userid
      FROM changed r JOIN core.chapter ch ON ch.id OPERATOR(pg_catalog.=) r.chapterid AND ch.deletedat IS NULL
     WHERE EXISTS (SELECT 1 FROM library.entry e WHERE e.userid OPERATOR(pg_catalog.=) r.userid AND e.comicid OPERATOR(pg_catalog.=) ch.comicid);
    IF FOUND THEN
        PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'chapterread');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.hasnew_chapterread_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid)
    SELECT ch.comicid, x.userid
      FROM (VALUES (OLD.userid, OLD.chapterid), (NEW.userid, NEW.chapterid)) AS x (userid, chapterid)
      JOIN core.chapter ch ON ch.id OPERATOR(pg_catalog.=) x.chapterid;
    PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'chapterread');
    RETURN NULL;
END $$;

-- A new entry needs its flag computed.
CREATE FUNCTION jobstate.hasnew_entry_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid) SELECT comicid, userid FROM newrows;
    IF FOUND THEN
        PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'entry');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.hasnew_entry_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid) VALUES (NEW.comicid, NEW.userid);
    PERFORM pg_catalog.pg_notify('comicbatch_hasnew', 'entry');
    RETURN NULL;
END $$;

CREATE TRIGGER comicbatch_hasnew_ins AFTER INSERT ON core.chapter
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.hasnew_chapter_ins();
CREATE TRIGGER comicbatch_hasnew_del AFTER DELETE ON core.chapter
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.hasnew_chapter_del();
CREATE TRIGGER comicbatch_hasnew_upd AFTER UPDATE OF deletedat, comicid ON core.chapter FOR EACH ROW
    WHEN ((OLD.deletedat IS NULL) <> (NEW.deletedat IS NULL)
          OR (OLD.comicid <> NEW.comicid AND (OLD.deletedat IS NULL OR NEW.deletedat IS NULL)))
    EXECUTE FUNCTION jobstate.hasnew_chapter_upd();
CREATE TRIGGER comicbatch_hasnew_ins AFTER INSERT ON library.chapterread
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION jobstate.hasnew_chapterread();
CREATE TRIGGER comicbatch_hasnew_del AFTER DELETE ON library.chapterread
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION jobstate.hasnew_chapterread();
CREATE TRIGGER comicbatch_hasnew_upd AFTER UPDATE OF userid, chapterid ON library.chapterread FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid OR OLD.chapterid <> NEW.chapterid)
    EXECUTE FUNCTION jobstate.hasnew_chapterread_upd();
CREATE TRIGGER comicbatch_hasnew_ins AFTER INSERT ON library.entry
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.hasnew_entry_ins();
CREATE TRIGGER comicbatch_hasnew_upd AFTER UPDATE OF userid, comicid ON library.entry FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid OR OLD.comicid <> NEW.comicid)
    EXECUTE FUNCTION jobstate.hasnew_entry_upd();

UPDATE jobstate.hasnew_state SET fullneeded = true;

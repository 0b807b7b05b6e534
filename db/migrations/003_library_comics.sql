-- 003_library_comics.sql — the bookkeeping that lets library.hasnew, library.viewhistory_cap,
-- comics.ratings_recalc and comics.counts_recalc work in proportion to what changed (DESIGN §4), instead of
-- re-deriving everything from the platform tables on every tick.
--
-- Vocabulary (schema `jobstate`: owned by comicbatch, never read by the platform):
--   * queue  — jobstate.hasnew_queue: which library entries may have a stale hasnew. Filled in the same
--              transaction as the change (so a committed change is always queued), drained by the hasnew event
--              thread and the scheduled sweep (DELETE ... FOR UPDATE SKIP LOCKED, so any number of drainers).
--   * delta  — append-only logs of +/- changes to a per-comic (per-group) aggregate. Writers only INSERT, so a
--              platform transaction never waits on another one's counter row; the job folds them.
--   * stats  — the folded aggregates (live chapters, follows, rating sum/count per comic; follows per group).
--              The jobs compare core.comic / core.scanlationgroup against them and write only what differs,
--              which also corrects drift written into those columns by anyone else. `full: true` rebuilds the
--              stats from the platform tables (for changes made with triggers disabled, e.g. a bulk load).
--   * counter — jobstate.viewhistory_users: rows per user in library.viewhistory, kept exact by statement
--              triggers (sorted upserts, so two statements never deadlock on them).
-- Every trigger is a statement-level trigger with transition tables (one call per statement, however many
-- rows), except UPDATE triggers, which are row-level with a WHEN clause so that the frequent updates that do
-- not matter here (viewcount flushes, hasnew itself) never call PL/pgSQL.
-- TRUNCATE of a source table is not tracked: run the job with `full: true` afterwards.
--
-- Runs once, inside the migrator's transaction.

CREATE SCHEMA IF NOT EXISTS jobstate;

-------------------------------------------------------------------------------------------------------------
-- library.hasnew
-------------------------------------------------------------------------------------------------------------

-- userid NULL = every follower of comicid (a chapter appeared or disappeared); otherwise one entry.
CREATE TABLE jobstate.hasnew_queue (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comicid bigint NOT NULL,
    userid  uuid   NULL
);

-- fullneeded: the next scheduled sweep must be a full one (set here, so an install over existing data starts
-- from a verified state; cleared by a completed full sweep).
CREATE TABLE jobstate.hasnew_state (
    one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
    fullneeded boolean     NOT NULL,
    lastfullat timestamptz NULL
);
INSERT INTO jobstate.hasnew_state (fullneeded) VALUES (true);

-------------------------------------------------------------------------------------------------------------
-- comics.counts_recalc and comics.ratings_recalc
-------------------------------------------------------------------------------------------------------------

CREATE TABLE jobstate.comic_counts (
    comicid  bigint PRIMARY KEY,
    chapters bigint NOT NULL,   -- live chapters (deletedat IS NULL)
    follows  bigint NOT NULL    -- library.entry rows
);
CREATE TABLE jobstate.comic_counts_delta (
    comicid   bigint NOT NULL,
    dchapters bigint NOT NULL,
    dfollows  bigint NOT NULL
);

CREATE TABLE jobstate.group_follows (
    groupid bigint PRIMARY KEY,
    follows bigint NOT NULL
);
CREATE TABLE jobstate.group_follows_delta (
    groupid  bigint NOT NULL,
    dfollows bigint NOT NULL
);

CREATE TABLE jobstate.comic_ratings (
    comicid     bigint PRIMARY KEY,
    ratingsum   bigint NOT NULL,
    ratingcount bigint NOT NULL
);
CREATE TABLE jobstate.comic_ratings_delta (
    comicid bigint NOT NULL,
    dsum    bigint NOT NULL,
    dcount  bigint NOT NULL
);

-------------------------------------------------------------------------------------------------------------
-- library.viewhistory_cap
-------------------------------------------------------------------------------------------------------------

CREATE TABLE jobstate.viewhistory_users (
    userid uuid   PRIMARY KEY,
    n      bigint NOT NULL
);

-------------------------------------------------------------------------------------------------------------
-- Rebuilds from the platform tables (used by this migration, by `full: true` runs and after bulk loads).
-- Each replaces one stats table and discards the deltas it covers; callers run them in a REPEATABLE READ
-- transaction so that "deltas deleted" and "truth counted" are the same snapshot (a delta committed later
-- describes a change the count did not see, and is kept).
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.rebuild_comic_counts() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.comic_counts_delta;
    DELETE FROM jobstate.comic_counts;
    INSERT INTO jobstate.comic_counts (comicid, chapters, follows)
    SELECT coalesce(ch.comicid, f.comicid), coalesce(ch.n, 0), coalesce(f.n, 0)
      FROM (SELECT comicid, count(*) AS n FROM core.chapter WHERE deletedat IS NULL GROUP BY comicid) ch
      FULL JOIN (SELECT comicid, count(*) AS n FROM library.entry GROUP BY comicid) f USING (comicid);
$$;

CREATE FUNCTION jobstate.rebuild_group_follows() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.group_follows_delta;
    DELETE FROM jobstate.group_follows;
    INSERT INTO jobstate.group_follows (groupid, follows)
    SELECT groupid, count(*) FROM core.scanlationgroupfollow GROUP BY groupid;
$$;

CREATE FUNCTION jobstate.rebuild_comic_ratings() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.comic_ratings_delta;
    DELETE FROM jobstate.comic_ratings;
    INSERT INTO jobstate.comic_ratings (comicid, ratingsum, ratingcount)
    SELECT comicid, sum(score), count(*) FROM social.comicrating GROUP BY comicid;
$$;

CREATE FUNCTION jobstate.rebuild_viewhistory_users() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.viewhistory_users;
    INSERT INTO jobstate.viewhistory_users (userid, n)
    SELECT userid, count(*) FROM library.viewhistory GROUP BY userid;
$$;

-------------------------------------------------------------------------------------------------------------
-- Triggers: core.chapter
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.chapter_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, count(*), 0 FROM newrows WHERE deletedat IS NULL GROUP BY comicid;
    IF FOUND THEN
        INSERT INTO jobstate.hasnew_queue (comicid)
        SELECT DISTINCT comicid FROM newrows WHERE deletedat IS NULL;
        PERFORM pg_notify('comicbatch_hasnew', 'chapter');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.chapter_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, -count(*), 0 FROM oldrows WHERE deletedat IS NULL GROUP BY comicid;
    IF FOUND THEN
        INSERT INTO jobstate.hasnew_queue (comicid)
        SELECT DISTINCT comicid FROM oldrows WHERE deletedat IS NULL;
        PERFORM pg_notify('comicbatch_hasnew', 'chapter');
    END IF;
    RETURN NULL;
END $$;

-- Soft-delete, undelete, or a move to another comic (fired only for those, by the WHEN clause).
CREATE FUNCTION jobstate.chapter_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.deletedat IS NULL THEN
        INSERT INTO jobstate.comic_counts_delta VALUES (OLD.comicid, -1, 0);
        INSERT INTO jobstate.hasnew_queue (comicid) VALUES (OLD.comicid);
    END IF;
    IF NEW.deletedat IS NULL THEN
        INSERT INTO jobstate.comic_counts_delta VALUES (NEW.comicid, 1, 0);
        INSERT INTO jobstate.hasnew_queue (comicid) VALUES (NEW.comicid);
    END IF;
    PERFORM pg_notify('comicbatch_hasnew', 'chapter');
    RETURN NULL;
END $$;

CREATE TRIGGER chapter_jobstate_ins AFTER INSERT ON core.chapter
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.chapter_ins();
CREATE TRIGGER chapter_jobstate_del AFTER DELETE ON core.chapter
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.chapter_del();
CREATE TRIGGER chapter_jobstate_upd AFTER UPDATE OF deletedat, comicid ON core.chapter FOR EACH ROW
    WHEN ((OLD.deletedat IS NULL) <> (NEW.deletedat IS NULL)
          OR (OLD.comicid <> NEW.comicid AND (OLD.deletedat IS NULL OR NEW.deletedat IS NULL)))
    EXECUTE FUNCTION jobstate.chapter_upd();

-------------------------------------------------------------------------------------------------------------
-- Triggers: library.chapterread (a read of a live chapter may clear hasnew, removing it may set it)
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.chapterread_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid)
    SELECT DISTINCT ch.comicid, r.userid
      FROM changed r JOIN core.chapter ch ON ch.id = r.chapterid AND ch.deletedat IS NULL
     WHERE EXISTS (SELECT 1 FROM library.entry e WHERE e.userid = r.userid AND e.comicid = ch.comicid);
    IF FOUND THEN
        PERFORM pg_notify('comicbatch_hasnew', 'chapterread');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.chapterread_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.hasnew_queue (comicid, userid)
    SELECT ch.comicid, x.userid
      FROM (VALUES (OLD.userid, OLD.chapterid), (NEW.userid, NEW.chapterid)) AS x (userid, chapterid)
      JOIN core.chapter ch ON ch.id = x.chapterid;
    PERFORM pg_notify('comicbatch_hasnew', 'chapterread');
    RETURN NULL;
END $$;

CREATE TRIGGER chapterread_jobstate_ins AFTER INSERT ON library.chapterread
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION jobstate.chapterread_queue();
CREATE TRIGGER chapterread_jobstate_del AFTER DELETE ON library.chapterread
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION jobstate.chapterread_queue();
CREATE TRIGGER chapterread_jobstate_upd AFTER UPDATE OF userid, chapterid ON library.chapterread FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid OR OLD.chapterid <> NEW.chapterid)
    EXECUTE FUNCTION jobstate.chapterread_upd();

-------------------------------------------------------------------------------------------------------------
-- Triggers: library.entry (a new entry needs its hasnew computed; follows per comic)
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.entry_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, 0, count(*) FROM newrows GROUP BY comicid;
    INSERT INTO jobstate.hasnew_queue (comicid, userid) SELECT comicid, userid FROM newrows;
    IF FOUND THEN
        PERFORM pg_notify('comicbatch_hasnew', 'entry');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.entry_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, 0, -count(*) FROM oldrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.entry_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.comicid <> NEW.comicid THEN
        INSERT INTO jobstate.comic_counts_delta VALUES (OLD.comicid, 0, -1), (NEW.comicid, 0, 1);
    END IF;
    INSERT INTO jobstate.hasnew_queue (comicid, userid) VALUES (NEW.comicid, NEW.userid);
    PERFORM pg_notify('comicbatch_hasnew', 'entry');
    RETURN NULL;
END $$;

CREATE TRIGGER entry_jobstate_ins AFTER INSERT ON library.entry
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.entry_ins();
CREATE TRIGGER entry_jobstate_del AFTER DELETE ON library.entry
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.entry_del();
CREATE TRIGGER entry_jobstate_upd AFTER UPDATE OF userid, comicid ON library.entry FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid OR OLD.comicid <> NEW.comicid)
    EXECUTE FUNCTION jobstate.entry_upd();

-------------------------------------------------------------------------------------------------------------
-- Triggers: core.scanlationgroupfollow
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.groupfollow_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta (groupid, dfollows)
    SELECT groupid, count(*) FROM newrows GROUP BY groupid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.groupfollow_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta (groupid, dfollows)
    SELECT groupid, -count(*) FROM oldrows GROUP BY groupid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.groupfollow_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta VALUES (OLD.groupid, -1), (NEW.groupid, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER scanlationgroupfollow_jobstate_ins AFTER INSERT ON core.scanlationgroupfollow
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.groupfollow_ins();
CREATE TRIGGER scanlationgroupfollow_jobstate_del AFTER DELETE ON core.scanlationgroupfollow
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.groupfollow_del();
CREATE TRIGGER scanlationgroupfollow_jobstate_upd AFTER UPDATE OF groupid ON core.scanlationgroupfollow
    FOR EACH ROW WHEN (OLD.groupid <> NEW.groupid) EXECUTE FUNCTION jobstate.groupfollow_upd();

-------------------------------------------------------------------------------------------------------------
-- Triggers: social.comicrating
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.comicrating_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta (comicid, dsum, dcount)
    SELECT comicid, sum(score), count(*) FROM newrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.comicrating_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta (comicid, dsum, dcount)
    SELECT comicid, -sum(score), -count(*) FROM oldrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.comicrating_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta VALUES (OLD.comicid, -OLD.score, -1), (NEW.comicid, NEW.score, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER comicrating_jobstate_ins AFTER INSERT ON social.comicrating
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.comicrating_ins();
CREATE TRIGGER comicrating_jobstate_del AFTER DELETE ON social.comicrating
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.comicrating_del();
CREATE TRIGGER comicrating_jobstate_upd AFTER UPDATE OF score, comicid ON social.comicrating FOR EACH ROW
    WHEN (OLD.score <> NEW.score OR OLD.comicid <> NEW.comicid)
    EXECUTE FUNCTION jobstate.comicrating_upd();

-------------------------------------------------------------------------------------------------------------
-- Triggers: library.viewhistory (rows per user; upserts in userid order, so concurrent statements lock the
-- counter rows in the same order and cannot deadlock on them)
-------------------------------------------------------------------------------------------------------------

CREATE FUNCTION jobstate.viewhistory_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT userid, count(*) FROM newrows GROUP BY userid ORDER BY userid
    ON CONFLICT (userid) DO UPDATE SET n = u.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.viewhistory_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT userid, -count(*) FROM oldrows GROUP BY userid ORDER BY userid
    ON CONFLICT (userid) DO UPDATE SET n = u.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.viewhistory_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT x.userid, x.d FROM (VALUES (OLD.userid, -1), (NEW.userid, 1)) AS x (userid, d) ORDER BY x.userid
    ON CONFLICT (userid) DO UPDATE SET n = u.n + excluded.n;
    RETURN NULL;
END $$;

CREATE TRIGGER viewhistory_jobstate_ins AFTER INSERT ON library.viewhistory
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.viewhistory_ins();
CREATE TRIGGER viewhistory_jobstate_del AFTER DELETE ON library.viewhistory
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.viewhistory_del();
CREATE TRIGGER viewhistory_jobstate_upd AFTER UPDATE OF userid ON library.viewhistory FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid) EXECUTE FUNCTION jobstate.viewhistory_upd();

-------------------------------------------------------------------------------------------------------------
-- Start from the data already present (an install over a live platform database).
-------------------------------------------------------------------------------------------------------------

SELECT jobstate.rebuild_comic_counts();
SELECT jobstate.rebuild_group_follows();
SELECT jobstate.rebuild_comic_ratings();
SELECT jobstate.rebuild_viewhistory_users();

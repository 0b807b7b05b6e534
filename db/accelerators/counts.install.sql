-- counts accelerator: makes comics.counts_recalc read one stats row per comic and group instead of counting
-- chapters, follows and group follows. Statement triggers on core.chapter, library.entry and
-- core.scanlationgroupfollow append +/- deltas to logs (writers only INSERT, so a platform transaction never waits
-- on another one's counter row); the job folds them into jobstate.comic_counts / group_follows. SECURITY DEFINER
-- functions, typed by {comic} and {group}; the stats are rebuilt from the platform tables at the end of the install
-- transaction (after CREATE TRIGGER has locked the tables against writers, so no change falls between the two).

CREATE TABLE jobstate.comic_counts (
    comicid  {comic} PRIMARY KEY,
    chapters bigint  NOT NULL,   -- live chapters (deletedat IS NULL)
    follows  bigint  NOT NULL    -- library.entry rows
);
CREATE TABLE jobstate.comic_counts_delta (
    comicid   {comic} NOT NULL,
    dchapters bigint  NOT NULL,
    dfollows  bigint  NOT NULL
);
CREATE TABLE jobstate.group_follows (
    groupid {group} PRIMARY KEY,
    follows bigint  NOT NULL
);
CREATE TABLE jobstate.group_follows_delta (
    groupid  {group} NOT NULL,
    dfollows bigint  NOT NULL
);

-- Rebuilds (install, `full: true` runs, after bulk loads): replace the stats and discard the deltas they cover.
-- Callers run them in a REPEATABLE READ transaction, so "deltas deleted" and "truth counted" are one snapshot.
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

CREATE FUNCTION jobstate.counts_chapter_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, pg_catalog.count(*), 0 FROM newrows WHERE deletedat IS NULL GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_chapter_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, pg_catalog.int8um(pg_catalog.count(*)), 0 FROM oldrows WHERE deletedat IS NULL GROUP BY comicid;
    RETURN NULL;
END $$;

-- Soft-delete, undelete, or a move to another comic (fired only for those, by the WHEN clause).
CREATE FUNCTION jobstate.counts_chapter_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    IF OLD.deletedat IS NULL THEN
        INSERT INTO jobstate.comic_counts_delta VALUES (OLD.comicid, -1, 0);
    END IF;
    IF NEW.deletedat IS NULL THEN
        INSERT INTO jobstate.comic_counts_delta VALUES (NEW.comicid, 1, 0);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_entry_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, 0, pg_catalog.count(*) FROM newrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_entry_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta (comicid, dchapters, dfollows)
    SELECT comicid, 0, pg_catalog.int8um(pg_catalog.count(*)) FROM oldrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_entry_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_counts_delta VALUES (OLD.comicid, 0, -1), (NEW.comicid, 0, 1);
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_groupfollow_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta (groupid, dfollows) SELECT groupid, pg_catalog.count(*) FROM newrows GROUP BY groupid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_groupfollow_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta (groupid, dfollows) SELECT groupid, pg_catalog.int8um(pg_catalog.count(*)) FROM oldrows GROUP BY groupid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.counts_groupfollow_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.group_follows_delta VALUES (OLD.groupid, -1), (NEW.groupid, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER comicbatch_counts_ins AFTER INSERT ON core.chapter
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_chapter_ins();
CREATE TRIGGER comicbatch_counts_del AFTER DELETE ON core.chapter
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_chapter_del();
CREATE TRIGGER comicbatch_counts_upd AFTER UPDATE OF deletedat, comicid ON core.chapter FOR EACH ROW
    WHEN ((OLD.deletedat IS NULL) <> (NEW.deletedat IS NULL)
          OR (OLD.comicid <> NEW.comicid AND (OLD.deletedat IS NULL OR NEW.deletedat IS NULL)))
    EXECUTE FUNCTION jobstate.counts_chapter_upd();
CREATE TRIGGER comicbatch_counts_ins AFTER INSERT ON library.entry
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_entry_ins();
CREATE TRIGGER comicbatch_counts_del AFTER DELETE ON library.entry
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_entry_del();
CREATE TRIGGER comicbatch_counts_upd AFTER UPDATE OF comicid ON library.entry FOR EACH ROW
    WHEN (OLD.comicid <> NEW.comicid) EXECUTE FUNCTION jobstate.counts_entry_upd();
CREATE TRIGGER comicbatch_counts_ins AFTER INSERT ON core.scanlationgroupfollow
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_groupfollow_ins();
CREATE TRIGGER comicbatch_counts_del AFTER DELETE ON core.scanlationgroupfollow
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.counts_groupfollow_del();
CREATE TRIGGER comicbatch_counts_upd AFTER UPDATE OF groupid ON core.scanlationgroupfollow FOR EACH ROW
    WHEN (OLD.groupid <> NEW.groupid) EXECUTE FUNCTION jobstate.counts_groupfollow_upd();

SELECT jobstate.rebuild_comic_counts(), jobstate.rebuild_group_follows();

-- ratings accelerator: makes comics.ratings_recalc read one stats row per comic instead of aggregating every
-- rating. Statement triggers on social.comicrating append +/- (sum, count) deltas; the job folds them into
-- jobstate.comic_ratings, where it also keeps the values it last derived (exp*) and the C and m it used, so a run in
-- which nothing changed compares stored numbers instead of recomputing. A row whose sum, count, C or m no longer
-- matches its exp* columns is recomputed. SECURITY DEFINER functions, typed by {comic}; stats rebuilt at the end of
-- the install transaction.

CREATE TABLE jobstate.comic_ratings (
    comicid     {comic}      PRIMARY KEY,
    ratingsum   bigint       NOT NULL,
    ratingcount bigint       NOT NULL,
    expc        numeric      NULL,   -- C the expected values were computed with
    expm        integer      NULL,   -- m idem
    expsum      bigint       NULL,   -- ratingsum idem
    expcount    bigint       NULL,   -- ratingcount idem
    expavg      numeric(4,2) NULL,   -- what core.comic.ratingavg should hold
    expbayes    numeric(6,4) NULL    -- what core.comic.ratingbayesian should hold
);
CREATE TABLE jobstate.comic_ratings_delta (
    comicid {comic} NOT NULL,
    dsum    bigint  NOT NULL,
    dcount  bigint  NOT NULL
);

CREATE FUNCTION jobstate.rebuild_comic_ratings() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.comic_ratings_delta;
    DELETE FROM jobstate.comic_ratings;
    INSERT INTO jobstate.comic_ratings (comicid, ratingsum, ratingcount)
    SELECT comicid, sum(score), count(*) FROM social.comicrating GROUP BY comicid;
$$;

CREATE FUNCTION jobstate.ratings_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta (comicid, dsum, dcount)
    SELECT comicid, pg_catalog.sum(score)::bigint, pg_catalog.count(*) FROM newrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.ratings_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta (comicid, dsum, dcount)
    SELECT comicid, pg_catalog.int8um(pg_catalog.sum(score)::bigint), pg_catalog.int8um(pg_catalog.count(*)) FROM oldrows GROUP BY comicid;
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.ratings_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.comic_ratings_delta VALUES (OLD.comicid, pg_catalog.int8um(OLD.score::bigint), -1), (NEW.comicid, NEW.score, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER comicbatch_ratings_ins AFTER INSERT ON social.comicrating
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.ratings_ins();
CREATE TRIGGER comicbatch_ratings_del AFTER DELETE ON social.comicrating
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.ratings_del();
CREATE TRIGGER comicbatch_ratings_upd AFTER UPDATE OF score, comicid ON social.comicrating FOR EACH ROW
    WHEN (OLD.score <> NEW.score OR OLD.comicid <> NEW.comicid)
    EXECUTE FUNCTION jobstate.ratings_upd();

SELECT jobstate.rebuild_comic_ratings();

-- 007_ratings_expected.sql — comics.ratings_recalc keeps, beside each comic's rating sum and count
-- (jobstate.comic_ratings, migration 003), the values it last derived from them and the C and m it used, so a run
-- in which nothing changed compares stored numbers with core.comic instead of recomputing every comic's Bayesian
-- average. A row whose sum, count, C or m no longer matches its exp* columns is recomputed (all of them when C
-- or m moved). Rows rebuilt by jobstate.rebuild_comic_ratings() start with NULLs here, i.e. "recompute".
--
-- Runs once, inside the migrator's transaction.

ALTER TABLE jobstate.comic_ratings
    ADD COLUMN expc     numeric      NULL,   -- C the expected values were computed with
    ADD COLUMN expm     integer      NULL,   -- m idem
    ADD COLUMN expsum   bigint       NULL,   -- ratingsum idem
    ADD COLUMN expcount bigint       NULL,   -- ratingcount idem
    ADD COLUMN expavg   numeric(4,2) NULL,   -- what core.comic.ratingavg should hold
    ADD COLUMN expbayes numeric(6,4) NULL;   -- what core.comic.ratingbayesian should hold

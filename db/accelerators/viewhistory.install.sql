-- viewhistory accelerator: keeps jobstate.viewhistory_users (rows per user in library.viewhistory) exact with
-- statement triggers, so library.viewhistory_cap finds who is over the cap by reading one row per user instead of
-- counting the whole history. Upserts in userid order, so two statements lock counter rows in the same order and
-- cannot deadlock on them. SECURITY DEFINER functions, typed by {user}; counts rebuilt at the end of the install.

CREATE TABLE jobstate.viewhistory_users (
    userid {user} PRIMARY KEY,
    n      bigint NOT NULL
);

CREATE FUNCTION jobstate.rebuild_viewhistory_users() RETURNS void LANGUAGE sql AS $$
    DELETE FROM jobstate.viewhistory_users;
    INSERT INTO jobstate.viewhistory_users (userid, n)
    SELECT userid, count(*) FROM library.viewhistory GROUP BY userid;
$$;

CREATE FUNCTION jobstate.viewhistory_ins() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT userid, pg_catalog.count(*) FROM newrows GROUP BY userid ORDER BY userid
    ON CONFLICT (userid) DO UPDATE SET n = pg_catalog.int8pl(u.n, excluded.n);
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.viewhistory_del() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT userid, pg_catalog.int8um(pg_catalog.count(*)) FROM oldrows GROUP BY userid ORDER BY userid
    ON CONFLICT (userid) DO UPDATE SET n = pg_catalog.int8pl(u.n, excluded.n);
    RETURN NULL;
END $$;

CREATE FUNCTION jobstate.viewhistory_upd() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobstate.viewhistory_users AS u (userid, n)
    SELECT x.userid, x.d FROM (VALUES (OLD.userid, -1), (NEW.userid, 1)) AS x (userid, d) ORDER BY x.userid
    ON CONFLICT (userid) DO UPDATE SET n = pg_catalog.int8pl(u.n, excluded.n);
    RETURN NULL;
END $$;

CREATE TRIGGER comicbatch_viewhistory_ins AFTER INSERT ON library.viewhistory
    REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.viewhistory_ins();
CREATE TRIGGER comicbatch_viewhistory_del AFTER DELETE ON library.viewhistory
    REFERENCING OLD TABLE AS oldrows FOR EACH STATEMENT EXECUTE FUNCTION jobstate.viewhistory_del();
CREATE TRIGGER comicbatch_viewhistory_upd AFTER UPDATE OF userid ON library.viewhistory FOR EACH ROW
    WHEN (OLD.userid <> NEW.userid) EXECUTE FUNCTION jobstate.viewhistory_upd();

SELECT jobstate.rebuild_viewhistory_users();

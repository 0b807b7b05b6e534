-- bench/gen.sql — the deterministic benchmark dataset (issue 3), at two scales:
--
--   psql -v scale=small  -f bench/gen.sql DBURL     (1/20 of medium: ~1.6M chapter reads; a few seconds)
--   psql -v scale=medium -f bench/gen.sql DBURL     (52k comics, 1.04M chapters, 100k users, ~2M library entries,
--                                                    ~31M chapter reads, ~1M ratings, 840 groups, ~250k group
--                                                    follows, ~11M view-history rows with 5% of users over the
--                                                    500 cap, 500k sessions)
--
-- Run it on a database with the platform's tables (db/platform/schema.sql), before `comicbatch migrate` and
-- `comicbatch accelerators install` (which rebuilds the accelerators' state from these rows); it empties the
-- platform tables first. Requires a superuser: the load runs with session_replication_role = replica, so no
-- foreign-key check (or trigger, if any) fires (the rows are consistent by construction). Big tables lose their
-- secondary indexes during the load and get them back afterwards (a sorted build instead of 30M random
-- insertions); the definitions are read from the catalog, so whatever the schema script declares comes back.
--
-- Deterministic: every "random" choice is pg_temp.r(seed), a hash of the seed (hashint8, stable across
-- machines), never random(); ids are explicit. Only times are relative to now().
--
-- Shape (medium): a comic has 1..39 chapters (mean 20), chapter ids interleaved across comics the way uploads
-- arrive (id = (number-1)*comics + comic); 2% of chapters soft-deleted. A user follows 5..35 comics (mean 20),
-- popularity skewed (comic = 1 + comics*r^2, the most followed has ~9k followers). Per entry: 55% read every
-- chapter, 45% read a prefix of random length; reads are inserted chapter-number-major (a user's reads are spread
-- over the table, not clustered). hasnew starts right by construction except 1% flipped on purpose and entries
-- whose unread chapters are all soft-deleted. Half of the entries carry a rating (1..10, skewed high).
-- View history: 5% of users have 550..999 rows, the rest 0..149; newest first is viewedat DESC, no ties.
-- Denormalised counters (chaptercount, followcount, ratings, group followcount) start at 0/NULL: stale.
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale small
\endif

CREATE FUNCTION pg_temp.fail(msg text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', msg; END $$;
SELECT CASE :'scale' WHEN 'small' THEN 20 WHEN 'medium' THEN 1
       ELSE pg_temp.fail('gen.sql: scale must be small or medium, not ' || :'scale') END AS div \gset
SELECT 100000 / :div AS nusers, 52000 / :div AS ncomics, 840 / :div AS ngroups, 500000 / :div AS nsessions \gset

-- r(seed) in [0, 1); uid(i) the i-th user's id.
CREATE FUNCTION pg_temp.r(seed bigint) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT (hashint8(seed)::bigint + 2147483648)::float8 / 4294967296.0 $$;
CREATE FUNCTION pg_temp.uid(i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT md5('bench-user-' || i)::uuid $$;
CREATE FUNCTION pg_temp.nch(c bigint) RETURNS int LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT 1 + floor(39 * pg_temp.r(c * 16 + 1))::int $$;

SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
\timing on

TRUNCATE users.account, core.comic, core.scanlationgroup, system.announcement CASCADE;

-- Secondary indexes and unique constraints of the big tables, dropped for the load (kept: indexes a foreign
-- key relies on).
CREATE TEMP TABLE gen_idx AS
SELECT c.oid::regclass AS tbl, i.indexrelid::regclass::text AS idx, pg_get_indexdef(i.indexrelid) AS def,
       con.conname, CASE WHEN con.oid IS NOT NULL THEN pg_get_constraintdef(con.oid) END AS condef
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u')
 WHERE c.oid IN ('library.chapterread'::regclass, 'library.viewhistory'::regclass, 'library.entry'::regclass,
                 'social.comicrating'::regclass, 'core.chapter'::regclass, 'users.session'::regclass,
                 'core.scanlationgroupfollow'::regclass)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint fk WHERE fk.contype = 'f' AND fk.conindid = i.indexrelid);
SELECT format(CASE WHEN conname IS NOT NULL THEN 'ALTER TABLE %s DROP CONSTRAINT %I' ELSE 'DROP INDEX %s' END,
              CASE WHEN conname IS NOT NULL THEN tbl::text ELSE idx END, conname)
  FROM gen_idx \gexec

----------------------------------------------------------------------------------------------------------------
-- users, comics, chapters, groups
----------------------------------------------------------------------------------------------------------------
INSERT INTO users.account (id, username, email, role, createdat, updatedat)
SELECT pg_temp.uid(i), 'bench' || i, 'bench' || i || '@bench.test', 'user',
       now() - interval '3 years' + i * interval '10 minutes', now() - interval '1 day'
  FROM generate_series(1::bigint, :nusers) i;

INSERT INTO core.comic (id, title, slug, status, createdat, updatedat)
SELECT c, 'Comic ' || c, 'comic-' || c, (ARRAY['ongoing', 'ongoing', 'completed', 'hiatus'])[1 + c % 4],
       now() - interval '4 years' + c * interval '30 minutes', now() - interval '1 day'
  FROM generate_series(1::bigint, :ncomics) c;

INSERT INTO core.chapter (id, comicid, number, title, createdat, deletedat)
SELECT (j - 1)::bigint * :ncomics + c, c, j, 'Chapter ' || j,
       now() - (40 - j) * interval '7 days' - c * interval '1 second',
       CASE WHEN pg_temp.r(((j - 1)::bigint * :ncomics + c) * 16 + 2) < 0.02
            THEN now() - (40 - j) * interval '7 days' + interval '1 day' END
  FROM generate_series(1, 39) j, generate_series(1::bigint, :ncomics) c
 WHERE j <= pg_temp.nch(c);

INSERT INTO core.scanlationgroup (id, name, createdat)
SELECT g, 'Group ' || g, now() - interval '2 years' FROM generate_series(1, :ngroups) g;

----------------------------------------------------------------------------------------------------------------
-- library.entry (+ the read depth of each, kept for the reads and ratings)
----------------------------------------------------------------------------------------------------------------
CREATE TEMP TABLE gen_entry AS
SELECT u, c, min(s) AS s FROM (
    SELECT u, s, 1 + floor(:ncomics * pg_temp.r(u * 64 + s) ^ 2)::int AS c
      FROM generate_series(1::bigint, :nusers) u, generate_series(1, 35) s
     WHERE s <= 5 + floor(31 * pg_temp.r(u * 16 + 3))
) x GROUP BY u, c;
ALTER TABLE gen_entry ADD COLUMN uid uuid, ADD COLUMN n int, ADD COLUMN depth int;
UPDATE gen_entry SET uid = pg_temp.uid(u), n = pg_temp.nch(c),
       depth = CASE WHEN pg_temp.r(u * 100003 + c * 8 + 5) < 0.55 THEN pg_temp.nch(c)
                    ELSE floor(pg_temp.nch(c) * pg_temp.r(u * 100003 + c * 8 + 6))::int END;

INSERT INTO library.entry (userid, comicid, hasnew, createdat, updatedat)
SELECT uid, c, (depth < n) <> (pg_temp.r(u * 100003 + c * 8 + 4) < 0.01),
       now() - interval '1 year' + s * interval '7 days', now() - interval '1 day'
  FROM gen_entry ORDER BY s, u;

----------------------------------------------------------------------------------------------------------------
-- library.chapterread: the first `depth` chapters of each entry's comic, chapter-number-major
----------------------------------------------------------------------------------------------------------------
CREATE INDEX ON gen_entry (depth);
ANALYZE gen_entry;
INSERT INTO library.chapterread (userid, chapterid, readat)
SELECT e.uid, (j - 1)::bigint * :ncomics + e.c, now() - (40 - j) * interval '7 days' + interval '2 days'
  FROM generate_series(1, 39) j
  JOIN gen_entry e ON e.depth >= j;

----------------------------------------------------------------------------------------------------------------
-- social.comicrating, core.scanlationgroupfollow
----------------------------------------------------------------------------------------------------------------
INSERT INTO social.comicrating (userid, comicid, score, createdat, updatedat)
SELECT uid, c, 1 + floor(10 * pg_temp.r(u * 100003 + c * 8 + 7) ^ 0.6)::int, now() - interval '100 days',
       now() - interval '100 days'
  FROM gen_entry WHERE pg_temp.r(u * 100003 + c * 8 + 3) < 0.5;

INSERT INTO core.scanlationgroupfollow (userid, groupid, createdat)
SELECT DISTINCT pg_temp.uid(u), 1 + floor(:ngroups * pg_temp.r(u * 16 + 8 + s) ^ 2)::int, now() - interval '30 days'
  FROM generate_series(1::bigint, :nusers) u, generate_series(1, 5) s
 WHERE s <= floor(6 * pg_temp.r(u * 16 + 4));

----------------------------------------------------------------------------------------------------------------
-- library.viewhistory: time-major (oldest rows first, like a real append-only history)
----------------------------------------------------------------------------------------------------------------
CREATE TEMP TABLE gen_vh AS
SELECT u, pg_temp.uid(u) AS uid,
       CASE WHEN pg_temp.r(u * 16 + 5) < 0.05 THEN 550 + floor(450 * pg_temp.r(u * 16 + 6))::int
            ELSE floor(150 * pg_temp.r(u * 16 + 6))::int END AS n
  FROM generate_series(1::bigint, :nusers) u;
CREATE INDEX ON gen_vh (n);
ANALYZE gen_vh;
INSERT INTO library.viewhistory (userid, comicid, viewedat)
SELECT v.uid, 1 + floor(:ncomics * pg_temp.r(v.u * 1009 + i) ^ 2)::int,
       now() - i * interval '20 minutes' + floor(600 * pg_temp.r(v.u * 1013 + i)) * interval '1 second'
  FROM generate_series(999, 1, -1) i
  JOIN gen_vh v ON v.n >= i;

----------------------------------------------------------------------------------------------------------------
-- users.session, system.announcement
----------------------------------------------------------------------------------------------------------------
INSERT INTO users.session (userid, tokenhash, createdat, expiresat, revokedat)
SELECT pg_temp.uid(1 + i % :nusers), md5('bench-session-a' || i) || md5('bench-session-b' || i),
       now() - interval '40 days', now() + (pg_temp.r(i * 16 + 7) - 0.3) * interval '30 days',
       CASE WHEN pg_temp.r(i * 16 + 8) < 0.05 THEN now() - interval '1 day' END
  FROM generate_series(1::bigint, :nsessions) i;

INSERT INTO system.announcement (title, body, ispublished, expiresat)
SELECT 'Announcement ' || i, 'Body ' || i, i % 2 = 0,
       CASE WHEN i % 3 = 0 THEN now() + (i - 100) * interval '1 hour' END
  FROM generate_series(1, 200) i;

----------------------------------------------------------------------------------------------------------------
-- Indexes back, sequences past the explicit ids, trigger-kept bookkeeping rebuilt, statistics
----------------------------------------------------------------------------------------------------------------
SELECT CASE WHEN conname IS NOT NULL THEN format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, condef)
            ELSE def END
  FROM gen_idx \gexec

SELECT setval(pg_get_serial_sequence('core.comic', 'id'), (SELECT max(id) + 1 FROM core.comic), false);
SELECT setval(pg_get_serial_sequence('core.chapter', 'id'), (SELECT max(id) + 1 FROM core.chapter), false);
SELECT setval(pg_get_serial_sequence('core.scanlationgroup', 'id'), (SELECT max(id) + 1 FROM core.scanlationgroup), false);

RESET session_replication_role;

VACUUM (ANALYZE) users.account, core.comic, core.chapter, core.scanlationgroup, core.scanlationgroupfollow,
       library.entry, library.chapterread, library.viewhistory, social.comicrating, users.session,
       system.announcement;

SELECT 'users' AS t, count(*) FROM users.account UNION ALL
SELECT 'comics', count(*) FROM core.comic UNION ALL
SELECT 'chapters', count(*) FROM core.chapter UNION ALL
SELECT 'entries', count(*) FROM library.entry UNION ALL
SELECT 'chapterreads', count(*) FROM library.chapterread UNION ALL
SELECT 'ratings', count(*) FROM social.comicrating UNION ALL
SELECT 'groups', count(*) FROM core.scanlationgroup UNION ALL
SELECT 'groupfollows', count(*) FROM core.scanlationgroupfollow UNION ALL
SELECT 'viewhistory', count(*) FROM library.viewhistory UNION ALL
SELECT 'viewhistory users over 500', count(*) FROM (SELECT 1 FROM library.viewhistory GROUP BY userid
                                                    HAVING count(*) > 500) o UNION ALL
SELECT 'sessions', count(*) FROM users.session;

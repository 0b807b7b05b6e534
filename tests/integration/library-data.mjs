// library-data.mjs — the deterministic platform dataset the library/comics job tests share (issue 3): users,
// comics with interleaved chapter ids and some soft-deleted chapters, library entries with skewed popularity,
// chapter reads (a prefix of each followed comic, or all of it), ratings, scanlation-group follows and view
// history with 5% of users over the 500 cap. Everything is generate_series + hashint8 ("random" = a hash of the
// seed, so two databases filled with the same arguments are identical, ids included), inserted through ordinary
// SQL so the jobstate triggers of migration 003 fire as they would on the platform.
import { sql } from './lib.mjs';

// r(seed) in [0, 1), stable across machines.
const R = `CREATE OR REPLACE FUNCTION pg_temp.r(seed bigint) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT (hashint8(seed)::bigint + 2147483648)::float8 / 4294967296.0 $$;`;

/** The i-th generated user's id, as SQL. */
export const uid = (i) => `md5('t-user-' || ${i})::uuid`;

/** Fills a freshly migrated database. Sizes: users, comics, groups; salt varies the "random" choices. */
export function fillLibrary(url, { users = 1200, comics = 500, groups = 30, salt = 0 } = {}) {
  const U = users, C = comics, G = groups, S = salt * 1000003;
  sql(url, `${R}
    INSERT INTO users.account (id, username, email)
    SELECT ${uid('i')}, 'tu' || i, 'tu' || i || '@t.test' FROM generate_series(1, ${U}) i;
    INSERT INTO core.comic (id, title, slug) SELECT c, 'Comic ' || c, 'comic-' || c FROM generate_series(1, ${C}) c;
    SELECT setval(pg_get_serial_sequence('core.comic', 'id'), ${C});
    -- 0..30 chapters per comic (every 25th comic has none), ids interleaved across comics, 3% soft-deleted
    INSERT INTO core.chapter (id, comicid, number, createdat, deletedat)
    SELECT (j - 1) * ${C} + c, c, j, now() - (31 - j) * interval '7 days',
           CASE WHEN pg_temp.r(((j - 1) * ${C} + c) * 16 + 2 + ${S}) < 0.03 THEN now() - interval '1 day' END
      FROM generate_series(1, 30) j, generate_series(1, ${C}) c
     WHERE c % 25 <> 0 AND j <= 1 + floor(30 * pg_temp.r(c * 16 + 1 + ${S}));
    SELECT setval(pg_get_serial_sequence('core.chapter', 'id'), 30 * ${C} + 1);
    INSERT INTO core.scanlationgroup (id, name) SELECT g, 'Group ' || g FROM generate_series(1, ${G}) g;
    SELECT setval(pg_get_serial_sequence('core.scanlationgroup', 'id'), ${G});
    -- 3..30 follows per user, popular comics first (comic = 1 + C * r^2)
    CREATE TEMP TABLE t_entry AS
    SELECT u, c, min(s) AS s FROM (
      SELECT u, s, 1 + floor(${C} * pg_temp.r(u * 64 + s + ${S}) ^ 2)::int AS c
        FROM generate_series(1, ${U}) u, generate_series(1, 30) s
       WHERE s <= 3 + floor(28 * pg_temp.r(u * 16 + 3 + ${S}))) x
     GROUP BY u, c;
    INSERT INTO library.entry (userid, comicid, hasnew) SELECT ${uid('u')}, c, false FROM t_entry ORDER BY s, u;
    -- reads: 55% of entries read every chapter, the rest a prefix of random length
    INSERT INTO library.chapterread (userid, chapterid)
    SELECT ${uid('e.u')}, ch.id FROM t_entry e JOIN core.chapter ch ON ch.comicid = e.c
     WHERE pg_temp.r(e.u * 100003 + e.c * 8 + 5 + ${S}) < 0.55
        OR ch.number <= floor(30 * pg_temp.r(e.u * 100003 + e.c * 8 + 6 + ${S}));
    -- ratings on half the entries, 1..10 skewed high
    INSERT INTO social.comicrating (userid, comicid, score)
    SELECT ${uid('u')}, c, 1 + floor(10 * pg_temp.r(u * 100003 + c * 8 + 7 + ${S}) ^ 0.6)::int
      FROM t_entry WHERE pg_temp.r(u * 100003 + c * 8 + 3 + ${S}) < 0.5;
    INSERT INTO core.scanlationgroupfollow (userid, groupid)
    SELECT DISTINCT ${uid('u')}, 1 + floor(${G} * pg_temp.r(u * 16 + 8 + s + ${S}) ^ 2)::int
      FROM generate_series(1, ${U}) u, generate_series(1, 5) s WHERE s <= floor(6 * pg_temp.r(u * 16 + 4 + ${S}));
    -- view history, newest first = viewedat DESC with no ties: 5% of users 520..799 rows, the rest 0..119
    INSERT INTO library.viewhistory (userid, comicid, viewedat)
    SELECT ${uid('u')}, 1 + floor(${C} * pg_temp.r(u * 1009 + i + ${S}) ^ 2)::int,
           now() - i * interval '20 minutes' + floor(600 * pg_temp.r(u * 1013 + i + ${S})) * interval '1 second'
      FROM generate_series(1, ${U}) u,
           LATERAL generate_series(1, CASE WHEN pg_temp.r(u * 16 + 5 + ${S}) < 0.05
                                           THEN 520 + floor(280 * pg_temp.r(u * 16 + 6 + ${S}))::int
                                           ELSE floor(120 * pg_temp.r(u * 16 + 6 + ${S}))::int END) i
     ORDER BY i DESC, u;
    ANALYZE;`);
}

/**
 * Makes the stored flags and counters wrong on purpose (deterministically): hasnew flipped on ~`pct`% of entries,
 * garbage in the comics' and groups' denormalised counters and ratings. Direct writes: nothing is queued.
 */
export function driftLibrary(url, { pct = 5, salt = 7 } = {}) {
  sql(url, `${R}
    UPDATE library.entry SET hasnew = NOT hasnew WHERE pg_temp.r(id * 31 + ${salt}) < ${pct / 100};
    UPDATE core.comic SET chaptercount = floor(50 * pg_temp.r(id * 37 + ${salt}))::int,
                          followcount = floor(500 * pg_temp.r(id * 41 + ${salt}))::int
     WHERE pg_temp.r(id * 43 + ${salt}) < 0.6;
    UPDATE core.comic SET ratingavg = 5.55, ratingbayesian = 5.5555, ratingcount = 7
     WHERE pg_temp.r(id * 47 + ${salt}) < 0.3;
    UPDATE core.scanlationgroup SET followcount = floor(100 * pg_temp.r(id * 53 + ${salt}))::int;`);
}

/** The seed's definition of hasnew for every entry, as rows [id, 't'|'f'] in id order. */
export function hasnewTruth(url) {
  return sql(url, `SELECT e.id, EXISTS (SELECT 1 FROM core.chapter ch WHERE ch.comicid = e.comicid
    AND ch.deletedat IS NULL AND NOT EXISTS (SELECT 1 FROM library.chapterread cr WHERE cr.userid = e.userid
    AND cr.chapterid = ch.id)) FROM library.entry e ORDER BY e.id`);
}

/** Stored hasnew of every entry, as rows [id, 't'|'f'] in id order. */
export const hasnewStored = (url) => sql(url, 'SELECT id, hasnew FROM library.entry ORDER BY id');

-- demo.sql — a small, deterministic demo dataset for `make run`. Tests should not lean on it: they build
-- the rows they assert on.
--
-- Load it once into a database with the platform's tables (db/platform/schema.sql), before `comicbatch migrate`:
--   psql -v ON_ERROR_STOP=1 -f db/demo.sql
-- If core.comic already has rows it does nothing (a NOTICE says so), so re-running `make run` is safe.
-- The data is one DO block, so it works the same through psql, psql -1 or one PQexec of the whole file.
-- About 2 s on a laptop-class machine; it ends with ANALYZE so the first job runs get sensible plans.
--
-- Deterministic: every "random" choice is pg_temp.demo_r(seed, n), built on hashint8 (the hash PostgreSQL
-- uses for hash partitioning, so stable across machines), and the same rows come out on every load. Only
-- times are relative to now() (expired sessions, this month's pageviews), and session token hashes are
-- random: no demo session token is guessable, the admin's included (use the configured admin token).
--
-- Built so that every job has work on a fresh load: denormalised counts, hasnew and rating stats are
-- deliberately stale, some sessions are expired or revoked, some announcements are published and expired,
-- some users have more than 500 history rows, pageviews older than 90 days still carry IP/UA, and ~40
-- media files are orphans older than 24h (plus a few younger ones the grace period must spare).
--
-- What is where (ids are fixed):
--   users      500; 'admin' (role admin) = md5('comicbatch-demo-user-1')::uuid, moderators 'moderator2'..'6'
--   comics     200; comics 50,100,150,200 have no chapters; 196..199 have stale ratings but no ratings left
--   media      1..160 primary covers of comics 1..160, 161..190 art, 191..235 pages of the first chapter of
--              comics 1..3, 236..250 avatars of users 1..15, 251..290 orphans 2-60 days old,
--              291..296 orphans younger than 24h, 297..300 secondary covers of comics 1..4

CREATE OR REPLACE FUNCTION pg_temp.demo_r(seed bigint, n bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT (hashint8(seed)::bigint + 2147483648) % n $$;

CREATE OR REPLACE FUNCTION pg_temp.demo_partition(parent text, lo date) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF to_regclass(parent || '_' || to_char(lo, 'YYYY_MM')) IS NULL THEN
        EXECUTE format('CREATE TABLE %s_%s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', parent,
                       to_char(lo, 'YYYY_MM'), parent, lo::text || ' 00:00:00+00',
                       (lo + interval '1 month')::date::text || ' 00:00:00+00');
    END IF;
END $$;

DO $demo$
DECLARE
    t0     timestamptz := now();
    -- Partitions are UTC months (see db/platform/schema.sql), so month arithmetic is done on UTC
    -- wall-clock timestamps (m0) and only then turned into instants: the session's TimeZone never matters.
    m0     timestamp   := date_trunc('month', now() AT TIME ZONE 'UTC');
    month0 timestamptz := m0 AT TIME ZONE 'UTC';
    cdn    constant text := 'https://cdn.example.com/';
BEGIN
    IF EXISTS (SELECT 1 FROM core.comic) THEN
        RAISE NOTICE 'demo.sql: core.comic already has rows; not loading the demo dataset';
        RETURN;
    END IF;

    -- Helpers (filled once chapters exist): chapters ranked within their comic, and chapters per comic, so
    -- "the k-th chapter of comic c" is an equi-join on (comicid, rn).
    CREATE TEMP TABLE demo_ch (comicid bigint, rn int, n int, id bigint, PRIMARY KEY (comicid, rn))
        ON COMMIT DROP;
    CREATE TEMP TABLE demo_n (comicid bigint PRIMARY KEY, n int NOT NULL) ON COMMIT DROP;

    ---------------------------------------------------------------------------------------------------------
    -- users.account: 500 users, 1 admin, 5 moderators
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO users.account (id, username, email, role, createdat, updatedat)
    SELECT md5('comicbatch-demo-user-' || i)::uuid,
           u.name, u.name || '@example.com',
           CASE WHEN i = 1 THEN 'admin' WHEN i <= 6 THEN 'moderator' ELSE 'user' END,
           t0 - (700 - i) * interval '1 day', t0 - (pg_temp.demo_r(i, 30)) * interval '1 day'
      FROM generate_series(1, 500) AS i,
           LATERAL (SELECT CASE WHEN i = 1 THEN 'admin'
                                WHEN i <= 6 THEN 'moderator' || i
                                ELSE 'reader' || lpad(i::text, 3, '0') END AS name) u;

    ---------------------------------------------------------------------------------------------------------
    -- core.comic: 200 comics (counters fixed up, wrongly on purpose, further down)
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO core.comic (id, title, slug, status, viewcount, createdat, updatedat)
    SELECT i, t.title, lower(replace(t.title, ' ', '-')) || '-' || i,
           (ARRAY['ongoing', 'ongoing', 'ongoing', 'completed', 'completed', 'hiatus', 'cancelled'])
               [1 + pg_temp.demo_r(i * 3 + 1, 7)],
           pg_temp.demo_r(i * 5 + 2, 250000),
           t0 - (800 - i * 3) * interval '1 day',
           t0 - pg_temp.demo_r(i * 7 + 3, 90) * interval '1 day'
      FROM generate_series(1, 200) AS i,
           LATERAL (SELECT (ARRAY['The', 'A', 'My', 'Our', 'Last', 'Tale of the'])[1 + pg_temp.demo_r(i, 6)]
                           || ' ' ||
                           (ARRAY['Crimson', 'Silent', 'Iron', 'Moonlit', 'Hidden', 'Ninth', 'Paper',
                                  'Electric', 'Frozen', 'Wandering'])[1 + pg_temp.demo_r(i + 1000, 10)]
                           || ' ' ||
                           (ARRAY['Blade', 'Garden', 'Dragon', 'Detective', 'Kitchen', 'Academy', 'Empire',
                                  'Lantern', 'Sky', 'Witch', 'Café', 'Orbit'])[1 + pg_temp.demo_r(i + 2000, 12)]
                           AS title) t;
    PERFORM setval(pg_get_serial_sequence('core.comic', 'id'), 200);

    ---------------------------------------------------------------------------------------------------------
    -- core.chapter: ~4k; 1..40 per comic, none for every 50th comic, ~1% soft-deleted
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO core.chapter (comicid, number, title, viewcount, createdat, deletedat)
    SELECT c, j, CASE WHEN pg_temp.demo_r(c * 1000 + j, 3) = 0 THEN NULL ELSE 'Chapter ' || j END,
           pg_temp.demo_r(c * 1000 + j + 7, 20000),
           ts,
           CASE WHEN pg_temp.demo_r(c * 1000 + j + 11, 100) = 0 THEN least(ts + interval '1 day', t0) END
      FROM generate_series(1, 200) AS c,
           LATERAL generate_series(1, CASE WHEN c % 50 = 0 THEN 0 ELSE 1 + pg_temp.demo_r(c * 7 + 1, 40)::int END) AS j,
           -- Newest chapter of comic c is 0-9 days old; the others one every 5 days before it.
           LATERAL (SELECT t0 - pg_temp.demo_r(c, 10) * interval '1 day'
                       - ((1 + pg_temp.demo_r(c * 7 + 1, 40)) - j) * interval '5 days'
                       - pg_temp.demo_r(c * 1000 + j, 600) * interval '1 minute' AS ts) x
     ORDER BY c, j;

    INSERT INTO demo_ch (comicid, rn, n, id)
    SELECT comicid, row_number() OVER w, count(*) OVER (PARTITION BY comicid), id
      FROM core.chapter WINDOW w AS (PARTITION BY comicid ORDER BY number, id);
    INSERT INTO demo_n SELECT comicid, count(*) FROM demo_ch GROUP BY comicid;
    ANALYZE demo_ch;   -- temp tables are never auto-analysed; without stats the joins below go quadratic
    ANALYZE demo_n;

    ---------------------------------------------------------------------------------------------------------
    -- core.mediafile (300) and what references it
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO core.mediafile (id, storagekey, url, contenttype, sizebytes, createdat)
    SELECT i, k.key, cdn || k.key, k.ctype, 20000 + pg_temp.demo_r(i, 2000000), k.created
      FROM generate_series(1, 300) AS i,
           LATERAL (SELECT
               CASE WHEN i <= 160 THEN 'covers/comic-' || i || '/cover.jpg'
                    WHEN i <= 190 THEN 'art/comic-' || (i - 160) || '/art-' || i || '.png'
                    WHEN i <= 235 THEN 'pages/comic-' || (1 + (i - 191) / 15) || '/ch-1/'
                                       || lpad((1 + (i - 191) % 15)::text, 3, '0') || '.webp'
                    WHEN i <= 250 THEN 'avatars/user-' || (i - 235) || '.webp'
                    WHEN i <= 296 THEN 'uploads/tmp/' || md5('orphan' || i) || '.jpg'
                    ELSE 'covers/comic-' || (i - 296) || '/alt-' || i || '.jpg' END AS key,
               CASE WHEN i <= 160 OR i > 250 THEN 'image/jpeg'
                    WHEN i <= 190 THEN 'image/png' ELSE 'image/webp' END AS ctype,
               CASE WHEN i BETWEEN 291 AND 296 THEN t0 - (i - 290) * interval '90 minutes'   -- < 24h
                    WHEN i BETWEEN 251 AND 290 THEN t0 - (2 + pg_temp.demo_r(i, 59)) * interval '1 day'
                    ELSE t0 - (30 + pg_temp.demo_r(i, 600)) * interval '1 day' END AS created) k;
    PERFORM setval(pg_get_serial_sequence('core.mediafile', 'id'), 300);

    INSERT INTO core.comiccover (comicid, mediafileid, isprimary, createdat)
    SELECT i, i, true, t0 - 30 * interval '1 day' FROM generate_series(1, 160) AS i
    UNION ALL
    SELECT i - 296, i, false, t0 - 20 * interval '1 day' FROM generate_series(297, 300) AS i;

    UPDATE core.comic c SET coverurl = m.url
      FROM core.comiccover cc JOIN core.mediafile m ON m.id = cc.mediafileid
     WHERE cc.comicid = c.id AND cc.isprimary;

    INSERT INTO core.comicart (comicid, mediafileid, createdat)
    SELECT i - 160, i, t0 - 25 * interval '1 day' FROM generate_series(161, 190) AS i;

    INSERT INTO core.page (chapterid, mediafileid, pagenumber, createdat)
    SELECT ch.id, i, 1 + (i - 191) % 15, t0 - 25 * interval '1 day'
      FROM generate_series(191, 235) AS i
      JOIN demo_ch ch ON ch.comicid = 1 + (i - 191) / 15 AND ch.rn = 1;

    UPDATE users.account a SET avatarurl = cdn || 'avatars/user-' || (i - 235) || '.webp'
      FROM generate_series(236, 250) AS i
     WHERE a.id = md5('comicbatch-demo-user-' || (i - 235))::uuid;

    ---------------------------------------------------------------------------------------------------------
    -- library.entry: 10 follows per user (5,000); library.chapterread: ~30k
    ---------------------------------------------------------------------------------------------------------
    -- The follows are decided first (demo_e.n becomes library.entry.id on a fresh database), the reads next,
    -- and the entries written last, each once, with hasnew already computed.
    CREATE TEMP TABLE demo_e ON COMMIT DROP AS
    SELECT (u - 1) * 10 + k + 1 AS n, md5('comicbatch-demo-user-' || u)::uuid AS userid,
           1 + (u * 7 + k * 13) % 200 AS comicid,
           t0 - (100 + pg_temp.demo_r(u * 10 + k, 300)) * interval '1 day' AS createdat,
           t0 - pg_temp.demo_r(u * 10 + k + 5, 60) * interval '1 day' AS updatedat
      FROM generate_series(1, 500) AS u, generate_series(0, 9) AS k;
    ANALYZE demo_e;

    -- Per entry: 20% read everything (deleted chapters too), 40% read nothing, 40% read the first part.
    INSERT INTO library.chapterread (userid, chapterid, readat)
    SELECT e.userid, ch.id, ch_c.createdat + pg_temp.demo_r(e.n * 100 + ch.rn, 4000) * interval '1 minute'
      FROM demo_e e
      JOIN demo_ch ch ON ch.comicid = e.comicid
      JOIN core.chapter ch_c ON ch_c.id = ch.id
     WHERE CASE WHEN pg_temp.demo_r(e.n, 10) < 2 THEN true
                WHEN pg_temp.demo_r(e.n, 10) < 6 THEN false
                ELSE ch.rn <= pg_temp.demo_r(e.n * 3 + 1, greatest(ch.n / 2, 1)) END
       AND ch_c.createdat + interval '3 days' < t0;   -- nobody has read this week's chapters yet
    ANALYZE library.chapterread;

    -- hasnew: the true value (the seed's own expression), but deliberately flipped (stale) for ~10%.
    INSERT INTO library.entry (userid, comicid, hasnew, createdat, updatedat)
    SELECT e.userid, e.comicid,
           EXISTS (SELECT 1 FROM core.chapter ch
                    WHERE ch.comicid = e.comicid
                      AND ch.deletedat IS NULL
                      AND NOT EXISTS (SELECT 1 FROM library.chapterread cr
                                       WHERE cr.userid = e.userid AND cr.chapterid = ch.id))
               <> (pg_temp.demo_r(e.n * 17, 10) = 0),
           e.createdat, e.updatedat
      FROM demo_e e
     ORDER BY e.n;

    ---------------------------------------------------------------------------------------------------------
    -- library.viewhistory: ~20k; 30 rows per user, but users 2, 17, 42, 99 have 600-2200 (over the 500 cap);
    -- user 2's rows come in pairs with identical viewedat (ties for the cap's ordering).
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO library.viewhistory (userid, comicid, chapterid, viewedat)
    SELECT md5('comicbatch-demo-user-' || u)::uuid, v.comicid, ch.id,
           CASE WHEN u = 2 THEN t0 - (j / 2) * interval '37 minutes'
                ELSE t0 - j * interval '37 minutes' - pg_temp.demo_r(u * 10000 + j, 30) * interval '1 minute' END
      FROM generate_series(1, 500) AS u,
           LATERAL generate_series(1, CASE u WHEN 2 THEN 600 WHEN 17 THEN 900 WHEN 42 THEN 1300
                                             WHEN 99 THEN 2200 ELSE 30 END) AS j,
           LATERAL (SELECT 1 + (u * 7 + (j % 10) * 13) % 200 AS comicid, u * 10000 + j + 3 AS seed) v
      LEFT JOIN demo_n cn ON cn.comicid = v.comicid
      LEFT JOIN demo_ch ch ON ch.comicid = v.comicid AND ch.rn = 1 + pg_temp.demo_r(v.seed, 40) % cn.n
     ORDER BY u, j DESC;

    ---------------------------------------------------------------------------------------------------------
    -- social.comicrating: 6 per user (~3k); then stale stats on the comics
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO social.comicrating (userid, comicid, score, createdat, updatedat)
    SELECT md5('comicbatch-demo-user-' || u)::uuid, 1 + (u * 11 + k * 29) % 200,
           1 + pg_temp.demo_r(u * 6 + k, 6) + pg_temp.demo_r(u * 6 + k + 9999, 5),   -- 1..10, peaked
           t0 - pg_temp.demo_r(u * 6 + k, 400) * interval '1 day', t0 - pg_temp.demo_r(u * 6 + k, 30) * interval '1 day'
      FROM generate_series(1, 500) AS u, generate_series(0, 5) AS k;
    -- Comics 196..199 lost all their ratings but still show old stats (the seed's UPDATE ... FROM misses them).
    DELETE FROM social.comicrating WHERE comicid BETWEEN 196 AND 199;
    UPDATE core.comic SET ratingavg = 7.25, ratingbayesian = 6.9000, ratingcount = 4 WHERE id BETWEEN 196 AND 199;
    -- A stale earlier computation for comics 1..40; the rest were never computed (NULL / 0).
    UPDATE core.comic c SET ratingavg = s.avg_score - 0.5, ratingbayesian = 6.5, ratingcount = s.cnt - 1
      FROM (SELECT comicid, avg(score)::numeric(4,2) AS avg_score, count(*) AS cnt
              FROM social.comicrating GROUP BY comicid) s
     WHERE c.id = s.comicid AND c.id <= 40;

    ---------------------------------------------------------------------------------------------------------
    -- core.scanlationgroup (20) and follows (~2k)
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO core.scanlationgroup (id, name, followcount, createdat)
    SELECT g, (ARRAY['Midnight', 'Lotus', 'Kitsune', 'Paper Moon', 'Static'])[1 + (g - 1) % 5]
              || ' Scans ' || g, pg_temp.demo_r(g, 200), t0 - g * interval '30 days'
      FROM generate_series(1, 20) AS g;
    PERFORM setval(pg_get_serial_sequence('core.scanlationgroup', 'id'), 20);

    INSERT INTO core.scanlationgroupfollow (userid, groupid, createdat)
    SELECT md5('comicbatch-demo-user-' || u)::uuid, g, t0 - pg_temp.demo_r(u * 100 + g, 300) * interval '1 day'
      FROM generate_series(1, 500) AS u, generate_series(1, 20) AS g
     WHERE pg_temp.demo_r(u * 100 + g, 10) < 1 + g % 3;

    ---------------------------------------------------------------------------------------------------------
    -- Denormalised counters: right for most comics, off for every 3rd (chapters) / 4th (follows).
    ---------------------------------------------------------------------------------------------------------
    UPDATE core.comic c SET
        chaptercount = greatest(0, s.chapters + CASE WHEN c.id % 3 = 0 THEN 1 + pg_temp.demo_r(c.id, 4) ELSE 0 END),
        followcount  = greatest(0, s.follows  + CASE WHEN c.id % 4 = 0 THEN -1 - pg_temp.demo_r(c.id, 5) ELSE 0 END)
      FROM (SELECT c2.id,
                   (SELECT count(*) FROM core.chapter ch WHERE ch.comicid = c2.id AND ch.deletedat IS NULL) AS chapters,
                   (SELECT count(*) FROM library.entry e WHERE e.comicid = c2.id) AS follows
              FROM core.comic c2) s
     WHERE s.id = c.id;

    ---------------------------------------------------------------------------------------------------------
    -- system.announcement: 30 — 1..8 published & expired (the job's work), 9..10 expired but soft-deleted,
    -- 11..18 published & expiring later, 19..24 published forever, 25..30 drafts
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO system.announcement (title, body, ispublished, expiresat, createdat, updatedat, deletedat)
    SELECT 'Announcement ' || i,
           'Demo announcement number ' || i || '. Maintenance windows, new features and event news.',
           i <= 24,
           CASE WHEN i <= 10 THEN t0 - i * interval '1 day'
                WHEN i <= 18 THEN t0 + (i - 10) * interval '1 day'
                WHEN i <= 24 THEN NULL
                ELSE t0 - i * interval '1 hour' END,
           t0 - (40 + i) * interval '1 day', t0 - (20 + i) * interval '1 day',
           CASE WHEN i IN (9, 10) THEN t0 - interval '12 hours' END
      FROM generate_series(1, 30) AS i;

    ---------------------------------------------------------------------------------------------------------
    -- users.session: 4 per user (2,000); ~30% expired, ~5% revoked. Token hashes are random on purpose.
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO users.session (userid, tokenhash, createdat, expiresat, revokedat, useragent, ipaddress)
    SELECT md5('comicbatch-demo-user-' || (1 + (s - 1) % 500))::uuid,
           encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'),
           t0 - (1 + pg_temp.demo_r(s, 60)) * interval '1 day',
           CASE WHEN pg_temp.demo_r(s * 2, 10) < 3 THEN t0 - (1 + pg_temp.demo_r(s, 20)) * interval '1 hour'
                ELSE t0 + (1 + pg_temp.demo_r(s, 30)) * interval '1 day' END,
           CASE WHEN pg_temp.demo_r(s * 3, 20) = 0 THEN t0 - pg_temp.demo_r(s, 48) * interval '1 hour' END,
           (ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
                  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1',
                  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0',
                  'ComicApp/3.2 (Android 14)'])[1 + pg_temp.demo_r(s + 77, 4)],
           CASE WHEN s % 5 = 0 THEN ('2001:db8::' || to_hex(s % 65536))::inet
                ELSE ('198.51.100.' || (s % 250 + 1))::inet END
      FROM generate_series(1, 2000) AS s;

    ---------------------------------------------------------------------------------------------------------
    -- analytics: 12k pageviews this month (start of month .. now), 2k in each of the 5 months before, with
    -- IP/UA present except on ~30% of the oldest month (anonymised by an earlier run). 3k chapter sessions.
    ---------------------------------------------------------------------------------------------------------
    -- This month (normally already made by db/platform/schema.sql) and the five before it, as the platform makes
    -- them: <parent>_YYYY_MM over [month start, next month start) in UTC.
    PERFORM pg_temp.demo_partition(p, (m0 - m * interval '1 month')::date)
       FROM unnest(ARRAY['analytics.pageview', 'analytics.chaptersession', 'crawler.log']) AS p,
            generate_series(0, 5) AS m;

    INSERT INTO analytics.pageview (userid, comicid, chapterid, path, ipaddress, useragent, createdat)
    SELECT CASE WHEN pg_temp.demo_r(i, 10) < 4 THEN NULL
                ELSE md5('comicbatch-demo-user-' || (1 + pg_temp.demo_r(i + 1, 500)))::uuid END,
           c.id, ch.id,
           '/comics/' || c.slug || COALESCE('/chapters/' || ch.rn, ''),
           CASE WHEN anon THEN NULL WHEN i % 7 = 0 THEN ('2001:db8:1::' || to_hex(i % 65536))::inet
                ELSE ('203.0.113.' || (1 + pg_temp.demo_r(i + 2, 254)))::inet END,
           CASE WHEN anon THEN NULL
                ELSE (ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
                            'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1',
                            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0',
                            'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
                            'Googlebot/2.1 (+http://www.google.com/bot.html)'])[1 + pg_temp.demo_r(i + 3, 5)] END,
           ts
      FROM (
            -- this month: spread evenly from the 1st (UTC) to now
            SELECT i, month0 + (t0 - month0) * (i::float8 / 12001) AS ts, false AS anon
              FROM generate_series(1, 12000) AS i
            UNION ALL
            -- month -m: 2,000 spread over the whole month
            SELECT 100000 * m + k,
                   ((m0 - m * interval '1 month')
                       + ((m0 - (m - 1) * interval '1 month') - (m0 - m * interval '1 month'))
                         * (k::float8 / 2001)) AT TIME ZONE 'UTC',
                   m = 5 AND k % 10 < 3
              FROM generate_series(1, 5) AS m, generate_series(1, 2000) AS k
           ) AS pv (i, ts, anon)
      JOIN core.comic c ON c.id = 1 + pg_temp.demo_r(pv.i + 4, 200)
      LEFT JOIN demo_n cn ON cn.comicid = c.id AND pg_temp.demo_r(pv.i + 5, 3) > 0
      LEFT JOIN demo_ch ch ON ch.comicid = c.id AND ch.rn = 1 + pg_temp.demo_r(pv.i + 6, 40) % cn.n;

    INSERT INTO analytics.chaptersession (userid, chapterid, startedat, durationms, createdat)
    SELECT CASE WHEN pg_temp.demo_r(i, 10) < 3 THEN NULL
                ELSE md5('comicbatch-demo-user-' || (1 + pg_temp.demo_r(i + 1, 500)))::uuid END,
           ch.id, ts, (5 + pg_temp.demo_r(i + 2, 900)) * 1000, ts + interval '1 minute'
      FROM (SELECT i, month0 + (t0 - interval '2 minutes' - month0) * (i::float8 / 3001) AS ts,
                   1 + (pg_temp.demo_r(i + 3, 200) / 50) * 50 + pg_temp.demo_r(i + 4, 49) AS comicid -- never 50k
              FROM generate_series(1, 3000) AS i) s
      JOIN demo_n cn ON cn.comicid = s.comicid
      JOIN demo_ch ch ON ch.comicid = s.comicid AND ch.rn = 1 + pg_temp.demo_r(s.i + 5, 40) % cn.n;

    ---------------------------------------------------------------------------------------------------------
    -- crawler: 6 sources (one disabled, one a failure away from the threshold), 90 jobs, ~650 log lines
    ---------------------------------------------------------------------------------------------------------
    INSERT INTO crawler.source (id, name, baseurl, isenabled, consecutivefails, lastfailedat, lastsucceededat,
                                disabledat, createdat)
    VALUES (1, 'mangaplus-mirror', 'https://mirror.example.org/mangaplus', true,  0, NULL, NULL, NULL, t0 - interval '400 days'),
           (2, 'webtoon-feed',     'https://feeds.example.org/webtoon',   true,  1, NULL, NULL, NULL, t0 - interval '380 days'),
           (3, 'scanlator-rss',    'https://rss.example.net/scans',       true,  4, NULL, NULL, NULL, t0 - interval '300 days'),
           (4, 'legacy-html',      'https://old.example.com/catalog',     false, 5, NULL, NULL, t0 - interval '4 days', t0 - interval '700 days'),
           (5, 'publisher-api',    'https://api.example.com/v2',          true,  0, NULL, NULL, NULL, t0 - interval '90 days'),
           (6, 'indie-uploads',    'https://indie.example.org/new',       true,  0, NULL, NULL, NULL, t0 - interval '60 days');
    PERFORM setval(pg_get_serial_sequence('crawler.source', 'id'), 6);

    -- 15 jobs per source, one every 2 hours, newest last (the disabled source's stop when it was disabled).
    -- Each source's newest finished jobs are exactly `consecutivefails` failures after a success; older
    -- jobs fail now and then.
    INSERT INTO crawler.job (sourceid, status, error, createdat, startedat, finishedat)
    SELECT s.id, st.status,
           CASE WHEN st.status = 'failed'
                THEN (ARRAY['HTTP 503 from upstream', 'timeout after 30s', 'parse error: unexpected markup',
                            'TLS handshake failed'])[1 + pg_temp.demo_r(s.id * 100 + j, 4)] END,
           st.at - interval '1 minute',
           CASE WHEN st.status <> 'queued' THEN st.at END,
           CASE WHEN st.status IN ('succeeded', 'failed') THEN st.at + interval '40 seconds' END
      FROM crawler.source s, generate_series(1, 15) AS j,
           LATERAL (SELECT CASE
                       WHEN j = 15 AND s.id = 5 THEN 'running'
                       WHEN j = 15 AND s.id = 6 THEN 'queued'
                       WHEN j > 15 - s.consecutivefails THEN 'failed'
                       WHEN j <= 10 AND pg_temp.demo_r(s.id * 100 + j, 6) = 0 THEN 'failed'
                       ELSE 'succeeded' END AS status,
                       COALESCE(s.disabledat, t0) - (16 - j) * interval '2 hours' AS at) st
     ORDER BY st.at, s.id;
    -- These outcomes are history that crawler.source.consecutivefails already reflects: `make run` loads this
    -- file before `comicbatch migrate`, which records its install time as the start of what crawler.source_health
    -- counts, so the daemon does not count the demo's history a second time.
    UPDATE crawler.source s
       SET lastfailedat    = (SELECT max(finishedat) FROM crawler.job j WHERE j.sourceid = s.id AND j.status = 'failed'),
           lastsucceededat = (SELECT max(finishedat) FROM crawler.job j WHERE j.sourceid = s.id AND j.status = 'succeeded');

    INSERT INTO crawler.log (sourceid, jobid, level, message, createdat)
    SELECT j.sourceid, j.id,
           CASE WHEN j.status = 'failed' AND k = 4 THEN 'error'
                WHEN k = 1 THEN 'debug' ELSE 'info' END,
           CASE k WHEN 1 THEN 'fetching index' WHEN 2 THEN 'parsed ' || pg_temp.demo_r(j.id, 80) || ' entries'
                  WHEN 3 THEN 'upserted ' || pg_temp.demo_r(j.id + 1, 20) || ' chapters'
                  ELSE COALESCE(j.error, 'done') END,
           greatest(month0, COALESCE(j.startedat, j.createdat)) + k * interval '5 seconds'
      FROM crawler.job j, generate_series(1, 4) AS k
     WHERE j.status IN ('succeeded', 'failed');
    -- plus older lines (previous month) so the log partitions are not all empty
    INSERT INTO crawler.log (sourceid, jobid, level, message, createdat)
    SELECT 1 + i % 6, NULL, 'info', 'heartbeat', month0 - i * interval '30 minutes'
      FROM generate_series(1, 300) AS i;

    INSERT INTO system.notification (level, title, message, details, createdat)
    VALUES ('warning', 'Crawler source disabled',
            'Source legacy-html was disabled after 5 consecutive failed jobs',
            '{"sourceid": 4, "consecutivefails": 5, "threshold": 5}', t0 - interval '4 days');

    RAISE NOTICE 'demo.sql: demo dataset loaded';
END
$demo$;

ANALYZE;

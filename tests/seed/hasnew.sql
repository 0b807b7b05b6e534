-- library.hasnew: the seed's statement (../shared/spec/batch-jobs-api.md), verbatim. The one copy that the tests
-- (tests/integration/seed-sql.mjs) and the benchmarks (bench/bench_library.sh) compare the jobs with.
-- The tests scope it by appending `WHERE …` (all rows, one user's or one comic's entries).
UPDATE library.entry SET hasnew = (
    EXISTS (
        SELECT 1 FROM core.chapter ch
        WHERE ch.comicid = library.entry.comicid
          AND ch.deletedat IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM library.chapterread cr
              WHERE cr.userid = library.entry.userid
                AND cr.chapterid = ch.id
          )
    )
);

-- comics.counts_recalc: the seed's statement (../shared/spec/batch-jobs-api.md), verbatim. The one copy that the tests
-- (tests/integration/seed-sql.mjs) and the benchmarks (bench/bench_library.sh) compare the jobs with.
-- chapter count
UPDATE core.comic c SET chaptercount = (
    SELECT COUNT(*) FROM core.chapter ch
    WHERE ch.comicid = c.id AND ch.deletedat IS NULL
);

-- follow count (library.entry = comic follow)
UPDATE core.comic c SET followcount = (
    SELECT COUNT(*) FROM library.entry e
    WHERE e.comicid = c.id
);

-- scanlation group follow count
UPDATE core.scanlationgroup sg SET followcount = (
    SELECT COUNT(*) FROM core.scanlationgroupfollow sgf
    WHERE sgf.groupid = sg.id
);

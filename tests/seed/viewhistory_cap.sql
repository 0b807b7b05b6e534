-- library.viewhistory_cap: the seed's statement (../shared/spec/batch-jobs-api.md), verbatim. The one copy that the tests
-- (tests/integration/seed-sql.mjs) and the benchmarks (bench/bench_library.sh) compare the jobs with.
DELETE FROM library.viewhistory
WHERE id IN (
    SELECT id FROM (
        SELECT id,
               ROW_NUMBER() OVER (PARTITION BY userid ORDER BY viewedat DESC) AS rn
        FROM library.viewhistory
    ) ranked
    WHERE ranked.rn > 500
);

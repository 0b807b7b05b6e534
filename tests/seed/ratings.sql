-- comics.ratings_recalc: the seed's statement (../shared/spec/batch-jobs-api.md), verbatim. The one copy that the tests
-- (tests/integration/seed-sql.mjs) and the benchmarks (bench/bench_library.sh) compare the jobs with.
-- $C (the global mean) and $m (the minimum votes) are substituted by the caller, as the seed's job does.
UPDATE core.comic c SET
    ratingavg      = stats.avg_score,
    ratingbayesian = (
        -- Wilson / Bayesian: (C * m + sum_score) / (C + count)
        -- where C = global avg, m = minimum votes threshold (e.g. 100)
        ($C * $m + stats.sum_score) / ($m + stats.count)
    ),
    ratingcount    = stats.count
FROM (
    SELECT comicid,
           AVG(score)::NUMERIC(4,2) AS avg_score,
           SUM(score)               AS sum_score,
           COUNT(*)                 AS count
    FROM social.comicrating
    GROUP BY comicid
) stats
WHERE c.id = stats.comicid;

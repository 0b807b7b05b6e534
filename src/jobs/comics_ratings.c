/*
 * comics.ratings_recalc — core.comic.ratingavg / ratingbayesian / ratingcount from social.comicrating (seed §3):
 *   ratingavg      = AVG(score)::numeric(4,2)
 *   ratingbayesian = (C * m + sum) / (m + count), stored as numeric(6,4)
 *   C = the global mean score, rounded to 4 decimals (the scale of ratingbayesian); m = [jobs] rating_min_votes
 * Both are in meta with comicsUpdated.
 *
 * Per-comic sum and count come from jobstate.comic_ratings (migration 003: folded from an append-only delta log
 * the rating triggers write), so a run reads 52k stats rows instead of aggregating a million ratings, and C is
 * their sum over sum. Every run compares every comic against them and writes only the rows that differ: when
 * ratings changed, those comics; when C moved, exactly the comics whose rounded bayesian value moved with it
 * (most do not: a change of C by d moves a comic by d*m/(m+count)); when nothing changed, nothing. Comparing all
 * comics also repairs values someone else wrote into those columns.
 *
 * Deliberate difference from the seed (DESIGN §4): the seed's UPDATE ... FROM (ratings GROUP BY comicid) never
 * touches a comic whose last rating was removed, leaving its old numbers forever; we reset it to NULL, NULL, 0.
 * `full: true` rebuilds the stats from social.comicrating first (after a load with triggers disabled).
 */
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "jobs/stats_apply.h"
#include "store/pg.h"

static const char fold_sql[] =
    "WITH d AS (DELETE FROM jobstate.comic_ratings_delta RETURNING comicid, dsum, dcount)"
    " INSERT INTO jobstate.comic_ratings AS s (comicid, ratingsum, ratingcount)"
    " SELECT comicid, sum(dsum), sum(dcount) FROM d GROUP BY comicid"
    " ON CONFLICT (comicid) DO UPDATE SET ratingsum = s.ratingsum + excluded.ratingsum,"
    " ratingcount = s.ratingcount + excluded.ratingcount";

/* $1 last id, $2 batch, $3 dry, $4 C, $5 m */
static const char batch_sql[] =
    "WITH b AS (SELECT id FROM core.comic WHERE id > $1::bigint ORDER BY id LIMIT $2::int),"
    " n AS (SELECT c.id, c.ratingavg, c.ratingbayesian, c.ratingcount, v.avg, v.bayes, v.cnt"
    "   FROM core.comic c LEFT JOIN jobstate.comic_ratings s ON s.comicid = c.id AND s.ratingcount > 0"
    "   CROSS JOIN LATERAL (SELECT (s.ratingsum::numeric / s.ratingcount)::numeric(4,2) AS avg,"
    "     (($4::numeric * $5::int + s.ratingsum) / ($5::int + s.ratingcount))::numeric(6,4) AS bayes,"
    "     coalesce(s.ratingcount, 0)::int AS cnt) v"
    "   WHERE c.id > $1::bigint AND c.id <= (SELECT max(id) FROM b)),"
    " d AS (SELECT * FROM n WHERE (ratingavg, ratingbayesian, ratingcount) IS DISTINCT FROM (avg, bayes, cnt)),"
    " upd AS (UPDATE core.comic c SET ratingavg = d.avg, ratingbayesian = d.bayes, ratingcount = d.cnt FROM d"
    "   WHERE c.id = d.id AND NOT $3::boolean RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM d), (SELECT count(*) FROM upd)";

static int ratings_run(struct job_ctx *ctx)
{
    const char *folds[] = {fold_sql};
    int64_t updated = 0, would = 0;
    char m[16];
    snprintf(m, sizeof m, "%d", ctx->app->cfg.rating_min_votes);
    if (stats_begin(ctx, "SELECT jobstate.rebuild_comic_ratings()", folds, 1) == 0) {
        PGresult *r = job_query(ctx, "ratings.c",
                                "SELECT round(sum(ratingsum)::numeric / nullif(sum(ratingcount), 0), 4)"
                                " FROM jobstate.comic_ratings",
                                0, NULL);
        if (r) {
            const char *c = pg_val(r, 0, 0);
            json_object_set_new(ctx->meta, "C", c ? json_real(strtod(c, NULL)) : json_null());
            const char *extra[] = {c, m};
            stats_walk(ctx, "ratings.batch", batch_sql, 2, extra, &updated, &would);
            PQclear(r);
        }
    }
    json_object_set_new(ctx->meta, "m", json_integer(ctx->app->cfg.rating_min_votes));
    json_object_set_new(ctx->meta, "comicsUpdated", json_integer(updated));
    if (ctx->dryrun)
        json_object_set_new(ctx->meta, "wouldUpdate", json_integer(would));
    ctx->rowsaffected = updated;
    return stats_end(ctx);
}

static const struct param_def ratings_params[] = {
    {"full", PARAM_BOOL, "false", 0, 0, "rebuild the per-comic rating stats from social.comicrating first"},
};

const struct job_def job_comics_ratings_recalc = {
    .key = "comics.ratings_recalc",
    .description = "Recalculate Bayesian ratings",
    .cron = "0 * * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .params = ratings_params,
    .nparams = sizeof ratings_params / sizeof ratings_params[0],
    .run = ratings_run,
};

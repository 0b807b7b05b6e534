/*
 * comics.ratings_recalc — core.comic.ratingavg / ratingbayesian / ratingcount from social.comicrating (seed §3):
 *   ratingavg      = AVG(score)::numeric(4,2)
 *   ratingbayesian = (C * m + sum) / (m + count), stored as numeric(6,4)
 *   C = the global mean score, exact (sum over count in numeric, the value AVG(score) gives: never rounded before
 *       it is used, so only the stored ratingbayesian is rounded, once); m = [jobs] rating_min_votes
 * Both are in meta with comicsUpdated.
 *
 * Per-comic sum and count come from jobstate.comic_ratings (migration 003: folded from an append-only delta log
 * the rating triggers write), so a run reads 52k stats rows instead of aggregating a million ratings, and C is
 * their sum over sum. Beside them the job keeps the values it derived (migration 007: exp*), recomputed only for
 * comics whose sum or count changed, or for all when C or m moved. Every run then compares every comic with its
 * expected values (a merge of two id-ordered tables, no arithmetic) and writes only the rows that differ: when
 * ratings changed, those comics; when C moved, exactly the comics whose rounded bayesian value moved with it (a
 * change of C by d moves a comic by d*m/(m+count)); when nothing changed, nothing. Comparing all comics also
 * repairs values someone else wrote into those columns.
 *
 * Deliberate difference from the seed (DESIGN §4): the seed's UPDATE ... FROM (ratings GROUP BY comicid) never
 * touches a comic whose last rating was removed, leaving its old numbers forever; we reset it to NULL, NULL, 0.
 * `full: true` rebuilds the stats from social.comicrating first (after a load with triggers disabled).
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
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

/* Recomputes the expected values of the comics whose sum, count, C ($1) or m ($2) changed since last time. */
static const char expect_sql[] =
    "UPDATE jobstate.comic_ratings SET expc = $1::numeric, expm = $2::int, expsum = ratingsum, expcount = ratingcount,"
    " expavg = CASE WHEN ratingcount > 0 THEN (ratingsum::numeric / ratingcount)::numeric(4,2) END,"
    " expbayes = CASE WHEN ratingcount > 0"
    "   THEN (($1::numeric * $2::int + ratingsum) / ($2::int + ratingcount))::numeric(6,4) END"
    " WHERE (expc, expm, expsum, expcount) IS DISTINCT FROM ($1::numeric, $2::int, ratingsum, ratingcount)";

/* What core.comic should hold: the expected values, or NULL, NULL, 0 for a comic with no ratings. */
#define RATING_NEW "s.expavg, s.expbayes, coalesce(s.ratingcount, 0)::int"
#define RATING_JOIN(id) "LEFT JOIN jobstate.comic_ratings s ON s.comicid = " id " AND s.ratingcount > 0"

static const char diff_sql[] =
    "SELECT c.id FROM core.comic c " RATING_JOIN("c.id")
    " WHERE (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (" RATING_NEW ") ORDER BY c.id";

static const char apply_sql[] =
    "UPDATE core.comic c SET ratingavg = n.avg, ratingbayesian = n.bayes, ratingcount = n.cnt"
    " FROM (SELECT x.id, " RATING_NEW " FROM unnest($1::bigint[]) x (id) " RATING_JOIN("x.id") ") n (id, avg, bayes, cnt)"
    " WHERE c.id = n.id AND (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (n.avg, n.bayes, n.cnt)";

static int ratings_run(struct job_ctx *ctx)
{
    const char *folds[] = {fold_sql};
    int64_t updated = 0, would = 0;
    char m[16];
    snprintf(m, sizeof m, "%d", ctx->cfg->rating_min_votes);
    if (stats_begin(ctx, "SELECT jobstate.rebuild_comic_ratings()", folds, 1) == 0) {
        PGresult *r = job_query(ctx, "ratings.c",
                                "SELECT sum(ratingsum)::numeric / nullif(sum(ratingcount), 0)"
                                " FROM jobstate.comic_ratings",
                                0, NULL);
        if (r) {
            const char *c = pg_val(r, 0, 0);
            json_object_set_new(ctx->meta, "C", c ? json_real(strtod(c, NULL)) : json_null());
            const char *ep[] = {c, m};
            if (job_exec(ctx, "ratings.expect", expect_sql, 2, ep) >= 0)
                stats_apply(ctx, "ratings.comics", diff_sql, apply_sql, &updated, &would);
            PQclear(r);
        }
    }
    json_object_set_new(ctx->meta, "m", json_integer(ctx->cfg->rating_min_votes));
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

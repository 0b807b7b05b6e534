/*
 * comics.ratings_recalc — core.comic.ratingavg / ratingbayesian / ratingcount from social.comicrating (seed §3):
 *   ratingavg      = AVG(score)::numeric(4,2)
 *   ratingbayesian = (C * m + sum) / (m + count), stored as numeric(6,4)
 *   C = the global mean score, exact (sum over count in numeric, the value AVG(score) gives: never rounded before
 *       it is used, so only the stored ratingbayesian is rounded, once); m = [jobs] rating_min_votes
 * Both are in meta with comicsUpdated.
 *
 * Two modes, chosen at the start of each run (meta.mode):
 *   accelerated — the ratings accelerator is installed: per-comic sum and count come from jobstate.comic_ratings
 *     (folded from an append-only delta log the rating triggers write), so a run reads 52k stats rows instead of
 *     aggregating a million ratings, and C is their sum over sum. Beside them the job keeps the values it derived
 *     (exp*), recomputed only for comics whose sum or count changed, or for all when C or m moved. Every run then
 *     compares every comic with its expected values (a merge of two id-ordered tables, no arithmetic).
 *   direct — no triggers: ONE pass over social.comicrating (an index-only scan of (comicid) INCLUDE (score) where
 *     the platform has it) aggregates per comic, and the same statement derives C, finds the comics that differ
 *     and writes the first batch_rows of them; it returns the rest with their values, which later batches write
 *     without reading the ratings again.
 * Either way only the rows that differ are written: when ratings changed, those comics; when C moved, exactly the
 * comics whose rounded bayesian value moved with it (a change of C by d moves a comic by d*m/(m+count)); when
 * nothing changed, nothing. Comparing all comics also repairs values someone else wrote into those columns.
 *
 * Deliberate difference from the seed (DESIGN §4): the seed's UPDATE ... FROM (ratings GROUP BY comicid) never
 * touches a comic whose last rating was removed, leaving its old numbers forever; we reset it to NULL, NULL, 0.
 * `full: true` rebuilds the stats from social.comicrating first (after a load with triggers disabled).
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "jobs/stats_apply.h"
#include "store/pg.h"

/* clang-format off */
static const char fold_sql[] =
    "WITH d AS (DELETE FROM jobstate.comic_ratings_delta RETURNING comicid, dsum, dcount)"
    " INSERT INTO jobstate.comic_ratings AS s (comicid, ratingsum, ratingcount)"
    " SELECT comicid, sum(dsum), sum(dcount) FROM d GROUP BY comicid"
    " ON CONFLICT (comicid) DO UPDATE SET ratingsum = s.ratingsum + excluded.ratingsum,"
    " ratingcount = s.ratingcount + excluded.ratingcount";
/* clang-format on */

/* Recomputes the expected values of the comics whose sum, count, C ($1) or m ($2) changed since last time. */
/* clang-format off */
static const char expect_sql[] =
    "UPDATE jobstate.comic_ratings SET expc = $1::numeric, expm = $2::int, expsum = ratingsum, expcount = ratingcount,"
    " expavg = CASE WHEN ratingcount > 0 THEN (ratingsum::numeric / ratingcount)::numeric(4,2) END,"
    " expbayes = CASE WHEN ratingcount > 0"
    "   THEN (($1::numeric * $2::int + ratingsum) / ($2::int + ratingcount))::numeric(6,4) END"
    " WHERE (expc, expm, expsum, expcount) IS DISTINCT FROM ($1::numeric, $2::int, ratingsum, ratingcount)";
/* clang-format on */

/* What core.comic should hold: the expected values, or NULL, NULL, 0 for a comic with no ratings. */
#define RATING_NEW "s.expavg, s.expbayes, coalesce(s.ratingcount, 0)::int"
#define RATING_JOIN(id) "LEFT JOIN jobstate.comic_ratings s ON s.comicid = " id " AND s.ratingcount > 0"

/* clang-format off */
static const struct stats_pass accel_pass = {
    "ratings.comics",
    "SELECT c.id FROM core.comic c " RATING_JOIN("c.id")
    " WHERE (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (" RATING_NEW ") ORDER BY c.id",
    "UPDATE core.comic c SET ratingavg = n.avg, ratingbayesian = n.bayes, ratingcount = n.cnt"
    " FROM (SELECT x.id, " RATING_NEW " FROM unnest($1::{comic}[]) x (id) " RATING_JOIN("x.id")
    ") n (id, avg, bayes, cnt)"
    " WHERE c.id = n.id AND (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (n.avg, n.bayes, n.cnt)",
    0, NULL, 0, 0};
/* clang-format on */

/* Direct mode: what core.comic should hold, from per-comic sums `s` (ratingsum, ratingcount), C and m. */
/* clang-format off */
#define DIRECT_NEW(C, M)                                                                                            \
    "CASE WHEN s.ratingcount > 0 THEN (s.ratingsum::numeric / s.ratingcount)::numeric(4,2) END,"                  \
    " CASE WHEN s.ratingcount > 0 THEN ((" C "::numeric * " M "::int + s.ratingsum) / (" M "::int + s.ratingcount))" \
    "::numeric(6,4) END, coalesce(s.ratingcount, 0)::int"
/* clang-format on */

/*
 * One pass over the ratings ($1 = m): the per-comic sums `s`, C from them (`g`), and the comics that differ (`d`:
 * id, the values they should hold, their rank k by id).
 */
/* clang-format off */
#define DIRECT_DIFF_CTES                                                                                            \
    "WITH s AS MATERIALIZED (SELECT comicid, sum(score)::bigint AS ratingsum, count(*) AS ratingcount"             \
    "   FROM social.comicrating GROUP BY comicid),"                                                                \
    " g AS (SELECT sum(ratingsum)::numeric / nullif(sum(ratingcount), 0) AS c FROM s),"                            \
    " d AS MATERIALIZED (SELECT c.id, n.avg, n.bayes, n.cnt, row_number() OVER (ORDER BY c.id) AS k"              \
    "   FROM core.comic c CROSS JOIN g LEFT JOIN s ON s.comicid = c.id"                                            \
    "   CROSS JOIN LATERAL (SELECT " DIRECT_NEW("g.c", "$1") ") n (avg, bayes, cnt)"                               \
    "   WHERE (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (n.avg, n.bayes, n.cnt))"
/* What both statements below return: the differing comics after the first $2 (id, avg, bayes, cnt), each row
 * carrying C, the rows written (column 5) and the number that differ (column 6); when none is left, one row
 * (NULL, NULL, NULL, NULL, C, written, differing). */
#define DIRECT_REST(WRITTEN)                                                                                        \
    " SELECT d.id, d.avg, d.bayes, d.cnt, g.c, " WRITTEN ", (SELECT count(*) FROM d)"                             \
    " FROM g LEFT JOIN d ON d.k > $2::bigint ORDER BY d.id"
/* clang-format on */

/* A dry run's diff ($1 m, $2 0): writes nothing. */
static const char direct_diff_sql[] = DIRECT_DIFF_CTES DIRECT_REST("0");

/*
 * A real run's diff ($1 m, $2 batch_rows) writes the first batch in the same statement — on a table with fewer
 * differing comics than a batch, the whole run is this one statement, the seed's one pass without its needless
 * writes; the rest goes through direct_apply_sql.
 */
/* clang-format off */
static const char direct_first_sql[] =
    DIRECT_DIFF_CTES ","
    " u AS (UPDATE core.comic c SET ratingavg = d.avg, ratingbayesian = d.bayes, ratingcount = d.cnt FROM d"
    "   WHERE d.k <= $2::bigint AND c.id = d.id"
    "   AND (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (d.avg, d.bayes, d.cnt) RETURNING 1)"
    DIRECT_REST("(SELECT count(*) FROM u)");
/* clang-format on */

/*
 * A batch ($1 ids, $2 avg, $3 bayes, $4 count, from the diff): writes the values of the diff's snapshot, as the
 * seed's single UPDATE writes the values of its own. A rating that changes meanwhile is seen by the next run's diff.
 */
/* clang-format off */
static const char direct_apply_sql[] =
    "UPDATE core.comic c SET ratingavg = n.avg, ratingbayesian = n.bayes, ratingcount = n.cnt"
    " FROM unnest($1::{comic}[], $2::numeric[], $3::numeric[], $4::int[]) n (id, avg, bayes, cnt)"
    " WHERE c.id = n.id AND (c.ratingavg, c.ratingbayesian, c.ratingcount) IS DISTINCT FROM (n.avg, n.bayes, n.cnt)";
/* clang-format on */

/* C from the stats table of the mode, into meta and `c` (NULL when there are no ratings). 0 or -1. */
static int global_mean(struct job_ctx *ctx, const char *stats, char *c, size_t clen)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT sum(ratingsum)::numeric / nullif(sum(ratingcount), 0) FROM %s", stats);
    PGresult *r = job_query(ctx, "ratings.c", sql, 0, NULL);
    if (!r)
        return -1;
    const char *v = pg_val(r, 0, 0);
    snprintf(c, clen, "%s", v ? v : "");
    json_object_set_new(ctx->meta, "C", v ? json_real(strtod(v, NULL)) : json_null());
    PQclear(r);
    return 0;
}

static int run_accelerated(struct job_ctx *ctx, const char *m, int64_t *updated, int64_t *would)
{
    const char *folds[] = {fold_sql};
    char c[64];
    if (stats_begin(ctx, "SELECT jobstate.rebuild_comic_ratings()", folds, 1) ||
        global_mean(ctx, "jobstate.comic_ratings", c, sizeof c))
        return -1;
    const char *ep[] = {c[0] ? c : NULL, m};
    if (job_exec(ctx, "ratings.expect", expect_sql, 2, ep) < 0)
        return -1;
    return stats_apply(ctx, &accel_pass, updated, would);
}

static int run_direct(struct job_ctx *ctx, const char *m, int64_t *updated, int64_t *would)
{
    if (stats_begin(ctx, NULL, NULL, 0))
        return -1;
    char batch[24];
    snprintf(batch, sizeof batch, "%d", ctx->dryrun ? 0 : ctx->cfg->batch_rows);
    const char *p[] = {m, batch};
    PGresult *d = ctx->dryrun ? job_query(ctx, "ratings.diff", direct_diff_sql, 2, p)
                              : job_query_yielding(ctx, "ratings.diff", direct_first_sql, 2, p);
    if (!d)
        return -1;
    const char *c = pg_val(d, 0, 4);
    json_object_set_new(ctx->meta, "C", c ? json_real(strtod(c, NULL)) : json_null());
    int64_t first = pg_int(d, 0, 5, 0), differing = pg_int(d, 0, 6, 0);
    int n = pg_val(d, 0, 0) ? PQntuples(d) : 0;
    *updated += first;
    *would += differing - n;
    /* The first statement wrote the first differing - n rows; progress goes on from there up to differing. */
    struct stats_pass pass = {"ratings.comics", direct_diff_sql, direct_apply_sql, 0, NULL, 4, differing - n};
    int rc = stats_apply_rows(ctx, &pass, d, n, updated, would);
    PQclear(d);
    return rc;
}

static int ratings_run(struct job_ctx *ctx)
{
    int64_t updated = 0, would = 0;
    char m[16];
    snprintf(m, sizeof m, "%d", ctx->cfg->rating_min_votes);
    int accel = job_accel(ctx, "ratings");
    if (accel < 0)
        return -1;
    json_object_set_new(ctx->meta, "mode", json_string(accel ? "accelerated" : "direct"));
    if (accel)
        run_accelerated(ctx, m, &updated, &would);
    else
        run_direct(ctx, m, &updated, &would);
    json_object_set_new(ctx->meta, "m", json_integer(ctx->cfg->rating_min_votes));
    json_object_set_new(ctx->meta, "comicsUpdated", json_integer(updated));
    if (ctx->dryrun)
        json_object_set_new(ctx->meta, "wouldUpdate", json_integer(would));
    ctx->rowsaffected = updated;
    return stats_end(ctx);
}

static const struct param_def ratings_params[] = {
    {"full", PARAM_BOOL, "false", 0, 0,
     "rebuild the per-comic rating stats from social.comicrating first (accelerated mode)"},
};

static const struct contract ratings_contract = {
    .tables =
        (const struct contract_table[]){
            {"core.comic", "id:comic ratingavg:number ratingbayesian:number ratingcount:int",
             "SELECT UPDATE(ratingavg,ratingbayesian,ratingcount)", 0, "the ratings it keeps"},
            {"social.comicrating", "comicid:comic score:number", "SELECT", 0, "the ratings"},
            {0}},
    .indexes = (const struct contract_index[]){{"social.comicrating", "comicid",
                                                "ratings per comic (best with INCLUDE (score): index-only)", false,
                                                NULL},
                                               {0}},
    .accelerator = "ratings",
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
    .contract = &ratings_contract,
};

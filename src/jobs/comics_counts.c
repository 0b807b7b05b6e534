/*
 * comics.counts_recalc — the denormalised counts of seed §3: core.comic.chaptercount (live chapters),
 * core.comic.followcount (library.entry rows), core.scanlationgroup.followcount (group follows).
 *
 * The counts come from jobstate.comic_counts / jobstate.group_follows (migration 003: folded from append-only
 * delta logs written by triggers on core.chapter, library.entry and core.scanlationgroupfollow), so a run reads
 * one stats row per comic instead of counting a million chapters and two million entries. Every comic and group
 * is compared and only rows that differ are written: 0 rows in steady state, and values written into those
 * columns by anyone else are repaired. `full: true` rebuilds the stats from the platform tables first (after a
 * load with triggers disabled). meta: comicsUpdated, groupsUpdated (dry run: wouldUpdateComics/Groups).
 */
#include "app.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "jobs/stats_apply.h"

static const char fold_comics_sql[] =
    "WITH d AS (DELETE FROM jobstate.comic_counts_delta RETURNING comicid, dchapters, dfollows)"
    " INSERT INTO jobstate.comic_counts AS s (comicid, chapters, follows)"
    " SELECT comicid, sum(dchapters), sum(dfollows) FROM d GROUP BY comicid"
    " ON CONFLICT (comicid) DO UPDATE SET chapters = s.chapters + excluded.chapters, follows = s.follows + excluded.follows";

static const char fold_groups_sql[] =
    "WITH d AS (DELETE FROM jobstate.group_follows_delta RETURNING groupid, dfollows)"
    " INSERT INTO jobstate.group_follows AS s (groupid, follows)"
    " SELECT groupid, sum(dfollows) FROM d GROUP BY groupid"
    " ON CONFLICT (groupid) DO UPDATE SET follows = s.follows + excluded.follows";

/* $1 last id, $2 batch, $3 dry */
static const char comics_sql[] =
    "WITH b AS (SELECT id FROM core.comic WHERE id > $1::bigint ORDER BY id LIMIT $2::int),"
    " d AS (SELECT c.id, coalesce(s.chapters, 0)::int AS ch, coalesce(s.follows, 0)::int AS fo"
    "   FROM core.comic c LEFT JOIN jobstate.comic_counts s ON s.comicid = c.id"
    "   WHERE c.id > $1::bigint AND c.id <= (SELECT max(id) FROM b)"
    "     AND (c.chaptercount, c.followcount) IS DISTINCT FROM (coalesce(s.chapters, 0)::int, coalesce(s.follows, 0)::int)),"
    " upd AS (UPDATE core.comic c SET chaptercount = d.ch, followcount = d.fo FROM d"
    "   WHERE c.id = d.id AND NOT $3::boolean RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM d), (SELECT count(*) FROM upd)";

static const char groups_sql[] =
    "WITH b AS (SELECT id FROM core.scanlationgroup WHERE id > $1::bigint ORDER BY id LIMIT $2::int),"
    " d AS (SELECT g.id, coalesce(s.follows, 0)::int AS fo"
    "   FROM core.scanlationgroup g LEFT JOIN jobstate.group_follows s ON s.groupid = g.id"
    "   WHERE g.id > $1::bigint AND g.id <= (SELECT max(id) FROM b)"
    "     AND g.followcount IS DISTINCT FROM coalesce(s.follows, 0)::int),"
    " upd AS (UPDATE core.scanlationgroup g SET followcount = d.fo FROM d WHERE g.id = d.id AND NOT $3::boolean"
    "   RETURNING 1)"
    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM d), (SELECT count(*) FROM upd)";

static int counts_run(struct job_ctx *ctx)
{
    const char *folds[] = {fold_comics_sql, fold_groups_sql};
    int64_t comics = 0, comics_would = 0, groups = 0, groups_would = 0;
    if (stats_begin(ctx, "SELECT jobstate.rebuild_comic_counts(), jobstate.rebuild_group_follows()", folds, 2) == 0 &&
        stats_walk(ctx, "counts.comics", comics_sql, 0, NULL, &comics, &comics_would) == 0)
        stats_walk(ctx, "counts.groups", groups_sql, 0, NULL, &groups, &groups_would);
    json_object_set_new(ctx->meta, "comicsUpdated", json_integer(comics));
    json_object_set_new(ctx->meta, "groupsUpdated", json_integer(groups));
    if (ctx->dryrun) {
        json_object_set_new(ctx->meta, "wouldUpdateComics", json_integer(comics_would));
        json_object_set_new(ctx->meta, "wouldUpdateGroups", json_integer(groups_would));
    }
    ctx->rowsaffected = comics + groups;
    return stats_end(ctx);
}

static const struct param_def counts_params[] = {
    {"full", PARAM_BOOL, "false", 0, 0, "rebuild the count stats from the platform tables first"},
};

const struct job_def job_comics_counts_recalc = {
    .key = "comics.counts_recalc",
    .description = "Recalculate chaptercount/followcount",
    .cron = "*/30 * * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .params = counts_params,
    .nparams = sizeof counts_params / sizeof counts_params[0],
    .run = counts_run,
};

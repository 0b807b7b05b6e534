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

#define COMIC_NEW "coalesce(s.chapters, 0)::int, coalesce(s.follows, 0)::int"
static const char comics_diff_sql[] =
    "SELECT c.id FROM core.comic c LEFT JOIN jobstate.comic_counts s ON s.comicid = c.id"
    " WHERE (c.chaptercount, c.followcount) IS DISTINCT FROM (" COMIC_NEW ") ORDER BY c.id";
static const char comics_apply_sql[] =
    "UPDATE core.comic c SET chaptercount = n.ch, followcount = n.fo"
    " FROM (SELECT x.id, " COMIC_NEW " FROM unnest($1::bigint[]) x (id)"
    "       LEFT JOIN jobstate.comic_counts s ON s.comicid = x.id) n (id, ch, fo)"
    " WHERE c.id = n.id AND (c.chaptercount, c.followcount) IS DISTINCT FROM (n.ch, n.fo)";

static const char groups_diff_sql[] =
    "SELECT g.id FROM core.scanlationgroup g LEFT JOIN jobstate.group_follows s ON s.groupid = g.id"
    " WHERE g.followcount IS DISTINCT FROM coalesce(s.follows, 0)::int ORDER BY g.id";
static const char groups_apply_sql[] =
    "UPDATE core.scanlationgroup g SET followcount = n.fo"
    " FROM (SELECT x.id, coalesce(s.follows, 0)::int FROM unnest($1::bigint[]) x (id)"
    "       LEFT JOIN jobstate.group_follows s ON s.groupid = x.id) n (id, fo)"
    " WHERE g.id = n.id AND g.followcount IS DISTINCT FROM n.fo";

static int counts_run(struct job_ctx *ctx)
{
    const char *folds[] = {fold_comics_sql, fold_groups_sql};
    int64_t comics = 0, comics_would = 0, groups = 0, groups_would = 0;
    if (stats_begin(ctx, "SELECT jobstate.rebuild_comic_counts(), jobstate.rebuild_group_follows()", folds, 2) == 0 &&
        stats_apply(ctx, "counts.comics", comics_diff_sql, comics_apply_sql, &comics, &comics_would) == 0)
        stats_apply(ctx, "counts.groups", groups_diff_sql, groups_apply_sql, &groups, &groups_would);
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

/*
 * comics.counts_recalc — the denormalised counts of seed §3: core.comic.chaptercount (live chapters),
 * core.comic.followcount (library.entry rows), core.scanlationgroup.followcount (group follows).
 *
 * Two ways to know the true counts, chosen at the start of each run (meta.mode):
 *   accelerated — the counts accelerator is installed: jobstate.comic_counts / group_follows (folded from
 *                 append-only delta logs its triggers write on core.chapter, library.entry and
 *                 core.scanlationgroupfollow) give one stats row per comic instead of counting a million chapters
 *                 and two million entries. `full: true` rebuilds the stats from the platform tables first (after a
 *                 load with triggers disabled).
 *   direct      — no triggers: one read-only statement per table counts chapters and follows per comic (index-only
 *                 aggregates merged with the comics by id), and each batch re-counts its comics under the UPDATE.
 * Either way every comic and group is compared and only rows that differ are written: 0 rows in steady state, and
 * values written into those columns by anyone else are repaired. meta: mode, comicsUpdated, groupsUpdated (dry
 * run: wouldUpdateComics/Groups).
 */
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "jobs/stats_apply.h"

static const char fold_comics_sql[] =
    "WITH d AS (DELETE FROM jobstate.comic_counts_delta RETURNING comicid, dchapters, dfollows)"
    " INSERT INTO jobstate.comic_counts AS s (comicid, chapters, follows)"
    " SELECT comicid, sum(dchapters), sum(dfollows) FROM d GROUP BY comicid"
    " ON CONFLICT (comicid) DO UPDATE SET chapters = s.chapters + excluded.chapters, follows = s.follows + excluded.follows";

static const char fold_groups_sql[] = "WITH d AS (DELETE FROM jobstate.group_follows_delta RETURNING groupid, dfollows)"
                                      " INSERT INTO jobstate.group_follows AS s (groupid, follows)"
                                      " SELECT groupid, sum(dfollows) FROM d GROUP BY groupid"
                                      " ON CONFLICT (groupid) DO UPDATE SET follows = s.follows + excluded.follows";

/* ---- accelerated: compare with the stats tables ----------------------------------------------------------- */

#define COMIC_NEW "coalesce(s.chapters, 0)::int, coalesce(s.follows, 0)::int"
static const struct stats_pass comics_accel = {
    "counts.comics",
    "SELECT c.id FROM core.comic c LEFT JOIN jobstate.comic_counts s ON s.comicid = c.id"
    " WHERE (c.chaptercount, c.followcount) IS DISTINCT FROM (" COMIC_NEW ") ORDER BY c.id",
    "UPDATE core.comic c SET chaptercount = n.ch, followcount = n.fo"
    " FROM (SELECT x.id, " COMIC_NEW " FROM unnest($1::{comic}[]) x (id)"
    "       LEFT JOIN jobstate.comic_counts s ON s.comicid = x.id) n (id, ch, fo)"
    " WHERE c.id = n.id AND (c.chaptercount, c.followcount) IS DISTINCT FROM (n.ch, n.fo)",
    0,
    NULL,
    0,
    0};

static const struct stats_pass groups_accel = {
    "counts.groups",
    "SELECT g.id FROM core.scanlationgroup g LEFT JOIN jobstate.group_follows s ON s.groupid = g.id"
    " WHERE g.followcount IS DISTINCT FROM coalesce(s.follows, 0)::int ORDER BY g.id",
    "UPDATE core.scanlationgroup g SET followcount = n.fo"
    " FROM (SELECT x.id, coalesce(s.follows, 0)::int FROM unnest($1::{group}[]) x (id)"
    "       LEFT JOIN jobstate.group_follows s ON s.groupid = x.id) n (id, fo)"
    " WHERE g.id = n.id AND g.followcount IS DISTINCT FROM n.fo",
    0,
    NULL,
    0,
    0};

/* ---- direct: count from the platform tables ---------------------------------------------------------------- */

static const struct stats_pass comics_direct = {
    "counts.comics",
    "SELECT c.id FROM core.comic c"
    " LEFT JOIN (SELECT comicid, count(*) AS n FROM core.chapter WHERE deletedat IS NULL GROUP BY comicid) ch"
    "   ON ch.comicid = c.id"
    " LEFT JOIN (SELECT comicid, count(*) AS n FROM library.entry GROUP BY comicid) f ON f.comicid = c.id"
    " WHERE (c.chaptercount, c.followcount) IS DISTINCT FROM (coalesce(ch.n, 0)::int, coalesce(f.n, 0)::int)"
    " ORDER BY c.id",
    "UPDATE core.comic c SET chaptercount = n.ch, followcount = n.fo"
    " FROM (SELECT x.id,"
    "   (SELECT count(*) FROM core.chapter ch WHERE ch.comicid = x.id AND ch.deletedat IS NULL)::int,"
    "   (SELECT count(*) FROM library.entry e WHERE e.comicid = x.id)::int"
    "   FROM unnest($1::{comic}[]) x (id)) n (id, ch, fo)"
    " WHERE c.id = n.id AND (c.chaptercount, c.followcount) IS DISTINCT FROM (n.ch, n.fo)",
    0,
    NULL,
    0,
    0};

static const struct stats_pass groups_direct = {
    "counts.groups",
    "SELECT g.id FROM core.scanlationgroup g"
    " LEFT JOIN (SELECT groupid, count(*) AS n FROM core.scanlationgroupfollow GROUP BY groupid) f"
    "   ON f.groupid = g.id"
    " WHERE g.followcount IS DISTINCT FROM coalesce(f.n, 0)::int ORDER BY g.id",
    "UPDATE core.scanlationgroup g SET followcount = n.fo"
    " FROM (SELECT x.id, (SELECT count(*) FROM core.scanlationgroupfollow f WHERE f.groupid = x.id)::int"
    "   FROM unnest($1::{group}[]) x (id)) n (id, fo)"
    " WHERE g.id = n.id AND g.followcount IS DISTINCT FROM n.fo",
    0,
    NULL,
    0,
    0};

static int counts_run(struct job_ctx *ctx)
{
    int accel = job_accel(ctx, "counts");
    if (accel < 0)
        return -1;
    const char *folds[] = {fold_comics_sql, fold_groups_sql};
    int64_t comics = 0, comics_would = 0, groups = 0, groups_would = 0;
    json_object_set_new(ctx->meta, "mode", json_string(accel ? "accelerated" : "direct"));
    if (stats_begin(ctx, accel ? "SELECT jobstate.rebuild_comic_counts(), jobstate.rebuild_group_follows()" : NULL,
                    folds, accel ? 2 : 0) == 0 &&
        stats_apply(ctx, accel ? &comics_accel : &comics_direct, &comics, &comics_would) == 0)
        stats_apply(ctx, accel ? &groups_accel : &groups_direct, &groups, &groups_would);
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
    {"full", PARAM_BOOL, "false", 0, 0, "rebuild the count stats from the platform tables first (accelerated mode)"},
};

static const struct contract counts_contract = {
    .tables = (const struct contract_table[]){{"core.comic", "id:comic chaptercount:int followcount:int",
                                               "SELECT UPDATE(chaptercount,followcount)", 0, "the counts it keeps"},
                                              {"core.chapter", "comicid:comic deletedat:time", "SELECT", 0,
                                               "chapters per comic"},
                                              {"library.entry", "comicid:comic", "SELECT", 0, "follows per comic"},
                                              {"core.scanlationgroup", "id:group followcount:int",
                                               "SELECT UPDATE(followcount)", 0, "the counts it keeps"},
                                              {"core.scanlationgroupfollow", "groupid:group", "SELECT", 0,
                                               "follows per group"},
                                              {0}},
    .indexes = (const struct contract_index[]){{"core.chapter", "comicid", "chapters of a comic", false, NULL},
                                               {"library.entry", "comicid", "followers of a comic", false, NULL},
                                               {"core.scanlationgroupfollow", "groupid", "followers of a group", false,
                                                NULL},
                                               {0}},
    .accelerator = "counts",
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
    .contract = &counts_contract,
};

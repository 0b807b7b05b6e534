/*
 * storage.orphan_cleanup — deletes core.mediafile rows nothing references, and their objects (seed §3).
 * Orphan: older than `olderthan` (default 24h, the grace period for an upload whose reference is not written yet)
 * and not used by core.comiccover, core.comicart, core.page (mediafileid), users.account.avatarurl or
 * core.comic.coverurl (= mediafile.url; coverurl is spared too, as migration 002 asks, although the seed omits it).
 * DELIBERATE DIFFERENCE from the seed (DESIGN §4), which ignores the storage error and deletes the row anyway: a
 * row is deleted only after its object is gone (deleted now) or was already absent. A storage error keeps the row
 * (the next run retries it), is counted in meta.failed, and the run ends `failed` with the first error in
 * lasterror — what was deleted stays deleted and is in meta. After 20 failures in a row the run stops early
 * (meta.stoppedEarly): the store is down, trying every object would only take hours.
 * Steps: one set-based pass lists the candidates (anti-joins) into a temporary table; then, per batch: claim the
 * rows (re-checked, FOR UPDATE SKIP LOCKED, in id order), delete their objects, delete the rows whose object is
 * gone in one statement, commit. References are ON DELETE RESTRICT (002) and the claimed rows are locked, so a
 * reference added meanwhile either waits for us and then fails, or makes our DELETE fail: never a dangling row.
 * Dry run counts candidates and bytes, touches nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "store/objstore.h"
#include "store/pg.h"
#include "util/xalloc.h"

#define CLAIM_BATCH 500 /* objects per transaction: the claimed rows stay locked while their objects go */
#define MAX_FAILS_IN_A_ROW 20

/* `m` is a mediafile no one uses and older than the cutoff $1. */
#define ORPHAN                                                                     \
    "m.createdat < $1::timestamptz"                                                \
    " AND NOT EXISTS (SELECT 1 FROM core.comiccover x WHERE x.mediafileid = m.id)" \
    " AND NOT EXISTS (SELECT 1 FROM core.comicart x WHERE x.mediafileid = m.id)"   \
    " AND NOT EXISTS (SELECT 1 FROM core.page x WHERE x.mediafileid = m.id)"       \
    " AND NOT EXISTS (SELECT 1 FROM users.account a WHERE a.avatarurl = m.url)"    \
    " AND NOT EXISTS (SELECT 1 FROM core.comic c WHERE c.coverurl = m.url)"

struct cleanup {
    struct job_ctx *ctx;
    struct objstore *store;
    char cutoff[64];
    int64_t deleted, absent, failed, bytes, fails_in_a_row;
    char first_error[600];
};

static int prepare(struct cleanup *c, int64_t *total, int64_t *bytes)
{
    struct job_ctx *ctx = c->ctx;
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)job_param_int(ctx, "olderthan", 86400000));
    const char *p[] = {ms};
    PGresult *r = job_query(ctx, "cleanup.cutoff", "SELECT now() - $1::bigint * interval '1 millisecond'", 1, p);
    if (!r)
        return -1;
    snprintf(c->cutoff, sizeof c->cutoff, "%s", pg_val(r, 0, 0));
    PQclear(r);
    const char *q[] = {c->cutoff};
    if (!ctx->dryrun &&
        (job_exec(ctx, "cleanup.drop_tmp", "DROP TABLE IF EXISTS pg_temp.orphan_candidate", 0, NULL) < 0 ||
         job_exec(ctx, "cleanup.candidates",
                  "CREATE TEMP TABLE orphan_candidate AS SELECT m.id, m.sizebytes FROM core.mediafile m WHERE " ORPHAN,
                  1, q) < 0 ||
         job_exec(ctx, "cleanup.candidates_pk", "ALTER TABLE pg_temp.orphan_candidate ADD PRIMARY KEY (id)", 0, NULL) <
             0))
        return -1;
    r = job_query(ctx, "cleanup.count",
                  ctx->dryrun ? "SELECT count(*), coalesce(sum(m.sizebytes), 0) FROM core.mediafile m WHERE " ORPHAN
                              : "SELECT count(*), coalesce(sum(sizebytes), 0) FROM pg_temp.orphan_candidate",
                  ctx->dryrun ? 1 : 0, ctx->dryrun ? q : NULL);
    if (!r)
        return -1;
    *total = pg_int(r, 0, 0, 0);
    *bytes = pg_int(r, 0, 1, 0);
    PQclear(r);
    return 0;
}

/* Deletes the objects of the claimed rows; appends the ids whose object is gone to `ids` ("{1,2}"). */
static void delete_objects(struct cleanup *c, PGresult *rows, char *ids, size_t idcap)
{
    size_t len = 0;
    ids[len++] = '{';
    for (int i = 0; i < PQntuples(rows); i++) {
        if (c->fails_in_a_row >= MAX_FAILS_IN_A_ROW)
            break;
        char err[512] = "";
        int rc = objstore_delete(c->store, pg_val(rows, i, 1), err, sizeof err);
        if (rc == OBJSTORE_ERROR) {
            c->failed++;
            c->fails_in_a_row++;
            if (!c->first_error[0])
                snprintf(c->first_error, sizeof c->first_error, "mediafile %s: %s", pg_val(rows, i, 0), err);
            continue;
        }
        c->fails_in_a_row = 0;
        if (rc == OBJSTORE_OK) {
            c->deleted++;
            c->bytes += pg_int(rows, i, 2, 0);
        } else {
            c->absent++;
        }
        len += (size_t)snprintf(ids + len, idcap - len, "%s%s", len > 1 ? "," : "", pg_val(rows, i, 0));
    }
    snprintf(ids + len, idcap - len, "}");
}

/*
 * One batch: the candidates with id in ($2, next CLAIM_BATCH], claimed and re-checked, objects deleted, rows
 * deleted, committed. `*last` advances. Returns 1 when more candidates may follow, 0 when done, -1 on error.
 */
static int cleanup_batch(struct cleanup *c, char *last, size_t lastlen)
{
    struct job_ctx *ctx = c->ctx;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", CLAIM_BATCH);
    const char *p[] = {last, limit};
    PGresult *hi = job_query(ctx, "cleanup.window",
                             "SELECT max(id) FROM (SELECT id FROM pg_temp.orphan_candidate WHERE id > $1::bigint"
                             " ORDER BY id LIMIT $2::int) k",
                             2, p);
    if (!hi)
        return -1;
    if (!pg_val(hi, 0, 0)) {
        PQclear(hi);
        return 0;
    }
    char upto[32];
    snprintf(upto, sizeof upto, "%s", pg_val(hi, 0, 0));
    PQclear(hi);
    const char *q[] = {c->cutoff, last, upto};
    if (job_exec(ctx, "cleanup.begin", "BEGIN", 0, NULL) < 0)
        return -1;
    PGresult *r = job_query(ctx, "cleanup.claim",
                            "SELECT m.id, m.storagekey, m.sizebytes FROM core.mediafile m"
                            " WHERE m.id IN (SELECT id FROM pg_temp.orphan_candidate"
                            "   WHERE id > $2::bigint AND id <= $3::bigint)"
                            " AND " ORPHAN " ORDER BY m.id FOR UPDATE OF m SKIP LOCKED",
                            3, q);
    if (!r)
        return -1;
    snprintf(last, lastlen, "%s", upto);
    size_t cap = 3 + (size_t)PQntuples(r) * 21;
    char *ids = xmalloc(cap);
    delete_objects(c, r, ids, cap);
    PQclear(r);
    const char *d[] = {ids};
    int64_t n = job_exec(ctx, "cleanup.delete_rows", "DELETE FROM core.mediafile WHERE id = ANY($1::bigint[])", 1, d);
    free(ids);
    if (n < 0 || job_exec(ctx, "cleanup.commit", "COMMIT", 0, NULL) < 0)
        return -1;
    ctx->rowsaffected += n;
    return c->fails_in_a_row < MAX_FAILS_IN_A_ROW;
}

static void cleanup_meta(struct cleanup *c, int64_t total)
{
    json_object_set_new(c->ctx->meta, "filesDeleted", json_integer(c->deleted));
    json_object_set_new(c->ctx->meta, "alreadyAbsent", json_integer(c->absent));
    json_object_set_new(c->ctx->meta, "failed", json_integer(c->failed));
    json_object_set_new(c->ctx->meta, "bytesFreed", json_integer(c->bytes));
    json_object_set_new(c->ctx->meta, "candidates", json_integer(total));
    json_object_set_new(c->ctx->meta, "stoppedEarly", json_boolean(c->fails_in_a_row >= MAX_FAILS_IN_A_ROW));
}

static int cleanup_run(struct job_ctx *ctx)
{
    struct cleanup c = {.ctx = ctx};
    int64_t total = 0, bytes = 0;
    if (prepare(&c, &total, &bytes))
        return -1;
    json_object_set_new(ctx->meta, "backend", json_string(ctx->cfg->storage_backend));
    if (ctx->dryrun) {
        cleanup_meta(&c, total);
        json_object_set_new(ctx->meta, "wouldDelete", json_integer(total));
        json_object_set_new(ctx->meta, "wouldFreeBytes", json_integer(bytes));
        return 0;
    }
    char err[512];
    if (!(c.store = objstore_create(ctx->cfg, err, sizeof err)))
        return job_fail(ctx, "%s", err);
    char last[32] = "0";
    int more = 1;
    job_progress(ctx, 0, total);
    while (more > 0 && !job_cancelled(ctx)) {
        more = cleanup_batch(&c, last, sizeof last);
        job_progress(ctx, c.deleted + c.absent + c.failed, total);
    }
    objstore_destroy(c.store);
    job_exec(ctx, "cleanup.drop_tmp", "DROP TABLE IF EXISTS pg_temp.orphan_candidate", 0, NULL);
    cleanup_meta(&c, total);
    if (more < 0 || job_cancelled(ctx))
        return -1;
    if (c.failed)
        return job_fail(ctx,
                        "%lld of %lld orphaned objects could not be deleted (their rows are kept for the next run)"
                        "%s: %s",
                        (long long)c.failed, (long long)total,
                        c.fails_in_a_row >= MAX_FAILS_IN_A_ROW ? "; stopped early" : "", c.first_error);
    return 0;
}

static const struct param_def cleanup_params[] = {
    {"olderthan", PARAM_DURATION, "\"24h\"", 0, 100LL * 365 * 86400000,
     "only files older than this (grace period for uploads not yet referenced)"},
};

/*
 * The claim (SELECT … FOR UPDATE) is what keeps a reference added meanwhile from pointing at a deleted object, and
 * PostgreSQL lets a role take row locks only with UPDATE on at least one column: UPDATE (createdat) is asked for
 * that (it moves a file's age, which only this job looks at; the role may delete the row anyway).
 */
static const struct contract cleanup_contract = {
    .tables =
        (const struct contract_table[]){
            {"core.mediafile", "id:int storagekey:text url:text sizebytes:int createdat:time",
             "SELECT DELETE UPDATE(createdat)", 0, "the media files it deletes"},
            {"core.comiccover", "mediafileid:int", "SELECT", 0, "references to media files"},
            {"core.comicart", "mediafileid:int", "SELECT", 0, "references to media files"},
            {"core.page", "mediafileid:int", "SELECT", 0, "references to media files"},
            {"users.account", "avatarurl:text", "SELECT", 0, "avatars that are media files"},
            {"core.comic", "coverurl:text", "SELECT", 0, "covers that are media files"},
            {0}},
    .indexes = (const struct contract_index[]){{"core.mediafile", "createdat", "files older than the grace period",
                                                false, NULL},
                                               {"core.comiccover", "mediafileid", "is this file a cover?", false, NULL},
                                               {"core.comicart", "mediafileid", "is this file art?", false, NULL},
                                               {"core.page", "mediafileid", "is this file a page?", false, NULL},
                                               {"users.account", "avatarurl", "is this file an avatar?", false, NULL},
                                               {"core.comic", "coverurl", "is this file a cover URL?", false, NULL},
                                               {0}},
    .temp = true,
};

const struct job_def job_storage_orphan_cleanup = {
    .key = "storage.orphan_cleanup",
    .description = "Delete orphaned media files (object first, row after)",
    .cron = "0 3 * * 0",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .params = cleanup_params,
    .nparams = sizeof cleanup_params / sizeof cleanup_params[0],
    .run = cleanup_run,
    .contract = &cleanup_contract,
};

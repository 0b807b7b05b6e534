/*
 * metadata.series_refresh — the series-row refresh tick (spec: admin-maintenance; DESIGN §5). Takes up to
 * `batchsize` provider-backed core.comic rows of one provider whose metadatarefreshedat is older than `minagedays`
 * (or never set), oldest first, and brings each up to date with its provider record:
 *   - metadata_hash equals the record's hash → only metadatarefreshedat is bumped (a "restamp");
 *   - otherwise the row is rewritten from the canonical record (title, alttitles, status, year, total_volumes,
 *     total_chapters, coverurl, description, tags, metadata_hash) and stamped.
 * Manual rows (provider IS NULL) and deleted rows are never selected; a record without a status keeps the row's. A due row whose provider record is missing is neither selected
 * nor bumped — it is counted in meta.missingRecord (so it cannot crowd out rows that can be refreshed, and it is
 * picked up as soon as a dump brings its record).
 *
 * The selection is made once (ids in memory, at most batchsize); the rows are then written in chunks of `chunk`
 * rows, one statement (= one transaction) per chunk, with progress and a cancel check between chunks. A rerun
 * after a crash or cancel simply continues: written rows are no longer due.
 *
 * Params (filled from `[metadata.series_refresh]` when left null, so the run shows what it used): provider,
 * batchsize, minagedays; chunk (rows per statement, default 500). Lock key: metadata.series_refresh:<provider>.
 * meta: {provider, batchSize, minAgeDays, chunkSize, selected, rewritten, restamped, missingRecord}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contract/contract.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "providers/provider.h"
#include "store/pg.h"
#include "util/xalloc.h"

#define DEFAULT_CHUNK 500

/* Due rows of provider $1 (older than $2 days or never refreshed). */
#define DUE_SQL                                                                                           \
    " FROM core.comic c WHERE c.provider = $1 AND c.deletedat IS NULL AND (c.metadatarefreshedat IS NULL" \
    " OR c.metadatarefreshedat < now() - make_interval(days => $2::int))"
#define HAS_RECORD_SQL                                                               \
    " EXISTS (SELECT 1 FROM metadata.providerrecord r WHERE r.provider = c.provider" \
    " AND r.providerid = c.providerseriesid)"

static const char select_sql[] = "SELECT c.id, c.metadata_hash IS NOT DISTINCT FROM"
                                 " (SELECT r.hash FROM metadata.providerrecord r WHERE r.provider = c.provider"
                                 " AND r.providerid = c.providerseriesid)" DUE_SQL " AND" HAS_RECORD_SQL
                                 " ORDER BY c.metadatarefreshedat NULLS FIRST, c.id LIMIT $3::int";

static const char missing_sql[] = "SELECT count(*)" DUE_SQL " AND NOT" HAS_RECORD_SQL;

/*
 * One chunk: the rows whose hash differs are rewritten from the record, the others restamped; two data-modifying
 * CTEs on disjoint rows, one statement. $2 is the chunk's ids as an array literal.
 */
static const char chunk_sql[] =
    "WITH t AS (SELECT c.id, r.hash, r.record, c.metadata_hash IS NOT DISTINCT FROM r.hash AS same"
    " FROM core.comic c JOIN metadata.providerrecord r ON r.provider = c.provider"
    " AND r.providerid = c.providerseriesid WHERE c.id = ANY($2::{comic}[]) AND c.provider = $1),"
    " rw AS (UPDATE core.comic c SET title = t.record->>'title',"
    " alttitles = ARRAY(SELECT jsonb_array_elements_text(t.record->'altTitles')),"
    " status = COALESCE(t.record->>'status', c.status), year = (t.record->>'year')::int,"
    " total_volumes = (t.record->>'totalVolumes')::int, total_chapters = t.record->>'totalChapters',"
    " coverurl = t.record->>'coverUrl', description = t.record->>'description',"
    " tags = ARRAY(SELECT jsonb_array_elements_text(t.record->'tags')),"
    " metadata_hash = t.hash, metadatarefreshedat = now()"
    " FROM t WHERE c.id = t.id AND NOT t.same RETURNING 1),"
    " rs AS (UPDATE core.comic c SET metadatarefreshedat = now() FROM t WHERE c.id = t.id AND t.same RETURNING 1)"
    " SELECT (SELECT count(*) FROM rw), (SELECT count(*) FROM rs)";

struct tick {
    struct job_ctx *ctx;
    const char *provider;
    char minage[16];
    int64_t batch, chunk;
    int64_t selected, rewritten, restamped, missing;
};

/* Builds "{id,id,…}" from rows [from, to) of the selection. Caller frees. */
static char *id_array(PGresult *sel, int from, int to)
{
    size_t cap = 2, len = 0;
    for (int i = from; i < to; i++)
        cap += (size_t)PQgetlength(sel, i, 0) + 1;
    char *s = xmalloc(cap + 1);
    s[len++] = '{';
    for (int i = from; i < to; i++) {
        if (i > from)
            s[len++] = ',';
        size_t n = (size_t)PQgetlength(sel, i, 0);
        memcpy(s + len, PQgetvalue(sel, i, 0), n);
        len += n;
    }
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

static int count_missing(struct tick *t)
{
    const char *p[] = {t->provider, t->minage};
    PGresult *r = job_query(t->ctx, "series_refresh.missing", missing_sql, 2, p);
    if (!r)
        return -1;
    t->missing = pg_int(r, 0, 0, 0);
    PQclear(r);
    return 0;
}

static int write_chunks(struct tick *t, PGresult *sel)
{
    int n = PQntuples(sel);
    job_progress(t->ctx, 0, n);
    for (int from = 0; from < n; from += (int)t->chunk) {
        int to = from + (int)t->chunk < n ? from + (int)t->chunk : n;
        char *ids = id_array(sel, from, to);
        const char *p[] = {t->provider, ids};
        PGresult *r = job_query(t->ctx, "series_refresh.chunk", chunk_sql, 2, p);
        free(ids);
        if (!r)
            return -1;
        t->rewritten += pg_int(r, 0, 0, 0);
        t->restamped += pg_int(r, 0, 1, 0);
        PQclear(r);
        t->ctx->rowsaffected = t->rewritten + t->restamped;
        job_progress(t->ctx, to, n);
        if (job_cancelled(t->ctx))
            return -1;
    }
    return 0;
}

/* Dry run: what the selection would do, from the hash comparison the selection already made. */
static void count_dry(struct tick *t, PGresult *sel)
{
    for (int i = 0; i < PQntuples(sel); i++) {
        if (pg_bool(sel, i, 1))
            t->restamped++;
        else
            t->rewritten++;
    }
}

static void fill_meta(const struct tick *t)
{
    json_t *m = t->ctx->meta;
    json_object_set_new(m, "provider", json_string(t->provider));
    json_object_set_new(m, "batchSize", json_integer(t->batch));
    json_object_set_new(m, "minAgeDays", json_integer(strtoll(t->minage, NULL, 10)));
    json_object_set_new(m, "chunkSize", json_integer(t->chunk));
    json_object_set_new(m, "selected", json_integer(t->selected));
    json_object_set_new(m, "rewritten", json_integer(t->rewritten));
    json_object_set_new(m, "restamped", json_integer(t->restamped));
    json_object_set_new(m, "missingRecord", json_integer(t->missing));
}

static int series_refresh_run(struct job_ctx *ctx)
{
    const struct config *cfg = ctx->cfg;
    struct tick t = {.ctx = ctx,
                     .provider = job_param_str(ctx, "provider"),
                     .batch = job_param_int(ctx, "batchsize", cfg->series_refresh_batch_size),
                     .chunk = job_param_int(ctx, "chunk", DEFAULT_CHUNK)};
    if (!t.provider)
        t.provider = provider_active_name(cfg);
    snprintf(t.minage, sizeof t.minage, "%lld",
             (long long)job_param_int(ctx, "minagedays", cfg->series_refresh_min_age_days));
    char limit[32];
    snprintf(limit, sizeof limit, "%lld", (long long)t.batch);
    const char *p[] = {t.provider, t.minage, limit};
    int rc = count_missing(&t);
    PGresult *sel = rc ? NULL : job_query(ctx, "series_refresh.select", select_sql, 3, p);
    if (sel) {
        t.selected = PQntuples(sel);
        if (ctx->dryrun)
            count_dry(&t, sel);
        else
            write_chunks(&t, sel);
        PQclear(sel);
    }
    fill_meta(&t);
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static const char *series_cron(const struct config *cfg)
{
    return cfg->series_refresh_cron;
}

static void fill_params(const struct config *cfg, json_t *params)
{
    provider_fill_param(cfg, params);
    if (!json_is_integer(json_object_get(params, "batchsize")))
        json_object_set_new(params, "batchsize", json_integer(cfg->series_refresh_batch_size));
    if (!json_is_integer(json_object_get(params, "minagedays")))
        json_object_set_new(params, "minagedays", json_integer(cfg->series_refresh_min_age_days));
}

static const struct param_def params[] = {
    {"provider", PARAM_STRING, NULL, 0, 64, "provider name; default: [metadata] provider"},
    {"batchsize", PARAM_INT, NULL, 1, 1000000, "rows per tick; default: [metadata.series_refresh] batch_size"},
    {"minagedays", PARAM_INT, NULL, 0, 36500, "refresh rows older than this; default: min_age_days"},
    {"chunk", PARAM_INT, "500", 1, 10000, "rows per statement (progress and cancel between chunks)"},
};

static const struct contract series_contract = {
    .tables =
        (const struct contract_table[]){
            {"core.comic",
             "id:comic provider:text providerseriesid:text metadata_hash:text metadatarefreshedat:time deletedat:time "
             "title:text alttitles:text[] status:text year:int total_volumes:int total_chapters:text coverurl:text "
             "description:text tags:text[]",
             "SELECT UPDATE(title,alttitles,status,year,total_volumes,total_chapters,coverurl,description,tags,"
             "metadata_hash,metadatarefreshedat)",
             0, "provider-backed series rows (spec: admin-maintenance)"},
            {0}},
    .indexes = (const struct contract_index[]){{"core.comic", "provider,metadatarefreshedat",
                                                "a provider's rows, least recently refreshed first", false, NULL},
                                               {0}},
};

const struct job_def job_metadata_series_refresh = {
    .key = "metadata.series_refresh",
    .description = "Refresh provider-backed series rows from the provider records",
    .cron = "0 */6 * * *",
    .enabled = true,
    .misfire = MISFIRE_SKIP,
    .dryrun = true,
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .run = series_refresh_run,
    .contract = &series_contract,
    .lock_scope = provider_lock_scope,
    .check_params = provider_check_param,
    .config_cron = series_cron,
    .resolve_params = fill_params,
};

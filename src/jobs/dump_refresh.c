/*
 * metadata.dump_refresh — imports a provider's dump into metadata.providerrecord (DESIGN §5). The provider streams
 * canonical records; they are upserted in batches of BATCH_RECORDS, one statement each (its own transaction, so a
 * cancel or crash keeps what was committed and a rerun is safe), and a record whose content hash did not change is
 * not rewritten (`… DO UPDATE … WHERE hash IS DISTINCT FROM excluded.hash`). Malformed lines are counted and the
 * first few are sampled in meta; they never abort the import. Records missing from a newer dump are kept (a
 * provider that drops a series for a day must not orphan its series rows).
 *
 * meta: {provider, location (credentials hidden), linesRead, bytesRead, gzip, inserted, updated, unchanged,
 * duplicates, malformed, malformedSamples: [{line, reason}]}. Progress is bytes read of the dump's size.
 * Lock key: metadata.dump_refresh:<provider>. Dry run: counts what would be inserted/updated, writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "providers/provider.h"
#include "store/pg.h"

#define BATCH_RECORDS 1000
#define MAX_SAMPLES 10

struct import {
    struct job_ctx *ctx;
    const char *provider;
    char *buf; /* the pending batch as a JSON array text: [{"h":hash,"r":canonical},…] */
    size_t len, cap;
    int pending;
    int64_t records, inserted, updated, unchanged, duplicates, malformed;
    json_t *samples;
};

/* The batch: one row per distinct provider id (the last occurrence in the batch wins). */
#define BATCH_SQL \
    "batch AS (SELECT DISTINCT ON (e->'r'->>'id') e->'r'->>'id' AS providerid, e->>'h' AS hash, e->'r' AS record" \
    " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, ord) ORDER BY e->'r'->>'id', ord DESC)"

static const char upsert_sql[] =
    "WITH " BATCH_SQL ", up AS ("
    " INSERT INTO metadata.providerrecord AS p (provider, providerid, hash, record)"
    " SELECT $1, providerid, hash, record FROM batch"
    " ON CONFLICT (provider, providerid) DO UPDATE SET hash = excluded.hash, record = excluded.record,"
    " updatedat = now() WHERE p.hash IS DISTINCT FROM excluded.hash"
    " RETURNING (xmax = 0) AS inserted)"
    " SELECT (SELECT count(*) FROM batch), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up";

static const char dry_sql[] =
    "WITH " BATCH_SQL " SELECT count(*), count(*) FILTER (WHERE p.providerid IS NULL),"
    " count(*) FILTER (WHERE p.hash IS DISTINCT FROM b.hash AND p.providerid IS NOT NULL)"
    " FROM batch b LEFT JOIN metadata.providerrecord p ON p.provider = $1 AND p.providerid = b.providerid";

static void append(struct import *im, const char *s, size_t n)
{
    if (im->len + n + 2 > im->cap) {
        im->cap = (im->len + n + 2) * 2;
        if (!(im->buf = realloc(im->buf, im->cap)))
            abort();
    }
    memcpy(im->buf + im->len, s, n);
    im->len += n;
    im->buf[im->len] = '\0';
}

/* Writes the pending batch. Returns 0 or -1 (ctx->error set, or cancelled). */
static int flush(struct import *im)
{
    if (!im->pending)
        return 0;
    append(im, "]", 1);
    const char *p[] = {im->provider, im->buf};
    PGresult *r = job_query(im->ctx, "dump_refresh.upsert", im->ctx->dryrun ? dry_sql : upsert_sql, 2, p);
    im->len = 0;
    im->pending = 0;
    if (!r)
        return -1;
    int64_t distinct = pg_int(r, 0, 0, 0), ins = pg_int(r, 0, 1, 0), upd = pg_int(r, 0, 2, 0);
    PQclear(r);
    im->inserted += ins;
    im->updated += upd;
    im->unchanged += distinct - ins - upd;
    im->ctx->rowsaffected = im->ctx->dryrun ? 0 : im->inserted + im->updated;
    return 0;
}

static int on_record(void *user, int64_t lineno, const struct record *rec)
{
    struct import *im = user;
    const char *open = im->pending ? ",{\"h\":\"" : "[{\"h\":\"";
    append(im, open, strlen(open));
    append(im, rec->hash, 64);
    append(im, "\",\"r\":", 6);
    append(im, rec->text, strlen(rec->text));
    append(im, "}", 1);
    im->records++;
    if (++im->pending < BATCH_RECORDS)
        return 0;
    return flush(im);
}

static void on_malformed(void *user, int64_t lineno, const char *reason)
{
    struct import *im = user;
    im->malformed++;
    if (json_array_size(im->samples) < MAX_SAMPLES)
        json_array_append_new(im->samples, json_pack("{s:I,s:s}", "line", (json_int_t)lineno, "reason", reason));
}

static bool on_cancelled(void *user)
{
    return job_cancelled(((struct import *)user)->ctx);
}

static void on_progress(void *user, int64_t bytes, int64_t total)
{
    job_progress(((struct import *)user)->ctx, bytes, total > bytes ? total : bytes);
}

/* Records the finished import on the provider's state row. */
static int save_state(struct import *im)
{
    char *meta = json_dumps(im->ctx->meta, JSON_COMPACT);
    const char *p[] = {im->provider, im->ctx->run_id, meta};
    int64_t n = job_exec(im->ctx, "dump_refresh.state",
                         "INSERT INTO metadata.providerstate AS s (provider, recordcount, lastdumprefreshat,"
                         " lastdumprunid, lastdumpmeta, updatedat)"
                         " VALUES ($1, (SELECT count(*) FROM metadata.providerrecord WHERE provider = $1), now(),"
                         " $2::uuid, $3::jsonb, now())"
                         " ON CONFLICT (provider) DO UPDATE SET recordcount = excluded.recordcount,"
                         " lastdumprefreshat = excluded.lastdumprefreshat, lastdumprunid = excluded.lastdumprunid,"
                         " lastdumpmeta = excluded.lastdumpmeta, updatedat = now()",
                         3, p);
    free(meta);
    return n < 0 ? -1 : 0;
}

static void fill_meta(struct import *im, const struct provider *prov, const struct provider_stats *st)
{
    char shown[1024];
    provider_redact_location(prov->settings->dump, shown, sizeof shown);
    json_t *m = im->ctx->meta;
    json_object_set_new(m, "provider", json_string(im->provider));
    json_object_set_new(m, "location", json_string(shown));
    json_object_set_new(m, "linesRead", json_integer(st->lines));
    json_object_set_new(m, "bytesRead", json_integer(st->bytes));
    json_object_set_new(m, "gzip", json_boolean(st->gzip));
    json_object_set_new(m, "records", json_integer(im->records));
    json_object_set_new(m, "inserted", json_integer(im->inserted));
    json_object_set_new(m, "updated", json_integer(im->updated));
    json_object_set_new(m, "unchanged", json_integer(im->unchanged));
    json_object_set_new(m, "duplicates", json_integer(im->records - im->inserted - im->updated - im->unchanged));
    json_object_set_new(m, "malformed", json_integer(im->malformed));
    json_object_set_new(m, "malformedSamples", json_incref(im->samples));
}

static int dump_refresh_run(struct job_ctx *ctx)
{
    struct provider prov;
    char err[1024];
    if (provider_resolve(&ctx->app->cfg, job_param_str(ctx, "provider"), &prov, err, sizeof err))
        return job_fail(ctx, "%s", err);
    struct import im = {.ctx = ctx, .provider = prov.name, .samples = json_array()};
    struct provider_sink sink = {.user = &im, .record = on_record, .malformed = on_malformed,
                                 .cancelled = on_cancelled, .progress = on_progress};
    struct provider_stats st;
    enum provider_result res = prov.stream(&prov, &sink, &st, err, sizeof err);
    if (res == PROVIDER_OK)
        flush(&im);
    fill_meta(&im, &prov, &st);
    if (res == PROVIDER_ERROR)
        job_fail(ctx, "%s", err);
    else if (res == PROVIDER_OK && !ctx->error[0] && !job_cancelled(ctx) && !ctx->dryrun)
        save_state(&im);
    free(im.buf);
    json_decref(im.samples);
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static const struct param_def params[] = {
    {"provider", PARAM_STRING, NULL, 0, 64, "provider name ([provider.NAME]); default: [metadata] provider"},
};

const struct job_def job_metadata_dump_refresh = {
    .key = "metadata.dump_refresh",
    .description = "Import the metadata provider's dump into the provider-records table",
    .cron = "0 4 * * *",
    .enabled = true,
    .misfire = MISFIRE_ONCE,
    .dryrun = true,
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .run = dump_refresh_run,
    .lock_scope = provider_lock_scope,
    .resolve_params = provider_fill_param,
};

/*
 * metadata.dump_refresh — imports a provider's dump into metadata.providerrecord (DESIGN §5). The provider streams
 * canonical records; they are handled in batches of BATCH_RECORDS: one statement compares the batch's ids and
 * hashes with the table, a second upserts only the new and changed records (`… DO UPDATE … WHERE hash IS DISTINCT
 * FROM excluded.hash`), so an unchanged record is neither sent again nor rewritten. Each statement is its own
 * transaction: a cancel or crash keeps what was committed and a rerun is safe. Malformed lines are counted and the
 * first few are sampled in meta; they never abort the import. Records missing from a newer dump are kept (a
 * provider that drops a series for a day must not orphan its series rows).
 *
 * meta: {provider, location (credentials hidden), linesRead, bytesRead, gzip, inserted, updated, unchanged,
 * duplicates, malformed, malformedSamples: [{line, reason}]}. Progress is bytes read of the dump's size.
 * Lock key: metadata.dump_refresh:<provider>. Dry run: counts what would be inserted/updated, writes nothing.
 *
 * Its contract needs nothing of the platform's, only the active provider's `dump` setting: without it the job is
 * "not configured" (contract/check.h) — unavailable, so neither scheduled nor failing daily into the alerts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jobs/job_ctx.h"
#include "jobs/jobs.h"
#include "providers/provider.h"
#include "store/pg.h"
#include "util/xalloc.h"

#define BATCH_RECORDS 1000
#define MAX_SAMPLES 10

/* A growable text buffer. */
struct sbuf {
    char *p;
    size_t len, cap;
};

struct import {
    struct job_ctx *ctx;
    const char *provider;
    char *texts[BATCH_RECORDS]; /* the pending batch's canonical texts (owned) */
    char hashes[BATCH_RECORDS][65];
    int pending;
    struct sbuf keys; /* the pending batch's [[id, hash], …] as JSON text */
    struct sbuf rows; /* the changed records as JSON text: [{"h":hash,"r":canonical}, …] */
    int64_t records, inserted, updated, unchanged, malformed;
    json_t *samples;
};

/*
 * Step 1 of a batch: which records are new or changed? Only ids and hashes travel (a few bytes per record), so a
 * dump that is mostly unchanged — the daily case — costs little. One row per distinct id (the last occurrence in
 * the batch wins); returns the distinct count, how many are new, and the batch positions (1-based) to write.
 */
static const char compare_sql[] =
    "WITH b AS (SELECT DISTINCT ON (e->>0) e->>0 AS id, e->>1 AS hash, ord"
    " FROM json_array_elements($2::json) WITH ORDINALITY AS t(e, ord) ORDER BY e->>0, ord DESC)"
    " SELECT count(*), count(*) FILTER (WHERE p.providerid IS NULL),"
    " array_agg(b.ord ORDER BY b.ord) FILTER (WHERE p.hash IS DISTINCT FROM b.hash)"
    " FROM b LEFT JOIN metadata.providerrecord p ON p.provider = $1 AND p.providerid = b.id";

/* Step 2: writes the changed records. The WHERE keeps a record that is already current from being rewritten. */
static const char upsert_sql[] =
    "WITH up AS (INSERT INTO metadata.providerrecord AS p (provider, providerid, hash, record)"
    " SELECT $1, e->'r'->>'id', e->>'h', e->'r' FROM jsonb_array_elements($2::jsonb) AS t(e)"
    " ON CONFLICT (provider, providerid) DO UPDATE SET hash = excluded.hash, record = excluded.record,"
    " updatedat = now() WHERE p.hash IS DISTINCT FROM excluded.hash"
    " RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

/* Builds the changed records' JSON from the positions in `ords` ("{1,5,9}"). Returns how many. */
static int collect_changed(struct import *im, const char *ords)
{
    int n = 0;
    im->rows.len = 0;
    for (const char *s = ords; s && *s;) {
        char *end;
        long i = strtol(s, &end, 10);
        if (end == s) {
            s++;
            continue;
        }
        s = end;
        if (i < 1 || i > im->pending)
            continue;
        sbuf_str(&im->rows, n++ ? ",{\"h\":\"" : "[{\"h\":\"");
        sbuf_add(&im->rows, im->hashes[i - 1], 64);
        sbuf_str(&im->rows, "\",\"r\":");
        sbuf_str(&im->rows, im->texts[i - 1]);
        sbuf_str(&im->rows, "}");
    }
    if (n)
        sbuf_str(&im->rows, "]");
    return n;
}

/* Writes the records at `ords`; adds what happened to the counters. Returns 0 or -1. */
static int write_changed(struct import *im, const char *ords, int64_t distinct)
{
    int64_t ins = 0, upd = 0;
    if (collect_changed(im, ords)) {
        const char *p[] = {im->provider, im->rows.p};
        PGresult *r = job_query(im->ctx, "dump_refresh.upsert", upsert_sql, 2, p);
        if (!r)
            return -1;
        ins = pg_int(r, 0, 0, 0);
        upd = pg_int(r, 0, 1, 0);
        PQclear(r);
    }
    im->inserted += ins;
    im->updated += upd;
    im->unchanged += distinct - ins - upd;
    im->ctx->rowsaffected = im->inserted + im->updated;
    return 0;
}

static void clear_batch(struct import *im)
{
    for (int i = 0; i < im->pending; i++) {
        free(im->texts[i]);
        im->texts[i] = NULL;
    }
    im->pending = 0;
    im->keys.len = 0;
}

/* Compares the pending batch with the table and writes what changed (dry run: only counts). 0 or -1. */
static int flush(struct import *im)
{
    if (!im->pending)
        return 0;
    sbuf_str(&im->keys, "]");
    const char *p[] = {im->provider, im->keys.p};
    PGresult *r = job_query(im->ctx, "dump_refresh.compare", compare_sql, 2, p);
    int rc = r ? 0 : -1;
    if (r && im->ctx->dryrun) {
        int64_t distinct = pg_int(r, 0, 0, 0), fresh = pg_int(r, 0, 1, 0);
        const char *ords = pg_val(r, 0, 2);
        int64_t changed = ords && strlen(ords) > 2; /* "{3,17}": elements = commas + 1 */
        for (const char *c = ords; changed && *c; c++)
            changed += *c == ',';
        im->inserted += fresh;
        im->updated += changed - fresh;
        im->unchanged += distinct - changed;
    } else if (r) {
        rc = write_changed(im, pg_val(r, 0, 2), pg_int(r, 0, 0, 0));
    }
    PQclear(r);
    clear_batch(im);
    return rc;
}

static int on_record(void *user, int64_t lineno, const struct record *rec)
{
    struct import *im = user;
    char *id = xcheck(json_dumps(json_object_get(rec->json, "id"), JSON_ENCODE_ANY));
    im->texts[im->pending] = xstrdup(rec->text);
    memcpy(im->hashes[im->pending], rec->hash, 65);
    sbuf_str(&im->keys, im->pending ? ",[" : "[[");
    sbuf_str(&im->keys, id);
    sbuf_str(&im->keys, ",\"");
    sbuf_add(&im->keys, rec->hash, 64);
    sbuf_str(&im->keys, "\"]");
    free(id);
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
    if (provider_resolve(ctx->cfg, job_param_str(ctx, "provider"), &prov, err, sizeof err))
        return job_fail(ctx, "%s", err);
    struct import im = {.ctx = ctx, .provider = prov.name, .samples = json_array()};
    struct provider_sink sink = {.user = &im,
                                 .record = on_record,
                                 .malformed = on_malformed,
                                 .cancelled = on_cancelled,
                                 .progress = on_progress};
    struct provider_stats st;
    enum provider_result res = prov.stream(&prov, &sink, &st, err, sizeof err);
    if (res == PROVIDER_OK)
        flush(&im);
    fill_meta(&im, &prov, &st);
    if (res == PROVIDER_ERROR)
        job_fail(ctx, "%s", err);
    else if (res == PROVIDER_OK && !ctx->error[0] && !job_cancelled(ctx) && !ctx->dryrun)
        save_state(&im);
    clear_batch(&im);
    free(im.keys.p);
    free(im.rows.p);
    json_decref(im.samples);
    return ctx->error[0] || job_cancelled(ctx) ? -1 : 0;
}

static const struct param_def params[] = {
    {"provider", PARAM_STRING, NULL, 0, 64, "provider name ([provider.NAME]); default: [metadata] provider"},
};

static const struct contract dump_contract = {
    .settings = (const struct contract_setting[]){{"provider.NAME", "dump", "the JSON-lines dump this job imports"},
                                                  {0}},
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
    .check_params = provider_check_dump_param,
    .resolve_params = provider_fill_param,
    .contract = &dump_contract,
};

/* catalog — see catalog.h. */
#include "providers/catalog.h"

#include "store/pg.h"

/* Both counts come from the same statement, so they describe one snapshot. */
/* clang-format off */
static const char invalidate_sql[] =
    "WITH inv AS (UPDATE core.comic SET metadata_hash = NULL"
    " WHERE provider IS NOT NULL AND metadata_hash IS NOT NULL RETURNING 1)"
    " SELECT (SELECT count(*) FROM inv), count(*) FILTER (WHERE provider IS NULL),"
    " count(*) FILTER (WHERE provider IS NOT NULL AND metadata_hash IS NULL) FROM core.comic";
/* clang-format on */

int catalog_invalidate_hashes(PGconn *c, const struct audit_actor *who, struct catalog_invalidated *out)
{
    if (pg_cmd(c, "BEGIN"))
        return -1;
    PGresult *res = pg_query(c, "catalog.invalidate_hashes", invalidate_sql, 0, NULL, NULL);
    if (!res) {
        pg_cmd(c, "ROLLBACK");
        return -1;
    }
    *out = (struct catalog_invalidated){pg_int(res, 0, 0, 0), pg_int(res, 0, 1, 0), pg_int(res, 0, 2, 0)};
    PQclear(res);
    json_t *details = json_pack("{s:I,s:I,s:I}", "invalidated", (json_int_t)out->invalidated, "skippedManual",
                                (json_int_t)out->skipped_manual, "alreadyClear", (json_int_t)out->already_clear);
    int rc = audit_write(c, who, "series.invalidate_metadata_hashes", "core.comic", details);
    json_decref(details);
    if (rc || pg_cmd(c, "COMMIT")) {
        pg_cmd(c, "ROLLBACK");
        return -1;
    }
    return 0;
}

/* clang-format off */
static const char counts_sql[] =
    "SELECT json_build_object("
    " 'recordCount', (SELECT count(*) FROM metadata.providerrecord WHERE provider = $1),"
    " 'lastDumpRefresh', (SELECT json_build_object('at', " PG_ISO("s.lastdumprefreshat") ","
    " 'runId', s.lastdumprunid, 'recordCount', s.recordcount, 'meta', s.lastdumpmeta)"
    " FROM metadata.providerstate s WHERE s.provider = $1 AND s.lastdumprefreshat IS NOT NULL),"
    " 'seriesCount', (SELECT count(*) FROM core.comic WHERE provider = $1),"
    " 'manualSeriesCount', (SELECT count(*) FROM core.comic WHERE provider IS NULL))";
/* clang-format on */

json_t *catalog_provider_counts(PGconn *c, const char *name)
{
    const char *p[] = {name};
    PGresult *res = pg_query(c, "catalog.provider_counts", counts_sql, 1, p, NULL);
    json_t *e = res && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    return e;
}

/* slotledger — see slotledger.h. */
#include "store/slotledger.h"

#include <stdio.h>
#include <string.h>

#include "store/pg.h"

/* clang-format off */
#define ROW_JSON \
    "json_build_object('id', m.id, 'jobkey', m.jobkey, 'reason', m.reason, 'firstslot', " PG_ISO("m.firstslot") "," \
    " 'lastslot', " PG_ISO("m.lastslot") ", 'slots', m.slots, 'detail', m.detail, 'recordedat', " \
    PG_ISO("m.recordedat") ")"
/* clang-format on */

int slotledger_latest(PGconn *c, const char *jobkey, struct missed_row *out)
{
    const char *p[] = {jobkey};
    PGresult *r = pg_query(c, "slotledger.latest",
                           "SELECT id, reason, extract(epoch FROM firstslot)::bigint,"
                           " extract(epoch FROM lastslot)::bigint, slots FROM system.batchmissed WHERE jobkey = $1"
                           " ORDER BY lastslot DESC LIMIT 1",
                           1, p, NULL);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found) {
        memset(out, 0, sizeof *out);
        out->id = pg_int(r, 0, 0, 0);
        snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(r, 0, 1));
        out->firstslot = (time_t)pg_int(r, 0, 2, 0);
        out->lastslot = (time_t)pg_int(r, 0, 3, 0);
        out->slots = (int)pg_int(r, 0, 4, 0);
    }
    PQclear(r);
    return found;
}

/* `detail` cut to SLOTLEDGER_DETAIL_MAX bytes without splitting a UTF-8 sequence. */
static const char *cut(const char *detail, char *buf, size_t len)
{
    if (!detail || strlen(detail) < len)
        return detail;
    size_t n = len - 1;
    while (n > 0 && ((unsigned char)detail[n] & 0xC0) == 0x80)
        n--;
    snprintf(buf, len, "%.*s", (int)n, detail);
    return buf;
}

int slotledger_insert(PGconn *c, const char *jobkey, const char *reason, time_t first, time_t last, int slots,
                      const char *detail, int64_t *id)
{
    char f[32], l[32], n[16], d[SLOTLEDGER_DETAIL_MAX + 1];
    snprintf(f, sizeof f, "%lld", (long long)first);
    snprintf(l, sizeof l, "%lld", (long long)last);
    snprintf(n, sizeof n, "%d", slots);
    const char *p[] = {jobkey, reason, f, l, n, cut(detail, d, sizeof d)};
    PGresult *r = pg_query(c, "slotledger.insert",
                           "INSERT INTO system.batchmissed (jobkey, reason, firstslot, lastslot, slots, detail)"
                           " VALUES ($1, $2, to_timestamp($3::bigint), to_timestamp($4::bigint), $5::int, $6)"
                           " ON CONFLICT (jobkey, firstslot) DO NOTHING RETURNING id",
                           6, p, NULL);
    if (!r)
        return -1;
    int inserted = PQntuples(r) == 1;
    if (inserted)
        *id = pg_int(r, 0, 0, 0);
    PQclear(r);
    return inserted;
}

int slotledger_extend(PGconn *c, int64_t id, time_t last, int slots, const char *detail)
{
    char i[32], l[32], n[16], d[SLOTLEDGER_DETAIL_MAX + 1];
    snprintf(i, sizeof i, "%lld", (long long)id);
    snprintf(l, sizeof l, "%lld", (long long)last);
    snprintf(n, sizeof n, "%d", slots);
    const char *p[] = {i, l, n, cut(detail, d, sizeof d)};
    int64_t rows = pg_exec(c, "slotledger.extend",
                           "UPDATE system.batchmissed SET lastslot = to_timestamp($2::bigint), slots = slots + $3::int,"
                           " detail = COALESCE($4, detail), recordedat = now()"
                           " WHERE id = $1::bigint AND lastslot < to_timestamp($2::bigint)",
                           4, p);
    return rows < 0 ? -1 : (int)rows;
}

int slotledger_list(PGconn *c, const char *jobkey, int page, int limit, json_t **items, int64_t *total)
{
    char lim[16], off[24];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(off, sizeof off, "%lld", (long long)(page - 1) * limit);
    const char *p[] = {jobkey, lim, off};
    PGresult *r = pg_query(c, "slotledger.list",
                           "SELECT " ROW_JSON ", count(*) OVER () FROM system.batchmissed m WHERE m.jobkey = $1"
                           " ORDER BY m.lastslot DESC, m.id DESC LIMIT $2::int OFFSET $3::bigint",
                           3, p, NULL);
    if (!r)
        return -1;
    *items = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(*items, json_loads(PQgetvalue(r, i, 0), 0, NULL));
    *total = PQntuples(r) ? pg_int(r, 0, 1, 0) : 0;
    PQclear(r);
    if (*total == 0 && page > 1) { /* past the last page: the count still matters for `pages` */
        PGresult *cr = pg_query(c, "slotledger.count", "SELECT count(*) FROM system.batchmissed WHERE jobkey = $1", 1,
                                p, NULL);
        *total = cr ? pg_int(cr, 0, 0, 0) : 0;
        PQclear(cr);
    }
    return 0;
}

json_t *slotledger_summary(PGconn *c, time_t since)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)since);
    const char *p[] = {s};
    PGresult *r = pg_query(c, "slotledger.summary",
                           "SELECT DISTINCT ON (m.jobkey) m.jobkey, " ROW_JSON ", (SELECT coalesce(sum(x.slots), 0)"
                           " FROM system.batchmissed x WHERE x.jobkey = m.jobkey"
                           " AND x.lastslot > to_timestamp($1::bigint)) FROM system.batchmissed m"
                           " ORDER BY m.jobkey, m.lastslot DESC, m.id DESC",
                           1, p, NULL);
    if (!r)
        return NULL;
    json_t *out = json_object();
    for (int i = 0; i < PQntuples(r); i++)
        json_object_set_new(out, PQgetvalue(r, i, 0),
                            json_pack("{s:I,s:o}", "slots", (json_int_t)pg_int(r, i, 2, 0), "latest",
                                      json_loads(PQgetvalue(r, i, 1), 0, NULL)));
    PQclear(r);
    return out;
}

int64_t slotledger_retention(PGconn *c, int days, int keep)
{
    char d[16], k[16];
    snprintf(d, sizeof d, "%d", days);
    snprintf(k, sizeof k, "%d", keep);
    const char *p[] = {d, k};
    int64_t n = pg_exec(c, "slotledger.retention",
                        "DELETE FROM system.batchmissed m WHERE m.lastslot < now() - make_interval(days => $1::int)"
                        " OR m.id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY jobkey"
                        "  ORDER BY lastslot DESC, id DESC) AS rn FROM system.batchmissed) x WHERE x.rn > $2::int)",
                        2, p);
    return n;
}

/* migrate — see migrate.h. */
#include "store/migrate.h"

#include <stdio.h>
#include <string.h>

#include "store/lockkeys.h"
#include "store/pg.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/sha256.h"

#define MIGRATE_LOCK "SELECT pg_advisory_lock(" LOCK_MIGRATE ")"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(" LOCK_MIGRATE ")"

static const char *bootstrap_sql = "CREATE SCHEMA IF NOT EXISTS system;"
                                   "CREATE TABLE IF NOT EXISTS system.schema_migrations ("
                                   " name text PRIMARY KEY, sha256 text NOT NULL,"
                                   " appliedat timestamptz NOT NULL DEFAULT now())";

/* Returns 1 if applied already (same text), 0 if pending, -1 on error/mismatch. */
static int recorded_state(PGconn *c, const struct embedded_file *f, const char *hex, char *err, size_t errlen)
{
    const char *p[] = {f->name};
    PGresult *r = pg_query(c, "migrate.state", "SELECT sha256 FROM system.schema_migrations WHERE name = $1", 1, p,
                           NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read system.schema_migrations");
        return -1;
    }
    int state = 0;
    if (PQntuples(r) == 1) {
        state = 1;
        if (strcmp(PQgetvalue(r, 0, 0), hex)) {
            snprintf(err, errlen, "migration %s was changed after it was applied (recorded sha256 %.12s…, file "
                                  "%.12s…); add a new migration instead",
                     f->name, PQgetvalue(r, 0, 0), hex);
            state = -1;
        }
    }
    PQclear(r);
    return state;
}

static int apply_one(PGconn *c, const struct embedded_file *f, const char *hex, char *err, size_t errlen)
{
    if (pg_cmd(c, "BEGIN"))
        goto fail;
    PGresult *r = PQexec(c, (const char *)f->data); /* simple protocol: a file holds many statements */
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "migration %s failed: %s", f->name, PQresultErrorMessage(r));
        PQclear(r);
        pg_cmd(c, "ROLLBACK");
        return -1;
    }
    PQclear(r);
    const char *p[] = {f->name, hex};
    if (pg_exec(c, "migrate.record", "INSERT INTO system.schema_migrations (name, sha256) VALUES ($1, $2)", 2, p) !=
            1 ||
        pg_cmd(c, "COMMIT"))
        goto fail;
    log_info("msg=\"migration applied\" name=%s", f->name);
    return 0;
fail:
    snprintf(err, errlen, "migration %s: %s", f->name, PQerrorMessage(c));
    pg_cmd(c, "ROLLBACK");
    return -1;
}

int migrate_apply(PGconn *c, char *err, size_t errlen)
{
    if (pg_cmd(c, MIGRATE_LOCK)) {
        snprintf(err, errlen, "cannot take the migration lock: %s", PQerrorMessage(c));
        return -1;
    }
    int applied = 0;
    if (pg_cmd(c, bootstrap_sql)) {
        snprintf(err, errlen, "cannot create system.schema_migrations: %s", PQerrorMessage(c));
        applied = -1;
    }
    for (const struct embedded_file *f = migrations_files; applied >= 0 && f->name; f++) {
        char hex[65];
        sha256_hex(f->data, f->len, hex);
        int st = recorded_state(c, f, hex, err, errlen);
        if (st < 0 || (st == 0 && apply_one(c, f, hex, err, errlen)))
            applied = -1;
        else if (st == 0)
            applied++;
    }
    pg_cmd(c, MIGRATE_UNLOCK);
    return applied;
}

bool migrate_done(PGconn *c)
{
    PGresult *r = pg_query(c, "migrate.done", "SELECT count(*) FROM system.schema_migrations", 0, NULL, NULL);
    bool ok = r != NULL;
    PQclear(r);
    return ok;
}

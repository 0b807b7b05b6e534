/* migrate — see migrate.h. */
#include "store/migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/lockkeys.h"
#include "store/pg.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/sha256.h"

#define MIGRATE_LOCK "SELECT pg_advisory_lock(" LOCK_MIGRATE ")"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(" LOCK_MIGRATE ")"

/* Schema `system` may be the platform's: create it only when missing (CREATE SCHEMA IF NOT EXISTS would need the
 * CREATE privilege on the database even when it exists). */
static const char *bootstrap_sql = "DO $$ BEGIN IF to_regnamespace('system') IS NULL THEN CREATE SCHEMA system; END IF;"
                                   " END $$;"
                                   "CREATE TABLE IF NOT EXISTS system.schema_migrations ("
                                   " name text PRIMARY KEY, sha256 text NOT NULL,"
                                   " appliedat timestamptz NOT NULL DEFAULT now())";

/* Recorded migrations this build does not have: a database made by another version of comicbatch. The pre-release
 * set (001_system.sql … 007_ratings_expected.sql) also created the platform's tables, which comicbatch no longer
 * does; such a database is refused with what to do. */
static int check_known(PGconn *c, char *err, size_t errlen)
{
    PGresult *r = pg_query(c, "migrate.known", "SELECT name FROM system.schema_migrations ORDER BY name", 0, NULL,
                           NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read system.schema_migrations");
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        bool known = false;
        for (const struct embedded_file *f = migrations_files; f->name && !known; f++)
            known = !strcmp(f->name, PQgetvalue(r, i, 0));
        if (!known) {
            snprintf(err, errlen,
                     "this database has migration %s, which this build does not know: it was made by %s "
                     "comicbatch. A pre-release database (001_system.sql …) also holds comicbatch-made "
                     "platform tables; start it over (for `make run`: rm -rf var)",
                     PQgetvalue(r, i, 0),
                     strcmp(PQgetvalue(r, i, 0), "001_system.sql") ? "another version of" : "a pre-release");
            rc = -1;
        }
    }
    PQclear(r);
    return rc;
}

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
            snprintf(err, errlen,
                     "migration %s was changed after it was applied (recorded sha256 %.12s…, file "
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
    if (applied == 0 && check_known(c, err, errlen))
        applied = -1;
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

/* Whether `name` is one of this build's migrations. */
static bool embedded(const char *name)
{
    for (const struct embedded_file *f = migrations_files; f->name; f++)
        if (!strcmp(f->name, name))
            return true;
    return false;
}

int migrate_status(PGconn *c, struct migrate_status *st, char *err, size_t errlen)
{
    *st = (struct migrate_status){0};
    PGresult *r = pg_query(c, "migrate.pending", "SELECT to_regclass('system.schema_migrations') IS NULL", 0, NULL,
                           NULL);
    bool none = r && pg_bool(r, 0, 0);
    PQclear(r);
    r = !none
            ? pg_query(c, "migrate.recorded", "SELECT name FROM system.schema_migrations ORDER BY name", 0, NULL, NULL)
            : NULL;
    if (!none && !r) {
        char line[512];
        snprintf(err, errlen, "cannot read system.schema_migrations: %s",
                 pg_one_line(PQerrorMessage(c), line, sizeof line));
        return -1;
    }
    for (const struct embedded_file *f = migrations_files; f->name; f++) {
        bool recorded = false;
        for (int i = 0; r && i < PQntuples(r) && !recorded; i++)
            recorded = !strcmp(PQgetvalue(r, i, 0), f->name);
        st->pending += !recorded;
    }
    for (int i = 0; r && i < PQntuples(r); i++)
        if (!embedded(PQgetvalue(r, i, 0)) && !st->unknown++)
            snprintf(st->first_unknown, sizeof st->first_unknown, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return 0;
}

int migrate_check_current(PGconn *c, char *err, size_t errlen)
{
    struct migrate_status st;
    if (migrate_status(c, &st, err, errlen))
        return -1;
    if (st.unknown)
        snprintf(
            err, errlen,
            "the database has %d migration%s this build does not know (%s): it was migrated by a newer comicbatch; "
            "run that version",
            st.unknown, st.unknown == 1 ? "" : "s", st.first_unknown);
    else if (st.pending)
        snprintf(err, errlen, "%d migration%s of this build %s not applied: run `comicbatch migrate` first", st.pending,
                 st.pending == 1 ? "" : "s", st.pending == 1 ? "is" : "are");
    return st.unknown || st.pending ? -1 : 0;
}

bool migrate_done(PGconn *c)
{
    PGresult *r = pg_query(c, "migrate.done", "SELECT count(*) FROM system.schema_migrations", 0, NULL, NULL);
    bool ok = r != NULL;
    PQclear(r);
    return ok;
}

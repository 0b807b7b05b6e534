/* accel — see accel.h. */
#include "contract/accel.h"

#include <stdio.h>
#include <string.h>

#include "contract/idtypes.h"
#include "store/pg.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Costs: bench/bench_library.sh's write-path section (BENCHMARKS.md "Both modes": database CPU per single-row write,
 * the same statements on a copy with and one without, small scale). */
static const struct accel_def accels[] = {
    {"hasnew",
     "library.hasnew: scheduled runs drain a queue of changed entries (79x the seed's sweep instead of a "
     "full comparison) and the daemon recalculates within ~200 ms of a new chapter or a read",
     "core.chapter library.chapterread library.entry", 8,
     "~40 us of database CPU per single-row chapter read (+90%); a new chapter queues its comic's followers"},
    {"counts",
     "comics.counts_recalc: reads one stats row per comic and group instead of counting chapters, "
     "follows and group follows",
     "core.chapter library.entry core.scanlationgroupfollow", 9,
     "one delta row per statement that adds or removes chapters, follows or group follows (~35 us per "
     "single-row group follow)"},
    {"ratings", "comics.ratings_recalc: reads one stats row per comic instead of aggregating every rating",
     "social.comicrating", 3,
     "one delta row per statement that adds, changes or removes ratings (~30 us per single-row rating)"},
    {"viewhistory",
     "library.viewhistory_cap: finds the users over the cap from per-user counts instead of counting "
     "the whole history",
     "library.viewhistory", 3, "~65 us per single-row view-history insert (+110%: a per-user counter upsert)"},
    {"crawler",
     "crawler.source_health: a failed or succeeded crawler job is counted at once (NOTIFY) instead of at "
     "the next poll (every minute)",
     "crawler.job", 2, "a NOTIFY per crawler job that finishes (~30 us per job); nothing written"},
    {"fillfactor",
     "analytics.flush_counters and the counters jobs: room on each page of core.comic and "
     "core.chapter for HOT updates of their counters (10k-key flush: 43k -> 13k WAL records)",
     "core.comic core.chapter", 0, "none per write; the two tables take ~11% more pages"},
};

const struct accel_def *accel_all(size_t *n)
{
    *n = sizeof accels / sizeof accels[0];
    return accels;
}

const struct accel_def *accel_find(const char *name)
{
    for (size_t i = 0; i < sizeof accels / sizeof accels[0]; i++)
        if (!strcmp(accels[i].name, name))
            return &accels[i];
    return NULL;
}

const char *accel_state_name(enum accel_state s)
{
    return s == ACCEL_INSTALLED ? "installed" : s == ACCEL_PARTIAL ? "partly installed" : "not installed";
}

/* Enabled comicbatch_NAME_* triggers per accelerator name, and whether both tables have fillfactor 90. */
static const char STATE_SQL[] =
    "SELECT split_part(t.tgname, '_', 2), count(*) FILTER (WHERE t.tgenabled <> 'D')"
    " FROM pg_trigger t WHERE t.tgname LIKE 'comicbatch\\_%' AND NOT t.tgisinternal GROUP BY 1"
    " UNION ALL SELECT 'fillfactor', count(*) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace" /* not to_regclass: it needs USAGE on the schema */
    " WHERE n.nspname = 'core' AND c.relname IN ('comic', 'chapter')"
    " AND 'fillfactor=90' = ANY(coalesce(c.reloptions, '{}'))";

int accel_states(PGconn *db, enum accel_state *st, char *err, size_t errlen)
{
    size_t n = sizeof accels / sizeof accels[0];
    memset(st, 0, n * sizeof *st);
    PGresult *r = pg_query(db, "accel.states", STATE_SQL, 0, NULL, NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read the accelerators' state: %s", PQerrorMessage(db));
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++)
        for (size_t k = 0; k < n; k++) {
            int want = accels[k].ntriggers ? accels[k].ntriggers : 2, have = (int)pg_int(r, i, 1, 0);
            if (!strcmp(PQgetvalue(r, i, 0), accels[k].name) && have > 0)
                st[k] = have >= want ? ACCEL_INSTALLED : ACCEL_PARTIAL;
        }
    PQclear(r);
    return 0;
}

int accel_installed(PGconn *db, const char *name)
{
    size_t n = sizeof accels / sizeof accels[0];
    enum accel_state st[sizeof accels / sizeof accels[0]];
    char err[256];
    if (accel_states(db, st, err, sizeof err)) {
        log_warn("msg=\"accelerators\" error=\"%s\"", err);
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        if (!strcmp(accels[k].name, name))
            return st[k] == ACCEL_INSTALLED;
    return 0;
}

static const struct embedded_file *script(const char *name, bool install)
{
    char file[64];
    snprintf(file, sizeof file, "%s.%s.sql", name, install ? "install" : "remove");
    for (const struct embedded_file *f = accelerators_files; f->name; f++)
        if (!strcmp(f->name, file))
            return f;
    return NULL;
}

/* Per table of `a`: exists, TRIGGER privilege, owner rights. */
static const char CAN_SQL[] =
    "SELECT t, to_regclass(t) IS NOT NULL,"
    " CASE WHEN to_regclass(t) IS NULL THEN false ELSE has_table_privilege(t, 'TRIGGER') END,"
    " CASE WHEN to_regclass(t) IS NULL THEN false"
    "   ELSE pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass(t)), 'USAGE') END"
    " FROM unnest(string_to_array($1, ' ')) AS t";

/* 0 when the connected role may install/remove `a`; otherwise says why and what would let it, returns 1. */
static int precheck(PGconn *db, const struct accel_def *a, FILE *out)
{
    const char *p[] = {a->tables};
    PGresult *r = pg_query(db, "accel.precheck", CAN_SQL, 1, p, NULL);
    if (!r)
        return 1;
    int blocked = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *t = PQgetvalue(r, i, 0);
        if (!pg_bool(r, i, 1)) {
            fprintf(out, "  %s: skipped: table %s does not exist\n", a->name, t);
            blocked = 1;
        } else if (a->ntriggers && !pg_bool(r, i, 2) && !pg_bool(r, i, 3)) {
            fprintf(out,
                    "  %s: skipped: this role may not create triggers on %s; let it (as the owner):\n"
                    "      GRANT TRIGGER ON %s TO %s;\n",
                    a->name, t, t, PQuser(db));
            blocked = 1;
        } else if (!a->ntriggers && !pg_bool(r, i, 3)) {
            fprintf(out, "  %s: skipped: only the owner of %s may change its storage; run as the owner:\n", a->name, t);
            const struct embedded_file *f = script(a->name, true);
            fprintf(out, "%s", f ? (const char *)f->data : "");
            blocked = 1;
            break;
        }
    }
    PQclear(r);
    return blocked;
}

/* Runs the remove script, then (install) the install script with the platform's id types, in one transaction. */
static int apply_one(PGconn *db, const struct accel_def *a, bool install, const struct id_types *ids, FILE *out)
{
    const struct embedded_file *rm = script(a->name, false), *in = script(a->name, true);
    char *sql = install ? idtypes_sql(ids, (const char *)in->data) : NULL;
    int rc = pg_cmd(db, "BEGIN");
    PGresult *r = rc ? NULL : PQexec(db, (const char *)rm->data);
    if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = -1;
    PQclear(r);
    if (!rc && sql) {
        r = PQexec(db, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = -1;
        PQclear(r);
    }
    if (rc) {
        fprintf(out, "  %s: failed: %s", a->name, PQerrorMessage(db));
        pg_cmd(db, "ROLLBACK");
    } else if (pg_cmd(db, "COMMIT")) {
        fprintf(out, "  %s: failed at COMMIT: %s", a->name, PQerrorMessage(db));
        rc = -1;
    } else {
        fprintf(out, "  %s: %s\n", a->name,
                !install       ? "removed"
                : a->ntriggers ? "installed (state rebuilt in the same transaction)"
                               : "installed");
    }
    free(sql);
    return rc ? 1 : 0;
}

int accel_apply(PGconn *db, bool install, const char *const *names, int n, FILE *out)
{
    for (int i = 0; i < n; i++)
        if (!accel_find(names[i])) {
            fprintf(out, "comicbatch: unknown accelerator \"%s\" (see `comicbatch accelerators status`)\n", names[i]);
            return -1;
        }
    struct id_types ids;
    enum accel_state st[sizeof accels / sizeof accels[0]];
    char err[512];
    if (idtypes_detect(db, &ids, err, sizeof err) || accel_states(db, st, err, sizeof err)) {
        fprintf(out, "comicbatch: %s\n", err);
        return -1;
    }
    int bad = 0;
    for (size_t k = 0; k < sizeof accels / sizeof accels[0]; k++) {
        const struct accel_def *a = &accels[k];
        bool chosen = n == 0;
        for (int i = 0; i < n; i++)
            chosen = chosen || !strcmp(names[i], a->name);
        if (chosen && !install && st[k] == ACCEL_ABSENT)
            fprintf(out, "  %s: not installed\n", a->name);
        else if (chosen)
            bad += precheck(db, a, out) ? 1 : apply_one(db, a, install, &ids, out);
    }
    return bad;
}

int accel_print_status(PGconn *db, FILE *out)
{
    enum accel_state st[sizeof accels / sizeof accels[0]];
    char err[512];
    if (accel_states(db, st, err, sizeof err)) {
        fprintf(out, "comicbatch: %s\n", err);
        return -1;
    }
    for (size_t k = 0; k < sizeof accels / sizeof accels[0]; k++) {
        const struct accel_def *a = &accels[k];
        fprintf(out, "%-12s %-17s on %s\n", a->name, accel_state_name(st[k]), a->tables);
        fprintf(out, "             speeds up: %s\n             write-path cost: %s\n", a->speeds, a->cost);
    }
    return 0;
}

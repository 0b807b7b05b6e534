/* grants — see grants.h. */
#include "contract/grants.h"

#include <string.h>

#include "contract/accel.h"
#include "contract/catalog.h"
#include "contract/check.h"
#include "store/pg.h"
#include "util/xalloc.h"

/* What one platform table needs, merged over every enabled job and feature. */
struct tgrant {
    const char *table;
    char select[1024], update[256], users[600];
    bool insert, del, partitioned;
};

struct plan {
    const struct catalog *cat;
    struct tgrant *t;
    size_t n;
    const char *user; /* the job or feature being added */
};

/* Appends `word` to the comma-separated list `list` unless it is there. */
static void add_word(char *list, size_t cap, const char *word)
{
    size_t n = strlen(word), len = strlen(list);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || (p - list >= 2 && p[-2] == ',' && p[-1] == ' ')) && (p[n] == '\0' || p[n] == ','))
            return;
    snprintf(list + len, cap - len, "%s%s", len ? ", " : "", word);
}

static struct tgrant *tgrant_for(struct plan *pl, const char *table)
{
    for (size_t i = 0; i < pl->n; i++)
        if (!strcmp(pl->t[i].table, table))
            return &pl->t[i];
    pl->t = xrealloc(pl->t, (pl->n + 1) * sizeof *pl->t);
    struct tgrant *g = &pl->t[pl->n++];
    memset(g, 0, sizeof *g);
    g->table = table;
    return g;
}

static void plan_table(const struct contract_table *t, void *arg)
{
    struct plan *pl = arg;
    struct tgrant *g = tgrant_for(pl, t->table);
    const struct cat_table *ct = catalog_table(pl->cat, t->table);
    add_word(g->users, sizeof g->users, pl->user);
    g->partitioned |= (t->flags & CONTRACT_PARTITIONED) != 0;
    char tok[300], name[64], cls[16];
    bool opt;
    for (int i = 0; contract_column(t->privs, i, tok, sizeof tok, cls, sizeof cls, &opt); i++) {
        if (!strcmp(tok, "SELECT")) {
            for (int j = 0; contract_column(t->columns, j, name, sizeof name, cls, sizeof cls, &opt); j++)
                if (!ct || catalog_column(ct, name))
                    add_word(g->select, sizeof g->select, name);
        } else if (!strncmp(tok, "UPDATE(", 7)) {
            tok[strcspn(tok, ")")] = '\0';
            for (char *save = NULL, *c = strtok_r(tok + 7, ",", &save); c; c = strtok_r(NULL, ",", &save))
                add_word(g->update, sizeof g->update, c);
        } else {
            g->insert |= !strcmp(tok, "INSERT");
            g->del |= !strcmp(tok, "DELETE");
        }
    }
}

static void print_own_schemas(PGconn *db, const char *role, const struct catalog *cat, FILE *out)
{
    fprintf(out,
            "-- 1. comicbatch's own objects. `comicbatch migrate`, run as %s, creates its tables and functions\n"
            "--    in schemas system (shared with the platform), jobstate and metadata, owned by %s.\n",
            role, role);
    const char *p[] = {role};
    PGresult *r = pg_query(db, "grants.schemas",
                           "SELECT s, n.oid IS NOT NULL, coalesce(pg_get_userbyid(n.nspowner), ''),"
                           " n.oid IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)"
                           "   AND pg_has_role($1::name, n.nspowner, 'USAGE')"
                           " FROM unnest(ARRAY['system', 'jobstate', 'metadata']) s"
                           " LEFT JOIN pg_namespace n ON n.nspname = s",
                           1, p, NULL);
    for (int i = 0; r && i < PQntuples(r); i++) {
        const char *s = PQgetvalue(r, i, 0);
        if (pg_bool(r, i, 3))
            fprintf(out, "--    schema %s: owned by %s already\n", s, PQgetvalue(r, i, 2));
        else if (!pg_bool(r, i, 1))
            fprintf(out, "CREATE SCHEMA %s AUTHORIZATION %s;\n", s, role);
        else if (!strcmp(s, "system"))
            fprintf(out, "GRANT USAGE, CREATE ON SCHEMA system TO %s;  -- the platform's schema (owner %s)\n", role,
                    PQgetvalue(r, i, 2));
        else
            fprintf(out, "ALTER SCHEMA %s OWNER TO %s;  -- exists, owned by %s\n", s, role, PQgetvalue(r, i, 2));
    }
    PQclear(r);
    fprintf(out,
            "GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s;  -- temporary tables: hasnew's and the orphan "
            "cleanup's work lists\n\n",
            cat->database, role);
}

static void print_table(const struct tgrant *g, const struct catalog *cat, const char *role, FILE *out)
{
    if (!catalog_table(cat, g->table)) {
        fprintf(out, "-- %s does not exist: %s will be unavailable (see `comicbatch doctor`)\n", g->table, g->users);
        return;
    }
    char privs[1600] = "";
    size_t len = 0;
    if (g->select[0])
        len += (size_t)snprintf(privs + len, sizeof privs - len, "SELECT (%s)", g->select);
    if (g->update[0])
        len += (size_t)snprintf(privs + len, sizeof privs - len, "%sUPDATE (%s)", len ? ", " : "", g->update);
    if (g->insert)
        len += (size_t)snprintf(privs + len, sizeof privs - len, "%sINSERT", len ? ", " : "");
    if (g->del)
        len += (size_t)snprintf(privs + len, sizeof privs - len, "%sDELETE", len ? ", " : "");
    if (len == 0) {
        fprintf(out, "-- %s: no privilege on the table itself (for %s)\n", g->table, g->users);
        return;
    }
    fprintf(out, "GRANT %s ON %s TO %s;\n    -- for %s\n", privs, g->table, role, g->users);
    const struct cat_table *ct = catalog_table(cat, g->table);
    for (size_t i = 0; g->insert && i < ct->ncols; i++)
        if (ct->cols[i].sequence)
            fprintf(out, "GRANT USAGE ON SEQUENCE %s TO %s;  -- the serial default of %s.%s\n", ct->cols[i].sequence,
                    role, g->table, ct->cols[i].name);
}

static void print_schemas_usage(const struct plan *pl, const char *role, FILE *out)
{
    char list[256] = "";
    for (size_t i = 0; i < pl->n; i++) {
        const char *dot = strchr(pl->t[i].table, '.');
        char s[64];
        snprintf(s, sizeof s, "%.*s", (int)(dot - pl->t[i].table), pl->t[i].table);
        if (catalog_table(pl->cat, pl->t[i].table))
            add_word(list, sizeof list, s);
    }
    if (list[0])
        fprintf(out, "GRANT USAGE ON SCHEMA %s TO %s;\n", list, role);
}

/* The SECURITY DEFINER function the partitioned tables' owner installs (printed, never run by comicbatch). */
static const char DEFINER_FN[] =
    "CREATE OR REPLACE FUNCTION system.comicbatch_ensure_partition(parent regclass, month date)\n"
    "RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$\n"
    "DECLARE\n"
    "    nsp  name;\n"
    "    rel  name;\n"
    "    part text;\n"
    "    this date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;\n"
    "    lo   date := date_trunc('month', month)::date;\n"
    "    hi   date := (date_trunc('month', month) + interval '1 month')::date;\n"
    "BEGIN\n"
    "    -- Only what comicbatch's partition jobs do: a monthly partition of one of these three tables, for a month\n"
    "    -- from the current one to a year ahead. Anything else is refused.\n"
    "    IF parent::text NOT IN ('analytics.pageview', 'analytics.chaptersession', 'crawler.log') THEN\n"
    "        RAISE EXCEPTION 'comicbatch_ensure_partition: % is not a table comicbatch partitions', parent\n"
    "              USING ERRCODE = 'insufficient_privilege';\n"
    "    END IF;\n"
    "    IF month IS NULL OR lo < this OR lo > (this + interval '12 months')::date THEN\n"
    "        RAISE EXCEPTION 'comicbatch_ensure_partition: month % is not between this month and a year ahead', month\n"
    "              USING ERRCODE = 'insufficient_privilege';\n"
    "    END IF;\n"
    "    SELECT n.nspname, c.relname INTO nsp, rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "     WHERE c.oid = parent AND c.relkind = 'p';\n"
    "    IF NOT FOUND THEN\n"
    "        RAISE EXCEPTION 'comicbatch_ensure_partition: % is not a partitioned table', parent\n"
    "              USING ERRCODE = 'wrong_object_type';\n"
    "    END IF;\n"
    "    part := rel || '_' || to_char(lo, 'YYYY_MM');\n"
    "    IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN\n"
    "        RETURN NULL;\n"
    "    END IF;\n"
    "    BEGIN\n"
    "        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',\n"
    "                       nsp, part, nsp, rel, lo::text || ' 00:00:00+00', hi::text || ' 00:00:00+00');\n"
    "    EXCEPTION\n"
    "        WHEN duplicate_table OR unique_violation THEN\n"
    "            RETURN NULL;  -- a concurrent caller made it\n"
    "        WHEN invalid_object_definition THEN\n"
    "            IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN\n"
    "                RETURN NULL;\n"
    "            END IF;\n"
    "            RAISE;\n"
    "    END;\n"
    "    RETURN part;\n"
    "END\n"
    "$fn$;\n";

static void print_partitions(const struct plan *pl, const char *role, FILE *out)
{
    const char *owner = NULL;
    bool rights = true;
    for (size_t i = 0; i < pl->n; i++) {
        const struct cat_table *ct = catalog_table(pl->cat, pl->t[i].table);
        if (!pl->t[i].partitioned || !ct)
            continue;
        owner = ct->owner;
        rights &= ct->owner_rights || pl->cat->superuser;
    }
    if (!owner)
        return;
    fprintf(out,
            "\n-- 3. Partitions. PostgreSQL lets only the owner of a partitioned table (or a member of the owning\n"
            "--    role) create its partitions: no GRANT can give that. analytics.partition and crawler.partition\n"
            "--    create this and next month's partitions of analytics.pageview, analytics.chaptersession and\n"
            "--    crawler.log (owner: %s). Two ways:\n"
            "--    (a) membership: GRANT %s TO %s;  -- simple, but %s may then do anything %s may\n"
            "--        (read, change and drop every table it owns);\n"
            "--    (b) recommended, below: the owner installs a SECURITY DEFINER function that can only create\n"
            "--        a monthly partition of those three tables, for a month from now to a year ahead. The jobs\n"
            "--        use it when it exists (otherwise system.ensure_month_partition, which needs (a)).\n",
            owner, owner, role, role, owner);
    if (rights) {
        fprintf(out, "--    %s can already create them (owner, member of the owner, or superuser): nothing to do.\n",
                role);
        return;
    }
    fputs(DEFINER_FN, out);
    fprintf(out,
            "ALTER FUNCTION system.comicbatch_ensure_partition(regclass, date) OWNER TO %s;\n"
            "REVOKE ALL ON FUNCTION system.comicbatch_ensure_partition(regclass, date) FROM PUBLIC;\n"
            "GRANT EXECUTE ON FUNCTION system.comicbatch_ensure_partition(regclass, date) TO %s;\n",
            owner, role);
}

static void print_accelerators(const struct catalog *cat, const char *role, FILE *out)
{
    size_t n;
    const struct accel_def *a = accel_all(&n);
    char tables[512] = "";
    for (size_t i = 0; i < n; i++) {
        if (!a[i].ntriggers)
            continue;
        char copy[256];
        snprintf(copy, sizeof copy, "%s", a[i].tables);
        for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
            if (catalog_table(cat, t))
                add_word(tables, sizeof tables, t);
    }
    fprintf(out,
            "\n-- 4. Accelerators (optional: `comicbatch accelerators install`, run as %s). TRIGGER lets %s create\n"
            "--    triggers on these tables; a trigger runs as whoever writes the table, so this trusts %s with\n"
            "--    the platform's writers' rights. Alternatively, install them as a role that already owns the\n"
            "--    tables. The fillfactor accelerator (ALTER TABLE … SET (fillfactor = 90)) needs the owner.\n",
            role, role, role);
    if (tables[0])
        fprintf(out, "GRANT TRIGGER ON %s TO %s;\n", tables, role);
}

/* Merges every enabled job's and feature's tables into `pl`. */
static void plan_all(struct plan *pl, const struct contract_job *jobs, const bool *enabled, size_t njobs)
{
    for (size_t i = 0; i < njobs; i++) {
        pl->user = jobs[i].key;
        if (enabled[i] && jobs[i].contract)
            contract_each_table(jobs[i].contract, plan_table, pl);
    }
    for (const struct contract_feature *f = contract_features; f->name; f++) {
        pl->user = f->name;
        contract_each_table(&f->contract, plan_table, pl);
    }
}

/* Loads the catalog of every table the plan names (a first plan without a catalog learns the names). */
static int load_catalog(PGconn *db, const char *role, const struct contract_job *jobs, const bool *enabled,
                        size_t njobs, struct catalog *cat, char *err, size_t errlen)
{
    struct catalog none = {0};
    struct plan names = {.cat = &none};
    plan_all(&names, jobs, enabled, njobs);
    const char **v = xcalloc(names.n, sizeof *v);
    for (size_t i = 0; i < names.n; i++)
        v[i] = names.t[i].table;
    int rc = catalog_load(db, v, names.n, role, cat, err, errlen);
    free(v);
    free(names.t);
    return rc;
}

int grants_print(PGconn *db, struct contract_jobs js, const char *role, bool accelerators, FILE *out, char *err,
                 size_t errlen)
{
    size_t njobs = js.n;
    const struct contract_job *jobs = js.v;
    bool *enabled = xcalloc(njobs, sizeof *enabled);
    contract_enabled_jobs(db, js, enabled);
    struct catalog cat;
    if (load_catalog(db, role, jobs, enabled, njobs, &cat, err, errlen)) {
        free(enabled);
        return -1;
    }
    struct plan pl = {.cat = &cat};
    plan_all(&pl, jobs, enabled, njobs);
    fprintf(out,
            "-- comicbatch grants %s: what role %s needs on database %s for the enabled jobs and the daemon.\n"
            "-- Run as an administrator (or the platform's owner), before `comicbatch migrate`:\n"
            "--   comicbatch grants %s | psql -v ON_ERROR_STOP=1 \"$ADMIN_URL\"\n%s\n",
            role, role, cat.database, role,
            cat.role_exists ? "" : "-- (the role does not exist yet: CREATE ROLE … LOGIN PASSWORD … first)\n");
    print_own_schemas(db, role, &cat, out);
    fprintf(out, "-- 2. The platform's tables: only the columns the jobs read, and only the writes they make.\n");
    print_schemas_usage(&pl, role, out);
    for (size_t i = 0; i < pl.n; i++)
        print_table(&pl.t[i], &cat, role, out);
    print_partitions(&pl, role, out);
    if (accelerators)
        print_accelerators(&cat, role, out);
    free(pl.t);
    free(enabled);
    catalog_free(&cat);
    return 0;
}

/* check — see check.h. */
#include "contract/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "store/schedstore.h"
#include "util/xalloc.h"

#define NAME_MAX_LEN 64

int contract_column(const char *columns, int i, char *name, size_t namelen, char *type, size_t typelen, bool *optional)
{
    const char *s = columns;
    for (int k = 0; s && *s; k++) {
        while (*s == ' ')
            s++;
        const char *end = strchr(s, ' ');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (k == i && len) {
            const char *colon = memchr(s, ':', len);
            size_t nl = colon ? (size_t)(colon - s) : len;
            *optional = nl > 0 && s[nl - 1] == '?';
            snprintf(name, namelen, "%.*s", (int)(nl - (*optional ? 1 : 0)), s);
            snprintf(type, typelen, "%.*s", colon ? (int)(len - nl - 1) : 3, colon ? colon + 1 : "any");
            return 1;
        }
        s = end;
    }
    return 0;
}

static int id_kind_of(const char *cls)
{
    for (int k = 0; k < ID_KINDS; k++)
        if (!strcmp(cls, idtypes_kind_name((enum id_kind)k)))
            return k;
    return -1;
}

const char *contract_ddl_type(const char *cls, const struct id_types *ids)
{
    int k = id_kind_of(cls);
    if (k >= 0)
        return ids->name[k];
    static const char *const map[][2] = {{"int", "bigint"},    {"number", "numeric"},   {"bool", "boolean"},
                                         {"text", "text"},     {"time", "timestamptz"}, {"inet", "inet"},
                                         {"text[]", "text[]"}, {"jsonb", "jsonb"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(cls, map[i][0]))
            return map[i][1];
    return "text";
}

bool contract_type_fits(const char *cls, const struct cat_column *col, const struct id_types *ids)
{
    const char *ty = col->type;
    int k = id_kind_of(cls);
    if (k >= 0)
        return idtypes_allowed(ty) && (!ids->found[k] || idtypes_same_family(ty, ids->name[k]));
    if (!strcmp(cls, "int"))
        return !strcmp(ty, "smallint") || !strcmp(ty, "integer") || !strcmp(ty, "bigint");
    if (!strcmp(cls, "number"))
        return col->category == 'N';
    if (!strcmp(cls, "bool"))
        return !strcmp(ty, "boolean");
    if (!strcmp(cls, "text"))
        return col->category == 'S';
    if (!strcmp(cls, "time"))
        return !strcmp(ty, "timestamp with time zone") || !strcmp(ty, "timestamp without time zone");
    if (!strcmp(cls, "inet"))
        return !strcmp(ty, "inet") || col->category == 'S';
    if (!strcmp(cls, "text[]"))
        return !strcmp(ty, "text[]") || !strcmp(ty, "character varying[]");
    if (!strcmp(cls, "jsonb"))
        return !strcmp(ty, "jsonb");
    return true;
}

static void add(struct contract_result *res, bool fatal, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(struct contract_result *res, bool fatal, const char *fix, const char *fmt, ...)
{
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < res->n; i++) /* two tables in one schema: one "may not use schema" finding */
        if (res->f[i].fatal == fatal && !strcmp(res->f[i].what, what))
            return;
    contract_result_add(res, fatal, fix, what);
}

/* The schema part of "schema.table". */
static void schema_of(const char *table, char *out, size_t outlen)
{
    const char *dot = strchr(table, '.');
    snprintf(out, outlen, "%.*s", dot ? (int)(dot - table) : (int)strlen(table), table);
}

/* A CREATE TABLE with the declared columns (what the job needs; the platform's owner adds the rest). */
static void create_table_ddl(const struct contract_table *t, const struct id_types *ids, char *out, size_t outlen)
{
    size_t len = (size_t)snprintf(out, outlen, "CREATE TABLE %s (", t->table);
    char name[NAME_MAX_LEN], cls[16];
    bool opt;
    for (int i = 0; contract_column(t->columns, i, name, sizeof name, cls, sizeof cls, &opt) && len < outlen; i++)
        len += (size_t)snprintf(out + len, outlen - len, "%s%s %s", i ? ", " : "", name, contract_ddl_type(cls, ids));
    if (len < outlen)
        snprintf(out + len, outlen - len, ");  -- the columns comicbatch uses; see db/platform/schema.sql%s",
                 t->flags & CONTRACT_PARTITIONED ? " (PARTITION BY RANGE (createdat))" : "");
}

static void check_columns(const struct contract_table *t, const struct cat_table *ct, const struct id_types *ids,
                          bool accel, struct contract_result *res)
{
    char name[NAME_MAX_LEN], cls[16], fix[512], note[300];
    bool opt;
    bool fatal = !(t->flags & CONTRACT_OPTIONAL);
    for (int i = 0; contract_column(t->columns, i, name, sizeof name, cls, sizeof cls, &opt); i++) {
        if (opt && accel)
            continue;
        const struct cat_column *col = catalog_column(ct, name);
        const char *want = contract_ddl_type(cls, ids);
        int k = id_kind_of(cls);
        if (!col) {
            snprintf(fix, sizeof fix,
                     "ALTER TABLE %s ADD COLUMN %s %s;  -- then apply `comicbatch grants ROLE` again: a new column has "
                     "none of the column privileges the old one had",
                     t->table, name, want);
            snprintf(note, sizeof note, " (without the accelerator, %s)", t->why ? t->why : "the job is slower");
            add(res, fatal && !opt, fix, "column %s.%s is missing%s", t->table, name, opt ? note : "");
        } else if (!contract_type_fits(cls, col, ids)) {
            snprintf(fix, sizeof fix, "ALTER TABLE %s ALTER COLUMN %s TYPE %s;", t->table, name, want);
            if (k >= 0)
                snprintf(note, sizeof note, "the %s id type (%s, like the %s table's id)",
                         idtypes_kind_name((enum id_kind)k), want, idtypes_kind_name((enum id_kind)k));
            else
                snprintf(note, sizeof note, "%s", want);
            add(res, fatal, fix, "column %s.%s is %s; comicbatch needs %s", t->table, name, col->type, note);
        }
    }
}

/* Each privilege token of `privs` as (priv, columns-or-NULL): "SELECT", "DELETE", "UPDATE(a,b)". */
static int priv_token(const char *privs, int i, char *priv, size_t privlen, char *cols, size_t colslen)
{
    char name[NAME_MAX_LEN], type[NAME_MAX_LEN];
    bool opt;
    if (!privs || !contract_column(privs, i, name, sizeof name, type, sizeof type, &opt))
        return 0;
    char *paren = strchr(name, '(');
    cols[0] = '\0';
    if (paren) {
        snprintf(cols, colslen, "%.*s", (int)strcspn(paren + 1, ")"), paren + 1);
        *paren = '\0';
    }
    snprintf(priv, privlen, "%.15s", name);
    return 1;
}

/* Calls fn(priv, column) for each column privilege and fn(priv, NULL) for each table privilege of `t` that applies
 * to the columns `ct` has (SELECT: the declared columns that exist; optional ones only without the accelerator). */
static void each_priv(const struct contract_table *t, const struct cat_table *ct, bool accel,
                      void (*fn)(const char *priv, const char *col, void *arg), void *arg)
{
    char priv[16], cols[256], name[NAME_MAX_LEN], cls[16];
    bool opt;
    for (int i = 0; priv_token(t->privs, i, priv, sizeof priv, cols, sizeof cols); i++) {
        if (!strcmp(priv, "SELECT")) {
            for (int j = 0; contract_column(t->columns, j, name, sizeof name, cls, sizeof cls, &opt); j++)
                if (catalog_column(ct, name) && !(opt && accel))
                    fn(priv, name, arg);
        } else if (cols[0]) {
            for (char *save = NULL, *c = strtok_r(cols, ",", &save); c; c = strtok_r(NULL, ",", &save))
                if (catalog_column(ct, c))
                    fn(priv, c, arg);
        } else {
            fn(priv, NULL, arg);
        }
    }
}

struct priv_walk {
    struct catalog *cat;      /* contract_want_privs */
    const struct catalog *ro; /* check_privs */
    const char *table;
    char missing[4][512]; /* per privilege kind below: the missing columns, or "*" for the table */
    char sequences[256];  /* serial sequences an INSERT needs and the role may not use */
};

static const char *const priv_kinds[4] = {"SELECT", "INSERT", "UPDATE", "DELETE"};

static int priv_index(const char *priv)
{
    for (int k = 0; k < 4; k++)
        if (!strcmp(priv, priv_kinds[k]))
            return k;
    return 3;
}

/* The serial sequences an INSERT into `ct` draws from (identity columns need no privilege). */
static void each_sequence(const struct cat_table *ct, void (*fn)(const char *seq, void *arg), void *arg)
{
    for (size_t i = 0; ct && i < ct->ncols; i++)
        if (ct->cols[i].sequence)
            fn(ct->cols[i].sequence, arg);
}

static void want_sequence(const char *seq, void *arg)
{
    struct priv_walk *w = arg;
    catalog_want_priv(w->cat, 'q', seq, NULL, "USAGE");
}

static void want_one(const char *priv, const char *col, void *arg)
{
    struct priv_walk *w = arg;
    catalog_want_priv(w->cat, col ? 'c' : 't', w->table, col, priv);
    if (!strcmp(priv, "INSERT"))
        each_sequence(catalog_table(w->cat, w->table), want_sequence, w);
}

static void check_sequence(const char *seq, void *arg)
{
    struct priv_walk *w = arg;
    if (!catalog_has_priv(w->ro, 'q', seq, NULL, "USAGE")) {
        size_t len = strlen(w->sequences);
        snprintf(w->sequences + len, sizeof w->sequences - len, "%s%s", len ? ", " : "", seq);
    }
}

static void check_one(const char *priv, const char *col, void *arg)
{
    struct priv_walk *w = arg;
    if (!strcmp(priv, "INSERT"))
        each_sequence(catalog_table(w->ro, w->table), check_sequence, w);
    if (catalog_has_priv(w->ro, col ? 'c' : 't', w->table, col, priv))
        return;
    char *m = w->missing[priv_index(priv)];
    size_t len = strlen(m);
    snprintf(m + len, 512 - len, "%s%s", len ? ", " : "", col ? col : "*");
}

static void check_privs(const struct contract_table *t, const struct cat_table *ct, const struct catalog *cat,
                        bool accel, struct contract_result *res)
{
    bool fatal = !(t->flags & CONTRACT_OPTIONAL);
    char schema[NAME_MAX_LEN], fix[800];
    schema_of(t->table, schema, sizeof schema);
    if (!catalog_has_priv(cat, 's', schema, NULL, "USAGE")) {
        snprintf(fix, sizeof fix, "GRANT USAGE ON SCHEMA %s TO %s;", schema, cat->role);
        add(res, fatal, fix, "role %s may not use schema %s", cat->role, schema);
        return;
    }
    struct priv_walk w = {.ro = cat, .table = t->table};
    each_priv(t, ct, accel, check_one, &w);
    if (w.sequences[0]) {
        snprintf(fix, sizeof fix, "GRANT USAGE ON SEQUENCE %s TO %s;", w.sequences, cat->role);
        add(res, fatal, fix, "role %s may not use sequence %s (the serial default of a column of %s it inserts into)",
            cat->role, w.sequences, t->table);
    }
    for (int k = 0; k < 4; k++) {
        if (!w.missing[k][0])
            continue;
        bool table = !strcmp(w.missing[k], "*");
        snprintf(fix, sizeof fix, "GRANT %s%s%s%s ON %s TO %s;", priv_kinds[k], table ? "" : " (",
                 table ? "" : w.missing[k], table ? "" : ")", t->table, cat->role);
        add(res, fatal, fix, "role %s lacks %s on %s%s%s%s", cat->role, priv_kinds[k], t->table, table ? "" : " (",
            table ? "" : w.missing[k], table ? "" : ")");
    }
}

void contract_want_privs(const struct contract *c, struct catalog *cat)
{
    for (const struct contract_table *t = c->tables; t && t->table; t++) {
        const struct cat_table *ct = catalog_table(cat, t->table);
        char schema[NAME_MAX_LEN];
        schema_of(t->table, schema, sizeof schema);
        catalog_want_priv(cat, 's', schema, NULL, "USAGE");
        if (!ct)
            continue;
        struct priv_walk w = {.cat = cat, .table = t->table};
        each_priv(t, ct, false, want_one, &w);
    }
}

/* True when some index of `ct` starts with the columns "a,b" (in that order). */
static bool has_index(const struct cat_table *ct, const char *columns)
{
    size_t n = strlen(columns);
    for (size_t i = 0; i < ct->nidx; i++) {
        const char *have = ct->idx[i].columns;
        if (!strncmp(have, columns, n) && (have[n] == '\0' || have[n] == ','))
            return true;
    }
    return false;
}

static void check_indexes(const struct contract *c, const struct catalog *cat, bool accel, struct contract_result *res)
{
    char fix[400];
    for (const struct contract_index *x = c->indexes; x && x->table; x++) {
        const struct cat_table *ct = catalog_table(cat, x->table);
        if (!ct || (x->without_accel && accel) || has_index(ct, x->columns))
            continue;
        snprintf(fix, sizeof fix, "CREATE INDEX CONCURRENTLY ON %s%s%s (%s);  -- as the table's owner", x->table,
                 x->method ? " USING " : "", x->method ? x->method : "", x->columns);
        add(res, false, fix, "no index on %s (%s): %s%s", x->table, x->columns, x->why,
            x->without_accel ? " (only without the accelerator)" : "");
    }
}

static void check_special(const struct contract *c, const struct catalog *cat, struct contract_result *res)
{
    char fix[600];
    if (c->temp && !cat->temp) {
        snprintf(fix, sizeof fix, "GRANT TEMPORARY ON DATABASE %s TO %s;", cat->database, cat->role);
        add(res, true, fix, "role %s may not create temporary tables in database %s", cat->role, cat->database);
    }
    for (const struct contract_table *t = c->tables; c->partitions && t && t->table; t++) {
        const struct cat_table *ct = catalog_table(cat, t->table);
        if (!ct || !(t->flags & CONTRACT_PARTITIONED) || ct->owner_rights || cat->superuser || cat->definer_fn)
            continue;
        snprintf(fix, sizeof fix,
                 "-- either install system.comicbatch_ensure_partition as %s (printed by `comicbatch grants %s`),\n"
                 "-- or make the role a member of the owner: GRANT %s TO %s;",
                 ct->owner, cat->role, ct->owner, cat->role);
        add(res, true, fix,
            "role %s may not create partitions of %s (only its owner %s may, or a SECURITY DEFINER "
            "function the owner installs)",
            cat->role, t->table, ct->owner);
    }
}

void contract_evaluate(const struct contract *c, const struct catalog *cat, const struct id_types *ids,
                       bool accel_installed, struct contract_result *res)
{
    char ddl[1024];
    for (const struct contract_table *t = c->tables; t && t->table; t++) {
        const struct cat_table *ct = catalog_table(cat, t->table);
        bool fatal = !(t->flags & CONTRACT_OPTIONAL);
        if (!ct) {
            create_table_ddl(t, ids, ddl, sizeof ddl);
            add(res, fatal, ddl, "table %s is missing%s%s", t->table, t->why ? ": " : "", t->why ? t->why : "");
            continue;
        }
        if ((t->flags & CONTRACT_PARTITIONED) && ct->relkind != 'p') {
            add(res, fatal, NULL, "%s is not a partitioned table (PARTITION BY RANGE (createdat))", t->table);
            continue;
        }
        check_columns(t, ct, ids, accel_installed, res);
        check_privs(t, ct, cat, accel_installed, res);
    }
    check_indexes(c, cat, accel_installed, res);
    check_special(c, cat, res);
}

void contract_each_table(const struct contract *c, void (*fn)(const struct contract_table *t, void *arg), void *arg)
{
    for (const struct contract_table *t = c ? c->tables : NULL; t && t->table; t++)
        fn(t, arg);
}

struct names {
    const char **v;
    size_t n;
};

static void add_name(const struct contract_table *t, void *arg)
{
    struct names *ns = arg;
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], t->table))
            return;
    ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof *ns->v);
    ns->v[ns->n++] = t->table;
}

void contract_enabled_jobs(PGconn *db, struct contract_jobs js, bool *enabled)
{
    size_t n = js.n;
    const struct contract_job *jobs = js.v;
    for (size_t i = 0; i < n; i++)
        enabled[i] = jobs[i].enabled || jobs[i].events;
    struct sched_row *rows = NULL;
    int nrows = schedstore_present(db) ? schedstore_list(db, false, &rows) : 0;
    for (int i = 0; i < nrows; i++)
        for (size_t j = 0; j < n; j++)
            if (!strcmp(rows[i].jobkey, jobs[j].key))
                enabled[j] = rows[i].isenabled || jobs[j].events;
    free(rows);
}

static int accel_index(const char *name)
{
    size_t n;
    const struct accel_def *a = accel_all(&n);
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(a[i].name, name))
            return (int)i;
    return -1;
}

static void evaluate_one(const struct contract *c, const struct catalog *cat, const struct config *cfg,
                         struct contract_report *rep, struct contract_result *res)
{
    int ai = c ? accel_index(c->accelerator) : -1;
    res->available = true;
    res->configured = true;
    res->accel = ai < 0 ? -1 : rep->accel[ai] == ACCEL_INSTALLED;
    if (c && cfg)
        contract_check_settings(c, cfg, res); /* first: the reason names what the operator must do first */
    if (c)
        contract_evaluate(c, cat, &rep->ids, res->accel == 1, res);
    size_t fatal = 0;
    for (size_t i = 0; i < res->n; i++)
        fatal += res->f[i].fatal;
    if (fatal > 1) {
        size_t len = strlen(res->reason);
        snprintf(res->reason + len, sizeof res->reason - len, " (and %zu more: see `comicbatch doctor`)", fatal - 1);
    }
}

/* Loads the snapshot of every table the jobs and features name, with the privilege answers. */
static int load_all(PGconn *db, const struct contract_job *jobs, size_t njobs, struct catalog *cat, char *err,
                    size_t errlen)
{
    struct names ns = {0};
    for (size_t i = 0; i < njobs; i++)
        contract_each_table(jobs[i].contract, add_name, &ns);
    for (const struct contract_feature *f = contract_features; f->name; f++)
        contract_each_table(&f->contract, add_name, &ns);
    int rc = catalog_load(db, ns.v, ns.n, NULL, cat, err, errlen);
    free(ns.v);
    if (rc)
        return -1;
    for (size_t i = 0; i < njobs; i++)
        if (jobs[i].contract)
            contract_want_privs(jobs[i].contract, cat);
    for (const struct contract_feature *f = contract_features; f->name; f++)
        contract_want_privs(&f->contract, cat);
    return catalog_load_privs(db, cat, err, errlen);
}

int contract_check_all(PGconn *db, struct contract_jobs js, const struct config *cfg, struct contract_report *rep,
                       char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    size_t njobs = js.n;
    const struct contract_job *jobs = js.v;
    struct catalog cat;
    if (idtypes_detect(db, &rep->ids, err, errlen) || accel_states(db, rep->accel, err, errlen) ||
        load_all(db, jobs, njobs, &cat, err, errlen)) {
        return -1;
    }
    snprintf(rep->role, sizeof rep->role, "%s", cat.role);
    snprintf(rep->database, sizeof rep->database, "%s", cat.database);
    rep->superuser = cat.superuser;
    struct migrate_status ms;
    rep->pending_migrations = migrate_status(db, &ms, err, errlen) ? -1 : ms.pending;
    rep->unknown_migrations = rep->pending_migrations < 0 ? 0 : ms.unknown;
    snprintf(rep->first_unknown_migration, sizeof rep->first_unknown_migration, "%s", ms.first_unknown);
    rep->njobs = njobs;
    rep->jobs = xcalloc(njobs, sizeof *rep->jobs);
    for (size_t i = 0; i < njobs; i++) {
        rep->jobs[i].name = jobs[i].key;
        evaluate_one(jobs[i].contract, &cat, cfg, rep, &rep->jobs[i]);
    }
    bool *enabled = xcalloc(njobs, sizeof *enabled);
    contract_enabled_jobs(db, js, enabled);
    for (size_t i = 0; i < njobs; i++)
        rep->jobs[i].enabled = enabled[i];
    free(enabled);
    for (const struct contract_feature *f = contract_features; f->name; f++)
        rep->nfeatures++;
    rep->features = xcalloc(rep->nfeatures, sizeof *rep->features);
    for (size_t i = 0; i < rep->nfeatures; i++) {
        struct contract_result *res = &rep->features[i];
        res->name = contract_features[i].name;
        res->consequence = contract_features[i].consequence;
        res->enabled = true;
        evaluate_one(&contract_features[i].contract, &cat, cfg, rep, res);
    }
    catalog_free(&cat);
    return 0;
}

const struct contract_result *contract_report_job(const struct contract_report *rep, const char *key)
{
    for (size_t i = 0; i < rep->njobs; i++)
        if (!strcmp(rep->jobs[i].name, key))
            return &rep->jobs[i];
    return NULL;
}

void contract_report_free(struct contract_report *rep)
{
    for (size_t i = 0; i < rep->njobs; i++)
        contract_result_finish(&rep->jobs[i]);
    for (size_t i = 0; i < rep->nfeatures; i++)
        contract_result_finish(&rep->features[i]);
    free(rep->jobs);
    free(rep->features);
    memset(rep, 0, sizeof *rep);
}

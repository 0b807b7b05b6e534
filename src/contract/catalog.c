/* catalog — see catalog.h. */
#include "contract/catalog.h"

#include <stdio.h>
#include <string.h>

#include "store/pg.h"
#include "util/xalloc.h"

/* $1 tables, $2 role: one row per column (a table without columns still gives one row). */
static const char TABLES_SQL[] =
    "SELECT n.nspname || '.' || c.relname, c.relkind, pg_get_userbyid(c.relowner),"
    " CASE WHEN $2::name IS NULL THEN false ELSE pg_has_role($2::name, c.relowner, 'USAGE') END,"
    " a.attname, format_type(a.atttypid, NULL), t.typcategory,"
    " CASE WHEN a.attidentity = '' AND EXISTS (SELECT 1 FROM pg_attrdef d WHERE d.adrelid = c.oid"
    "   AND d.adnum = a.attnum AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')"
    "   THEN pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) END"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " LEFT JOIN pg_type t ON t.oid = a.atttypid"
    " WHERE n.nspname || '.' || c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    " ORDER BY 1, a.attnum";

/* $1 tables: each index's leading key columns. */
static const char INDEXES_SQL[] =
    "SELECT n.nspname || '.' || c.relname, am.amname,"
    " array_to_string(ARRAY(SELECT coalesce(a.attname, '?') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)"
    "   LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.num"
    "   WHERE k.ord <= i.indnkeyatts ORDER BY k.ord), ',')"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam"
    " WHERE n.nspname || '.' || c.relname = ANY($1::text[]) AND i.indisvalid";

/* $1 role (NULL: current_user). */
static const char ROLE_SQL[] =
    "WITH r AS (SELECT coalesce($1::name, current_user) AS n)"
    " SELECT r.n, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.n),"
    " coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = r.n), false),"
    " CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.n)"
    "   THEN has_database_privilege(r.n, current_database(), 'TEMPORARY') ELSE false END,"
    /* by oid, not to_regprocedure: a role without USAGE on schema system gets a finding, not an error */
    " coalesce((SELECT has_function_privilege(r.n, p.oid, 'EXECUTE') FROM pg_proc p"
    "   JOIN pg_namespace s ON s.oid = p.pronamespace WHERE s.nspname = 'system'"
    "   AND p.proname = 'comicbatch_ensure_partition' AND p.pronargs = 2"
    "   AND p.proargtypes[0] = 'regclass'::regtype AND p.proargtypes[1] = 'date'::regtype"
    "   AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.n)), false),"
    " current_database()"
    " FROM r";

/* Queued questions as parallel arrays: $1 role, $2 kinds, $3 objects, $4 columns, $5 privileges. */
static const char PRIVS_SQL[] =
    /* Objects by oid, not by name: a name is resolved as the connected role, which needs USAGE on the schema —
     * a role without it gets its findings instead of an error. A missing object is "no privilege". */
    "SELECT CASE WHEN x.k = 's' THEN coalesce((SELECT has_schema_privilege($1::name, n.oid, x.p)"
    "    FROM pg_namespace n WHERE n.nspname = x.o), false)"
    "  ELSE coalesce((SELECT CASE WHEN x.k = 't' THEN has_table_privilege($1::name, c.oid, x.p)"
    "    WHEN x.k = 'q' THEN has_sequence_privilege($1::name, c.oid, x.p)"
    "    ELSE has_column_privilege($1::name, c.oid, x.c, x.p) END"
    "    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "    WHERE n.nspname = (parse_ident(x.o))[1] AND c.relname = (parse_ident(x.o))[2]), false) END"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(k, o, c, p, i) ORDER BY x.i";

struct cat_table *catalog_add_table(struct catalog *cat, const char *name, char relkind, const char *owner)
{
    cat->t = xrealloc(cat->t, (cat->n + 1) * sizeof *cat->t);
    struct cat_table *t = &cat->t[cat->n++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->relkind = relkind;
    t->owner = xstrdup(owner);
    return t;
}

void catalog_add_column(struct cat_table *t, const char *name, const char *type, char category, const char *sequence)
{
    t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof *t->cols);
    t->cols[t->ncols++] = (struct cat_column){xstrdup(name), xstrdup(type), category,
                                              sequence ? xstrdup(sequence) : NULL};
}

void catalog_add_index(struct cat_table *t, const char *columns, const char *method)
{
    t->idx = xrealloc(t->idx, (t->nidx + 1) * sizeof *t->idx);
    t->idx[t->nidx++] = (struct cat_index){xstrdup(columns), xstrdup(method)};
}

const struct cat_table *catalog_table(const struct catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n; i++)
        if (!strcmp(cat->t[i].name, name))
            return &cat->t[i];
    return NULL;
}

const struct cat_column *catalog_column(const struct cat_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name))
            return &t->cols[i];
    return NULL;
}

/* names as a Postgres text[] literal ("{a.b,c.d}"; table names here are plain identifiers). */
static char *names_literal(const char *const *names, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += strlen(names[i]) + 3;
    char *s = xmalloc(cap);
    size_t len = (size_t)snprintf(s, cap, "{");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s\"%s\"", i ? "," : "", names[i]);
    snprintf(s + len, cap - len, "}");
    return s;
}

static int load_tables(PGconn *db, const char *lit, struct catalog *cat, char *err, size_t errlen)
{
    const char *p[] = {lit, cat->role_exists ? cat->role : NULL};
    PGresult *r = pg_query(db, "catalog.tables", TABLES_SQL, 2, p, NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read the catalog: %s", PQerrorMessage(db));
        return -1;
    }
    struct cat_table *t = NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        if (!t || strcmp(t->name, PQgetvalue(r, i, 0))) {
            t = catalog_add_table(cat, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)[0], PQgetvalue(r, i, 2));
            t->owner_rights = pg_bool(r, i, 3);
        }
        if (pg_val(r, i, 4))
            catalog_add_column(t, PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6)[0], pg_val(r, i, 7));
    }
    PQclear(r);
    return 0;
}

static int load_indexes(PGconn *db, const char *lit, struct catalog *cat, char *err, size_t errlen)
{
    const char *p[] = {lit};
    PGresult *r = pg_query(db, "catalog.indexes", INDEXES_SQL, 1, p, NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read the indexes from the catalog: %s", PQerrorMessage(db));
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        struct cat_table *t = (struct cat_table *)catalog_table(cat, PQgetvalue(r, i, 0));
        if (t)
            catalog_add_index(t, PQgetvalue(r, i, 2), PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return 0;
}

static int load_role(PGconn *db, struct catalog *cat, char *err, size_t errlen)
{
    const char *p[] = {cat->role};
    PGresult *r = pg_query(db, "catalog.role", ROLE_SQL, 1, p, NULL);
    if (!r) {
        snprintf(err, errlen, "cannot read the role's facts: %s", PQerrorMessage(db));
        return -1;
    }
    free(cat->role);
    cat->role = xstrdup(PQgetvalue(r, 0, 0));
    cat->role_exists = pg_bool(r, 0, 1);
    cat->superuser = pg_bool(r, 0, 2);
    cat->temp = pg_bool(r, 0, 3);
    cat->definer_fn = pg_bool(r, 0, 4);
    cat->database = xstrdup(PQgetvalue(r, 0, 5));
    PQclear(r);
    return 0;
}

int catalog_load(PGconn *db, const char *const *names, size_t n, const char *role, struct catalog *cat, char *err,
                 size_t errlen)
{
    memset(cat, 0, sizeof *cat);
    cat->role = role ? xstrdup(role) : NULL;
    if (load_role(db, cat, err, errlen))
        return -1;
    char *lit = names_literal(names, n);
    int rc = load_tables(db, lit, cat, err, errlen) || load_indexes(db, lit, cat, err, errlen) ? -1 : 0;
    free(lit);
    return rc;
}

static struct cat_priv *find_priv(const struct catalog *cat, char kind, const char *obj, const char *col,
                                  const char *priv)
{
    for (size_t i = 0; i < cat->np; i++) {
        struct cat_priv *p = &cat->p[i];
        if (p->kind == kind && !strcmp(p->obj, obj) && !strcmp(p->priv, priv) &&
            !strcmp(p->col ? p->col : "", col ? col : ""))
            return p;
    }
    return NULL;
}

void catalog_want_priv(struct catalog *cat, char kind, const char *obj, const char *col, const char *priv)
{
    if (find_priv(cat, kind, obj, col, priv))
        return;
    cat->p = xrealloc(cat->p, (cat->np + 1) * sizeof *cat->p);
    cat->p[cat->np++] = (struct cat_priv){kind, xstrdup(obj), col ? xstrdup(col) : NULL, xstrdup(priv), false};
}

bool catalog_has_priv(const struct catalog *cat, char kind, const char *obj, const char *col, const char *priv)
{
    const struct cat_priv *p = find_priv(cat, kind, obj, col, priv);
    return p && p->has;
}

/* One of the parallel array literals of PRIVS_SQL: field 0 kind, 1 obj, 2 col, 3 priv. */
static char *priv_array(const struct catalog *cat, int field)
{
    size_t cap = 3;
    for (size_t i = 0; i < cat->np; i++)
        cap += 8 + (field == 1                    ? strlen(cat->p[i].obj)
                    : field == 2 && cat->p[i].col ? strlen(cat->p[i].col)
                    : field == 3                  ? strlen(cat->p[i].priv)
                                                  : 1);
    char *s = xmalloc(cap);
    size_t len = (size_t)snprintf(s, cap, "{");
    for (size_t i = 0; i < cat->np; i++) {
        const struct cat_priv *p = &cat->p[i];
        char kind[2] = {p->kind, 0};
        const char *v = field == 0 ? kind : field == 1 ? p->obj : field == 2 ? (p->col ? p->col : "") : p->priv;
        len += (size_t)snprintf(s + len, cap - len, "%s\"%s\"", i ? "," : "", v);
    }
    snprintf(s + len, cap - len, "}");
    return s;
}

int catalog_load_privs(PGconn *db, struct catalog *cat, char *err, size_t errlen)
{
    if (cat->np == 0 || !cat->role_exists)
        return 0;
    char *a[4];
    for (int f = 0; f < 4; f++)
        a[f] = priv_array(cat, f);
    const char *p[] = {cat->role, a[0], a[1], a[2], a[3]};
    PGresult *r = pg_query(db, "catalog.privileges", PRIVS_SQL, 5, p, NULL);
    for (int f = 0; f < 4; f++)
        free(a[f]);
    if (!r) {
        snprintf(err, errlen, "cannot check the role's privileges: %s", PQerrorMessage(db));
        return -1;
    }
    for (int i = 0; i < PQntuples(r) && (size_t)i < cat->np; i++)
        cat->p[i].has = pg_bool(r, i, 0);
    PQclear(r);
    return 0;
}

void catalog_free(struct catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++) {
        struct cat_table *t = &cat->t[i];
        for (size_t j = 0; j < t->ncols; j++) {
            free(t->cols[j].name);
            free(t->cols[j].type);
            free(t->cols[j].sequence);
        }
        for (size_t j = 0; j < t->nidx; j++) {
            free(t->idx[j].columns);
            free(t->idx[j].method);
        }
        free(t->cols);
        free(t->idx);
        free(t->name);
        free(t->owner);
    }
    for (size_t i = 0; i < cat->np; i++) {
        free(cat->p[i].obj);
        free(cat->p[i].col);
        free(cat->p[i].priv);
    }
    free(cat->t);
    free(cat->p);
    free(cat->role);
    free(cat->database);
    memset(cat, 0, sizeof *cat);
}

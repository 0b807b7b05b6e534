/*
 * catalog — a snapshot of what the database says about the tables the contracts name: whether each exists, its
 * kind and owner, its columns and their types, its indexes' leading columns, and the answers to the privilege
 * questions the checker asks for one role. Loaded in four queries whatever the number of jobs, so `serve` can check
 * every contract at start cheaply (a few milliseconds). Pure data once loaded: contract/check.c evaluates it, and
 * the unit tests build one by hand.
 */
#ifndef COMICBATCH_CATALOG_H
#define COMICBATCH_CATALOG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct cat_column {
    char *name;
    char *type;     /* format_type(), e.g. "bigint", "timestamp with time zone", "text[]" */
    char category;  /* pg_type.typcategory: N numeric, S string, D date/time, B bool, U user (uuid), I inet, A array */
    char *sequence; /* a serial column's sequence (an INSERT needs USAGE on it; identity columns need nothing) */
};

struct cat_index {
    char *columns; /* leading key columns, comma-separated ("?" for an expression) */
    char *method;  /* btree, brin, … */
};

struct cat_table {
    char *name;   /* schema.table */
    char relkind; /* r table, p partitioned table, v view, … */
    char *owner;
    bool owner_rights; /* the role is the owner or a member of the owning role */
    struct cat_column *cols;
    size_t ncols;
    struct cat_index *idx;
    size_t nidx;
};

/** One privilege question: kind 's' schema USAGE, 't' table privilege, 'c' column privilege, 'q' sequence. */
struct cat_priv {
    char kind;
    char *obj, *col, *priv;
    bool has;
};

struct catalog {
    char *role; /* whose privileges were asked */
    bool role_exists;
    bool superuser;
    bool temp;       /* TEMPORARY on the database */
    bool definer_fn; /* system.comicbatch_ensure_partition exists and the role may execute it */
    char *database;
    struct cat_table *t;
    size_t n;
    struct cat_priv *p;
    size_t np;
};

/**
 * Loads tables `names[0..n)` (absent ones are simply not in the snapshot) and the facts about `role` (NULL: the
 * connected role). Returns 0, or -1 with `err`. Free with catalog_free.
 */
int catalog_load(PGconn *db, const char *const *names, size_t n, const char *role, struct catalog *cat, char *err,
                 size_t errlen);

/** Asks the privilege questions queued with catalog_want_priv in one query. Returns 0 or -1 with `err`. */
int catalog_load_privs(PGconn *db, struct catalog *cat, char *err, size_t errlen);

/** Queues a privilege question (no-op when already queued). `col` is NULL for kinds 's' and 't'. */
void catalog_want_priv(struct catalog *cat, char kind, const char *obj, const char *col, const char *priv);

/** The answer to a queued question after catalog_load_privs (false when it was never asked). */
bool catalog_has_priv(const struct catalog *cat, char kind, const char *obj, const char *col, const char *priv);

/** The table `name`, or NULL. */
const struct cat_table *catalog_table(const struct catalog *cat, const char *name);

/** The column `name` of `t`, or NULL. */
const struct cat_column *catalog_column(const struct cat_table *t, const char *name);

/** Adds a table to a hand-built snapshot (unit tests); returns it for catalog_add_column/_index. */
struct cat_table *catalog_add_table(struct catalog *cat, const char *name, char relkind, const char *owner);

/** Adds a column to a hand-built table (`sequence`: its serial sequence, or NULL). */
void catalog_add_column(struct cat_table *t, const char *name, const char *type, char category, const char *sequence);

/** Adds an index (leading columns "a,b") to a hand-built table. */
void catalog_add_index(struct cat_table *t, const char *columns, const char *method);

/** Frees everything the snapshot holds (the struct itself is the caller's). */
void catalog_free(struct catalog *cat);

#endif

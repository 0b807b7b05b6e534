/*
 * migrate — applies the embedded db/migrations/NNN_*.sql files once each, in name order, each in its own
 * transaction, recording name + SHA-256 in system.schema_migrations. A session advisory lock serialises
 * concurrent migrators (two instances starting together). A recorded migration whose text changed is an error.
 */
#ifndef COMICBATCH_MIGRATE_H
#define COMICBATCH_MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/** Applies pending migrations on `c`. Returns the number applied (>= 0) or -1 with `err`. */
int migrate_apply(PGconn *c, char *err, size_t errlen);

/** How the database's recorded migrations compare with this build's. */
struct migrate_status {
    int pending; /* embedded migrations not recorded yet (all of them before the first migrate) */
    int unknown; /* recorded migrations this build does not have: the database was made by a newer build */
    char first_unknown[128];
};

/** Compares the migrations recorded on `c` with this build's into `st`. 0, or -1 with `err`. */
int migrate_status(PGconn *c, struct migrate_status *st, char *err, size_t errlen);

/**
 * Whether this build may serve on `c`'s database: 0 when every migration it has is applied and none it lacks is;
 * else -1 with a sentence saying what to do (run `comicbatch migrate`, or run the newer build).
 */
int migrate_check_current(PGconn *c, char *err, size_t errlen);

/** True when the database on `c` has been migrated (system.schema_migrations is readable): /readyz's check. */
bool migrate_done(PGconn *c);

#endif

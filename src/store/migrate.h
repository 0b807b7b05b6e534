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

/** Counts the embedded migrations not yet recorded on `c` (all of them before the first migrate). -1 with `err`. */
int migrate_pending(PGconn *c, char *err, size_t errlen);

/** True when the database on `c` has been migrated (system.schema_migrations is readable): /readyz's check. */
bool migrate_done(PGconn *c);

#endif

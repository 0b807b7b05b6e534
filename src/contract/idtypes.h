/*
 * idtypes — the types of the platform's ids. Comics, chapters, scanlation groups and users may be identified by
 * uuid or by an integer type (DESIGN §1); comicbatch reads which from the catalog (the type of core.comic.id,
 * core.chapter.id, core.scanlationgroup.id, users.account.id) and writes its SQL for it.
 *
 * SQL templates: a job's SQL names an id type as {comic}, {chapter}, {group} or {user} (`$1::{comic}[]`), and
 * idtypes_sql() puts the detected type name there. This is the one place where comicbatch splices text into SQL,
 * and what it splices is one of four fixed type names (IDTYPE_NAMES), never input: a column whose type is anything
 * else makes the job's contract fail before any of its SQL runs.
 */
#ifndef COMICBATCH_IDTYPES_H
#define COMICBATCH_IDTYPES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

enum id_kind { ID_COMIC, ID_CHAPTER, ID_GROUP, ID_USER, ID_KINDS };

/** The type names an id column may have ("uuid", "bigint", "integer", "smallint"). */
#define IDTYPE_NAMES "uuid bigint integer smallint"

struct id_types {
    char name[ID_KINDS][16]; /* "uuid", "bigint", "integer" or "smallint" */
    bool found[ID_KINDS];    /* read from the catalog (false: the table is missing; the default is shown) */
};

/** The defaults (the shape of db/platform/schema.sql): bigint comics, chapters and groups; uuid users. */
void idtypes_default(struct id_types *t);

/** The kind's placeholder word ("comic", "chapter", "group", "user"). */
const char *idtypes_kind_name(enum id_kind k);

/** True when `type` (a format_type() name) is one of IDTYPE_NAMES. */
bool idtypes_allowed(const char *type);

/** True when `a` and `b` compare without a cast: both uuid, or both integer types. */
bool idtypes_same_family(const char *a, const char *b);

/**
 * Reads the four id types from the catalog of `db` (one query); a kind whose table or id column is missing keeps
 * its default and found = false. Returns 0, or -1 with `err`.
 */
int idtypes_detect(PGconn *db, struct id_types *t, char *err, size_t errlen);

/** `tmpl` with {comic}, {chapter}, {group} and {user} replaced by the types of `t`; malloc'd, free() it. */
char *idtypes_sql(const struct id_types *t, const char *tmpl);

/** The largest id of an integer id type: smallint 32767, integer 2147483647, bigint 9223372036854775807. */
long long idtypes_int_max(const char *type);

/**
 * Checks an id given by a client (a run's param) against the kind's type: an integer type takes a positive
 * integer, uuid a canonical UUID (any case). Writes the normalised text (digits without leading zeros; lowercase
 * uuid) into `out` and returns 0, or returns -1.
 */
int idtypes_normalise(const struct id_types *t, enum id_kind k, const char *in, char *out, size_t outlen);

#endif

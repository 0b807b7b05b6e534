/*
 * contract — what a job needs from the platform's database, declared in code next to the job (DESIGN §1, §4): the
 * tables and columns it reads and writes with the types it can work with, the privileges its role needs on them,
 * and the indexes that keep it fast. `comicbatch doctor` and `serve` check a database against these declarations
 * (contract/check.h), `comicbatch grants ROLE` prints the GRANTs they imply (contract/grants.h).
 *
 * Vocabulary:
 *   need        — one table of a contract: its columns ("name:type", "name?:type" when only the trigger-less mode
 *                 needs it) and the privileges on it ("SELECT UPDATE(hasnew) DELETE"; SELECT covers the declared
 *                 columns, column-level, so a grant never exposes more than the job reads).
 *   type        — a class of column types: `comic`, `chapter`, `group`, `user` (an id: uuid or an integer type, the
 *                 same family as the referenced table's id, see contract/idtypes.h), `int`, `number`, `bool`,
 *                 `text`, `time` (timestamptz or timestamp), `inet` (inet or text), `text[]`, `jsonb`, `any`.
 *   recommended — an index whose absence makes the job slow, never wrong: reported, not fatal.
 *   fatal       — a missing table, column, privilege or an incompatible type: the job cannot run ("unavailable").
 *   setting     — a configuration setting the job cannot run without (`[provider.NAME] dump`): when it is not set the
 *                 job is "not configured", unavailable like a job whose contract fails, but `doctor` does not count
 *                 it as a failure (an optional feature nobody set up is not a broken database).
 * A job declares no comicbatch-owned object (system.batch*, jobstate, metadata): `comicbatch migrate` makes those,
 * owned by the role that runs it.
 */
#ifndef COMICBATCH_CONTRACT_H
#define COMICBATCH_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>

/** The table is a range-partitioned parent whose monthly partitions the job creates. */
#define CONTRACT_PARTITIONED 1u
/** The job works without this table (a feature degrades; the finding is a warning). */
#define CONTRACT_OPTIONAL 2u

/** One table a job uses. Arrays of these end with an entry whose `table` is NULL. */
struct contract_table {
    const char *table;   /* "schema.name" */
    const char *columns; /* space-separated "name:type" or "name?:type" (needed only without the accelerator) */
    const char *privs;   /* space-separated SELECT | INSERT | DELETE | UPDATE(col,…); SELECT = the columns above */
    unsigned flags;      /* CONTRACT_* */
    const char *why;     /* shown when something about this table is missing (what the job does with it) */
};

/** One index that keeps a job fast. Arrays of these end with an entry whose `table` is NULL. */
struct contract_index {
    const char *table;
    const char *columns; /* comma-separated leading key columns, in order: "comicid,id" */
    const char *why;
    bool without_accel; /* needed only when the job's accelerator is not installed */
    const char *method; /* index method to suggest ("brin"); NULL: btree */
};

/** One setting a job needs. Arrays of these end with an entry whose `section` is NULL. */
struct contract_setting {
    const char *section; /* "metadata", …, or "provider.NAME": the active provider's section ([metadata] provider) */
    const char *key;     /* "dump": a key of that section in src/config_keys.c */
    const char *why;     /* what the job does with it: "the JSON-lines dump it imports" */
};

/** What one job (or one daemon feature) needs. */
struct contract {
    const struct contract_table *tables;
    const struct contract_setting *settings; /* may be NULL */
    const struct contract_index *indexes;    /* may be NULL */
    const char *accelerator;                 /* the accelerator that speeds this job up (contract/accel.h), or NULL */
    bool temp;                               /* creates temporary tables (TEMPORARY on the database) */
    bool partitions;                         /* creates partitions of its CONTRACT_PARTITIONED tables */
};

/** The daemon's own needs outside any job (sign-in by session, audit log, alerts, covers by comic id). */
struct contract_feature {
    const char *name;        /* "session sign-in" */
    const char *consequence; /* what stops working when it fails */
    struct contract contract;
};

/** The daemon's features, terminated by an entry whose `name` is NULL (defined in contract/features.c). */
extern const struct contract_feature contract_features[];

/** One job as the checks see it; the caller builds the list from the job registry (jobs/registry.h). */
struct contract_job {
    const char *key;                 /* static */
    const struct contract *contract; /* NULL: needs nothing of the platform's */
    bool enabled;                    /* scheduled by default */
    bool events;                     /* runs on events whatever its schedule says */
};

/** The jobs to check, in registry order (borrowed, static). */
struct contract_jobs {
    const struct contract_job *v;
    size_t n;
};

#endif

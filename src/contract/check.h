/*
 * check — a database (and the configuration) against the contracts (contract/contract.h): which jobs and daemon
 * features can run, and in plain words what is missing or mismatched with the DDL, GRANT or INI lines that would fix
 * it. `comicbatch doctor` prints the report (contract/doctor.h); `serve` keeps the availability (contract_check_all at
 * start: five catalog queries, milliseconds), shows an unavailable job with its reason, does not schedule it and
 * refuses its triggers. A job whose only fatal findings are settings is "not configured" (contract_result.configured
 * false): unavailable all the same, but doctor does not count it as a failure.
 */
#ifndef COMICBATCH_CHECK_H
#define COMICBATCH_CHECK_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "contract/accel.h"
#include "contract/catalog.h"
#include "contract/contract.h"
#include "contract/idtypes.h"

struct config;

struct contract_finding {
    bool fatal;   /* the job cannot run; otherwise it runs, slower or with a feature missing */
    bool setting; /* a missing setting (contract_setting), not something of the database's */
    char *what;   /* plain words: "column library.entry.hasnew is missing" */
    char *fix;    /* the DDL, GRANT or INI lines that would fix it, or NULL */
};

struct contract_result {
    const char *name;        /* job key or feature name (borrowed, static) */
    const char *consequence; /* features: what stops working (static), NULL for jobs */
    bool enabled;            /* jobs: scheduled or event-driven; features: always */
    bool available;          /* no fatal finding */
    bool configured;         /* every setting the contract names is set (else a fatal `setting` finding says which) */
    int accel;               /* the job's accelerator: -1 none, 0 not installed, 1 installed */
    char reason[600];        /* unavailable: the first fatal finding (and how many more); "" otherwise */
    struct contract_finding *f;
    size_t n;
};

struct contract_report {
    struct id_types ids;
    char role[64], database[64];
    bool superuser;
    int pending_migrations; /* -1: unknown */
    int unknown_migrations; /* recorded ones this build lacks (a newer build migrated the database) */
    char first_unknown_migration[128];
    enum accel_state accel[ACCEL_MAX]; /* accel_all() order */
    struct contract_result *jobs;      /* registry order */
    size_t njobs;
    struct contract_result *features; /* contract_features order */
    size_t nfeatures;
};

/**
 * Checks every job of `jobs` (the registry's, registry_contract_jobs) and every daemon feature against the connected
 * database, for the connected role, and the settings the jobs need against `cfg` (borrowed; NULL: settings are not
 * checked). Returns 0 with `rep` filled (free with contract_report_free), or -1 with `err` when the catalog cannot be
 * read.
 */
int contract_check_all(PGconn *db, struct contract_jobs jobs, const struct config *cfg, struct contract_report *rep,
                       char *err, size_t errlen);

/**
 * Fills enabled[i] for jobs.v[i]: scheduled (system.batchschedule's isenabled once migrated, else the
 * registry's default) or event-driven.
 */
void contract_enabled_jobs(PGconn *db, struct contract_jobs jobs, bool *enabled);

/** The result for job `key` in `rep`, or NULL. */
const struct contract_result *contract_report_job(const struct contract_report *rep, const char *key);

/** Frees what contract_check_all filled. */
void contract_report_free(struct contract_report *rep);

/**
 * Evaluates one contract on a loaded snapshot (pure: unit-tested with hand-built catalogs). Privilege questions must
 * have been queued with contract_want_privs and answered. `accel_installed`: the contract's accelerator is
 * installed. Findings are appended to `res`.
 */
void contract_evaluate(const struct contract *c, const struct catalog *cat, const struct id_types *ids,
                       bool accel_installed, struct contract_result *res);

/**
 * Evaluates the settings `c` names against `cfg` (pure: unit-tested with hand-built configs): each one that is not
 * set appends a fatal `setting` finding naming the section and key, with the INI lines to add as its fix, and clears
 * res->configured.
 */
void contract_check_settings(const struct contract *c, const struct config *cfg, struct contract_result *res);

/** True when every setting `c` (may be NULL) names is set in `cfg`. */
bool contract_configured(const struct contract *c, const struct config *cfg);

/**
 * Appends the finding `what` to `res` (`fix` may be NULL; both are copied). A fatal one makes the result
 * unavailable; the first fatal one becomes its reason. Returns the finding (valid until the next append).
 */
struct contract_finding *contract_result_add(struct contract_result *res, bool fatal, const char *fix,
                                             const char *what);

/** Queues on `cat` the privilege questions contract_evaluate will ask about `c`. */
void contract_want_privs(const struct contract *c, struct catalog *cat);

/** Frees a result's findings (the struct itself is the caller's). */
void contract_result_finish(struct contract_result *res);

/** Calls fn for each table a contract names (several times when several contracts do). */
void contract_each_table(const struct contract *c, void (*fn)(const struct contract_table *t, void *arg), void *arg);

/**
 * Splits a contract's column list: for the i-th column (from 0) writes its name and type class into `name` and
 * `type` and whether it is optional ("name?:type"). Returns 1, or 0 past the last column.
 */
int contract_column(const char *columns, int i, char *name, size_t namelen, char *type, size_t typelen, bool *optional);

/** The column type to suggest in DDL for a type class ("comic" → the comic id type, "time" → timestamptz). */
const char *contract_ddl_type(const char *cls, const struct id_types *ids);

/** True when a catalog column fits type class `cls` (ids: same family as the referenced table's id). */
bool contract_type_fits(const char *cls, const struct cat_column *col, const struct id_types *ids);

#endif

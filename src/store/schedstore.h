/*
 * schedstore — system.batchschedule, one row per job: the operator's cron override (NULL = the job's default),
 * whether it is enabled, the stored next slot (`nextrunat`, DESIGN §3 misfires) and the misfire override. The only
 * place its SQL lives; a row's trigger NOTIFYs comicbatch_schedule on every change (hot reload in every instance).
 */
#ifndef COMICBATCH_SCHEDSTORE_H
#define COMICBATCH_SCHEDSTORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "sched/cron.h"

/** One stored schedule row. */
struct sched_row {
    char jobkey[128];
    bool has_cron;                 /* false: the job's default expression applies */
    char cron[CRON_MAX_EXPR + 1];
    bool isenabled;
    time_t nextrunat;              /* 0: none stored */
    char misfire[8];               /* "skip" | "once" | "" (the job's default) */
};

/** Inserts the row for `jobkey` if it has none (enabled as given). Returns 0 or -1. */
int schedstore_seed(PGconn *c, const char *jobkey, bool enabled);

/** Every row (only the enabled ones when `enabled_only`) into a malloc'd array (caller frees). Count, or -1. */
int schedstore_list(PGconn *c, bool enabled_only, struct sched_row **rows);

/** Reads `jobkey`'s row into `out`. Returns 1 found, 0 none, -1 error. */
int schedstore_get(PGconn *c, const char *jobkey, struct sched_row *out);

/** schedstore_get with FOR UPDATE: call inside a transaction that will update the row. */
int schedstore_lock(PGconn *c, const char *jobkey, struct sched_row *out);

/** The change a PATCH makes: NULL / -1 leave a field as it is. */
struct sched_update {
    const char *cron;     /* new override; NULL unchanged */
    int isenabled;        /* 0/1, -1 unchanged */
    time_t nextrunat;     /* the new stored slot; 0 = none */
    const char *updatedby;
};

/** Applies `u` to `jobkey`'s row. Returns 1 updated, 0 no such row, -1 error. */
int schedstore_update(PGconn *c, const char *jobkey, const struct sched_update *u);

/** Stores the first slot of an enabled job that has none. Returns 0 or -1. */
int schedstore_set_first(PGconn *c, const char *jobkey, time_t first);

/**
 * Moves an enabled job's nextrunat from `old` to `next` (0 = never again) if it is still `old` (compare-and-set:
 * a concurrent edit wins). Returns 1 moved, 0 not (changed meanwhile), -1 error.
 */
int schedstore_advance(PGconn *c, const char *jobkey, time_t old, time_t next);

#endif

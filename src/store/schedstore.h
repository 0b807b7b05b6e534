/*
 * schedstore — system.batchschedule, one row per job: the operator's cron override (NULL = the job's default; a
 * time zone is part of the expression, `CRON_TZ=Area/City …`), whether it is enabled, the stored next slot
 * (`nextrunat`, DESIGN §3 misfires), the misfire override, and the per-job settings the schedule API sets beside
 * the cron: the params scheduled runs use, retries (max attempts, first backoff), the deadline and its
 * once-per-breach alert mark, and the next slot of an operator-disabled job (recorded as missed when it passes).
 * The only place its SQL lives; a row's trigger NOTIFYs comicbatch_schedule on every change (hot reload in every
 * instance).
 */
#ifndef COMICBATCH_SCHEDSTORE_H
#define COMICBATCH_SCHEDSTORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/** Longest params object a schedule row carries (its compact JSON text, bytes). */
#define SCHED_PARAMS_MAX 4096

/** The longest stored cron override a row holds (sched/cron.h CRON_MAX_EXPR; checked in sched/tick.c). */
#define SCHEDSTORE_CRON_MAX 256

/** One stored schedule row. */
struct sched_row {
    char jobkey[128];
    bool has_cron; /* false: the job's default expression applies */
    char cron[SCHEDSTORE_CRON_MAX + 1];
    bool isenabled;
    time_t nextrunat;                  /* 0: none stored */
    char misfire[8];                   /* "skip" | "once" | "" (the job's default) */
    char params[SCHED_PARAMS_MAX + 1]; /* JSON object text of the scheduled runs' params; "" = the job's defaults */
    int maxattempts;                   /* 0: the job's default */
    int64_t retrydelay_ms;             /* 0: the job's default */
    int64_t deadline_ms;               /* -1: the job's default; 0: off */
    time_t expectedsince;              /* since when the job is expected to succeed */
    time_t deadlinealerted;            /* the breach already alerted (its reference time), 0: none */
    time_t disablednext;               /* operator-disabled job: its next slot to record as missed; 0: none */
    char updatedby[96];                /* who last changed the row through the API or CLI; "" = nobody */
};

/** Inserts the row for `jobkey` if it has none (enabled as given). Returns 0 or -1. */
int schedstore_seed(PGconn *c, const char *jobkey, bool enabled);

/** Whether system.batchschedule exists (false on a database `migrate` has not reached, and on error). */
bool schedstore_present(PGconn *c);

/** Every row (only the enabled ones when `enabled_only`) into a malloc'd array (caller frees). Count, or -1. */
int schedstore_list(PGconn *c, bool enabled_only, struct sched_row **rows);

/** Reads `jobkey`'s row into `out`. Returns 1 found, 0 none, -1 error. */
int schedstore_get(PGconn *c, const char *jobkey, struct sched_row *out);

/** schedstore_get with FOR UPDATE: call inside a transaction that will update the row. */
int schedstore_lock(PGconn *c, const char *jobkey, struct sched_row *out);

/** Field values of struct sched_update that leave a column as it is. */
#define SCHED_KEEP (-2)

/** The change a PATCH makes. NULL / SCHED_KEEP leave a field as it is. */
struct sched_update {
    const char *cron;      /* new override; NULL unchanged */
    int isenabled;         /* 0/1, -1 unchanged */
    time_t nextrunat;      /* the new stored slot; 0 = none */
    time_t disablednext;   /* the new disabled-slot mark; 0 = none */
    bool set_params;       /* write `params` (NULL clears: the job's defaults) */
    const char *params;    /* compact JSON object text */
    int maxattempts;       /* SCHED_KEEP, 0 clear (default), 1..20 */
    int64_t retrydelay_ms; /* SCHED_KEEP, 0 clear (default), > 0 */
    int64_t deadline_ms;   /* SCHED_KEEP, -1 clear (default), 0 off, > 0 */
    bool expect_from_now;  /* restart expectedsince (enabled again, deadline changed) and forget the alert mark */
    const char *updatedby;
};

/** Applies `u` to `jobkey`'s row. Returns 1 updated, 0 no such row, -1 error. */
int schedstore_update(PGconn *c, const char *jobkey, const struct sched_update *u);

/** Stores the first slot of an enabled job that has none. Returns 0 or -1. */
int schedstore_set_first(PGconn *c, const char *jobkey, time_t first);

/**
 * After a reload changed a job's default cron: moves nextrunat to `first` when the job follows that default (no
 * override) and is enabled. Returns 1 moved, 0 nothing to move, -1 error.
 */
int schedstore_follow_default(PGconn *c, const char *jobkey, time_t first);

/**
 * Moves an enabled job's nextrunat from `old` to `next` (0 = never again) if it is still `old` (compare-and-set:
 * a concurrent edit wins). Returns 1 moved, 0 not (changed meanwhile), -1 error.
 */
int schedstore_advance(PGconn *c, const char *jobkey, time_t old, time_t next);

/**
 * Moves a disabled job's disablednext from `old` to `next` (0 = none) if the row is still disabled with `old`
 * (compare-and-set). Returns 1 moved, 0 not, -1 error.
 */
int schedstore_advance_disabled(PGconn *c, const char *jobkey, time_t old, time_t next);

/**
 * Marks the deadline breach measured from `reference` as alerted, unless it already is (compare-and-set, so one
 * alert per breach whichever instance leads). Returns 1 marked now (the caller alerts), 0 already, -1 error.
 */
int schedstore_mark_deadline_alert(PGconn *c, const char *jobkey, time_t reference);

#endif

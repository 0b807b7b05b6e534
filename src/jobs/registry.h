/*
 * registry — the jobs this build implements, in code. Each entry carries the seed's cron expression as the default
 * (overrides live in system.batchschedule), its declared params (validated before a run is queued), whether it
 * supports dry runs, its misfire policy and timeout, and the function that runs it. The registry lists only jobs
 * that are implemented.
 */
#ifndef COMICBATCH_REGISTRY_H
#define COMICBATCH_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract/contract.h"
#include "sched/scheduler.h"

struct job_ctx;
struct config;

enum param_type {
    PARAM_STRING,   /* any string up to max length (max = 0: 256) */
    PARAM_INT,      /* integer within [min, max] */
    PARAM_BOOL,     /* true/false */
    PARAM_DURATION, /* "24h", "90d": normalised to milliseconds (integer) within [min, max] ms */
    PARAM_UUID,     /* canonical UUID text */
    PARAM_ID,       /* positive bigint id, given as a number or a numeric string; normalised to an integer */
    PARAM_COMIC_ID, /* a comic id: uuid or a positive integer, whichever the platform uses (contract/idtypes.h) */
    PARAM_USER_ID,  /* a user id, likewise */
};

struct param_def {
    const char *name;
    enum param_type type;
    const char *dflt; /* default as JSON text ("\"24h\"", "500", "null"); NULL = optional, absent → null */
    int64_t min, max;
    const char *help;
};

struct job_def {
    const char *key;
    const char *description;
    const char *cron; /* the seed's default expression */
    bool enabled;     /* scheduled by default? */
    enum misfire_policy misfire;
    int64_t timeout_ms; /* 0 = runs.default_timeout */
    bool dryrun;        /* supports "dryrun": true */
    const struct param_def *params;
    size_t nparams;
    /** Runs the job. Returns 0 (done) or -1 (failed: ctx->error says why; cancelled when job_cancelled()). */
    int (*run)(struct job_ctx *ctx);
    /**
     * Optional: writes the lock-key scope for these validated params into `buf` (e.g. "comic:42") and returns 1,
     * or returns 0 for the job-wide lock. Lock key = key or key:scope.
     */
    int (*lock_scope)(const json_t *params, char *buf, size_t buflen);
    /** Optional: the default cron from settings (e.g. `[metadata.series_refresh] cron`), NULL to use `cron`. */
    const char *(*config_cron)(const struct config *cfg);
    /**
     * Optional: fills, in validated `params`, what the caller left null from settings (e.g. the active provider),
     * before the run is stored and its lock key made — so a scheduled run and a manual one share one lock key.
     */
    void (*resolve_params)(const struct config *cfg, json_t *params);
    /**
     * Optional: checks validated params against the settings (e.g. that a named provider is configured), so a bad
     * one is refused before a run is stored. 0, or -1 with the param's name in `field` ("params.provider") and a
     * sentence in `err`.
     */
    int (*check_params)(const struct config *cfg, const json_t *params, char *field, size_t fieldlen, char *err,
                        size_t errlen);
    /** What the job needs from the platform's database (contract/contract.h); NULL: nothing of the platform's. */
    const struct contract *contract;
    /** Runs on events whatever its schedule says (crawler.source_health): counted as enabled by doctor/grants. */
    bool events;
};

/** The job's default cron: its config_cron hook's answer when set and non-empty, else job->cron. */
const char *registry_default_cron(const struct config *cfg, const struct job_def *job);

/** The job's default misfire policy: `[job.KEY] misfire` when set, else job->misfire. */
enum misfire_policy registry_default_misfire(const struct config *cfg, const struct job_def *job);

/** The job with `key`, or NULL. */
const struct job_def *registry_find(const char *key);

/** All jobs, in display order; `*n` gets the count. */
const struct job_def *const *registry_all(size_t *n);

/** Every job as the schema-contract checks see it (contract/contract.h), in registry order (static). */
struct contract_jobs registry_contract_jobs(void);

#endif

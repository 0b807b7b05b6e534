/*
 * runs — the run service: what a new run of a job is (its stored params, lock key and timeout, decided from the
 * job's definition and the settings) before store/runstore.c writes it. Every way a run is created goes through
 * here: the API's triggers, the maintenance actions, the scheduler and the synchronous CLI `run`.
 */
#ifndef COMICBATCH_RUNS_H
#define COMICBATCH_RUNS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jobs/registry.h"
#include "store/runstore.h"

struct config;

/** A run someone asks for. */
struct run_request {
    const struct job_def *job;
    const json_t *params; /* validated (runs/params.h); borrowed */
    bool dryrun;
    const char *triggeredby; /* "scheduler" | "admin" */
    const char *userid;      /* the admin's users.account.id, or NULL */
    time_t scheduledfor;     /* the cron slot, 0 for manual runs */
};

/** The timeout a new run of `job` gets: [job.KEY] timeout, else the job's own, else runs.default_timeout. */
int64_t runs_job_timeout(const struct config *cfg, const struct job_def *job);

/** Lock key for a run of `job` with stored `params`: key, or key:scope. Writes into buf. */
void runs_lockkey(const struct job_def *job, const json_t *params, char *buf, size_t buflen);

/**
 * The params a run stores: the caller's plus what the job fills from settings (its resolve_params hook), so a
 * scheduled run and a manual one share one lock key. New reference.
 */
json_t *runs_stored_params(const struct config *cfg, const struct job_def *job, const json_t *params);

/**
 * Enqueues `q` (its params already validated by the caller: never ENQUEUE_REFUSED). On ENQUEUE_OK `*run` gets the
 * run's JSON (new reference) when `run` is not NULL.
 */
enum enqueue_result runs_enqueue(PGconn *c, const struct config *cfg, const struct run_request *q, json_t **run);

/**
 * Writes a sentence on the run that holds the lock key a run of `job` with validated `params` would take ("run …
 * (running since …) holds lock key …"; a waiting retry says when it may start; a run whose instance is gone says
 * when the leader will fail it), for the 409, the ledger and the logs. Returns true; false when no run holds it
 * (`buf` then says the key is free).
 */
bool runs_describe_holder(PGconn *c, const struct config *cfg, const struct job_def *job, const json_t *params,
                          char *buf, size_t len);

/** Inserts `q` as running for this instance (the CLI's synchronous run). 1 ok, 0 conflict, -1 error. */
int runs_start_inline(PGconn *c, const struct config *cfg, const struct run_request *q, const char *instance,
                      int instance_no, struct claimed_run *out);

#endif

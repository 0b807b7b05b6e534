/*
 * doctor — `comicbatch doctor`: the connected database checked against every job's contract and the daemon's
 * features (contract/check.h), printed in plain words with the DDL or GRANT that would fix each finding, the id
 * types found, the migrations still to apply and the accelerators installed. A job that only lacks a setting is
 * listed as "not configured" with the INI lines to add; it does not count as a failure (the exit code): an optional
 * job nobody set up is unavailable in `serve` (not scheduled, no alerts), not broken.
 */
#ifndef COMICBATCH_DOCTOR_H
#define COMICBATCH_DOCTOR_H

#include <libpq-fe.h>
#include <stdio.h>

#include "contract/check.h"

/**
 * Prints the report on `out`. Returns the number of enabled jobs that cannot run because of the database (not those
 * only missing a setting), +1 if migrations are pending.
 */
int doctor_print(const struct contract_report *rep, FILE *out);

/** One line per enabled job that cannot run (after `migrate`), or is not configured; nothing when all can. */
void doctor_print_unavailable(const struct contract_report *rep, FILE *out);

/**
 * Runs the whole check of `jobs` on `db` and of their settings in `cfg` (borrowed) and prints it. Returns
 * doctor_print's count, or -1 when the check failed.
 */
int doctor_run(PGconn *db, struct contract_jobs jobs, const struct config *cfg, FILE *out);

#endif

/*
 * doctor — `comicbatch doctor`: the connected database checked against every job's contract and the daemon's
 * features (contract/check.h), printed in plain words with the DDL or GRANT that would fix each finding, the id
 * types found, the migrations still to apply and the accelerators installed.
 */
#ifndef COMICBATCH_DOCTOR_H
#define COMICBATCH_DOCTOR_H

#include <libpq-fe.h>
#include <stdio.h>

#include "contract/check.h"

/** Prints the report on `out`. Returns the number of enabled jobs that cannot run (+1 if migrations are pending). */
int doctor_print(const struct contract_report *rep, FILE *out);

/** One line per enabled job that cannot run on this database (after `migrate`); nothing when all can. */
void doctor_print_unavailable(const struct contract_report *rep, FILE *out);

/** Runs the whole check of `jobs` on `db` and prints it. Returns doctor_print's count, or -1 when the check failed. */
int doctor_run(PGconn *db, struct contract_jobs jobs, FILE *out);

#endif

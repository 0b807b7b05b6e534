/*
 * grants — `comicbatch grants ROLE`: the statements an administrator runs, before `comicbatch migrate`, so that ROLE
 * can run comicbatch on this database with no more than it needs: the schemas for comicbatch's own objects
 * (created with AUTHORIZATION ROLE, or CREATE on the platform's `system`), the column-level SELECTs and the writes
 * each enabled job and daemon feature declares in its contract (contract/contract.h), and — because PostgreSQL lets
 * only a partitioned table's owner create its partitions — either membership in the owning role or a SECURITY
 * DEFINER function the owner installs, which can do nothing but create next months' partitions of the three
 * partitioned tables (printed in full, recommended). With --accelerators, also the TRIGGER privileges that let ROLE
 * install the optional triggers itself (and why that is a real grant of power).
 */
#ifndef COMICBATCH_GRANTS_H
#define COMICBATCH_GRANTS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "contract/contract.h"

/**
 * Prints the statements for `role` and the enabled ones of `jobs` on `out` (a psql script: comments and statements), reading the connected
 * database's catalog for what exists and who owns it. Returns 0, or -1 with `err`.
 */
int grants_print(PGconn *db, struct contract_jobs jobs, const char *role, bool accelerators, FILE *out, char *err,
                 size_t errlen);

#endif

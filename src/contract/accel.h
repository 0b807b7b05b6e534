/*
 * accel — the accelerators: optional triggers and storage tuning on the platform's tables that make jobs work in
 * proportion to what changed (DESIGN §4). `comicbatch migrate` never installs them; `comicbatch accelerators
 * install|remove|status [NAME…]` does, from db/accelerators/NAME.{install,remove}.sql (embedded).
 *
 * Every job is correct without them (and still set-based and faster than the seed's SQL): a job asks
 * accel_installed() at the start of each run and takes its trigger-less path when the answer is no. Switching modes
 * never leaves a job wrong: an install creates the state tables, functions and triggers and rebuilds the state from
 * the platform's tables in ONE transaction (CREATE TRIGGER locks each table against writers until COMMIT, so no
 * change falls between the rebuild and the first trigger call); a remove drops comicbatch's trigger functions
 * CASCADE (which takes their triggers with them: the TRIGGER privilege lets a role create a trigger but only a
 * table's owner may DROP TRIGGER, while a function's owner may drop it with its dependents) and its state tables,
 * and marks library.hasnew for a full sweep. Triggers are named comicbatch_NAME_*; their functions live in
 * schema jobstate and are SECURITY DEFINER (the platform's writers need no rights there) with every name in their
 * bodies qualified instead of a SET search_path clause, which would double their cost per call.
 */
#ifndef COMICBATCH_ACCEL_H
#define COMICBATCH_ACCEL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct accel_def {
    const char *name;   /* "hasnew" */
    const char *speeds; /* what it makes faster */
    const char *tables; /* the platform tables it changes, space-separated */
    int ntriggers;      /* triggers it creates (0: storage tuning) */
    const char *cost;   /* the measured write-path cost (BENCHMARKS.md) */
};

/** Upper bound on the number of accelerators (for arrays of states). */
#define ACCEL_MAX 8

/** The accelerators, in install order; `*n` gets the count. */
const struct accel_def *accel_all(size_t *n);

/** The accelerator `name`, or NULL. */
const struct accel_def *accel_find(const char *name);

/** State of each accelerator, in accel_all() order. */
enum accel_state { ACCEL_ABSENT = 0, ACCEL_PARTIAL = 1, ACCEL_INSTALLED = 2 };

/** Reads the state of every accelerator (one or two catalog queries) into `st`. Returns 0 or -1 with `err`. */
int accel_states(PGconn *db, enum accel_state *st, char *err, size_t errlen);

/** 1 when accelerator `name` is completely installed and enabled, 0 when not, -1 on error (logged). */
int accel_installed(PGconn *db, const char *name);

/** Words for a state ("installed", "not installed", "partly installed"). */
const char *accel_state_name(enum accel_state s);

/**
 * Installs (install = true) or removes the accelerators named in `names[0..n)` (n = 0: all), each in its own
 * transaction, and says what it did on `out`. One that the connected role may not install (TRIGGER privilege,
 * ownership for storage tuning) is skipped with the statement that would let it. Returns the number that failed or
 * were skipped (0 = all done), or -1 when a name is unknown or the database cannot be read.
 */
int accel_apply(PGconn *db, bool install, const char *const *names, int n, FILE *out);

/** Prints each accelerator's state, what it speeds up and its write-path cost on `out`. Returns 0 or -1. */
int accel_print_status(PGconn *db, FILE *out);

#endif

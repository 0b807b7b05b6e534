/*
 * sched_cli — the scheduling commands of the CLI: `cron-next` (fire times, in the expression's zone and UTC with
 * what DST does to them), `pause` and `resume` (maintenance windows, runs/pause.h; audited as the admin token via "cli:<user>").
 * main.c dispatches to them; each returns the process exit status.
 */
#ifndef COMICBATCH_SCHED_CLI_H
#define COMICBATCH_SCHED_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct config;

/**
 * `cron-next 'EXPR' [N]` after `now`: without a zone, one UTC ISO time per line (the description on stderr); with
 * a CRON_TZ= prefix, per line the UTC time, the wall time with its offset and abbreviation, and a note when DST moves
 * the fire, then the next DST-moved fire within a year on stderr. Writes to `out`/`err`. Exit status 0, or 2.
 */
int sched_cli_cron_next(int argc, char **argv, time_t now, FILE *out, FILE *err);

/** What `pause` or `resume` was asked to do (strings borrowed from argv). */
struct sched_cli_pause_req {
    const char *jobkey; /* NULL: every job */
    time_t until;       /* pause: its end */
    const char *reason; /* pause: may be NULL */
};

/**
 * Reads the arguments of `pause [JOBKEY] (--until TIME | --for DURATION) [--reason TEXT]` (`pause` true) or
 * `resume [JOBKEY]` at `now` into `req`, before any setting is read. 0, or 2 after a usage error naming what is
 * wrong (unknown job key, bad duration or time, both ends given, …).
 */
int sched_cli_pause_args(bool pause, int argc, char **argv, time_t now, struct sched_cli_pause_req *req);

/** Stores pause `req` at `now` in `cfg`'s database and prints it as JSON. Exit status 0 or 1. */
int sched_cli_pause(const struct sched_cli_pause_req *req, const struct config *cfg, time_t now);

/** Ends the pause of req->jobkey (or of every job) at `now`. Exit status 0, or 1 (none in force / error). */
int sched_cli_resume(const struct sched_cli_pause_req *req, const struct config *cfg, time_t now);

#endif

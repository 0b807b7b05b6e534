/*
 * sched_cli — the scheduling commands of the CLI: `cron-next` (fire times, in the expression's zone and UTC with
 * what DST does to them), `pause` and `resume` (maintenance windows, runs/pause.h; audited as the admin token via "cli:<user>").
 * main.c dispatches to them; each returns the process exit status.
 */
#ifndef COMICBATCH_SCHED_CLI_H
#define COMICBATCH_SCHED_CLI_H

#include <stdio.h>
#include <time.h>

struct config;

/**
 * `cron-next 'EXPR' [N]` after `now`: without a zone, one UTC ISO time per line (the description on stderr); with
 * a CRON_TZ= prefix, per line the UTC time, the wall time with its offset and abbreviation, and a note when DST moves
 * the fire, then the next DST-moved fire within a year on stderr. Writes to `out`/`err`. Exit status 0, or 2.
 */
int sched_cli_cron_next(int argc, char **argv, time_t now, FILE *out, FILE *err);

/** `pause [JOBKEY] (--until TIME | --for DURATION) [--reason TEXT]` against `cfg`'s database. Exit status. */
int sched_cli_pause(int argc, char **argv, const struct config *cfg);

/** `resume [JOBKEY]`: ends the pause of JOBKEY (or of every job). Exit status 0, 1 (none in force / error), 2. */
int sched_cli_resume(int argc, char **argv, const struct config *cfg);

#endif

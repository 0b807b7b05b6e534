/*
 * settings — the configuration as the CLI commands and the service load it: config_load_checked and config_validate
 * with the checks only the layers above config.c can make (the cron parser of sched/, the job registry of jobs/),
 * so a bad cron or a misspelt `[job.KEY]` is refused at its file line, by every command alike and on SIGHUP.
 */
#ifndef COMICBATCH_CLI_SETTINGS_H
#define COMICBATCH_CLI_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct config_checks;

/** The checks handed to config.c (static storage): cron syntax and the registry's job keys. */
const struct config_checks *cli_settings_checks(void);

/**
 * config_init + config_load_checked (+ config_validate when `validate`; `need_token`: the admin token too) of
 * `path` (may be NULL) and the environment. Returns 0, or -1 with the message in `err`. Release `c` with
 * config_finish either way.
 */
int cli_settings_load(struct config *c, const char *path, bool validate, bool need_token, char *err, size_t errlen);

#endif

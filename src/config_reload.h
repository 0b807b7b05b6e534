/*
 * config_reload — what a SIGHUP does to the settings of a running process: compares the live config with one just
 * read from the file (and the environment) and copies over every changed value whose key is flagged CONFIG_RELOAD;
 * every other changed key is listed as needing a restart. Thread-safe by construction (config.h): reloadable
 * fields are atomics, replaced strings are retired rather than freed, `[job.KEY]` entries are only appended.
 * Values are never reported, only key names (some are secrets).
 */
#ifndef COMICBATCH_CONFIG_RELOAD_H
#define COMICBATCH_CONFIG_RELOAD_H

#include "config.h"

#define CONFIG_RELOAD_LIST 1024

/** What a reload did: comma-separated key names, e.g. "log.level,job.system.canary.timeout". */
struct config_reload_report {
    char applied[CONFIG_RELOAD_LIST];
    char restart[CONFIG_RELOAD_LIST]; /* changed, but only a restart applies them */
    int napplied, nrestart;
};

/**
 * Applies to `live` every reloadable value that differs in `next` (both loaded and validated; `next` is only read
 * and still belongs to the caller) and fills `rep`. A key that cannot be applied because the retired-string list
 * or the `[job.*]` table is full is reported under restart.
 */
void config_reload(struct config *live, const struct config *next, struct config_reload_report *rep);

#endif

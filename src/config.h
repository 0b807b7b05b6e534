/*
 * config — the daemon's settings: an INI file (`--config FILE`) whose sections map to the seed's dotted keys
 * (`[storage] cover_cache_dir` is `storage.cover_cache_dir`), then environment overrides (DESIGN §1):
 * COMICBATCH_DATABASE_URL, COMICBATCH_DATABASE_DIRECT_URL, COMICBATCH_REDIS_URL, COMICBATCH_LISTEN,
 * COMICBATCH_PUBLIC_LISTEN, COMICBATCH_ADMIN_TOKEN, COMICBATCH_DATA_DIR.
 * Every key is declared once in the table of config_keys.c (config_keys.h: the structs and the table) with its type, bounds, default, environment
 * variable, whether a reload applies it, and a help sentence: the parser, the defaults, `comicbatch.ini.example`,
 * the man page comicbatch.ini(5) and the README's configuration table all come from that table. An unknown key, a
 * malformed value or a missing required setting is an error naming the key (and the file line when it came from
 * the file). Per-job sections `[job.KEY]` carry `timeout`, `misfire`, `max_attempts`, `retry_delay`, `deadline`;
 * provider sections `[provider.NAME]` carry
 * `dump`, `allow_insecure_loopback` (template rows of the same table).
 *
 * Reload (SIGHUP, config_reload.h): keys flagged CONFIG_RELOAD may change while worker threads read them, so their
 * fields below are `_Atomic` (every plain read is then an atomic load) and the writer stores them atomically; a
 * reloaded string replaces the pointer and the old string is kept ("retired") until config_finish, so a reader
 * holding the old pointer never sees it freed. `[job.KEY]` entries are append-only for the same reason.
 */
#ifndef COMICBATCH_CONFIG_H
#define COMICBATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_keys.h"

/** Fills `c` with defaults (data_dir "./var", listen 127.0.0.1:8080, …). Release with config_finish. */
void config_init(struct config *c);

/** Checks of values whose syntax or names a higher layer owns, handed in by the caller (main, cli/). */
struct config_checks {
    /** 0 when `expr` is a usable cron expression, else -1 with the reason in `err` (the cron parser in sched/). */
    int (*cron)(const char *expr, char *err, size_t errlen);
    /** The `i`-th job key `[job.KEY]` may name, NULL past the last (the registry in jobs/); NULL: any key. */
    const char *(*job_key)(size_t i);
};

/**
 * Reads `path` (may be NULL: no file) then the environment into `c`. Returns 0, or -1 with a message naming the key
 * and line in `err`. A directory, or a file that cannot be read to its end, is an error naming the path. With
 * `checks` (may be NULL), a cron-valued key (CONFIG_CRON) of the file is parsed and a `[job.KEY]` section must name
 * a known job, both reported at their line ("did you mean" a known key a few edits away). On error `c` may be
 * partly filled; config_finish still releases it.
 */
int config_load_checked(struct config *c, const char *path, const struct config_checks *checks, char *err,
                        size_t errlen);

/** config_load_checked without the caller's checks (tools and tests that have no registry or cron parser). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/**
 * Checks that what `serve` needs is present (database url, admin token, …), that the cron-valued settings parse
 * (through `checks`; NULL skips that) and derives dependent values (cover_cache_dir from data_dir, storage_dir,
 * listen host/port). Returns 0 or -1 with `err`.
 */
int config_validate(struct config *c, bool need_admin_token, const struct config_checks *checks, char *err,
                    size_t errlen);

/**
 * The URL for connections that need a PostgreSQL session of their own (LISTEN, advisory locks, temporary tables,
 * cancel): `[database] direct_url` when set, else `url`. Borrowed.
 */
const char *config_session_url(const struct config *c);

/** The `[job.KEY]` settings for `key`, or NULL. Borrowed. */
const struct job_settings *config_job(const struct config *c, const char *key);

/** The `[provider.NAME]` settings for `name`, or NULL. Borrowed. */
const struct provider_settings *config_provider(const struct config *c, const char *name);

/** Frees every owned string (retired ones included). */
void config_finish(struct config *c);

/**
 * Writes the value of key `k` held at `base` (a struct config, or a job/provider settings struct for template keys)
 * as text, the way the file would spell it ("" for an unset string). Returns buf.
 */
const char *config_value_text(const void *base, const struct config_key *k, char *buf, size_t len);

/**
 * Copies the value of `k` from `src` to `dst` (both bases as for config_value_text) with an atomic store; a string
 * is duplicated and the one it replaces is retired into `owner` (freed by config_finish). Returns 0, or -1 when the
 * retired list is full (nothing changed).
 */
int config_copy_value(struct config *owner, void *dst, const void *src, const struct config_key *k);

/**
 * The `[job.KEY]` entry for `key`, appended (with default values) when absent. NULL when CONFIG_MAX_JOBS are in
 * use. Safe while other threads read the config: the entry is complete before it is counted.
 */
struct job_settings *config_job_entry(struct config *c, const char *key);

#endif

/*
 * config — the daemon's settings: an INI file (`--config FILE`) whose sections map to the seed's dotted keys
 * (`[storage] cover_cache_dir` is `storage.cover_cache_dir`), then environment overrides (DESIGN §1):
 * COMICBATCH_DATABASE_URL, COMICBATCH_DATABASE_DIRECT_URL, COMICBATCH_REDIS_URL, COMICBATCH_LISTEN,
 * COMICBATCH_PUBLIC_LISTEN, COMICBATCH_ADMIN_TOKEN, COMICBATCH_DATA_DIR.
 * Every key is declared once in a table in config.c (config_keys()) with its type, bounds, default, environment
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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_JOBS 32
#define CONFIG_MAX_PROVIDERS 8
#define CONFIG_MAX_RETIRED 256 /* strings replaced by reloads, kept until config_finish */

/** Per-job overrides from `[job.KEY]`; fields left at -1 mean "registry default". */
struct job_settings {
    char *key;
    _Atomic int64_t timeout_ms;     /* reloadable */
    _Atomic int misfire;            /* -1 default, else enum misfire_policy; reloadable */
    _Atomic int max_attempts;       /* -1 default (1: no retry); reloadable */
    _Atomic int64_t retry_delay_ms; /* -1 default (30 s): the first retry's backoff; reloadable */
    _Atomic int64_t deadline_ms;    /* -1 default (derived from the cron); reloadable */
};

struct provider_settings {
    char *name;
    char *dump;                  /* local path or https URL of a JSON-lines dump (.gz accepted) */
    int allow_insecure_loopback; /* tests: also accept http:// on 127.0.0.1/[::1]/localhost (default off) */
};

/** All settings; strings are owned (freed by config_finish). */
struct config {
    /* [server] */
    char *listen;        /* host:port, COMICBATCH_LISTEN: the private surfaces (and covers, without public_listen) */
    char *listen_host;   /* derived from listen */
    int listen_port;     /* derived from listen; 0 = pick a free port (tests) */
    char *public_listen; /* host:port of the public cover routes, COMICBATCH_PUBLIC_LISTEN; empty = none */
    char *public_listen_host; /* derived from public_listen */
    int public_listen_port;   /* derived from public_listen */
    int http_threads;         /* unused, accepted for old files */
    int64_t max_body_bytes;
    char *port_file;            /* if set, the bound port is written here once listening (tests) */
    char *public_port_file;     /* the same for public_listen */
    int event_threads;          /* event-loop threads per listener; 0 = one per CPU */
    int handler_threads;        /* blocking-handler threads of the private listener (or the only one) */
    int handler_queue;          /* requests that may wait for one of them */
    int public_handler_threads; /* the same for the public listener */
    int public_handler_queue;
    int max_connections;            /* per listener */
    int max_connections_per_client; /* per listener and client address; 0 = no limit */
    int64_t head_timeout_ms;        /* a request head must be complete within this of accept */
    int64_t keepalive_timeout_ms;   /* … or of the previous response's end (keep-alive); idle timeout otherwise */
    /* [database] [redis] [admin] [paths] */
    char *database_url;
    char *database_direct_url; /* session-mode URL (no pooler) for LISTEN, advisory locks, job connections */
    int db_pool_size;
    char *redis_url;
    char *admin_token;
    char *data_dir;
    /* [runs] */
    int workers;
    int heartbeat_seconds;
    int lease_seconds;
    _Atomic int retention_days;
    _Atomic int64_t default_timeout_ms;
    _Atomic int alert_after;
    char *alert_webhook_url;
    _Atomic int misfire_grace_seconds;
    int leader_lease_seconds;           /* a leader heartbeat older than this is fenced and replaced */
    _Atomic int64_t retry_delay_max_ms; /* cap of a retry's backoff */
    int scheduler_enabled;
    /* [jobs] */
    _Atomic int viewhistory_cap;
    int rating_min_votes;
    int batch_rows;
    int hasnew_events; /* recalculate hasnew on chapter/read NOTIFYs (1) or leave it to the sweep (0) */
    /* [storage] */
    char *storage_backend; /* "fs" or "s3" */
    char *storage_dir;
    char *s3_endpoint;
    char *s3_bucket;
    char *s3_region;
    char *s3_access_key;
    char *s3_secret_key;
    char *cover_cache_dir;
    char *cover_allowed_hosts;
    int cover_allow_loopback;
    int64_t cover_max_bytes;
    int64_t cover_timeout_ms;
    char *cover_ca_file; /* tests: PEM bundle trusted for upstream TLS instead of the system CAs */
    char *cover_resolve; /* tests: "host:port:addr …" pinned resolutions (CURLOPT_RESOLVE) */
    /* [metadata] [metadata.series_refresh] */
    char *metadata_provider;
    char *_Atomic series_refresh_cron;
    _Atomic int series_refresh_batch_size;
    _Atomic int series_refresh_min_age_days;
    /* [log] */
    _Atomic int log_level;  /* enum log_level (util/log.h) */
    _Atomic int log_format; /* enum log_format (util/log.h) */
    /* [job.KEY] and [provider.NAME] */
    struct job_settings jobs[CONFIG_MAX_JOBS];
    _Atomic int njobs; /* append-only: an entry is complete before njobs counts it */
    struct provider_settings providers[CONFIG_MAX_PROVIDERS];
    int nproviders;
    /* strings replaced by reloads (never freed before config_finish: a reader may still hold one) */
    char *retired[CONFIG_MAX_RETIRED];
    int nretired;
};

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL, CONFIG_DURATION, CONFIG_BYTES, CONFIG_ENUM };

enum config_flag {
    CONFIG_RELOAD = 1,     /* SIGHUP applies a new value (the field is _Atomic) */
    CONFIG_REQUIRED = 2,   /* `serve` refuses to start without it */
    CONFIG_SECRET = 4,     /* never printed (reload log, docs show no example value) */
    CONFIG_TESTS_ONLY = 8, /* a switch for the test suites; never set it in production */
    CONFIG_TEMPLATE = 16,  /* section is a template (`job.KEY`, `provider.NAME`); offset is into its struct */
};

/** One setting: where it lives, how it is parsed, its default and its documentation. */
struct config_key {
    const char *section; /* "server", or a template "job.KEY" / "provider.NAME" */
    const char *name;
    enum config_type type;
    size_t offset;       /* into struct config, or into job_settings/provider_settings for templates */
    int64_t min, max;    /* CONFIG_INT; CONFIG_DURATION (ms); CONFIG_BYTES */
    const char *choices; /* CONFIG_ENUM: "a|b|c"; the stored int is the index */
    const char *dflt;    /* the default as text, applied by config_init; NULL: unset */
    const char *shown;   /* the default as the docs show it, when dflt is NULL or derived; NULL: dflt */
    const char *example; /* a value for the example file when there is no default (or for a template) */
    const char *env;     /* the environment variable that overrides it, or NULL */
    unsigned flags;      /* enum config_flag */
    const char *help;    /* one or two sentences; `code` in backticks */
};

/** Fills `c` with defaults (data_dir "./var", listen 127.0.0.1:8080, …). Release with config_finish. */
void config_init(struct config *c);

/**
 * Reads `path` (may be NULL: no file) then the environment into `c`. Returns 0, or -1 with a message naming the key
 * and line in `err`. On error `c` may be partly filled; config_finish still releases it.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/** Checks of values whose syntax a higher layer owns (the cron parser in sched/), handed in by the caller. */
struct config_checks {
    /** 0 when `expr` is a usable cron expression, else -1 with the reason in `err`. */
    int (*cron)(const char *expr, char *err, size_t errlen);
};

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

/** The settings table (static storage, in documentation order); `*n` gets its length. */
const struct config_key *config_keys(size_t *n);

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

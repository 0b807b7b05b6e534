/*
 * config_keys — what a setting is and where it is stored: struct config (every setting's field), the per-job and
 * per-provider structs, and struct config_key, one row of the settings table (config_keys.c) from which the parser
 * (config.c), the defaults, the example file, the man page and the README's table are all made. See config.h for
 * loading, checking and reading settings.
 */
#ifndef COMICBATCH_CONFIG_KEYS_H
#define COMICBATCH_CONFIG_KEYS_H

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
    CONFIG_CRON = 32,      /* a cron expression (CONFIG_STR), checked by the caller's config_checks.cron */
    CONFIG_HOSTPORT = 64,  /* an IPv4 `host:port` (CONFIG_STR; "" = unset), checked as it is read */
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

/** The settings table (static storage, in documentation order); `*n` gets its length. */
const struct config_key *config_keys(size_t *n);

/** The table row for `name` in `section` (template sections by their template name, "job.KEY"), or NULL. */
const struct config_key *config_key_find(const char *section, const char *name);

/** The index of `v` in a CONFIG_ENUM's choices ("a|b|c"), or -1 when it is none of them. */
int config_choice_index(const char *choices, const char *v);

#endif

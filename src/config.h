/*
 * config — the daemon's settings: an INI file (`--config FILE`) whose sections map to the seed's dotted keys
 * (`[storage] cover_cache_dir` is `storage.cover_cache_dir`), then environment overrides (DESIGN §1):
 * COMICBATCH_DATABASE_URL, COMICBATCH_REDIS_URL, COMICBATCH_LISTEN, COMICBATCH_ADMIN_TOKEN, COMICBATCH_DATA_DIR,
 * COMICBATCH_PUBLIC_LISTEN.
 * Every key is declared once in a table in config.c with its type and bounds; an unknown key, a malformed value or a
 * missing required setting is an error naming the key (and the file line when it came from the file).
 * Per-job sections `[job.KEY]` carry `timeout`, `misfire`; provider sections `[provider.NAME]` carry `dump`.
 */
#ifndef COMICBATCH_CONFIG_H
#define COMICBATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_JOBS 32
#define CONFIG_MAX_PROVIDERS 8

/** Per-job overrides from `[job.KEY]`; fields left at -1 mean "registry default". */
struct job_settings {
    char *key;
    int64_t timeout_ms;
    int misfire; /* -1 default, else enum misfire_policy */
};

struct provider_settings {
    char *name;
    char *dump; /* local path or https URL of a JSON-lines dump (.gz accepted) */
    int allow_insecure_loopback; /* tests: also accept http:// on 127.0.0.1/[::1]/localhost (default off) */
};

/** All settings; strings are owned (freed by config_finish). */
struct config {
    /* [server] */
    char *listen;          /* host:port, COMICBATCH_LISTEN: the private surfaces (and covers, without public_listen) */
    char *listen_host;     /* derived from listen */
    int listen_port;       /* derived from listen; 0 = pick a free port (tests) */
    char *public_listen;   /* host:port of the public cover routes, COMICBATCH_PUBLIC_LISTEN; empty = none */
    char *public_listen_host; /* derived from public_listen */
    int public_listen_port;   /* derived from public_listen */
    int64_t max_body_bytes;
    char *port_file;       /* if set, the bound port is written here once listening (tests) */
    char *public_port_file; /* the same for public_listen */
    int event_threads;     /* event-loop threads per listener; 0 = one per CPU */
    int handler_threads;   /* blocking-handler threads of the private listener (or the only one) */
    int handler_queue;     /* requests that may wait for one of them */
    int public_handler_threads; /* the same for the public listener */
    int public_handler_queue;
    int max_connections;   /* per listener */
    int max_connections_per_client; /* per listener and client address; 0 = no limit */
    int64_t head_timeout_ms;      /* a request head must be complete within this of accept */
    int64_t keepalive_timeout_ms; /* … or of the previous response's end (keep-alive); idle timeout otherwise */
    /* [database] [redis] [admin] [paths] */
    char *database_url;
    int db_pool_size;
    char *redis_url;
    char *admin_token;
    char *data_dir;
    /* [runs] */
    int workers;
    int heartbeat_seconds;
    int lease_seconds;
    int retention_days;
    int64_t default_timeout_ms;
    int alert_after;
    char *alert_webhook_url;
    int misfire_grace_seconds;
    int scheduler_enabled;
    /* [jobs] */
    int viewhistory_cap;
    int rating_min_votes;
    int batch_rows;
    int hasnew_events;     /* recalculate hasnew on chapter/read NOTIFYs (1) or leave it to the sweep (0) */
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
    char *cover_ca_file;   /* tests: PEM bundle trusted for upstream TLS instead of the system CAs */
    char *cover_resolve;   /* tests: "host:port:addr …" pinned resolutions (CURLOPT_RESOLVE) */
    /* [metadata] [metadata.series_refresh] */
    char *metadata_provider;
    char *series_refresh_cron;
    int series_refresh_batch_size;
    int series_refresh_min_age_days;
    /* [job.KEY] and [provider.NAME] */
    struct job_settings jobs[CONFIG_MAX_JOBS];
    int njobs;
    struct provider_settings providers[CONFIG_MAX_PROVIDERS];
    int nproviders;
};

/** Fills `c` with defaults (data_dir "./var", listen 127.0.0.1:8080, …). Release with config_finish. */
void config_init(struct config *c);

/**
 * Reads `path` (may be NULL: no file) then the environment into `c`. Returns 0, or -1 with a message naming the key
 * and line in `err`. On error `c` may be partly filled; config_finish still releases it.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/**
 * Checks that what `serve` needs is present (database url, admin token, …) and derives dependent values
 * (cover_cache_dir from data_dir, storage_dir, listen host/port). Returns 0 or -1 with `err`.
 */
int config_validate(struct config *c, bool need_admin_token, char *err, size_t errlen);

/** The `[job.KEY]` settings for `key`, or NULL. Borrowed. */
const struct job_settings *config_job(const struct config *c, const char *key);

/** The `[provider.NAME]` settings for `name`, or NULL. Borrowed. */
const struct provider_settings *config_provider(const struct config *c, const char *name);

/** Frees every owned string. */
void config_finish(struct config *c);

#endif

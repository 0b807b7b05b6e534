/*
 * config_keys — the table of every setting (config_keys.h: struct config_key): section, name, type, bounds, default,
 * environment variable, flags and the help text that --help, the man page and comicbatch.ini.example are made of.
 * Adding a setting is adding a row here (and its field in struct config).
 */
#include <stddef.h>
#include <string.h>

#include "config_keys.h"

#define OFF(field) offsetof(struct config, field)
#define STR(sec, nm, field) .section = sec, .name = nm, .type = CONFIG_STR, .offset = OFF(field)
#define INT(sec, nm, field, lo, hi) \
    .section = sec, .name = nm, .type = CONFIG_INT, .offset = OFF(field), .min = lo, .max = hi
#define BOOL(sec, nm, field) .section = sec, .name = nm, .type = CONFIG_BOOL, .offset = OFF(field), .max = 1
#define DUR(sec, nm, field, lo, hi) \
    .section = sec, .name = nm, .type = CONFIG_DURATION, .offset = OFF(field), .min = lo, .max = hi
#define BYTES(sec, nm, field, lo, hi) \
    .section = sec, .name = nm, .type = CONFIG_BYTES, .offset = OFF(field), .min = lo, .max = hi
#define ENUM(sec, nm, field, ch) .section = sec, .name = nm, .type = CONFIG_ENUM, .offset = OFF(field), .choices = ch
#define JOBKEY(nm, ty, field) \
    .section = "job.KEY", .name = nm, .type = ty, .offset = offsetof(struct job_settings, field)
#define PROVIDERKEY(nm, ty, field) \
    .section = "provider.NAME", .name = nm, .type = ty, .offset = offsetof(struct provider_settings, field)
#define DAY (86400LL * 1000)

/* Documentation order: what an operator sets first comes first. Template rows (job.KEY, provider.NAME) point into
 * their own structs. A key flagged CONFIG_RELOAD must be declared _Atomic in struct config (see config.h). */
static const struct config_key keys[] = {
    {STR("database", "url", database_url), .env = "COMICBATCH_DATABASE_URL", .flags = CONFIG_REQUIRED | CONFIG_SECRET,
     .shown = "— (required)", .example = "postgresql://comicbatch@db.internal/platform?target_session_attrs=read-write",
     .help = "PostgreSQL connection URI (libpq); several hosts with `target_session_attrs=read-write` for failover."},
    {STR("database", "direct_url", database_direct_url), .env = "COMICBATCH_DATABASE_DIRECT_URL",
     .flags = CONFIG_SECRET, .shown = "— (`url` serves everything)",
     .help = "Session-mode connection straight to PostgreSQL, for what needs a session of its own: LISTEN, the "
             "leader's and the instance's advisory locks, and the workers' job connections (temporary tables, "
             "cancel of the statement in flight). Set it when `url` goes through PgBouncer in transaction mode; "
             "same multi-host form as `url`."},
    {INT("database", "pool_size", db_pool_size, 1, 256), .dflt = "8",
     .help = "Connections kept for API handlers (workers, the leader and the listener have their own)."},
    {STR("redis", "url", redis_url), .dflt = "redis://127.0.0.1:6379/0", .env = "COMICBATCH_REDIS_URL",
     .help = "Redis address: `redis://host:port/db` or `unix:/path[?db=N]` (no AUTH: keep Redis on a private socket "
             "or network)."},
    {STR("server", "listen", listen), .dflt = "127.0.0.1:8080", .env = "COMICBATCH_LISTEN", .flags = CONFIG_HOSTPORT,
     .help = "HTTP address, IPv4 `host:port` (`localhost` = 127.0.0.1; port 0 = any free port): the admin API and "
             "pages, metrics and health, "
             "and the cover routes too unless `public_listen` is set."},
    {STR("server", "public_listen", public_listen), .dflt = "", .shown = "— (covers on `listen`)",
     .env = "COMICBATCH_PUBLIC_LISTEN", .example = "0.0.0.0:8081", .flags = CONFIG_HOSTPORT,
     .help = "A second address for the public cover routes only (`/api/v1/covers/…`), with its own connection "
             "limits, event threads and handler pool; `listen` then serves everything else."},
    {BYTES("server", "max_body", max_body_bytes, 1024, 64LL << 20), .dflt = "1m",
     .help = "Request body cap (`512k`, `1m`, bytes); larger bodies are refused with 413."},
    {INT("server", "event_threads", event_threads, 0, 64), .dflt = "0", .shown = "0 (one per CPU)",
     .help = "Event-loop threads per listener: they read requests, run non-blocking routes (health, admin assets, "
             "cover cache hits) and write every response."},
    {INT("server", "handler_threads", handler_threads, 1, 256), .dflt = "8",
     .help = "Threads that run the blocking handlers (database, upstream fetch) of `listen`; the connection is "
             "suspended meanwhile."},
    {INT("server", "handler_queue", handler_queue, 0, 100000), .dflt = "64",
     .help = "Requests that may wait for a handler thread of `listen`; past it: 503 with `Retry-After`."},
    {INT("server", "public_handler_threads", public_handler_threads, 1, 256), .dflt = "8",
     .help = "Handler threads of `public_listen` (cover misses, covers by comic id)."},
    {INT("server", "public_handler_queue", public_handler_queue, 0, 100000), .dflt = "256",
     .help = "Requests that may wait for a handler thread of `public_listen`; past it: 503 with `Retry-After`."},
    {INT("server", "max_connections", max_connections, 16, 1000000), .dflt = "16384",
     .help = "Open connections per listener; past it new ones wait in the kernel's backlog. Lowered at start to "
             "fit the open-file limit (raise `LimitNOFILE`)."},
    {INT("server", "max_connections_per_client", max_connections_per_client, 0, 1000000), .dflt = "128",
     .help = "Open connections per client address and listener; more are closed at once. 0 = no limit (behind a "
             "proxy or CDN, where every request comes from its address)."},
    {DUR("server", "head_timeout", head_timeout_ms, 100, 300000), .dflt = "10s",
     .help = "A new connection must send a complete request head within this long, however slowly bytes trickle "
             "in (slowloris). A request body must then be complete within this plus one second per 64 KiB of "
             "`max_body`."},
    {DUR("server", "keepalive_timeout", keepalive_timeout_ms, 100, 3600000), .dflt = "75s",
     .help = "An idle kept-alive connection is closed after this long (nginx's default too: a client may reuse a "
             "connection the moment the server closes it, so shorter means more failed reuses); its next request head "
             "must be complete by then. Also the idle timeout while a request is in progress."},
    {INT("server", "threads", http_threads, 1, 256), .dflt = "8",
     .help = "Unused (see `event_threads`, `handler_threads`). Accepted for old files."},
    {STR("server", "port_file", port_file), .example = "/run/comicbatch/port", .flags = CONFIG_TESTS_ONLY,
     .help = "Write the bound port to this file once listening (tests, with port 0)."},
    {STR("server", "public_port_file", public_port_file), .example = "/run/comicbatch/public-port",
     .flags = CONFIG_TESTS_ONLY, .help = "Write the bound port of `public_listen` to this file once listening."},
    {STR("admin", "token", admin_token), .env = "COMICBATCH_ADMIN_TOKEN", .shown = "— (required, ≥ 16 chars)",
     .example = "change-me-to-a-long-random-secret", .flags = CONFIG_REQUIRED | CONFIG_SECRET,
     .help = "The admin bearer token (`Authorization: Bearer …`); at least 16 characters."},
    {STR("paths", "data_dir", data_dir), .dflt = "./var", .env = "COMICBATCH_DATA_DIR",
     .help = "Data folder: media (fs backend) and the cover cache live under it unless set on their own. "
             "Relative to the working directory (/var/lib/comicbatch under the shipped unit)."},
    {ENUM("log", "level", log_level, "debug|info|warn|error"), .dflt = "info", .env = "COMICBATCH_LOG",
     .flags = CONFIG_RELOAD, .help = "Least severe log level written to stderr."},
    {ENUM("log", "format", log_format, "logfmt|json"), .dflt = "logfmt", .env = "COMICBATCH_LOG_FORMAT",
     .flags = CONFIG_RELOAD,
     .help = "Log line format on stderr: `logfmt` (`ts=… level=… msg=\"…\"`) or `json` (one object per line, same "
             "fields); `--log-format` overrides both."},
    {INT("runs", "workers", workers, 1, 64), .dflt = "4", .help = "Job worker threads of this instance."},
    {INT("runs", "heartbeat_seconds", heartbeat_seconds, 1, 3600), .dflt = "5",
     .help = "How often a running run's `heartbeatat` is refreshed. At most half of `lease_seconds`; a run whose "
             "instance's session is gone is failed twice this plus 1 s after its last heartbeat."},
    {INT("runs", "lease_seconds", lease_seconds, 2, 86400), .dflt = "30",
     .help = "A running run without a heartbeat for this long is failed by the leader (instance lost)."},
    {DUR("runs", "default_timeout", default_timeout_ms, 1000, 7 * DAY), .dflt = "30m", .flags = CONFIG_RELOAD,
     .help = "Run timeout unless the job or `[job.KEY] timeout` says otherwise (`30m`, `2h`, `1h30m`)."},
    {INT("runs", "retention_days", retention_days, 1, 3650), .dflt = "30", .flags = CONFIG_RELOAD,
     .help = "Finished runs older than this many days are deleted by the leader."},
    {INT("runs", "alert_after", alert_after, 1, 1000), .dflt = "3", .flags = CONFIG_RELOAD,
     .help = "Consecutive failures of a job before an alert (notification row, error log line, webhook)."},
    {STR("runs", "alert_webhook_url", alert_webhook_url), .flags = CONFIG_SECRET,
     .example = "https://hooks.example.com/comicbatch",
     .help = "POST each alert here as JSON `{level, message, details}`, from a thread of its own (5 s per try; "
             "refused, reset, 5xx, 408 and 429 tried again after 1 s and 3 s; at most 64 waiting, the oldest "
             "dropped first); empty: no webhook."},
    {INT("runs", "misfire_grace_seconds", misfire_grace_seconds, 1, 86400), .dflt = "60", .flags = CONFIG_RELOAD,
     .help = "A cron slot noticed later than this is a misfire, handled by the job's misfire policy."},
    {INT("runs", "leader_lease_seconds", leader_lease_seconds, 2, 3600), .dflt = "15",
     .help = "The leader proves it is alive every second; a leader whose proof is older than this is fenced (its "
             "lock session is terminated) and replaced, so a paused or wedged leader costs at most this long."},
    {DUR("runs", "retry_delay_max", retry_delay_max_ms, 1000, 7 * DAY), .dflt = "1h", .flags = CONFIG_RELOAD,
     .help = "Longest backoff before a retry (the backoff doubles per attempt up to this, with jitter)."},
    {BOOL("runs", "scheduler", scheduler_enabled), .dflt = "true",
     .help = "Take part in leader election (the leader enqueues cron slots); false: workers and API only."},
    {JOBKEY("timeout", CONFIG_DURATION, timeout_ms), .min = 1000, .max = 365 * DAY, .shown = "per job",
     .example = "10m", .flags = CONFIG_TEMPLATE | CONFIG_RELOAD,
     .help = "This job's run timeout, e.g. `[job.library.hasnew] timeout = 10m`; applies to runs queued after it is "
             "set."},
    {JOBKEY("misfire", CONFIG_ENUM, misfire), .choices = "skip|once", .shown = "per job", .example = "once",
     .flags = CONFIG_TEMPLATE | CONFIG_RELOAD,
     .help = "After downtime: `skip` the missed slots or run `once` to catch up (unless the schedule row sets it)."},
    {JOBKEY("max_attempts", CONFIG_INT, max_attempts), .min = 1, .max = 20, .shown = "1 (no retry)", .example = "3",
     .flags = CONFIG_TEMPLATE | CONFIG_RELOAD,
     .help = "Attempts of a failing run: a failed run (not a cancelled one) is retried as a new run until this many "
             "have failed; the schedule API's `maxattempts` wins over it."},
    {JOBKEY("retry_delay", CONFIG_DURATION, retry_delay_ms), .min = 1000, .max = DAY, .shown = "30s", .example = "1m",
     .flags = CONFIG_TEMPLATE | CONFIG_RELOAD,
     .help = "Backoff before the first retry; each further retry waits twice as long (up to `[runs] "
             "retry_delay_max`), minus up to half of it at random (jitter)."},
    {JOBKEY("deadline", CONFIG_DURATION, deadline_ms), .min = 1000, .max = 366 * DAY,
     .shown = "twice the cron's longest interval", .example = "26h", .flags = CONFIG_TEMPLATE | CONFIG_RELOAD,
     .help = "The job must have succeeded within this long, else an alert (once per breach) and the jobs page shows "
             "it overdue; unlike the default, it also holds while the job is disabled."},
    {INT("jobs", "viewhistory_cap", viewhistory_cap, 1, 1000000), .dflt = "500", .flags = CONFIG_RELOAD,
     .help = "View-history rows kept per user by `library.viewhistory_cap`."},
    {INT("jobs", "rating_min_votes", rating_min_votes, 0, 1000000), .dflt = "100",
     .help = "`m` of the Bayesian rating in `comics.ratings_recalc`."},
    {INT("jobs", "batch_rows", batch_rows, 100, 1000000), .dflt = "10000",
     .help = "Rows per transaction in batched jobs."},
    {BOOL("jobs", "hasnew_events", hasnew_events), .dflt = "true",
     .help = "Recalculate `library.entry.hasnew` within ~200 ms of a new/deleted chapter or a read (LISTEN "
             "`comicbatch_hasnew`); false leaves it to the 15-minute sweep."},
    {STR("storage", "backend", storage_backend), .dflt = "fs",
     .help = "Object storage for media: `fs` (files under `[storage] dir`) or `s3`."},
    {STR("storage", "dir", storage_dir), .shown = "${data_dir}/media", .help = "Media folder of the `fs` backend."},
    {STR("storage", "s3_endpoint", s3_endpoint), .example = "https://s3.example.com",
     .help = "S3-compatible endpoint URL (R2, S3, MinIO); path-style."},
    {STR("storage", "s3_bucket", s3_bucket), .example = "media",
     .help = "Bucket that holds the media objects (`s3` backend)."},
    {STR("storage", "s3_region", s3_region), .dflt = "auto", .help = "S3 region used in the SigV4 signature."},
    {STR("storage", "s3_access_key", s3_access_key), .flags = CONFIG_SECRET,
     .help = "Access key id for the SigV4 signature (`s3` backend)."},
    {STR("storage", "s3_secret_key", s3_secret_key), .flags = CONFIG_SECRET,
     .help = "Secret key for the SigV4 signature (`s3` backend)."},
    {STR("storage", "cover_cache_dir", cover_cache_dir), .shown = "${data_dir}/cache/covers",
     .help = "Folder of the cover proxy's cache (content-addressed files)."},
    {STR("storage", "cover_allowed_hosts", cover_allowed_hosts), .dflt = "", .shown = "— (nothing allowed)",
     .help = "Comma-separated hosts the cover proxy may fetch from: `host` (exact) or `*.example.com` (any name "
             "under it, not the apex), each optionally `:port`; an entry without a port admits only 443."},
    {BYTES("storage", "cover_max_bytes", cover_max_bytes, 1024, 256LL << 20), .dflt = "10m",
     .help = "Largest cover image fetched (enforced while streaming)."},
    {DUR("storage", "cover_timeout", cover_timeout_ms, 100, 120000), .dflt = "10s",
     .help = "Whole-fetch timeout of a cover (the connect timeout is half of it, at most 5 s)."},
    {BOOL("storage", "cover_allow_loopback", cover_allow_loopback), .dflt = "false", .flags = CONFIG_TESTS_ONLY,
     .help = "Let the cover proxy fetch from exactly 127.0.0.1/::1."},
    {STR("storage", "cover_ca_file", cover_ca_file), .flags = CONFIG_TESTS_ONLY,
     .help = "Trust this PEM CA bundle for cover upstreams instead of the system's."},
    {STR("storage", "cover_resolve", cover_resolve), .flags = CONFIG_TESTS_ONLY,
     .help = "Pinned name resolutions for cover upstreams, `host:port:addr …` (like curl `--resolve`)."},
    {STR("metadata", "provider", metadata_provider), .dflt = "dump", .help = "The active metadata provider."},
    {PROVIDERKEY("dump", CONFIG_STR, dump), .example = "/srv/comicbatch/catalog.jsonl.gz", .flags = CONFIG_TEMPLATE,
     .help = "JSON-lines dump of provider NAME: a local path or an https URL, gzip accepted."},
    {PROVIDERKEY("allow_insecure_loopback", CONFIG_BOOL, allow_insecure_loopback), .max = 1, .dflt = "false",
     .flags = CONFIG_TEMPLATE | CONFIG_TESTS_ONLY,
     .help = "Also accept `http://` dump URLs on 127.0.0.1, [::1] and localhost."},
    {STR("metadata.series_refresh", "cron", series_refresh_cron), .dflt = "0 */6 * * *",
     .flags = CONFIG_RELOAD | CONFIG_CRON,
     .help = "When `metadata.series_refresh` runs (unless the schedule row overrides it); a reload reschedules "
             "its next slot."},
    {INT("metadata.series_refresh", "batch_size", series_refresh_batch_size, 1, 1000000), .dflt = "500",
     .flags = CONFIG_RELOAD, .help = "Series rows refreshed per run."},
    {INT("metadata.series_refresh", "min_age_days", series_refresh_min_age_days, 0, 36500), .dflt = "7",
     .flags = CONFIG_RELOAD, .help = "Refresh only rows last refreshed more than this many days ago."},
};

const struct config_key *config_keys(size_t *n)
{
    *n = sizeof keys / sizeof keys[0];
    return keys;
}

const struct config_key *config_key_find(const char *section, const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

/*
 * config — see config.h. The table `keys` is the single list of settings: adding a setting is adding a row.
 * Values are checked as they are read, so the error can name the file line.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/duration.h"
#include "util/xalloc.h"

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
    {STR("server", "listen", listen), .dflt = "127.0.0.1:8080", .env = "COMICBATCH_LISTEN",
     .help = "HTTP address, IPv4 `host:port` (port 0 = any free port): the admin API and pages, metrics and health, "
             "and the cover routes too unless `public_listen` is set."},
    {STR("server", "public_listen", public_listen), .dflt = "", .shown = "— (covers on `listen`)",
     .env = "COMICBATCH_PUBLIC_LISTEN", .example = "0.0.0.0:8081",
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
             "in (slowloris)."},
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
     .help = "How often a running run's `heartbeatat` is refreshed."},
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
     .help = "POST each alert here as JSON `{level, message, details}`; empty: no webhook."},
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
    {STR("metadata.series_refresh", "cron", series_refresh_cron), .dflt = "0 */6 * * *", .flags = CONFIG_RELOAD,
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

static int parse_int64(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return -1;
    *out = n;
    return 0;
}

static int parse_bytes(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || n < 0)
        return -1;
    int64_t mul = 1;
    if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
        mul = 1024;
    else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
        mul = 1024 * 1024;
    else if (*end)
        return -1;
    *out = n * mul;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* The index of `v` in "a|b|c", or -1. */
static int parse_choice(const char *choices, const char *v)
{
    size_t vlen = strlen(v);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        size_t n = strcspn(p, "|");
        if (n == vlen && !strncmp(p, v, n))
            return i;
        p += n + (p[n] == '|');
    }
    return -1;
}

/* Writes "section.name" of `k` for messages, with the template's placeholder replaced by `inst` when given. */
static const char *key_label(const struct config_key *k, const char *inst, char *buf, size_t len)
{
    if (inst && (k->flags & CONFIG_TEMPLATE)) {
        size_t prefix = strcspn(k->section, ".");
        snprintf(buf, len, "%.*s.%s.%s", (int)prefix, k->section, inst, k->name);
    } else {
        snprintf(buf, len, "%s.%s", k->section, k->name);
    }
    return buf;
}

/* A parsed value, before it is stored. */
union value {
    int64_t n;
    const char *s;
};

/* Parses `v` for key `k` into `out`; on error writes a message naming `label` into err. */
static int parse_value(const struct config_key *k, const char *label, const char *v, union value *out, char *err,
                       size_t errlen)
{
    char derr[128];
    int b;
    switch (k->type) {
    case CONFIG_STR: out->s = v; return 0;
    case CONFIG_BOOL:
        if (parse_bool(v, &b) == 0) {
            out->n = b;
            return 0;
        }
        snprintf(err, errlen, "%s: expected true or false, got \"%s\"", label, v);
        return -1;
    case CONFIG_ENUM:
        if ((out->n = parse_choice(k->choices, v)) >= 0)
            return 0;
        snprintf(err, errlen, "%s: expected one of %s, got \"%s\"", label, k->choices, v);
        return -1;
    case CONFIG_INT:
        if (parse_int64(v, &out->n) || out->n < k->min || out->n > k->max) {
            snprintf(err, errlen, "%s: expected an integer from %lld to %lld, got \"%s\"", label, (long long)k->min,
                     (long long)k->max, v);
            return -1;
        }
        return 0;
    case CONFIG_DURATION:
        if (duration_parse(v, &out->n, derr, sizeof derr)) {
            snprintf(err, errlen, "%s: %s", label, derr);
            return -1;
        }
        break;
    case CONFIG_BYTES:
        if (parse_bytes(v, &out->n)) {
            snprintf(err, errlen, "%s: expected a size like 1048576, 512k or 10m, got \"%s\"", label, v);
            return -1;
        }
        break;
    }
    if (out->n < k->min || out->n > k->max) {
        snprintf(err, errlen, "%s: \"%s\" is outside the allowed range", label, v);
        return -1;
    }
    return 0;
}

/*
 * Stores a parsed value with an atomic store (the field may be read by other threads during a reload). A replaced
 * string is freed when `owner` is NULL (loading: nobody else reads yet), else retired into `owner`.
 */
static int store_value(struct config *owner, void *base, const struct config_key *k, const union value *v)
{
    void *slot = (char *)base + k->offset;
    switch (k->type) {
    case CONFIG_STR: {
        if (owner && owner->nretired == CONFIG_MAX_RETIRED)
            return -1;
        char *old = __atomic_exchange_n((char **)slot, xstrdup(v->s), __ATOMIC_ACQ_REL);
        if (owner && old)
            owner->retired[owner->nretired++] = old;
        else
            free(old);
        return 0;
    }
    case CONFIG_BOOL:
    case CONFIG_ENUM:
    case CONFIG_INT: __atomic_store_n((int *)slot, (int)v->n, __ATOMIC_RELEASE); return 0;
    case CONFIG_DURATION:
    case CONFIG_BYTES: __atomic_store_n((int64_t *)slot, v->n, __ATOMIC_RELEASE); return 0;
    }
    return -1;
}

/* Parses and stores one value; `inst` is the template instance (job key, provider name) or NULL. */
static int apply_key(void *base, const struct config_key *k, const char *inst, const char *v, char *err, size_t errlen)
{
    char label[300];
    union value val;
    if (parse_value(k, key_label(k, inst, label, sizeof label), v, &val, err, errlen))
        return -1;
    return store_value(NULL, base, k, &val);
}

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].dflt && !(keys[i].flags & CONFIG_TEMPLATE) &&
            apply_key(c, &keys[i], NULL, keys[i].dflt, err, sizeof err))
            abort(); /* a default that does not parse is a bug in the table (tests/unit/test_config.c) */
}

/* The table row for `name` in `section` (a template section matches "job.<anything>" etc.), or NULL. */
static const struct config_key *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

/* "a, b" — the names a template section accepts, for its error message. */
static const char *template_names(const char *section, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && n < len; i++)
        if (!strcmp(keys[i].section, section))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", keys[i].name);
    return buf;
}

/*
 * Reading the file: inih numbers only its own syntax errors and keeps parsing after them, so the reader below counts
 * lines itself. The first error wins, whichever kind it is, and is reported at its own line; reading stops there.
 */
struct load_state {
    struct config *c;
    FILE *f;
    int line;     /* the line inih is processing */
    int err_line; /* line of st->err, 0 = none */
    char err[512];
};

struct job_settings *config_job_entry(struct config *c, const char *key)
{
    int n = atomic_load(&c->njobs);
    for (int i = 0; i < n; i++)
        if (!strcmp(c->jobs[i].key, key))
            return &c->jobs[i];
    if (n == CONFIG_MAX_JOBS)
        return NULL;
    struct job_settings *j = &c->jobs[n];
    j->key = xstrdup(key);
    atomic_store(&j->timeout_ms, -1);
    atomic_store(&j->misfire, -1);
    atomic_store(&j->max_attempts, -1);
    atomic_store(&j->retry_delay_ms, -1);
    atomic_store(&j->deadline_ms, -1);
    atomic_store(&c->njobs, n + 1); /* publishes the complete entry */
    return j;
}

static struct provider_settings *provider_entry(struct config *c, const char *name)
{
    for (int i = 0; i < c->nproviders; i++)
        if (!strcmp(c->providers[i].name, name))
            return &c->providers[i];
    if (c->nproviders == CONFIG_MAX_PROVIDERS)
        return NULL;
    struct provider_settings *p = &c->providers[c->nproviders++];
    p->name = xstrdup(name);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].dflt && !strcmp(keys[i].section, "provider.NAME")) {
            char err[128];
            if (apply_key(p, &keys[i], name, keys[i].dflt, err, sizeof err))
                abort(); /* a bad default in the table */
        }
    return p;
}

/* `[job.KEY] name = v` and `[provider.NAME] name = v`: the template rows of the table. */
static int template_setting(struct config *c, const char *tmpl, const char *inst, const char *name, const char *v,
                            char *err, size_t errlen)
{
    char known[128];
    const struct config_key *k = find_key(tmpl, name);
    size_t prefix = strcspn(tmpl, ".");
    if (!k) {
        snprintf(err, errlen, "%.*s.%s.%s: unknown setting (known: %s)", (int)prefix, tmpl, inst, name,
                 template_names(tmpl, known, sizeof known));
        return -1;
    }
    void *base = tmpl[0] == 'j' ? (void *)config_job_entry(c, inst) : (void *)provider_entry(c, inst);
    if (!base) {
        snprintf(err, errlen, "%.*s.%s: too many [%.*s.*] sections (max %d)", (int)prefix, tmpl, inst, (int)prefix,
                 tmpl, tmpl[0] == 'j' ? CONFIG_MAX_JOBS : CONFIG_MAX_PROVIDERS);
        return -1;
    }
    return apply_key(base, k, inst, v, err, errlen);
}

static int apply_setting(struct config *c, const char *section, const char *name, const char *v, char *err,
                         size_t errlen)
{
    if (!strncmp(section, "job.", 4) && section[4])
        return template_setting(c, "job.KEY", section + 4, name, v, err, errlen);
    if (!strncmp(section, "provider.", 9) && section[9])
        return template_setting(c, "provider.NAME", section + 9, name, v, err, errlen);
    const struct config_key *k = find_key(section, name);
    if (k && !(k->flags & CONFIG_TEMPLATE))
        return apply_key(c, k, NULL, v, err, errlen);
    snprintf(err, errlen, "%s%s%s: unknown setting", section, *section ? "." : "", name);
    return -1;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    if (st->err_line)
        return 1;
    if (apply_setting(st->c, section, name, value, st->err, sizeof st->err)) {
        st->err_line = st->line;
        return 0;
    }
    return 1;
}

/* inih's line reader: counts lines, stops after the first error, and refuses lines longer than inih's buffer
 * (inih would otherwise split them and apply a truncated value). */
static char *ini_read_line(char *buf, int size, void *stream)
{
    struct load_state *st = stream;
    if (st->err_line || !fgets(buf, size, st->f))
        return NULL;
    st->line++;
    size_t n = strlen(buf);
    if (n == (size_t)size - 1 && buf[n - 1] != '\n') {
        int next = fgetc(st->f);
        if (next != EOF) {
            snprintf(st->err, sizeof st->err, "line longer than %d characters", size - 3);
            st->err_line = st->line;
            return NULL;
        }
    }
    return buf;
}

static int load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    struct load_state st = {.c = c, .f = fopen(path, "r")};
    if (!st.f) {
        snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
        return -1;
    }
    int rc = ini_parse_stream(ini_read_line, &st, on_ini_entry, &st);
    fclose(st.f);
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory while reading", path);
        return -1;
    }
    if (rc > 0 && (!st.err_line || rc < st.err_line)) {
        snprintf(err, errlen, "%s:%d: malformed line (expected [section] or key = value)", path, rc);
        return -1;
    }
    if (st.err_line) {
        snprintf(err, errlen, "%s:%d: %s", path, st.err_line, st.err);
        return -1;
    }
    return 0;
}

static int apply_env(struct config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = keys[i].env ? getenv(keys[i].env) : NULL;
        if (!v)
            continue;
        char e[400];
        if (apply_key(c, &keys[i], NULL, v, e, sizeof e)) {
            snprintf(err, errlen, "environment %s: %s", keys[i].env, e);
            return -1;
        }
    }
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    if (path && load_file(c, path, err, errlen))
        return -1;
    return apply_env(c, err, errlen);
}

/* Splits `text` ("host:port") of setting `name` into `*host` (owned) and `*port`. */
static int split_hostport(const char *name, const char *text, char **host, int *port, char *err, size_t errlen)
{
    const char *colon = strrchr(text, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == text || !colon[1] || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "%s: expected host:port like 127.0.0.1:8080, got \"%s\"", name, text);
        return -1;
    }
    free(*host);
    *host = xcheck(strndup(text, (size_t)(colon - text)));
    *port = (int)p;
    return 0;
}

static int split_listen(struct config *c, char *err, size_t errlen)
{
    if (split_hostport("server.listen", c->listen, &c->listen_host, &c->listen_port, err, errlen))
        return -1;
    if (!c->public_listen || !*c->public_listen)
        return 0;
    if (split_hostport("server.public_listen", c->public_listen, &c->public_listen_host, &c->public_listen_port, err,
                       errlen))
        return -1;
    if (!strcmp(c->listen, c->public_listen) && c->listen_port != 0) {
        snprintf(err, errlen, "server.public_listen: must differ from server.listen (\"%s\")", c->listen);
        return -1;
    }
    return 0;
}

static void derive_dir(char **slot, const char *data_dir, const char *suffix)
{
    if (*slot && **slot)
        return;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", data_dir, suffix);
    free(*slot);
    *slot = xstrdup(buf);
}

int config_validate(struct config *c, bool need_admin_token, const struct config_checks *checks, char *err,
                    size_t errlen)
{
    if (!c->database_url || !*c->database_url) {
        snprintf(err, errlen, "database.url: missing (set [database] url or COMICBATCH_DATABASE_URL)");
        return -1;
    }
    char cerr[200];
    if (checks && checks->cron && c->series_refresh_cron && *c->series_refresh_cron &&
        checks->cron(c->series_refresh_cron, cerr, sizeof cerr)) {
        snprintf(err, errlen, "metadata.series_refresh.cron: %s", cerr);
        return -1;
    }
    if (need_admin_token && (!c->admin_token || strlen(c->admin_token) < 16)) {
        snprintf(err, errlen,
                 "admin.token: missing or shorter than 16 characters (set [admin] token or "
                 "COMICBATCH_ADMIN_TOKEN)");
        return -1;
    }
    if (strcmp(c->storage_backend, "fs") && strcmp(c->storage_backend, "s3")) {
        snprintf(err, errlen, "storage.backend: expected fs or s3, got \"%s\"", c->storage_backend);
        return -1;
    }
    if (!strcmp(c->storage_backend, "s3") &&
        (!c->s3_endpoint || !c->s3_bucket || !c->s3_access_key || !c->s3_secret_key)) {
        snprintf(err, errlen,
                 "storage.s3_endpoint, s3_bucket, s3_access_key and s3_secret_key are required when "
                 "storage.backend = s3");
        return -1;
    }
    derive_dir(&c->cover_cache_dir, c->data_dir, "cache/covers");
    derive_dir(&c->storage_dir, c->data_dir, "media");
    return split_listen(c, err, errlen);
}

const char *config_session_url(const struct config *c)
{
    return c->database_direct_url && *c->database_direct_url ? c->database_direct_url : c->database_url;
}

const struct job_settings *config_job(const struct config *c, const char *key)
{
    int n = atomic_load(&c->njobs);
    for (int i = 0; i < n; i++)
        if (!strcmp(c->jobs[i].key, key))
            return &c->jobs[i];
    return NULL;
}

const struct provider_settings *config_provider(const struct config *c, const char *name)
{
    for (int i = 0; i < c->nproviders; i++)
        if (!strcmp(c->providers[i].name, name))
            return &c->providers[i];
    return NULL;
}

const char *config_value_text(const void *base, const struct config_key *k, char *buf, size_t len)
{
    const void *slot = (const char *)base + k->offset;
    int64_t n = 0;
    switch (k->type) {
    case CONFIG_STR: {
        const char *v = __atomic_load_n((char *const *)slot, __ATOMIC_ACQUIRE);
        snprintf(buf, len, "%s", v ? v : "");
        return buf;
    }
    case CONFIG_BOOL:
        snprintf(buf, len, "%s", __atomic_load_n((const int *)slot, __ATOMIC_ACQUIRE) ? "true" : "false");
        return buf;
    case CONFIG_ENUM: {
        int idx = __atomic_load_n((const int *)slot, __ATOMIC_ACQUIRE);
        const char *p = k->choices;
        for (int i = 0; i < idx && *p; i++)
            p += strcspn(p, "|") + (p[strcspn(p, "|")] == '|');
        snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), idx < 0 ? "" : p);
        return buf;
    }
    case CONFIG_INT: n = __atomic_load_n((const int *)slot, __ATOMIC_ACQUIRE); break;
    case CONFIG_DURATION:
        n = __atomic_load_n((const int64_t *)slot, __ATOMIC_ACQUIRE);
        snprintf(buf, len, "%lldms", (long long)n);
        return buf;
    case CONFIG_BYTES: n = __atomic_load_n((const int64_t *)slot, __ATOMIC_ACQUIRE); break;
    }
    snprintf(buf, len, "%lld", (long long)n);
    return buf;
}

int config_copy_value(struct config *owner, void *dst, const void *src, const struct config_key *k)
{
    const void *slot = (const char *)src + k->offset;
    union value v = {0};
    if (k->type == CONFIG_STR) {
        v.s = __atomic_load_n((char *const *)slot, __ATOMIC_ACQUIRE);
        if (!v.s)
            v.s = "";
    } else if (k->type == CONFIG_DURATION || k->type == CONFIG_BYTES) {
        v.n = __atomic_load_n((const int64_t *)slot, __ATOMIC_ACQUIRE);
    } else {
        v.n = __atomic_load_n((const int *)slot, __ATOMIC_ACQUIRE);
    }
    return store_value(owner, dst, k, &v);
}

void config_finish(struct config *c)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].type == CONFIG_STR && !(keys[i].flags & CONFIG_TEMPLATE))
            free(*(char **)((char *)c + keys[i].offset));
    free(c->listen_host);
    free(c->public_listen_host);
    for (int i = 0; i < c->njobs; i++)
        free(c->jobs[i].key);
    for (int i = 0; i < c->nproviders; i++) {
        free(c->providers[i].name);
        free(c->providers[i].dump);
    }
    for (int i = 0; i < c->nretired; i++)
        free(c->retired[i]);
    memset(c, 0, sizeof *c);
}

/*
 * config — see config.h. The table `keys` is the single list of settings: adding a setting is adding a row.
 * Values are checked as they are read, so the error can name the file line.
 */
#include "config.h"

#include <ini.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/duration.h"
#include "util/xalloc.h"

enum key_type { K_STR, K_INT, K_BOOL, K_DURATION, K_BYTES };

struct key_def {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;
    int64_t min, max; /* bounds for K_INT / K_DURATION (ms) / K_BYTES */
};

#define S(sec, name, field) {sec, name, K_STR, offsetof(struct config, field), 0, 0}
#define I(sec, name, field, lo, hi) {sec, name, K_INT, offsetof(struct config, field), lo, hi}
#define B(sec, name, field) {sec, name, K_BOOL, offsetof(struct config, field), 0, 1}
#define D(sec, name, field, lo, hi) {sec, name, K_DURATION, offsetof(struct config, field), lo, hi}
#define Z(sec, name, field, lo, hi) {sec, name, K_BYTES, offsetof(struct config, field), lo, hi}

static const struct key_def keys[] = {
    S("server", "listen", listen),
    S("server", "public_listen", public_listen),
    Z("server", "max_body", max_body_bytes, 1024, 64LL << 20),
    S("server", "port_file", port_file),
    S("server", "public_port_file", public_port_file),
    I("server", "event_threads", event_threads, 0, 64),
    I("server", "handler_threads", handler_threads, 1, 256),
    I("server", "handler_queue", handler_queue, 0, 100000),
    I("server", "public_handler_threads", public_handler_threads, 1, 256),
    I("server", "public_handler_queue", public_handler_queue, 0, 100000),
    I("server", "max_connections", max_connections, 16, 1000000),
    I("server", "max_connections_per_client", max_connections_per_client, 0, 1000000),
    D("server", "head_timeout", head_timeout_ms, 100, 300000),
    D("server", "keepalive_timeout", keepalive_timeout_ms, 100, 3600000),
    S("database", "url", database_url),
    I("database", "pool_size", db_pool_size, 1, 256),
    S("redis", "url", redis_url),
    S("admin", "token", admin_token),
    S("paths", "data_dir", data_dir),
    I("runs", "workers", workers, 1, 64),
    I("runs", "heartbeat_seconds", heartbeat_seconds, 1, 3600),
    I("runs", "lease_seconds", lease_seconds, 2, 86400),
    I("runs", "retention_days", retention_days, 1, 3650),
    D("runs", "default_timeout", default_timeout_ms, 1000, 7LL * 86400 * 1000),
    I("runs", "alert_after", alert_after, 1, 1000),
    S("runs", "alert_webhook_url", alert_webhook_url),
    I("runs", "misfire_grace_seconds", misfire_grace_seconds, 1, 86400),
    B("runs", "scheduler", scheduler_enabled),
    I("jobs", "viewhistory_cap", viewhistory_cap, 1, 1000000),
    I("jobs", "rating_min_votes", rating_min_votes, 0, 1000000),
    I("jobs", "batch_rows", batch_rows, 100, 1000000),
    B("jobs", "hasnew_events", hasnew_events),
    S("storage", "backend", storage_backend),
    S("storage", "dir", storage_dir),
    S("storage", "s3_endpoint", s3_endpoint),
    S("storage", "s3_bucket", s3_bucket),
    S("storage", "s3_region", s3_region),
    S("storage", "s3_access_key", s3_access_key),
    S("storage", "s3_secret_key", s3_secret_key),
    S("storage", "cover_cache_dir", cover_cache_dir),
    S("storage", "cover_allowed_hosts", cover_allowed_hosts),
    B("storage", "cover_allow_loopback", cover_allow_loopback),
    Z("storage", "cover_max_bytes", cover_max_bytes, 1024, 256LL << 20),
    D("storage", "cover_timeout", cover_timeout_ms, 100, 120000),
    S("storage", "cover_ca_file", cover_ca_file),
    S("storage", "cover_resolve", cover_resolve),
    S("metadata", "provider", metadata_provider),
    S("metadata.series_refresh", "cron", series_refresh_cron),
    I("metadata.series_refresh", "batch_size", series_refresh_batch_size, 1, 1000000),
    I("metadata.series_refresh", "min_age_days", series_refresh_min_age_days, 0, 36500),
};

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = xstrdup("127.0.0.1:8080");
    c->public_listen = xstrdup("");
    c->max_body_bytes = 1 << 20;
    c->event_threads = 0;
    c->handler_threads = 8;
    c->handler_queue = 64;
    c->public_handler_threads = 8;
    c->public_handler_queue = 256;
    c->max_connections = 16384;
    c->max_connections_per_client = 128;
    c->head_timeout_ms = 10000;
    c->keepalive_timeout_ms = 30000;
    c->db_pool_size = 8;
    c->redis_url = xstrdup("redis://127.0.0.1:6379/0");
    c->data_dir = xstrdup("./var");
    c->workers = 4;
    c->heartbeat_seconds = 5;
    c->lease_seconds = 30;
    c->retention_days = 30;
    c->default_timeout_ms = 30LL * 60 * 1000;
    c->alert_after = 3;
    c->misfire_grace_seconds = 60;
    c->scheduler_enabled = 1;
    c->viewhistory_cap = 500;
    c->rating_min_votes = 100;
    c->batch_rows = 10000;
    c->hasnew_events = 1;
    c->storage_backend = xstrdup("fs");
    c->s3_region = xstrdup("auto");
    c->cover_allowed_hosts = xstrdup("");
    c->cover_max_bytes = 10LL << 20;
    c->cover_timeout_ms = 10000;
    c->metadata_provider = xstrdup("dump");
    c->series_refresh_cron = xstrdup("0 */6 * * *");
    c->series_refresh_batch_size = 500;
    c->series_refresh_min_age_days = 7;
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

/* Sets one typed key from text; on error writes a message (without the line) into err. */
static int apply_key(struct config *c, const struct key_def *k, const char *v, char *err, size_t errlen)
{
    void *slot = (char *)c + k->offset;
    int64_t n = 0;
    char derr[128];
    switch (k->type) {
    case K_STR:
        set_str((char **)slot, v);
        return 0;
    case K_BOOL:
        if (parse_bool(v, (int *)slot) == 0)
            return 0;
        snprintf(err, errlen, "%s.%s: expected true or false, got \"%s\"", k->section, k->name, v);
        return -1;
    case K_INT:
        if (parse_int64(v, &n) || n < k->min || n > k->max) {
            snprintf(err, errlen, "%s.%s: expected an integer from %lld to %lld, got \"%s\"", k->section, k->name,
                     (long long)k->min, (long long)k->max, v);
            return -1;
        }
        *(int *)slot = (int)n;
        return 0;
    case K_DURATION:
        if (duration_parse(v, &n, derr, sizeof derr)) {
            snprintf(err, errlen, "%s.%s: %s", k->section, k->name, derr);
            return -1;
        }
        break;
    case K_BYTES:
        if (parse_bytes(v, &n)) {
            snprintf(err, errlen, "%s.%s: expected a size like 1048576, 512k or 10m, got \"%s\"", k->section,
                     k->name, v);
            return -1;
        }
        break;
    }
    if (n < k->min || n > k->max) {
        snprintf(err, errlen, "%s.%s: \"%s\" is outside the allowed range", k->section, k->name, v);
        return -1;
    }
    *(int64_t *)slot = n;
    return 0;
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

static int job_section(struct config *c, const char *key, const char *name, const char *v, char *err,
                       size_t errlen)
{
    struct job_settings *j = NULL;
    for (int i = 0; i < c->njobs; i++)
        if (!strcmp(c->jobs[i].key, key))
            j = &c->jobs[i];
    if (!j) {
        if (c->njobs == CONFIG_MAX_JOBS) {
            snprintf(err, errlen, "job.%s: too many [job.*] sections (max %d)", key, CONFIG_MAX_JOBS);
            return -1;
        }
        j = &c->jobs[c->njobs++];
        j->key = xstrdup(key);
        j->timeout_ms = -1;
        j->misfire = -1;
    }
    char derr[128];
    if (!strcmp(name, "timeout")) {
        if (duration_parse(v, &j->timeout_ms, derr, sizeof derr) == 0 && j->timeout_ms >= 1000)
            return 0;
        snprintf(err, errlen, "job.%s.timeout: expected a duration of at least 1s like 30m, got \"%s\"", key, v);
        return -1;
    }
    if (!strcmp(name, "misfire")) {
        if (!strcmp(v, "skip") || !strcmp(v, "once")) {
            j->misfire = !strcmp(v, "once");
            return 0;
        }
        snprintf(err, errlen, "job.%s.misfire: expected skip or once, got \"%s\"", key, v);
        return -1;
    }
    snprintf(err, errlen, "job.%s.%s: unknown setting (known: timeout, misfire)", key, name);
    return -1;
}

static int provider_section(struct config *c, const char *pname, const char *name, const char *v, char *err,
                            size_t errlen)
{
    struct provider_settings *p = NULL;
    for (int i = 0; i < c->nproviders; i++)
        if (!strcmp(c->providers[i].name, pname))
            p = &c->providers[i];
    if (!p) {
        if (c->nproviders == CONFIG_MAX_PROVIDERS) {
            snprintf(err, errlen, "provider.%s: too many [provider.*] sections", pname);
            return -1;
        }
        p = &c->providers[c->nproviders++];
        p->name = xstrdup(pname);
    }
    if (!strcmp(name, "dump")) {
        set_str(&p->dump, v);
        return 0;
    }
    if (!strcmp(name, "allow_insecure_loopback")) {
        if (parse_bool(v, &p->allow_insecure_loopback) == 0)
            return 0;
        snprintf(err, errlen, "provider.%s.allow_insecure_loopback: expected true or false, got \"%s\"", pname, v);
        return -1;
    }
    snprintf(err, errlen, "provider.%s.%s: unknown setting (known: dump, allow_insecure_loopback)", pname, name);
    return -1;
}

static int apply_setting(struct config *c, const char *section, const char *name, const char *v, char *err,
                         size_t errlen)
{
    if (!strncmp(section, "job.", 4) && section[4])
        return job_section(c, section + 4, name, v, err, errlen);
    if (!strncmp(section, "provider.", 9) && section[9])
        return provider_section(c, section + 9, name, v, err, errlen);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return apply_key(c, &keys[i], v, err, errlen);
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
    static const struct {
        const char *var, *section, *name;
    } env[] = {
        {"COMICBATCH_DATABASE_URL", "database", "url"}, {"COMICBATCH_REDIS_URL", "redis", "url"},
        {"COMICBATCH_LISTEN", "server", "listen"},      {"COMICBATCH_ADMIN_TOKEN", "admin", "token"},
        {"COMICBATCH_DATA_DIR", "paths", "data_dir"},   {"COMICBATCH_PUBLIC_LISTEN", "server", "public_listen"},
    };
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *v = getenv(env[i].var);
        if (!v)
            continue;
        char e[400];
        if (apply_setting(c, env[i].section, env[i].name, v, e, sizeof e)) {
            snprintf(err, errlen, "environment %s: %s", env[i].var, e);
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
    if (!*c->public_listen)
        return 0;
    if (split_hostport("server.public_listen", c->public_listen, &c->public_listen_host, &c->public_listen_port,
                       err, errlen))
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
    set_str(slot, buf);
}

int config_validate(struct config *c, bool need_admin_token, char *err, size_t errlen)
{
    if (!c->database_url || !*c->database_url) {
        snprintf(err, errlen, "database.url: missing (set [database] url or COMICBATCH_DATABASE_URL)");
        return -1;
    }
    if (need_admin_token && (!c->admin_token || strlen(c->admin_token) < 16)) {
        snprintf(err, errlen, "admin.token: missing or shorter than 16 characters (set [admin] token or "
                              "COMICBATCH_ADMIN_TOKEN)");
        return -1;
    }
    if (strcmp(c->storage_backend, "fs") && strcmp(c->storage_backend, "s3")) {
        snprintf(err, errlen, "storage.backend: expected fs or s3, got \"%s\"", c->storage_backend);
        return -1;
    }
    if (!strcmp(c->storage_backend, "s3") && (!c->s3_endpoint || !c->s3_bucket || !c->s3_access_key ||
                                              !c->s3_secret_key)) {
        snprintf(err, errlen, "storage.s3_endpoint, s3_bucket, s3_access_key and s3_secret_key are required when "
                              "storage.backend = s3");
        return -1;
    }
    derive_dir(&c->cover_cache_dir, c->data_dir, "cache/covers");
    derive_dir(&c->storage_dir, c->data_dir, "media");
    return split_listen(c, err, errlen);
}

const struct job_settings *config_job(const struct config *c, const char *key)
{
    for (int i = 0; i < c->njobs; i++)
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

void config_finish(struct config *c)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].type == K_STR)
            free(*(char **)((char *)c + keys[i].offset));
    free(c->listen_host);
    free(c->public_listen_host);
    for (int i = 0; i < c->njobs; i++)
        free(c->jobs[i].key);
    for (int i = 0; i < c->nproviders; i++) {
        free(c->providers[i].name);
        free(c->providers[i].dump);
    }
    memset(c, 0, sizeof *c);
}

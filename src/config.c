/*
 * config — see config.h. The table of settings is in config_keys.c (config_keys()): adding a setting is adding a row.
 * Values are checked as they are read, so the error can name the file line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/duration.h"
#include "util/xalloc.h"

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

int config_choice_index(const char *choices, const char *v)
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

/* Checks `text` of setting `name`: an IPv4 "host:port" (or "localhost:port"), port 0 to 65535. 0, or -1 with err. */
static int hostport_check(const char *name, const char *text, char *err, size_t errlen)
{
    const char *colon = strrchr(text, ':');
    char *end;
    errno = 0;
    long p = colon && colon[1] >= '0' && colon[1] <= '9' ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == text || p < 0 || *end || errno) {
        snprintf(err, errlen, "%s: expected host:port like 127.0.0.1:8080, got \"%s\"", name, text);
        return -1;
    }
    if (p > 65535) {
        snprintf(err, errlen, "%s: port %ld is out of range (0 to 65535; 0 = any free port)", name, p);
        return -1;
    }
    char host[INET_ADDRSTRLEN + 16];
    snprintf(host, sizeof host, "%.*s", (int)(colon - text), text);
    struct in_addr a;
    if (strcmp(host, "localhost") && inet_pton(AF_INET, host, &a) != 1) {
        snprintf(err, errlen, "%s: \"%s\" is not an IPv4 address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)",
                 name, host);
        return -1;
    }
    return 0;
}

/* "expected … from MIN to MAX" for a duration or size out of the row's bounds. */
static void range_error(const struct config_key *k, const char *label, const char *v, char *err, size_t errlen)
{
    char lo[32], hi[32];
    if (k->type == CONFIG_DURATION)
        snprintf(err, errlen, "%s: \"%s\" is outside the allowed range: expected a duration from %s to %s", label, v,
                 duration_format(k->min, lo, sizeof lo), duration_format(k->max, hi, sizeof hi));
    else
        snprintf(err, errlen, "%s: \"%s\" is outside the allowed range: expected a size from %lld to %lld bytes", label,
                 v, (long long)k->min, (long long)k->max);
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
    case CONFIG_STR: out->s = v; return (k->flags & CONFIG_HOSTPORT) && *v ? hostport_check(label, v, err, errlen) : 0;
    case CONFIG_BOOL:
        if (parse_bool(v, &b) == 0) {
            out->n = b;
            return 0;
        }
        snprintf(err, errlen, "%s: expected true or false, got \"%s\"", label, v);
        return -1;
    case CONFIG_ENUM:
        if ((out->n = config_choice_index(k->choices, v)) >= 0)
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
        range_error(k, label, v, err, errlen);
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
    size_t nkeys;
    const struct config_key *keys = config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].dflt && !(keys[i].flags & CONFIG_TEMPLATE) &&
            apply_key(c, &keys[i], NULL, keys[i].dflt, err, sizeof err))
            abort(); /* a default that does not parse is a bug in the table (tests/unit/test_config.c) */
}

/* "a, b" — the names a template section accepts, for its error message. */
static const char *template_names(const char *section, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    size_t nkeys;
    const struct config_key *keys = config_keys(&nkeys);
    for (size_t i = 0; i < nkeys && n < len; i++)
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
    const struct config_checks *checks; /* may be NULL */
    FILE *f;
    int read_errno; /* why the file could not be read to its end, 0 = it was */
    int line;       /* the line inih is processing */
    int err_line;   /* line of st->err, 0 = none */
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
    size_t nkeys;
    const struct config_key *keys = config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].dflt && !strcmp(keys[i].section, "provider.NAME")) {
            char err[128];
            if (apply_key(p, &keys[i], name, keys[i].dflt, err, sizeof err))
                abort(); /* a bad default in the table */
        }
    return p;
}

/* Levenshtein distance of `a` and `b`, for "did you mean"; SIZE_MAX when either is longer than 63 bytes. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            row[j] = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
        }
    }
    return row[lb];
}

/* `[job.KEY]` names a job the caller knows (checks->job_key; no such hook: any name). 0, or -1 with err. */
static int check_job_key(const struct config_checks *checks, const char *key, char *err, size_t errlen)
{
    if (!checks || !checks->job_key)
        return 0;
    const char *known, *near = NULL;
    size_t nearest = 4; /* at most three edits away */
    for (size_t i = 0; (known = checks->job_key(i)); i++) {
        if (!strcmp(known, key))
            return 0;
        size_t d = edit_distance(known, key);
        if (d < nearest) {
            nearest = d;
            near = known;
        }
    }
    if (near)
        snprintf(err, errlen, "[job.%s]: unknown job key; did you mean [job.%s]? (`comicbatch jobs` lists them)", key,
                 near);
    else
        snprintf(err, errlen, "[job.%s]: unknown job key (`comicbatch jobs` lists them)", key);
    return -1;
}

/* `[job.KEY] name = v` and `[provider.NAME] name = v`: the template rows of the table. */
static int template_setting(struct config *c, const struct config_checks *checks, const char *tmpl, const char *inst,
                            const char *name, const char *v, char *err, size_t errlen)
{
    char known[128];
    const struct config_key *k = config_key_find(tmpl, name);
    size_t prefix = strcspn(tmpl, ".");
    if (tmpl[0] == 'j' && check_job_key(checks, inst, err, errlen))
        return -1;
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

/* A cron-valued key's value, through the caller's parser (checks->cron; none given: not checked). 0 or -1. */
static int check_cron(const struct config_checks *checks, const struct config_key *k, const char *v, char *err,
                      size_t errlen)
{
    char cerr[200];
    if (!(k->flags & CONFIG_CRON) || !checks || !checks->cron || !*v || !checks->cron(v, cerr, sizeof cerr))
        return 0;
    snprintf(err, errlen, "%s.%s: %s", k->section, k->name, cerr);
    return -1;
}

static int apply_setting(struct config *c, const struct config_checks *checks, const char *section, const char *name,
                         const char *v, char *err, size_t errlen)
{
    if (!strncmp(section, "job.", 4) && section[4])
        return template_setting(c, checks, "job.KEY", section + 4, name, v, err, errlen);
    if (!strncmp(section, "provider.", 9) && section[9])
        return template_setting(c, checks, "provider.NAME", section + 9, name, v, err, errlen);
    const struct config_key *k = config_key_find(section, name);
    if (k && !(k->flags & CONFIG_TEMPLATE))
        return check_cron(checks, k, v, err, errlen) ? -1 : apply_key(c, k, NULL, v, err, errlen);
    snprintf(err, errlen, "%s%s%s: unknown setting", section, *section ? "." : "", name);
    return -1;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    if (st->err_line)
        return 1;
    if (apply_setting(st->c, st->checks, section, name, value, st->err, sizeof st->err)) {
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
    if (st->err_line)
        return NULL;
    errno = 0;
    if (!fgets(buf, size, st->f)) {
        st->read_errno = ferror(st->f) ? (errno ? errno : EIO) : 0; /* inih takes NULL for the end of the file */
        return NULL;
    }
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

static int load_file(struct config *c, const char *path, const struct config_checks *checks, char *err, size_t errlen)
{
    struct load_state st = {.c = c, .checks = checks, .f = fopen(path, "r")};
    struct stat sb;
    if (st.f && fstat(fileno(st.f), &sb) == 0 && S_ISDIR(sb.st_mode)) { /* fopen takes one; every read then fails */
        fclose(st.f);
        st.f = NULL;
        errno = EISDIR;
    }
    if (!st.f) {
        snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
        return -1;
    }
    int rc = ini_parse_stream(ini_read_line, &st, on_ini_entry, &st);
    fclose(st.f);
    if (st.read_errno && !st.err_line) {
        snprintf(err, errlen, "%s: cannot read config file: %s", path, strerror(st.read_errno));
        return -1;
    }
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
    size_t nkeys;
    const struct config_key *keys = config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++) {
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

int config_load_checked(struct config *c, const char *path, const struct config_checks *checks, char *err,
                        size_t errlen)
{
    if (path && load_file(c, path, checks, err, errlen))
        return -1;
    return apply_env(c, err, errlen);
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    return config_load_checked(c, path, NULL, err, errlen);
}

/* Splits `text` ("host:port", checked by hostport_check) of setting `name` into `*host` (owned) and `*port`. */
static int split_hostport(const char *name, const char *text, char **host, int *port, char *err, size_t errlen)
{
    if (hostport_check(name, text, err, errlen))
        return -1;
    const char *colon = strrchr(text, ':');
    size_t hlen = (size_t)(colon - text);
    free(*host);
    /* "localhost" is what people type; the server binds IPv4 addresses, so it means 127.0.0.1. */
    *host = hlen == 9 && !strncmp(text, "localhost", 9) ? xstrdup("127.0.0.1") : xcheck(strndup(text, hlen));
    *port = atoi(colon + 1);
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

/* The admin token: at least 16 characters, and not the placeholder the example configuration shows. */
static int check_admin_token(const char *token, char *err, size_t errlen)
{
    if (!token || strlen(token) < 16) {
        snprintf(err, errlen,
                 "admin.token: missing or shorter than 16 characters (set [admin] token or "
                 "COMICBATCH_ADMIN_TOKEN)");
        return -1;
    }
    const struct config_key *k = config_key_find("admin", "token");
    if (k && k->example && !strcmp(token, k->example)) {
        snprintf(err, errlen,
                 "admin.token: still the example's placeholder; set a secret of your own, e.g. the output of "
                 "`openssl rand -hex 32`");
        return -1;
    }
    return 0;
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
    if (need_admin_token && check_admin_token(c->admin_token, err, errlen))
        return -1;
    if (c->heartbeat_seconds * 2 > c->lease_seconds) { /* one late heartbeat must not make a live run look lost */
        snprintf(err, errlen, "runs.heartbeat_seconds (%d) must be at most half of runs.lease_seconds (%d)",
                 c->heartbeat_seconds, c->lease_seconds);
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
    size_t nkeys;
    const struct config_key *keys = config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++)
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

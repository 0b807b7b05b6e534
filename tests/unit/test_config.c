/*
 * Unit tests for config.c: defaults, values from an INI file, environment overrides winning over the file, errors
 * that name the key and the file line (unknown key, malformed value, out of range, malformed line), the per-job
 * `[job.KEY]` sections, and config_validate's messages and derived values. Criterion runs each test in its own
 * process, so setenv/unsetenv here cannot leak into another test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sched/cron.h"

static const char *const env_vars[] = {"COMICBATCH_DATABASE_URL", "COMICBATCH_REDIS_URL",
                                       "COMICBATCH_LISTEN",       "COMICBATCH_ADMIN_TOKEN",
                                       "COMICBATCH_DATA_DIR",     "COMICBATCH_DATABASE_DIRECT_URL"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

TestSuite(config, .init = clear_env);

static char ini_path[64];

/* Writes `text` to a fresh temporary file and returns its path (valid until the test process ends). */
static const char *ini(const char *text)
{
    snprintf(ini_path, sizeof ini_path, "/tmp/cb-config-test-XXXXXX");
    int fd = mkstemp(ini_path);
    cr_assert_geq(fd, 0, "mkstemp");
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return ini_path;
}

/* Loads `text`; expects failure and returns the message (static buffer). */
static const char *load_error(const char *text)
{
    static char err[1024];
    struct config c;
    config_init(&c);
    const char *path = ini(text);
    int rc = config_load(&c, path, err, sizeof err);
    config_finish(&c);
    unlink(path);
    cr_assert_eq(rc, -1, "expected an error for:\n%s", text);
    return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
    cr_assert_not_null(strstr(haystack, needle), "\"%s\" does not contain \"%s\"", haystack, needle);
}

/* The error must start with "<path>:<line>: ". */
static void assert_line(const char *err, int line)
{
    char want[96];
    snprintf(want, sizeof want, "%s:%d: ", ini_path, line);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "\"%s\" should start with \"%s\"", err, want);
}

Test(config, defaults)
{
    struct config c;
    char err[512];
    config_init(&c);
    cr_assert_eq(config_load(&c, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.data_dir, "./var");
    cr_assert_null(c.database_url);
    cr_assert_null(c.admin_token);
    cr_assert_eq(c.workers, 4);
    cr_assert_eq(c.retention_days, 30, "30-day retention (DESIGN §3)");
    cr_assert_eq(c.default_timeout_ms, 30LL * 60 * 1000, "30 min default timeout, the seed's lock TTL");
    cr_assert_eq(c.alert_after, 3, "the seed's 3 consecutive failures");
    cr_assert_eq(c.max_body_bytes, 1 << 20);
    cr_assert_eq(c.scheduler_enabled, 1);
    cr_assert_eq(c.njobs, 0);
    cr_assert_null(config_job(&c, "system.canary"));
    config_finish(&c);
}

Test(config, file_values)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("; comment\n"
                           "[server]\nlisten = 127.0.0.1:9999\nmax_body = 512k\n\n"
                           "[database]\nurl = postgresql:///fromfile\npool_size = 3\n"
                           "[runs]\nworkers = 7\ndefault_timeout = 1h30m\nscheduler = off\nretention_days = 10\n"
                           "[metadata.series_refresh]\ncron = */5 * * * *\nbatch_size = 50\n"
                           "[storage]\ncover_allow_loopback = yes\ncover_max_bytes = 2m\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.listen, "127.0.0.1:9999");
    cr_assert_eq(c.max_body_bytes, 512 * 1024);
    cr_assert_str_eq(c.database_url, "postgresql:///fromfile");
    cr_assert_eq(c.db_pool_size, 3);
    cr_assert_eq(c.workers, 7);
    cr_assert_eq(c.default_timeout_ms, 90LL * 60 * 1000);
    cr_assert_eq(c.scheduler_enabled, 0);
    cr_assert_eq(c.retention_days, 10);
    cr_assert_str_eq(c.series_refresh_cron, "*/5 * * * *");
    cr_assert_eq(c.series_refresh_batch_size, 50);
    cr_assert_eq(c.cover_allow_loopback, 1);
    cr_assert_eq(c.cover_max_bytes, 2 * 1024 * 1024);
    cr_assert_eq(c.alert_after, 3, "keys the file does not set keep their defaults");
    config_finish(&c);
}

Test(config, environment_overrides_the_file)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("[database]\nurl = postgresql:///fromfile\n[admin]\ntoken = file-token-0123456789\n"
                           "[server]\nlisten = 127.0.0.1:1111\n[paths]\ndata_dir = /file/dir\n"
                           "[redis]\nurl = redis://file:1/0\n");
    setenv("COMICBATCH_DATABASE_URL", "postgresql:///fromenv", 1);
    setenv("COMICBATCH_ADMIN_TOKEN", "env-token-abcdefghijkl", 1);
    setenv("COMICBATCH_LISTEN", "127.0.0.1:2222", 1);
    setenv("COMICBATCH_DATA_DIR", "/env/dir", 1);
    setenv("COMICBATCH_REDIS_URL", "unix:/tmp/redis.sock", 1);
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.database_url, "postgresql:///fromenv");
    cr_assert_str_eq(c.admin_token, "env-token-abcdefghijkl");
    cr_assert_str_eq(c.listen, "127.0.0.1:2222");
    cr_assert_str_eq(c.data_dir, "/env/dir");
    cr_assert_str_eq(c.redis_url, "unix:/tmp/redis.sock");
    cr_assert_eq(config_validate(&c, true, &(struct config_checks){.cron = cron_check}, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.listen_port, 2222);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_str_eq(c.cover_cache_dir, "/env/dir/cache/covers", "derived from the overriding data dir");
    cr_assert_str_eq(c.storage_dir, "/env/dir/media");
    config_finish(&c);
}

Test(config, environment_without_file)
{
    struct config c;
    char err[512];
    config_init(&c);
    setenv("COMICBATCH_DATABASE_URL", "postgresql:///only-env", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.database_url, "postgresql:///only-env");
    config_finish(&c);
}

/* Session-scoped connections (LISTEN, advisory locks, jobs) use direct_url when set, else url (issue 11). */
Test(config, session_url_is_direct_url_when_set)
{
    struct config c;
    char err[512];
    config_init(&c);
    cr_assert_eq(config_load(&c, ini("[database]\nurl = postgresql:///pooled\n"), err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(config_session_url(&c), "postgresql:///pooled", "without direct_url, url serves everything");
    cr_assert_eq(c.leader_lease_seconds, 15);
    config_finish(&c);

    config_init(&c);
    const char *path = ini("[database]\nurl = postgresql:///pooled\ndirect_url = postgresql:///direct\n"
                           "[runs]\nleader_lease_seconds = 4\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(config_session_url(&c), "postgresql:///direct");
    cr_assert_str_eq(c.database_url, "postgresql:///pooled");
    cr_assert_eq(c.leader_lease_seconds, 4);
    setenv("COMICBATCH_DATABASE_DIRECT_URL", "postgresql:///direct-env", 1);
    config_finish(&c);
    config_init(&c);
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(config_session_url(&c), "postgresql:///direct-env", "the environment wins");
    config_finish(&c);
    const char *e = load_error("[runs]\nleader_lease_seconds = 1\n");
    assert_line(e, 2);
    assert_contains(e, "runs.leader_lease_seconds");
}

Test(config, unknown_key_names_key_and_line)
{
    const char *err = load_error("[runs]\nworkers = 2\nwrokers = 3\n");
    assert_line(err, 3);
    assert_contains(err, "runs.wrokers");
    assert_contains(err, "unknown setting");
}

Test(config, unknown_section_names_key_and_line)
{
    const char *err = load_error("[server]\nlisten = 127.0.0.1:1\n\n[nosuch]\nthing = 1\n");
    assert_line(err, 5);
    assert_contains(err, "nosuch.thing");
}

Test(config, key_outside_any_section)
{
    const char *err = load_error("listen = 127.0.0.1:1\n");
    assert_line(err, 1);
    assert_contains(err, "listen");
}

Test(config, malformed_values_name_key_and_line)
{
    static const struct {
        const char *text;
        int line;
        const char *key;
    } cases[] = {
        {"[runs]\nworkers = many\n", 2, "runs.workers"},
        {"[runs]\nworkers = 0\n", 2, "runs.workers"},
        {"[runs]\nworkers = 65\n", 2, "runs.workers"},
        {"[runs]\nworkers = 4x\n", 2, "runs.workers"},
        {"[runs]\nworkers =\n", 2, "runs.workers"},
        {"[runs]\nworkers = 99999999999999999999\n", 2, "runs.workers"},
        {"[runs]\nheartbeat_seconds = 1\nscheduler = maybe\n", 3, "runs.scheduler"},
        {"[runs]\ndefault_timeout = 5x\n", 2, "runs.default_timeout"},
        {"[runs]\ndefault_timeout = 10ms\n", 2, "runs.default_timeout"},
        {"[server]\nmax_body = 12q\n", 2, "server.max_body"},
        {"[server]\nmax_body = -5\n", 2, "server.max_body"},
        {"[server]\nmax_body = 100\n", 2, "server.max_body"},
        {"[server]\nmax_body = 1000m\n", 2, "server.max_body"},
        {"\n\n[storage]\ncover_timeout = forever\n", 4, "storage.cover_timeout"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *err = load_error(cases[i].text);
        assert_line(err, cases[i].line);
        assert_contains(err, cases[i].key);
    }
}

Test(config, malformed_line_names_line)
{
    const char *err = load_error("[runs]\nworkers = 2\nthis is not a setting\n");
    assert_line(err, 3);
    assert_contains(err, "malformed line");
    err = load_error("[runs\nworkers = 2\n");
    assert_line(err, 1);
}

Test(config, first_error_wins_with_its_own_line)
{
    /* A malformed line before a bad key: the report is the malformed line, at its line. */
    const char *err = load_error("[runs]\ngarbage line\nworkers = 2\nwrokers = 3\n");
    assert_line(err, 2);
    assert_contains(err, "malformed line");
    /* A bad key before a malformed line: the report is the key, at its line. */
    err = load_error("[runs]\nwrokers = 3\nworkers = 2\ngarbage line\n");
    assert_line(err, 2);
    assert_contains(err, "runs.wrokers");
    /* Two bad keys: the first. */
    err = load_error("[runs]\nworkers = 2\nworkers = zero\nalert_after = none\n");
    assert_line(err, 3);
    assert_contains(err, "runs.workers");
}

Test(config, missing_file)
{
    struct config c;
    char err[512];
    config_init(&c);
    cr_assert_eq(config_load(&c, "/nonexistent/dir/comicbatch.ini", err, sizeof err), -1);
    assert_contains(err, "/nonexistent/dir/comicbatch.ini");
    assert_contains(err, "cannot open");
    config_finish(&c);
}

Test(config, job_sections)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("[job.system.canary]\ntimeout = 90s\nmisfire = once\n"
                           "[job.sessions.cleanup]\nmisfire = skip\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    const struct job_settings *j = config_job(&c, "system.canary");
    cr_assert_not_null(j);
    cr_assert_eq(j->timeout_ms, 90000);
    cr_assert_eq(j->misfire, 1, "once");
    j = config_job(&c, "sessions.cleanup");
    cr_assert_not_null(j);
    cr_assert_eq(j->timeout_ms, -1, "an unset timeout means the registry default");
    cr_assert_eq(j->misfire, 0, "skip");
    cr_assert_null(config_job(&c, "system"));
    cr_assert_null(config_job(&c, "announcements.expire"));
    config_finish(&c);
}

Test(config, job_section_errors_name_key_and_line)
{
    const char *err = load_error("[job.system.canary]\ntimeout = 500ms\n");
    assert_line(err, 2);
    assert_contains(err, "job.system.canary.timeout");
    err = load_error("[job.system.canary]\ntimeout = soon\n");
    assert_line(err, 2);
    assert_contains(err, "job.system.canary.timeout");
    err = load_error("[job.x]\ntimeout = 1s\nmisfire = sometimes\n");
    assert_line(err, 3);
    assert_contains(err, "job.x.misfire");
    err = load_error("[job.x]\ncron = * * * * *\n");
    assert_line(err, 2);
    assert_contains(err, "job.x.cron");
    err = load_error("[job.]\ntimeout = 1s\n");
    assert_line(err, 2);
}

Test(config, provider_sections)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("[provider.dump]\ndump = /data/series.jsonl.gz\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    const struct provider_settings *p = config_provider(&c, "dump");
    cr_assert_not_null(p);
    cr_assert_str_eq(p->dump, "/data/series.jsonl.gz");
    cr_assert_null(config_provider(&c, "other"));
    config_finish(&c);
    const char *e = load_error("[provider.dump]\nurl = x\n");
    assert_line(e, 2);
    assert_contains(e, "provider.dump.url");
}

/* Loads then validates `text`: -1 with the first error of either (a listen value is refused as it is read). */
static int validate_text(const char *text, bool need_token, char *err, size_t errlen)
{
    struct config c;
    config_init(&c);
    const char *path = ini(text);
    int rc = config_load(&c, path, err, errlen);
    if (rc == 0)
        rc = config_validate(&c, need_token, &(struct config_checks){.cron = cron_check}, err, errlen);
    config_finish(&c);
    unlink(path);
    return rc;
}

Test(config, validate_missing_database_url)
{
    char err[512];
    cr_assert_eq(validate_text("[admin]\ntoken = 0123456789abcdef\n", true, err, sizeof err), -1);
    assert_contains(err, "database.url");
    assert_contains(err, "COMICBATCH_DATABASE_URL");
}

Test(config, validate_heartbeat_against_lease)
{
    char err[512];
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n[runs]\nheartbeat_seconds = 30\nlease_seconds = 5\n",
                               false, err, sizeof err),
                 -1);
    assert_contains(err, "runs.heartbeat_seconds (30) must be at most half of runs.lease_seconds (5)");
    cr_assert_eq(
        validate_text("[database]\nurl = postgresql:///x\n[runs]\nheartbeat_seconds = 15\nlease_seconds = 30\n", false,
                      err, sizeof err),
        0, "%s", err);
}

Test(config, validate_admin_token)
{
    char err[512];
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n", true, err, sizeof err), -1);
    assert_contains(err, "admin.token");
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n[admin]\ntoken = short\n", true, err, sizeof err),
                 -1);
    assert_contains(err, "admin.token");
    assert_contains(err, "16");
    cr_assert_eq(
        validate_text("[database]\nurl = postgresql:///x\n[admin]\ntoken = 0123456789abcdef\n", true, err, sizeof err),
        0, "%s", err);
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n", false, err, sizeof err), 0,
                 "commands that serve nothing need no token: %s", err);
}

/* The example configuration's placeholder (the table row's example) is long enough but must not open the API. */
Test(config, validate_admin_token_refuses_the_example_placeholder)
{
    size_t n;
    const struct config_key *keys = config_keys(&n);
    const char *placeholder = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(keys[i].section, "admin") && !strcmp(keys[i].name, "token"))
            placeholder = keys[i].example;
    cr_assert_not_null(placeholder);
    cr_assert_geq(strlen(placeholder), 16, "long enough that only the placeholder rule can refuse it");
    char text[256], err[512];
    snprintf(text, sizeof text, "[database]\nurl = postgresql:///x\n[admin]\ntoken = %s\n", placeholder);
    cr_assert_eq(validate_text(text, true, err, sizeof err), -1);
    assert_contains(err, "admin.token");
    assert_contains(err, "placeholder");
}

Test(config, validate_listen)
{
    char err[512];
    const char *bad[] = {"127.0.0.1",    "127.0.0.1:",     ":8080",      "127.0.0.1:http", "127.0.0.1:70000",
                         "127.0.0.1:-1", "db.internal:80", "[::1]:8080", "localhost.:80",  "127.0.0.256:8080"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[database]\nurl = postgresql:///x\n[server]\nlisten = %s\n", bad[i]);
        cr_assert_eq(validate_text(text, false, err, sizeof err), -1, "listen %s", bad[i]);
        assert_contains(err, "server.listen");
    }
    cr_assert_eq(
        validate_text("[database]\nurl = postgresql:///x\n[server]\nlisten = 127.0.0.1:0\n", false, err, sizeof err), 0,
        "port 0 (pick a free port) is allowed: %s", err);
    cr_assert_eq(
        validate_text("[database]\nurl = postgresql:///x\n[server]\nlisten = db.internal:80\n", false, err, sizeof err),
        -1);
    assert_contains(err, "not an IPv4 address");
    struct config c;
    config_init(&c);
    const char *path = ini("[database]\nurl = postgresql:///x\n[server]\nlisten = localhost:8080\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_validate(&c, false, &(struct config_checks){.cron = cron_check}, err, sizeof err), 0,
                 "localhost is what people type: %s", err);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_eq(c.listen_port, 8080);
    config_finish(&c);
    unlink(path);
}

Test(config, validate_storage_backend)
{
    char err[512];
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n[storage]\nbackend = ftp\n", false, err, sizeof err),
                 -1);
    assert_contains(err, "storage.backend");
    cr_assert_eq(validate_text("[database]\nurl = postgresql:///x\n[storage]\nbackend = s3\n", false, err, sizeof err),
                 -1);
    assert_contains(err, "s3_bucket");
}

Test(config, validate_keeps_explicit_dirs)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("[database]\nurl = postgresql:///x\n[storage]\ncover_cache_dir = /explicit/covers\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(config_validate(&c, false, &(struct config_checks){.cron = cron_check}, err, sizeof err), 0, "%s",
                 err);
    cr_assert_str_eq(c.cover_cache_dir, "/explicit/covers");
    cr_assert_str_eq(c.storage_dir, "./var/media");
    config_finish(&c);
}

Test(config, overlong_line_is_an_error_not_a_truncated_value)
{
    char text[1024], url[600];
    memset(url, 'u', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    snprintf(text, sizeof text, "[runs]\nworkers = 2\n[database]\nurl = postgresql:///%s\n", url);
    const char *err = load_error(text);
    assert_line(err, 4);
    assert_contains(err, "longer than");
}

Test(config, last_line_without_newline)
{
    struct config c;
    char err[512];
    config_init(&c);
    const char *path = ini("[runs]\nworkers = 9");
    cr_assert_eq(config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.workers, 9);
    config_finish(&c);
}

/* ---- what the CLI review found (issue: CLI defects) ---------------------------------------------------------- */

static const char *const known_jobs[] = {"library.hasnew", "sessions.cleanup", "metadata.series_refresh"};

static const char *known_job_at(size_t i)
{
    return i < sizeof known_jobs / sizeof known_jobs[0] ? known_jobs[i] : NULL;
}

static const struct config_checks with_registry = {.cron = cron_check, .job_key = known_job_at};

/* Loads `text` with `checks`; returns config_load_checked's result, the message in err. */
static int load_checked(const char *text, const struct config_checks *checks, char *err, size_t errlen)
{
    struct config c;
    config_init(&c);
    int rc = config_load_checked(&c, ini(text), checks, err, errlen);
    config_finish(&c);
    return rc;
}

Test(config, directory_is_refused_naming_it)
{
    char dir[] = "/tmp/cb-config-dir-XXXXXX", err[512];
    cr_assert_not_null(mkdtemp(dir));
    struct config c;
    config_init(&c);
    cr_assert_eq(config_load(&c, dir, err, sizeof err), -1, "a directory read as an empty file");
    assert_contains(err, dir);
    assert_contains(err, "Is a directory");
    config_finish(&c);
    rmdir(dir);
}

Test(config, unknown_job_key_is_refused_at_its_line_with_the_nearest)
{
    char err[512];
    cr_assert_eq(
        load_checked("[runs]\nworkers = 2\n[job.library.hasnw]\ntimeout = 10m\n", &with_registry, err, sizeof err), -1);
    assert_line(err, 4);
    assert_contains(err, "[job.library.hasnw]: unknown job key");
    assert_contains(err, "did you mean [job.library.hasnew]?");
    cr_assert_eq(load_checked("[job.nothing.near]\ntimeout = 10m\n", &with_registry, err, sizeof err), -1);
    assert_contains(err, "[job.nothing.near]: unknown job key");
    cr_assert_null(strstr(err, "did you mean"), "%s", err);
    cr_assert_eq(load_checked("[job.library.hasnew]\ntimeout = 10m\n", &with_registry, err, sizeof err), 0, "%s", err);
    cr_assert_eq(load_checked("[job.library.hasnw]\ntimeout = 10m\n", NULL, err, sizeof err), 0,
                 "without the registry any key is taken (tools, tests)");
}

Test(config, listen_and_cron_errors_name_the_line)
{
    char err[512];
    cr_assert_eq(load_checked("[runs]\nworkers = 2\n[server]\nlisten = 127.0.0.1:99999\n", NULL, err, sizeof err), -1);
    assert_line(err, 4);
    assert_contains(err, "server.listen: port 99999 is out of range (0 to 65535");
    cr_assert_eq(load_checked("[server]\npublic_listen = db.internal:80\n", NULL, err, sizeof err), -1);
    assert_line(err, 2);
    assert_contains(err, "server.public_listen");
    assert_contains(err, "not an IPv4 address");
    cr_assert_eq(load_checked("\n[metadata.series_refresh]\ncron = 61 * * * *\n", &with_registry, err, sizeof err), -1);
    assert_line(err, 3);
    assert_contains(err, "metadata.series_refresh.cron: ");
    cr_assert_eq(load_checked("[server]\nlisten = localhost:0\npublic_listen =\n", NULL, err, sizeof err), 0, "%s",
                 err);
}

Test(config, range_errors_name_the_range)
{
    const char *err = load_error("[runs]\ndefault_timeout = 90d\n");
    assert_line(err, 2);
    assert_contains(err, "runs.default_timeout: \"90d\" is outside the allowed range: expected a duration from 1s "
                         "to 7d");
    err = load_error("[server]\nmax_body = 1\n");
    assert_contains(err, "expected a size from 1024 to 67108864 bytes");
}

/*
 * Unit tests for the settings table (config.h) and config_reload.c: every row is complete and its default parses
 * and prints back the same; every environment variable in the table overrides its key; a reload copies exactly
 * the reloadable changes, lists the others, keeps replaced strings alive, appends and resets `[job.KEY]` entries;
 * provider sections need a restart.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_reload.h"
#include "sched/cron.h"

static void clear_env(void)
{
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (k[i].env)
            unsetenv(k[i].env);
}

TestSuite(config_reload, .init = clear_env);

/* Loads `text` (a whole INI file) into a fresh config; asserts success. */
static void load(struct config *c, const char *text)
{
    char path[] = "/tmp/cb-reload-test-XXXXXX", err[512];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    config_init(c);
    int rc = config_load(c, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s\n%s", err, text);
}

Test(config_reload, every_row_is_documented_and_its_default_round_trips)
{
    size_t n;
    const struct config_key *k = config_keys(&n);
    cr_assert_gt(n, 40);
    struct config c;
    config_init(&c);
    for (size_t i = 0; i < n; i++) {
        cr_assert(k[i].section && *k[i].section && k[i].name && *k[i].name);
        cr_assert(k[i].help && strlen(k[i].help) > 10, "[%s] %s needs a help text", k[i].section, k[i].name);
        cr_assert_eq(k[i].help[strlen(k[i].help) - 1], '.', "[%s] %s: help ends with a full stop", k[i].section,
                     k[i].name);
        cr_assert(k[i].type != CONFIG_ENUM || (k[i].choices && strchr(k[i].choices, '|')));
        for (size_t j = 0; j < i; j++)
            cr_assert(strcmp(k[i].section, k[j].section) || strcmp(k[i].name, k[j].name), "duplicate row %s.%s",
                      k[i].section, k[i].name);
        if (!k[i].dflt || (k[i].flags & CONFIG_TEMPLATE))
            continue;
        /* The default, as config_init applied it, prints back as the same value the file would give. */
        char text[512], shown[256];
        config_value_text(&c, &k[i], shown, sizeof shown);
        snprintf(text, sizeof text, "[%s]\n%s = %s\n", k[i].section, k[i].name, k[i].dflt);
        struct config f;
        load(&f, text);
        char again[256];
        cr_assert_str_eq(config_value_text(&f, &k[i], again, sizeof again), shown, "[%s] %s", k[i].section, k[i].name);
        config_finish(&f);
    }
    config_finish(&c);
}

Test(config_reload, every_environment_variable_overrides_its_key)
{
    size_t n;
    const struct config_key *k = config_keys(&n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!k[i].env)
            continue;
        const char *v = k[i].type == CONFIG_ENUM ? strrchr(k[i].choices, '|') + 1 : "127.0.0.1:4242";
        setenv(k[i].env, v, 1);
        struct config c;
        char err[256], got[256];
        config_init(&c);
        cr_assert_eq(config_load(&c, NULL, err, sizeof err), 0, "%s: %s", k[i].env, err);
        cr_assert_str_eq(config_value_text(&c, &k[i], got, sizeof got), v, "%s", k[i].env);
        config_finish(&c);
        unsetenv(k[i].env);
        seen++;
    }
    cr_assert_eq(seen, 9,
                 "DESIGN §1's five variables plus COMICBATCH_LOG, COMICBATCH_LOG_FORMAT, "
                 "COMICBATCH_PUBLIC_LISTEN and COMICBATCH_DATABASE_DIRECT_URL");
}

Test(config_reload, log_settings_parse_as_enum_indexes)
{
    struct config c;
    load(&c, "[log]\nlevel = warn\nformat = json\n");
    cr_assert_eq(c.log_level, 2);
    cr_assert_eq(c.log_format, 1);
    config_finish(&c);
    char err[256], path[] = "/tmp/cb-reload-bad-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_eq(write(fd, "[log]\nlevel = loud\n", 19), 19);
    close(fd);
    config_init(&c);
    cr_assert_eq(config_load(&c, path, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "log.level: expected one of debug|info|warn|error"), "%s", err);
    config_finish(&c);
    unlink(path);
}

Test(config_reload, applies_reloadable_changes_and_lists_the_rest)
{
    struct config live, next;
    load(&live, "[log]\nlevel = info\n[runs]\nworkers = 2\nretention_days = 30\n"
                "[metadata.series_refresh]\ncron = 0 */6 * * *\n[server]\nlisten = 127.0.0.1:1\n");
    load(&next, "[log]\nlevel = debug\n[runs]\nworkers = 5\nretention_days = 9\n"
                "[metadata.series_refresh]\ncron = */5 * * * *\n[server]\nlisten = 127.0.0.1:2\n");
    const char *old_cron = live.series_refresh_cron;
    struct config_reload_report rep;
    config_reload(&live, &next, &rep);
    cr_assert_str_eq(rep.applied, "log.level,runs.retention_days,metadata.series_refresh.cron");
    cr_assert_eq(rep.napplied, 3);
    cr_assert_str_eq(rep.restart, "server.listen,runs.workers");
    cr_assert_eq(rep.nrestart, 2);
    cr_assert_eq(live.log_level, 0);
    cr_assert_eq(live.retention_days, 9);
    cr_assert_str_eq(live.series_refresh_cron, "*/5 * * * *");
    cr_assert_str_eq(old_cron, "0 */6 * * *", "a reader holding the old string still sees it (retired, not freed)");
    cr_assert_eq(live.nretired, 1);
    cr_assert_eq(live.workers, 2, "not reloadable: unchanged");
    cr_assert_str_eq(live.listen, "127.0.0.1:1");
    config_reload(&live, &next, &rep);
    cr_assert_str_eq(rep.applied, "", "a second identical reload applies nothing");
    cr_assert_str_eq(rep.restart, "server.listen,runs.workers", "and still lists what waits for a restart");
    config_finish(&next);
    config_finish(&live);
}

Test(config_reload, job_sections_are_appended_updated_and_reset)
{
    struct config live, next;
    load(&live, "[job.a]\ntimeout = 1h\n[job.b]\nmisfire = once\n");
    load(&next, "[job.a]\ntimeout = 90s\n[job.c]\ntimeout = 5m\n");
    const struct job_settings *a = config_job(&live, "a");
    struct config_reload_report rep;
    config_reload(&live, &next, &rep);
    cr_assert_str_eq(rep.applied, "job.a.timeout,job.c.timeout,job.b.misfire");
    cr_assert_str_eq(rep.restart, "");
    cr_assert_eq(config_job(&live, "a"), a, "entries stay where they are (readers may hold them)");
    cr_assert_eq(a->timeout_ms, 90000);
    cr_assert_eq(config_job(&live, "c")->timeout_ms, 300000);
    cr_assert_eq(config_job(&live, "b")->misfire, -1, "a section that is gone goes back to the default");
    cr_assert_eq(live.njobs, 3);
    config_finish(&next);
    config_finish(&live);
}

Test(config_reload, provider_changes_need_a_restart)
{
    struct config live, next;
    load(&live, "[provider.dump]\ndump = /a.jsonl\n[provider.old]\ndump = /o.jsonl\n");
    load(&next, "[provider.dump]\ndump = /b.jsonl\n[provider.new]\ndump = /n.jsonl\n");
    struct config_reload_report rep;
    config_reload(&live, &next, &rep);
    cr_assert_str_eq(rep.applied, "");
    cr_assert_str_eq(rep.restart, "provider.dump.dump,provider.new,provider.old");
    cr_assert_str_eq(config_provider(&live, "dump")->dump, "/a.jsonl");
    config_finish(&next);
    config_finish(&live);
}

Test(config_reload, a_full_retired_list_defers_string_changes_to_a_restart)
{
    struct config live, next;
    load(&live, "[metadata.series_refresh]\ncron = 1 * * * *\n");
    struct config_reload_report rep;
    char text[128];
    for (int i = 0; i < CONFIG_MAX_RETIRED; i++) {
        snprintf(text, sizeof text, "[metadata.series_refresh]\ncron = %d * * * *\n", i % 2 ? 1 : 2);
        load(&next, text);
        config_reload(&live, &next, &rep);
        cr_assert_eq(rep.napplied, 1, "reload %d", i);
        config_finish(&next);
    }
    load(&next, "[metadata.series_refresh]\ncron = 7 * * * *\n");
    config_reload(&live, &next, &rep);
    cr_assert_str_eq(rep.applied, "");
    cr_assert_str_eq(rep.restart, "metadata.series_refresh.cron");
    cr_assert_str_neq(live.series_refresh_cron, "7 * * * *");
    config_finish(&next);
    config_finish(&live);
}

Test(config_reload, a_cron_that_does_not_parse_is_refused_before_anything_applies)
{
    struct config c;
    char err[256];
    load(&c, "[database]\nurl = postgresql:///x\n[metadata.series_refresh]\ncron = 61 * * * *\n");
    cr_assert_eq(config_validate(&c, false, &(struct config_checks){.cron = cron_check}, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "metadata.series_refresh.cron: "), "%s", err);
    config_finish(&c);
}

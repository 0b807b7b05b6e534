/*
 * main — CLI dispatch only (DESIGN §1): serve, migrate, run JOBKEY, jobs, cron-next, pause, resume, doctor,
 * grants ROLE, accelerators, --help, --version. The command line is read by cli/args.h (global options before or
 * after the command, `CMD --help`); each command refuses an argument it does not take before doing anything.
 * Exit statuses: 0 success, 1 failure (configuration, database, a failed or cancelled run), 2 usage error, 3 busy.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cli/args.h"
#include "cli/sched_cli.h"
#include "cli/service.h"
#include "cli/settings.h"
#include "cli/usage.h"
#include "contract/accel.h"
#include "contract/doctor.h"
#include "contract/grants.h"
#include "jobs/job_ctx.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/listener.h"
#include "runs/params.h"
#include "runs/runs.h"
#include "runs/schedule.h"
#include "runs/webhook.h"
#include "runs/worker.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "version.h"

/* Loads the settings (validated when `validate`) and applies their log settings; on failure leaves the sentence in
 * err and `c` loaded as far as it got (config_finish it). */
static int config_try(struct config *c, const char *path, bool validate, bool need_token, char *err, size_t errlen)
{
    if (cli_settings_load(c, path, validate, need_token, err, errlen))
        return -1;
    log_set_level((enum log_level)c->log_level);
    log_set_format((enum log_format)c->log_format);
    return 0;
}

/* config_try, saying why on stderr when it fails (`c` finished then). */
static int load_config(struct config *c, const char *path, bool validate, bool need_token)
{
    char err[1024];
    if (!config_try(c, path, validate, need_token, err, sizeof err))
        return 0;
    fprintf(stderr, "comicbatch: configuration error: %s\n", err);
    config_finish(c);
    return -1;
}

static int cmd_migrate(const struct cli_args *a)
{
    if (cli_no_args(a->cmd, a->argc, a->argv))
        return CLI_EXIT_USAGE;
    struct config c;
    if (load_config(&c, a->config_path, true, false))
        return 1;
    char err[1024];
    PGconn *db = pg_connect(config_session_url(&c), "comicbatch-migrate", err, sizeof err); /* advisory lock */
    int rc = 1;
    if (!db || listener_check_session(db, &c, err, sizeof err)) { /* the lock needs a session of its own */
        fprintf(stderr, "comicbatch: %s\n", err);
    } else {
        int n = migrate_apply(db, err, sizeof err);
        if (n < 0)
            fprintf(stderr, "comicbatch: %s\n", err);
        else
            printf("migrations applied: %d\n", n);
        rc = n < 0;
        struct contract_report rep;
        if (n >= 0 && contract_check_all(db, registry_contract_jobs(), &c, &rep, err, sizeof err) == 0) {
            doctor_print_unavailable(&rep, stdout); /* the platform's tables are not ours to create: say what's off */
            contract_report_free(&rep);
        } else if (n >= 0) {
            fprintf(stderr, "comicbatch: cannot check the jobs' schema contracts: %s\n", err);
        }
    }
    PQfinish(db);
    config_finish(&c);
    return rc;
}

/*
 * The schedule entries from the database, or NULL: no `[database] url` (the registry's defaults are shown), or the
 * database did not answer (said on stderr, and the defaults are shown).
 */
static json_t *stored_entries(const struct config *c)
{
    char err[1024];
    if (!c->database_url || !*c->database_url)
        return NULL;
    PGconn *db = pg_connect(c->database_url, "comicbatch-cli", err, sizeof err);
    json_t *entries = db ? schedule_entries(db, c, NULL, (time_t)(time_now_ms() / 1000)) : NULL;
    if (!entries)
        fprintf(stderr, "comicbatch: %s; the registry's defaults are shown\n",
                db ? "cannot read the schedule from the database (see the log)" : err);
    PQfinish(db);
    return entries;
}

static int cmd_jobs(const struct cli_args *a)
{
    if (cli_no_args(a->cmd, a->argc, a->argv))
        return CLI_EXIT_USAGE;
    struct config c;
    if (load_config(&c, a->config_path, false, false)) /* no url needed: the registry's defaults are shown */
        return 1;
    json_t *entries = stored_entries(&c);
    size_t n;
    const struct job_def *const *jobs = registry_all(&n);
    printf("%-26s %-14s %-8s %-21s %s\n", "JOB", "CRON", "ENABLED", "NEXT RUN (UTC)", "DESCRIPTION");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(entries, i); /* same order as the registry */
        const char *cron = e ? json_string_value(json_object_get(e, "cron")) : registry_default_cron(&c, jobs[i]);
        bool enabled = e ? json_is_true(json_object_get(e, "isenabled")) : jobs[i]->enabled;
        const char *next = e ? json_string_value(json_object_get(e, "nextrunat")) : NULL;
        const char *paused = json_string_value(json_object_get(json_object_get(e, "paused"), "until"));
        bool overdue = json_is_true(json_object_get(json_object_get(e, "deadline"), "overdue"));
        printf("%-26s %-14s %-8s %-21s %s%s%s%s\n", jobs[i]->key, cron, enabled ? "yes" : "no", next ? next : "-",
               jobs[i]->description, paused ? " [paused until " : "", paused ? paused : "", paused ? "]" : "");
        if (overdue)
            printf("%-26s overdue: no success within its deadline\n", "");
    }
    json_decref(entries);
    config_finish(&c);
    return 0;
}

/* Connects for a CLI command that needs only the database (no admin token). NULL after printing why (exit 1). */
static PGconn *cli_connect(const char *config_path, struct config *c)
{
    if (load_config(c, config_path, true, false))
        return NULL;
    char err[1024];
    PGconn *db = pg_connect(c->database_url, "comicbatch-cli", err, sizeof err);
    if (!db) {
        fprintf(stderr, "comicbatch: %s\n", err);
        config_finish(c);
    }
    return db;
}

/* Exit status 0 all fine, 1 findings (or the check could not be made), 2 usage error: see its row in cli/usage.c. */
static int cmd_doctor(const struct cli_args *a)
{
    if (cli_no_args(a->cmd, a->argc, a->argv))
        return CLI_EXIT_USAGE;
    struct config c;
    PGconn *db = cli_connect(a->config_path, &c);
    if (!db)
        return 1;
    int bad = doctor_run(db, registry_contract_jobs(), &c, stdout);
    char err[1024];
    bool own = strcmp(config_session_url(&c), c.database_url) != 0; /* direct_url set: a session of its own */
    PGconn *session = bad < 0 ? NULL : own ? pg_connect(config_session_url(&c), "comicbatch-cli", err, sizeof err) : db;
    if (bad >= 0 && (!session || listener_check_session(session, &c, err, sizeof err))) {
        printf("\nsessions: %s\n(serve, run and migrate refuse to start until this is fixed)\n", err);
        bad++;
    }
    if (own)
        PQfinish(session);
    PQfinish(db);
    config_finish(&c);
    return bad != 0; /* < 0: the check could not be made (said), > 0: findings */
}

/* `grants ROLE [--accelerators]` in either order: ROLE into *role. 0 or CLI_EXIT_USAGE (said). */
static int grants_args(const struct cli_args *a, const char **role, bool *accel)
{
    *role = NULL;
    *accel = false;
    for (int i = 0; i < a->argc; i++) {
        if (!strcmp(a->argv[i], "--accelerators") && !*accel)
            *accel = true;
        else if (a->argv[i][0] != '-' && !*role)
            *role = a->argv[i];
        else
            return cli_usage_error(a->cmd, "unexpected argument \"%s\"", a->argv[i]);
    }
    if (!*role || !**role)
        return cli_usage_error(a->cmd, "grants needs a ROLE");
    for (const char *s = *role; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return cli_usage_error(a->cmd, "ROLE \"%s\" must be a lowercase SQL identifier (a-z, 0-9, _)", *role);
    return 0;
}

static int cmd_grants(const struct cli_args *a)
{
    const char *role;
    bool accel;
    if (grants_args(a, &role, &accel))
        return CLI_EXIT_USAGE;
    struct config c;
    PGconn *db = cli_connect(a->config_path, &c);
    if (!db)
        return 1;
    char err[1024];
    int rc = grants_print(db, registry_contract_jobs(), role, accel, stdout, err, sizeof err);
    if (rc)
        fprintf(stderr, "comicbatch: %s\n", err);
    PQfinish(db);
    config_finish(&c);
    return rc ? 1 : 0;
}

/* `accelerators install|remove [NAME...] | status`: 0 or CLI_EXIT_USAGE (said). */
static int accelerators_args(const struct cli_args *a)
{
    const char *what = a->argc >= 1 ? a->argv[0] : "";
    if (strcmp(what, "status") && strcmp(what, "install") && strcmp(what, "remove"))
        return *what ? cli_usage_error(a->cmd, "unknown action \"%s\" (install, remove or status)", what)
                     : cli_usage_error(a->cmd, "accelerators needs an action: install, remove or status");
    if (!strcmp(what, "status") && a->argc > 1)
        return cli_usage_error(a->cmd, "unexpected argument \"%s\": status lists every accelerator", a->argv[1]);
    for (int i = 1; i < a->argc; i++)
        if (!accel_find(a->argv[i]))
            return cli_usage_error(a->cmd, "unknown accelerator \"%s\" (see `comicbatch accelerators status`)",
                                   a->argv[i]);
    return 0;
}

static int cmd_accelerators(const struct cli_args *a)
{
    if (accelerators_args(a))
        return CLI_EXIT_USAGE;
    int argc = a->argc;
    char **argv = a->argv;
    bool status = !strcmp(argv[0], "status"), install = !strcmp(argv[0], "install");
    struct config c;
    PGconn *db = cli_connect(a->config_path, &c);
    if (!db)
        return 1;
    int rc;
    if (status) {
        rc = accel_print_status(db, stdout) ? 1 : 0;
    } else {
        printf("%s accelerators on database %s as %s:\n", install ? "installing" : "removing", PQdb(db), PQuser(db));
        int bad = accel_apply(db, install, (const char *const *)argv + 1, argc - 1, stdout);
        rc = bad != 0; /* < 0: the database could not be read (said) */
    }
    PQfinish(db);
    config_finish(&c);
    return rc;
}

struct cli_run {
    struct app *app;
    char run_id[37];
    sigset_t sigs;
};

static void *cli_signal_main(void *arg)
{
    struct cli_run *cr = arg;
    int sig;
    if (sigwait(&cr->sigs, &sig) == 0 && sig != SIGUSR1 && cr->run_id[0]) {
        fprintf(stderr, "comicbatch: %s: cancelling run %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM", cr->run_id);
        worker_pool_cancel(cr->app->run.workers, cr->run_id, CANCEL_SIGNAL);
    }
    return NULL;
}

/* `run`'s options after JOBKEY: the --params text and --dry-run. 0 or CLI_EXIT_USAGE (said). */
static int run_options(const struct cli_args *a, const char **pj, bool *dryrun)
{
    *pj = NULL;
    *dryrun = false;
    for (int i = 1; i < a->argc; i++) {
        if (!strcmp(a->argv[i], "--params") && i + 1 < a->argc && !*pj)
            *pj = a->argv[++i];
        else if (!strcmp(a->argv[i], "--params") && i + 1 >= a->argc)
            return cli_usage_error(a->cmd, "option --params needs a value (JSON)");
        else if (!strcmp(a->argv[i], "--dry-run") && !*dryrun)
            *dryrun = true;
        else
            return cli_usage_error(a->cmd, "unexpected argument \"%s\"", a->argv[i]);
    }
    return 0;
}

/* Parses `run` arguments into the job, its validated params and dryrun. Returns 0 or the exit code. */
static int parse_run_args(const struct cli_args *a, const struct job_def **job, json_t **params, bool *dryrun)
{
    const char *pj;
    if (a->argc < 1 || a->argv[0][0] == '-')
        return cli_usage_error(a->cmd, "run needs a JOBKEY first%s%s%s", a->argc ? " (got \"" : "",
                               a->argc ? a->argv[0] : "", a->argc ? "\")" : "");
    if (run_options(a, &pj, dryrun))
        return CLI_EXIT_USAGE;
    char **argv = a->argv;
    if (!(*job = registry_find(argv[0]))) {
        fprintf(stderr, "comicbatch: unknown job key \"%s\" (see `comicbatch jobs`)\n", argv[0]);
        return 2;
    }
    if (*dryrun && !(*job)->dryrun) {
        fprintf(stderr, "comicbatch: %s does not support --dry-run\n", argv[0]);
        return 2;
    }
    json_error_t je;
    json_t *in = pj ? json_loads(pj, 0, &je) : NULL;
    if (pj && !in) {
        fprintf(stderr, "comicbatch: --params is not valid JSON: %s\n", je.text);
        return 2;
    }
    char field[128], err[512];
    *params = params_validate(*job, in, field, sizeof field, err, sizeof err);
    json_decref(in);
    if (!*params) {
        fprintf(stderr, "comicbatch: %s: %s\n", field, err);
        return 2;
    }
    return 0;
}

static int execute_cli_run(struct app *a, const struct job_def *job, json_t *params, bool dryrun, struct cli_run *cr)
{
    char err[1024];
    PGconn *db = pg_connect(config_session_url(&a->cfg), "comicbatch-cli", err, sizeof err); /* a job's session */
    if (!db) {
        fprintf(stderr, "comicbatch: %s\n", err);
        return 1;
    }
    struct run_request q = {.job = job, .params = params, .dryrun = dryrun, .triggeredby = "admin"};
    struct claimed_run run;
    int got = runs_start_inline(db, &a->cfg, &q, a->instance, a->run.instance_no, &run);
    int rc = 1;
    if (got == 0) {
        fprintf(stderr, "comicbatch: This job is already running (%s)\n", job->key);
        rc = 3;
    } else if (got == 1) {
        snprintf(cr->run_id, sizeof cr->run_id, "%s", run.id);
        run.no_retry = true; /* the command reports its one attempt; it queues no retry for a daemon to run */
        json_t *out = worker_execute(a->run.workers, db, &run);
        json_decref(run.params);
        char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
        if (text)
            printf("%s\n", text);
        const char *st = json_string_value(json_object_get(out, "status"));
        rc = st && !strcmp(st, "done") ? 0 : 1;
        free(text);
        json_decref(out);
    }
    PQfinish(db);
    return rc;
}

static int cmd_run(const struct cli_args *args)
{
    const struct job_def *job = NULL;
    json_t *params = NULL;
    bool dryrun = false;
    int rc = parse_run_args(args, &job, &params, &dryrun);
    if (rc)
        return rc;
    struct config c;
    if (load_config(&c, args->config_path, true, false)) {
        json_decref(params);
        return 1;
    }
    char field[128], err[1024];
    if (params_check_settings(&c, job, params, field, sizeof field, err, sizeof err)) {
        fprintf(stderr, "comicbatch: %s: %s\n", field, err);
        json_decref(params);
        config_finish(&c);
        return 2;
    }
    struct app a;
    app_init(&a, &c);
    struct cli_run cr = {.app = &a};
    sigemptyset(&cr.sigs);
    sigaddset(&cr.sigs, SIGINT);
    sigaddset(&cr.sigs, SIGTERM);
    sigaddset(&cr.sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &cr.sigs, NULL);
    rc = 1;
    /* The listener registers this process as an instance and holds its lock: a crash here is rescued like any. */
    if (app_check_migrations(&a.cfg, err, sizeof err) || !(a.api.listener = listener_create(&a.run, err, sizeof err)) ||
        !(a.run.workers = worker_pool_create(&a.run, 0, err, sizeof err))) {
        fprintf(stderr, "comicbatch: %s\n", err);
    } else if (alerts_start(&a.run)) {
        fprintf(stderr, "comicbatch: cannot start the alert webhook thread\n");
    } else {
        pthread_t sigthr;
        pthread_create(&sigthr, NULL, cli_signal_main, &cr);
        rc = execute_cli_run(&a, job, params, dryrun, &cr);
        pthread_kill(sigthr, SIGUSR1);
        pthread_join(sigthr, NULL);
    }
    worker_pool_destroy(a.run.workers);
    alerts_stop(&a.run, WEBHOOK_TIMEOUT_MS); /* the run's alert, if any: one post's time, as when it was inline */
    listener_destroy(a.api.listener);
    json_decref(params);
    app_finish(&a);
    return rc;
}

/* `pause` and `resume` (cli/sched_cli.h) with the settings loaded. */
static int cmd_pause(const struct cli_args *a)
{
    bool pause = !strcmp(a->cmd->name, "pause");
    time_t now = (time_t)(time_now_ms() / 1000);
    struct sched_cli_pause_req req;
    if (sched_cli_pause_args(pause, a->argc, a->argv, now, &req))
        return CLI_EXIT_USAGE;
    struct config c;
    if (load_config(&c, a->config_path, true, false))
        return 1;
    int rc = pause ? sched_cli_pause(&req, &c, now) : sched_cli_resume(&req, &c, now);
    config_finish(&c);
    return rc;
}

/*
 * serve's fatal start-up error: one line in the configured log format, as everything else the daemon writes to
 * journald or a shipper (a multi-line PostgreSQL error becomes escapes inside error="…"). When the settings did not
 * load, the format is COMICBATCH_LOG_FORMAT (--log-format) or what the file said before its error.
 */
static void serve_fatal(const struct config *c, bool config_failed, const char *msg, const char *err)
{
    const char *env = getenv("COMICBATCH_LOG_FORMAT");
    int from_env = env ? config_choice_index(config_key_find("log", "format")->choices, env) : -1;
    if (config_failed) /* enum log_format's values are the indexes of `[log] format`'s choices */
        log_set_format(from_env >= 0 ? (enum log_format)from_env : (enum log_format)c->log_format);
    log_error("msg=\"%s\" error=\"%s\"", msg, err);
}

static int cmd_serve(const struct cli_args *args)
{
    if (cli_no_args(args->cmd, args->argc, args->argv))
        return CLI_EXIT_USAGE;
    const char *config_path = args->config_path;
    struct config c;
    char err[1024];
    if (config_try(&c, config_path, true, true, err, sizeof err)) {
        serve_fatal(&c, true, "configuration error", err);
        config_finish(&c);
        return 1;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);                /* reload (cli/service.h) */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread inherits this; only service_run below sees them */
    signal(SIGPIPE, SIG_IGN);
    struct app a;
    app_init(&a, &c);
    if (app_start(&a, err, sizeof err)) {
        serve_fatal(&c, false, "cannot start", err);
        app_finish(&a);
        return 1;
    }
    int sig = service_run(&a, &sigs, config_path); /* READY=1, STATUS=, WATCHDOG=1, SIGHUP reloads; STOPPING=1 */
    log_info("msg=\"stopping\" signal=%d", sig);
    app_stop(&a);
    app_finish(&a);
    log_info("msg=\"stopped\"");
    return 0;
}

/* Runs the command of `a` with its own arguments. */
static int dispatch(const struct cli_args *a)
{
    const char *cmd = a->cmd->name;
    if (!strcmp(cmd, "serve"))
        return cmd_serve(a);
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate(a);
    if (!strcmp(cmd, "run"))
        return cmd_run(a);
    if (!strcmp(cmd, "jobs"))
        return cmd_jobs(a);
    if (!strcmp(cmd, "cron-next"))
        return sched_cli_cron_next(a->argc, a->argv, (time_t)(time_now_ms() / 1000), stdout, stderr);
    if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
        return cmd_pause(a);
    if (!strcmp(cmd, "doctor"))
        return cmd_doctor(a);
    if (!strcmp(cmd, "grants"))
        return cmd_grants(a);
    if (!strcmp(cmd, "accelerators"))
        return cmd_accelerators(a);
    fprintf(stderr, "comicbatch: command \"%s\" has a row in cli/usage.c but no branch here\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    struct cli_args args;
    int rc = cli_args_parse(argc, argv, &args);
    if (rc >= 0) {
        cli_args_finish(&args);
        return rc;
    }
    if (getenv("COMICBATCH_LOG") && !strcmp(getenv("COMICBATCH_LOG"), "debug"))
        log_set_level(LOG_DEBUG);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = dispatch(&args);
    curl_global_cleanup();
    cli_args_finish(&args);
    return rc;
}

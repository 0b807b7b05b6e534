/*
 * main — CLI dispatch only (DESIGN §1): serve, migrate, run JOBKEY, jobs, cron-next, pause, resume, doctor,
 * grants ROLE, accelerators, --help, --version.
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
#include "cli/sched_cli.h"
#include "cli/service.h"
#include "cli/usage.h"
#include "contract/accel.h"
#include "contract/doctor.h"
#include "contract/grants.h"
#include "jobs/registry.h"
#include "runs/alerts.h"
#include "runs/listener.h"
#include "runs/params.h"
#include "runs/runs.h"
#include "runs/schedule.h"
#include "runs/webhook.h"
#include "runs/worker.h"
#include "sched/cron.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "version.h"

/* Loads and checks the settings into c and applies [log]; on failure leaves the sentence in err. */
static int config_try(struct config *c, const char *path, bool need_token, char *err, size_t errlen)
{
    config_init(c);
    if (config_load(c, path, err, errlen) ||
        config_validate(c, need_token, &(struct config_checks){cron_check}, err, errlen))
        return -1;
    log_set_level((enum log_level)c->log_level);
    log_set_format((enum log_format)c->log_format);
    return 0;
}

static int load_config(struct config *c, const char *path, bool need_token)
{
    char err[1024];
    if (!config_try(c, path, need_token, err, sizeof err))
        return 0;
    fprintf(stderr, "comicbatch: configuration error: %s\n", err);
    return -1;
}

static int cmd_migrate(const char *config_path)
{
    struct config c;
    if (load_config(&c, config_path, false))
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

/* The schedule entries from the database, or NULL (none reachable: the registry's defaults are shown). */
static json_t *stored_entries(const struct config *c)
{
    char err[1024];
    PGconn *db = c->database_url ? pg_connect(c->database_url, "comicbatch-cli", err, sizeof err) : NULL;
    json_t *entries = db ? schedule_entries(db, c, NULL, (time_t)(time_now_ms() / 1000)) : NULL;
    PQfinish(db);
    return entries;
}

static int cmd_jobs(const char *config_path)
{
    struct config c;
    config_init(&c);
    char err[1024];
    json_t *entries = config_load(&c, config_path, err, sizeof err) == 0 ? stored_entries(&c) : NULL;
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

/* Connects for a CLI command that needs only the database (no admin token). NULL after printing why. */
static PGconn *cli_connect(const char *config_path, struct config *c)
{
    if (load_config(c, config_path, false))
        return NULL;
    char err[1024];
    PGconn *db = pg_connect(c->database_url, "comicbatch-cli", err, sizeof err);
    if (!db) {
        fprintf(stderr, "comicbatch: %s\n", err);
        config_finish(c);
    }
    return db;
}

static int cmd_doctor(const char *config_path)
{
    struct config c;
    PGconn *db = cli_connect(config_path, &c);
    if (!db)
        return 2;
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
    return bad < 0 ? 2 : bad > 0;
}

static int cmd_grants(int argc, char **argv, const char *config_path)
{
    bool accel = argc == 2 && !strcmp(argv[1], "--accelerators");
    if (argc < 1 || argc > 2 || (argc == 2 && !accel) || !argv[0][0]) {
        fprintf(stderr, "usage: comicbatch grants ROLE [--accelerators]\n");
        return 2;
    }
    for (const char *s = argv[0]; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) {
            fprintf(stderr, "comicbatch: ROLE must be a lowercase SQL identifier (a-z, 0-9, _)\n");
            return 2;
        }
    struct config c;
    PGconn *db = cli_connect(config_path, &c);
    if (!db)
        return 2;
    char err[1024];
    int rc = grants_print(db, registry_contract_jobs(), argv[0], accel, stdout, err, sizeof err);
    if (rc)
        fprintf(stderr, "comicbatch: %s\n", err);
    PQfinish(db);
    config_finish(&c);
    return rc ? 1 : 0;
}

static int cmd_accelerators(int argc, char **argv, const char *config_path)
{
    const char *what = argc >= 1 ? argv[0] : "";
    bool status = !strcmp(what, "status"), install = !strcmp(what, "install");
    if (!status && !install && strcmp(what, "remove")) {
        fprintf(stderr, "usage: comicbatch accelerators install|remove|status [NAME...]\n");
        return 2;
    }
    struct config c;
    PGconn *db = cli_connect(config_path, &c);
    if (!db)
        return 2;
    int rc;
    if (status) {
        rc = accel_print_status(db, stdout) ? 1 : 0;
    } else {
        printf("%s accelerators on database %s as %s:\n", install ? "installing" : "removing", PQdb(db), PQuser(db));
        int bad = accel_apply(db, install, (const char *const *)argv + 1, argc - 1, stdout);
        rc = bad < 0 ? 2 : bad > 0;
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
        fprintf(stderr, "comicbatch: signal %d: cancelling run %s\n", sig, cr->run_id);
        worker_pool_cancel(cr->app->run.workers, cr->run_id, 1);
    }
    return NULL;
}

/* Parses `run` arguments into the job, its validated params and dryrun. Returns 0 or the exit code. */
static int parse_run_args(int argc, char **argv, const struct job_def **job, json_t **params, bool *dryrun)
{
    const char *pj = NULL;
    *dryrun = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--params") && i + 1 < argc)
            pj = argv[++i];
        else if (!strcmp(argv[i], "--dry-run"))
            *dryrun = true;
        else {
            fprintf(stderr, "comicbatch: unexpected argument \"%s\" (usage: run JOBKEY [--params JSON] [--dry-run])\n",
                    argv[i]);
            return 2;
        }
    }
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

static int cmd_run(int argc, char **argv, const char *config_path)
{
    if (argc < 1) {
        fprintf(stderr, "usage: comicbatch run JOBKEY [--params JSON] [--dry-run]\n");
        return 2;
    }
    const struct job_def *job;
    json_t *params;
    bool dryrun;
    int rc = parse_run_args(argc, argv, &job, &params, &dryrun);
    if (rc)
        return rc;
    struct config c;
    if (load_config(&c, config_path, false)) {
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
    if (!(a.api.listener = listener_create(&a.run, err, sizeof err)) ||
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
static int cmd_pause(const char *cmd, int argc, char **argv, const char *config_path)
{
    struct config c;
    if (load_config(&c, config_path, false))
        return 1;
    int rc = !strcmp(cmd, "pause") ? sched_cli_pause(argc, argv, &c) : sched_cli_resume(argc, argv, &c);
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
    if (config_failed)
        log_set_format(env && !strcmp(env, "json")     ? LOG_FORMAT_JSON
                       : env && !strcmp(env, "logfmt") ? LOG_FORMAT_LOGFMT
                                                       : (enum log_format)c->log_format);
    log_error("msg=\"%s\" error=\"%s\"", msg, err);
}

static int cmd_serve(const char *config_path)
{
    struct config c;
    char err[1024];
    if (config_try(&c, config_path, true, err, sizeof err)) {
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

/*
 * The global options before the command (--config, --log-format; --help and --version answer at once). Returns the
 * index of the command, or -1 with *exit_rc set when main should return now.
 */
static int parse_options(int argc, char **argv, const char **config_path, int *exit_rc)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cli_usage_print(stdout);
            *exit_rc = 0;
            return -1;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("comicbatch %s\n", COMICBATCH_VERSION);
            *exit_rc = 0;
            return -1;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            *config_path = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--log-format") && i + 1 < argc) { /* the same as COMICBATCH_LOG_FORMAT */
            setenv("COMICBATCH_LOG_FORMAT", argv[++i], 1);
            continue;
        }
        fprintf(stderr, "comicbatch: unknown option \"%s\"\n\n", argv[i]);
        cli_usage_print(stderr);
        *exit_rc = 2;
        return -1;
    }
    if (i >= argc || !cli_command_find(argv[i])) { /* a command without a row in cli/usage.c does not exist */
        if (i < argc)
            fprintf(stderr, "comicbatch: unknown command \"%s\"\n\n", argv[i]);
        cli_usage_print(stderr);
        *exit_rc = 2;
        return -1;
    }
    return i;
}

/* Runs command `cmd` with its own arguments (argc, argv after it). */
static int dispatch(const char *cmd, int argc, char **argv, const char *config_path)
{
    if (!strcmp(cmd, "serve"))
        return cmd_serve(config_path);
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate(config_path);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv, config_path);
    if (!strcmp(cmd, "jobs"))
        return cmd_jobs(config_path);
    if (!strcmp(cmd, "cron-next"))
        return sched_cli_cron_next(argc, argv, (time_t)(time_now_ms() / 1000), stdout, stderr);
    if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
        return cmd_pause(cmd, argc, argv, config_path);
    if (!strcmp(cmd, "doctor"))
        return cmd_doctor(config_path);
    if (!strcmp(cmd, "grants"))
        return cmd_grants(argc, argv, config_path);
    if (!strcmp(cmd, "accelerators"))
        return cmd_accelerators(argc, argv, config_path);
    fprintf(stderr, "comicbatch: command \"%s\" has a row in cli/usage.c but no branch here\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int rc = 0;
    int i = parse_options(argc, argv, &config_path, &rc);
    if (i < 0)
        return rc;
    if (getenv("COMICBATCH_LOG") && !strcmp(getenv("COMICBATCH_LOG"), "debug"))
        log_set_level(LOG_DEBUG);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = dispatch(argv[i], argc - i - 1, argv + i + 1, config_path);
    curl_global_cleanup();
    return rc;
}

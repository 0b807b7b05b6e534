/* sched_cli — see sched_cli.h. */
#include "cli/sched_cli.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/usage.h"
#include "config.h"
#include "jobs/registry.h"
#include "runs/pause.h"
#include "sched/cron.h"
#include "sched/preview.h"
#include "store/pg.h"
#include "util/duration.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define DST_HORIZON (366L * 86400)

static void print_fire(FILE *out, const struct cron_fire *f, const struct tz *zone)
{
    char at[32], local[48], note[400];
    preview_note(f, zone, note, sizeof note);
    fprintf(out, "%s  %s %s%s%s\n", time_format_iso(f->at, at, sizeof at), preview_local_iso(f, local, sizeof local),
            f->offset.abbr, note[0] ? "  DST: " : "", note);
}

/* The zoned listing: each fire in UTC and in the zone, then the next fire DST moves (stderr). */
static void print_zoned(const char *expr, const struct cron_fire *fires, int got, time_t now, FILE *out, FILE *err)
{
    struct cron_schedule s;
    char e[256], desc[256];
    cron_parse(expr, &s, e, sizeof e);
    struct tz *zone = tz_load(s.zone, e, sizeof e);
    cron_describe(expr, desc, sizeof desc);
    fprintf(err, "# %s; UTC, then %s wall time (%s job: %s)\n", desc, s.zone,
            cron_is_wildcard(&s) ? "a wildcard" : "a fixed-time",
            cron_is_wildcard(&s) ? "follows real time across DST changes" : "runs once per day-time across DST");
    for (int i = 0; i < got; i++)
        print_fire(out, &fires[i], zone);
    struct cron_fire dst;
    char at[32], note[400];
    if (preview_next_dst_fire(&s, zone, now, DST_HORIZON, &dst))
        fprintf(err, "# next fire a DST change moves: %s: %s\n", time_format_iso(dst.at, at, sizeof at),
                preview_note(&dst, zone, note, sizeof note));
    else
        fprintf(err, "# no DST change within a year moves this job's fire times\n");
    tz_destroy(zone);
}

int sched_cli_cron_next(int argc, char **argv, time_t now, FILE *out, FILE *err)
{
    const struct cli_command *cmd = cli_command_find("cron-next");
    if (argc < 1)
        return cli_usage_error(cmd, "cron-next needs a cron expression 'EXPR'");
    if (argc > 2)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[2]);
    char *end = NULL;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : 5;
    if ((end && (end == argv[1] || *end)) || n < 1 || n > 1000)
        return cli_usage_error(cmd, "N must be a number from 1 to 1000, got \"%s\"", argv[1]);
    struct cron_fire *fires = xcalloc((size_t)n, sizeof *fires);
    char e[256], iso[32], desc[256], zone[TZ_NAME_MAX + 1];
    int got = cron_preview(argv[0], now, fires, n, zone, e, sizeof e);
    if (got < 0) {
        fprintf(err, "comicbatch: invalid cron expression: %s\n", e);
        free(fires);
        return 2;
    }
    if (zone[0]) {
        print_zoned(argv[0], fires, got, now, out, err);
    } else {
        cron_describe(argv[0], desc, sizeof desc);
        fprintf(err, "# %s (UTC)\n", desc);
        for (int i = 0; i < got; i++)
            fprintf(out, "%s\n", time_format_iso(fires[i].at, iso, sizeof iso));
    }
    free(fires);
    return 0;
}

/* The CLI acts with the service's authority ("admin-token"), via "cli:<login>" (runs/pause.h). */
static struct pause_actor cli_actor(char *buf, size_t len)
{
    const char *user = getenv("USER");
    snprintf(buf, len, "cli:%s", user && *user ? user : "unknown");
    return (struct pause_actor){{"admin-token", NULL}, buf};
}

static PGconn *connect_or_say(const struct config *cfg)
{
    char e[1024];
    PGconn *db = cfg->database_url ? pg_connect(cfg->database_url, "comicbatch-cli", e, sizeof e) : NULL;
    if (!db)
        fprintf(stderr, "comicbatch: %s\n", cfg->database_url ? e : "database.url is not set");
    return db;
}

/* The end a pause option gives: `--until TIME` or `--for DURATION` after `now`. 0, or a usage error (said). */
static int pause_end(const struct cli_command *cmd, const char *opt, const char *v, time_t now, time_t *until)
{
    char e[128];
    int64_t ms;
    if (!strcmp(opt, "--until") && time_parse_iso(v, until))
        return cli_usage_error(cmd, "--until: expected an ISO 8601 time like 2026-12-24T18:00:00Z, got \"%s\"", v);
    if (!strcmp(opt, "--for") && duration_parse(v, &ms, e, sizeof e))
        return cli_usage_error(cmd, "--for: invalid duration \"%s\": %s (e.g. 2h, 90m, 1h30m)", v, e);
    if (!strcmp(opt, "--for"))
        *until = now + (time_t)((ms + 999) / 1000);
    return 0;
}

/* One argument of pause at argv[*i] (stepping over an option's value). 0, or a usage error (said). */
static int pause_arg(const struct cli_command *cmd, int argc, char **argv, int *i, time_t now,
                     struct sched_cli_pause_req *req, const char **end_opt)
{
    const char *a = argv[*i];
    bool end = !strcmp(a, "--until") || !strcmp(a, "--for");
    if ((end || !strcmp(a, "--reason")) && *i + 1 >= argc)
        return cli_usage_error(cmd, "option %s needs a value", a);
    if (end && *end_opt)
        return cli_usage_error(cmd, "%s and %s are exclusive: give one end of the pause", *end_opt, a);
    if (end) {
        *end_opt = a;
        return pause_end(cmd, a, argv[++*i], now, &req->until);
    }
    if (!strcmp(a, "--reason") && !req->reason) {
        req->reason = argv[++*i];
        return 0;
    }
    if (a[0] == '-' || req->jobkey)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", a);
    if (!registry_find(a))
        return cli_usage_error(cmd, "unknown job key \"%s\" (see `comicbatch jobs`)", a);
    req->jobkey = a;
    return 0;
}

/* `pause` arguments. Returns 0 or the exit status 2 (after saying why). */
static int pause_args(int argc, char **argv, time_t now, struct sched_cli_pause_req *req)
{
    const struct cli_command *cmd = cli_command_find("pause");
    const char *end_opt = NULL;
    for (int i = 0; i < argc; i++)
        if (pause_arg(cmd, argc, argv, &i, now, req, &end_opt))
            return CLI_EXIT_USAGE;
    if (req->until <= now || req->until - now > PAUSE_MAX_SECONDS)
        return cli_usage_error(cmd, "give --until TIME or --for DURATION, ending in the future and within %d days",
                               PAUSE_MAX_SECONDS / 86400);
    if (req->reason && utf8_count(req->reason) > PAUSE_REASON_MAX)
        return cli_usage_error(cmd, "--reason is longer than %d characters", PAUSE_REASON_MAX);
    return 0;
}

/* `resume` arguments. Returns 0 or the exit status 2 (after saying why). */
static int resume_args(int argc, char **argv, struct sched_cli_pause_req *req)
{
    const struct cli_command *cmd = cli_command_find("resume");
    if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[argc - 1]);
    if (argc == 1 && !registry_find(argv[0]))
        return cli_usage_error(cmd, "unknown job key \"%s\" (see `comicbatch jobs`)", argv[0]);
    req->jobkey = argc ? argv[0] : NULL;
    return 0;
}

int sched_cli_pause_args(bool pause, int argc, char **argv, time_t now, struct sched_cli_pause_req *req)
{
    memset(req, 0, sizeof *req);
    return pause ? pause_args(argc, argv, now, req) : resume_args(argc, argv, req);
}

int sched_cli_pause(const struct sched_cli_pause_req *req, const struct config *cfg, time_t now)
{
    PGconn *db = connect_or_say(cfg);
    if (!db)
        return 1;
    char actor[128];
    struct pause_actor who = cli_actor(actor, sizeof actor);
    json_t *p = pause_set(db, req->jobkey, req->until, req->reason, &who, now);
    char *text = p ? json_dumps(p, JSON_INDENT(2)) : NULL;
    if (text)
        printf("%s\n", text);
    else
        fprintf(stderr, "comicbatch: the pause could not be stored (see the log)\n");
    free(text);
    json_decref(p);
    PQfinish(db);
    return p ? 0 : 1;
}

int sched_cli_resume(const struct sched_cli_pause_req *req, const struct config *cfg, time_t now)
{
    PGconn *db = connect_or_say(cfg);
    if (!db)
        return 1;
    char actor[128];
    struct pause_actor who = cli_actor(actor, sizeof actor);
    const char *jobkey = req->jobkey;
    int ended = pause_resume(db, jobkey, &who, now);
    PQfinish(db);
    if (ended == 1)
        printf("resumed: %s\n", jobkey ? jobkey : "every job");
    else if (ended == 0)
        fprintf(stderr, "comicbatch: no pause of %s is in force\n", jobkey ? jobkey : "every job");
    return ended == 1 ? 0 : 1;
}

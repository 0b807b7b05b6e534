/* sched_cli — see sched_cli.h. */
#include "cli/sched_cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (argc < 1 || argc > 2) {
        fprintf(err, "usage: comicbatch cron-next 'EXPR' [N]\n");
        return 2;
    }
    int n = argc == 2 ? atoi(argv[1]) : 5;
    if (n < 1 || n > 1000) {
        fprintf(err, "comicbatch: N must be from 1 to 1000\n");
        return 2;
    }
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

/* Parses pause's arguments. Returns 0 or the exit status 2 (after saying why). */
static int pause_args(int argc, char **argv, time_t now, const char **jobkey, time_t *until, const char **reason)
{
    char e[128];
    int64_t ms;
    *jobkey = *reason = NULL;
    *until = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--until") && i + 1 < argc && !time_parse_iso(argv[i + 1], until))
            i++;
        else if (!strcmp(argv[i], "--for") && i + 1 < argc && !duration_parse(argv[i + 1], &ms, e, sizeof e)) {
            *until = now + (time_t)((ms + 999) / 1000);
            i++;
        } else if (!strcmp(argv[i], "--reason") && i + 1 < argc)
            *reason = argv[++i];
        else if (argv[i][0] != '-' && !*jobkey && registry_find(argv[i]))
            *jobkey = argv[i];
        else {
            fprintf(stderr,
                    "comicbatch: unexpected or invalid argument \"%s\" (usage: pause [JOBKEY] (--until TIME "
                    "| --for DURATION) [--reason TEXT])\n",
                    argv[i]);
            return 2;
        }
    }
    if (*until <= now || *until - now > PAUSE_MAX_SECONDS) {
        fprintf(stderr, "comicbatch: give --until TIME or --for DURATION, ending in the future and within %d days\n",
                PAUSE_MAX_SECONDS / 86400);
        return 2;
    }
    if (*reason && utf8_count(*reason) > PAUSE_REASON_MAX) {
        fprintf(stderr, "comicbatch: --reason is longer than %d characters\n", PAUSE_REASON_MAX);
        return 2;
    }
    return 0;
}

int sched_cli_pause(int argc, char **argv, const struct config *cfg)
{
    time_t now = (time_t)(time_now_ms() / 1000), until;
    const char *jobkey, *reason;
    int rc = pause_args(argc, argv, now, &jobkey, &until, &reason);
    PGconn *db = rc ? NULL : connect_or_say(cfg);
    if (rc || !db)
        return rc ? rc : 1;
    char actor[128];
    struct pause_actor who = cli_actor(actor, sizeof actor);
    json_t *p = pause_set(db, jobkey, until, reason, &who, now);
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

int sched_cli_resume(int argc, char **argv, const struct config *cfg)
{
    if (argc > 1 || (argc == 1 && !registry_find(argv[0]))) {
        fprintf(stderr, "comicbatch: usage: resume [JOBKEY] (a job key from `comicbatch jobs`)\n");
        return 2;
    }
    PGconn *db = connect_or_say(cfg);
    if (!db)
        return 1;
    char actor[128];
    struct pause_actor who = cli_actor(actor, sizeof actor);
    const char *jobkey = argc ? argv[0] : NULL;
    int ended = pause_resume(db, jobkey, &who, (time_t)(time_now_ms() / 1000));
    PQfinish(db);
    if (ended == 1)
        printf("resumed: %s\n", jobkey ? jobkey : "every job");
    else if (ended == 0)
        fprintf(stderr, "comicbatch: no pause of %s is in force\n", jobkey ? jobkey : "every job");
    return ended == 1 ? 0 : 1;
}

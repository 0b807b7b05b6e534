/* usage — see usage.h. The tables below are the CLI's documentation; keep each summary to one line. */
#include "cli/usage.h"

#include <string.h>

#include "config.h"
#include "version.h"

static const struct cli_command commands[] = {
    {"serve", "", true, "the daemon: API, admin pages, scheduler, workers",
     "Runs the daemon: the HTTP API and the admin pages on `[server] listen`, the job workers, and, while this "
     "instance is the elected leader, the cron scheduler, the rescue of lost runs and run retention. Under systemd "
     "(Type=notify) it reports READY=1 once the database answered and the HTTP socket listens, STATUS= with its "
     "leader and worker state, WATCHDOG=1 when WatchdogSec= is set, and STOPPING=1 on SIGTERM. SIGHUP re-reads the "
     "configuration file; SIGTERM or SIGINT stops it (HTTP first; runs still executing end failed with "
     "\"instance shut down\" and can run again at once)."},
    {"migrate", "", true, "apply pending migrations (each once, in order, in a transaction)",
     "Applies the pending database migrations embedded in the binary, each once, in order, each in its own "
     "transaction. Creates only comicbatch's own schemas (`system.batch*`, `jobstate`, `metadata`); the platform's "
     "tables are never created or altered."},
    {"run", "JOBKEY [--params JSON] [--dry-run]", true,
     "run a job now, synchronously; same run record as the API; prints the run as JSON (exit 0 done, "
     "1 failed/cancelled, 3 busy)",
     "Runs job JOBKEY in this process and prints the finished run as JSON. The run is recorded in "
     "`system.batchrun` exactly as an API trigger would be, and holds the job's lock key: if another run of it is "
     "queued or running the command exits 3. `--params` takes the job's parameters as a JSON object (validated "
     "like the API's); `--dry-run` reports what would change and changes nothing (jobs that support it). SIGINT or "
     "SIGTERM cancels the run (its `lasterror` says it was interrupted by a signal). Exit status 0 when the run is "
     "done, 1 when it failed or was cancelled (or the settings or the database failed), 2 on a usage error (nothing "
     "is run), 3 when the job is busy."},
    {"jobs", "", true, "the registry and the schedule",
     "Lists every registered job with its cron expression, whether it is enabled and its next run (read from the "
     "database when `[database] url` is set and reachable)."},
    {"cron-next", "'EXPR' [N]", false,
     "next N (default 5) fire times of a cron expression: UTC, and its CRON_TZ= zone with DST notes",
     "Prints the next N (default 5, at most 1000) fire times of the 5-field cron expression EXPR, in UTC, one ISO "
     "8601 time per line, after a description of the expression on stderr. With a `CRON_TZ=Area/City` prefix each "
     "line also gives the wall time in that zone with its UTC offset and abbreviation, and says when a DST change "
     "moves the fire (a time in the spring-forward gap runs once at the end of the gap; a time in the repeated "
     "fall-back hour runs once); stderr then names the next fire within a year that DST moves."},
    {"pause", "[JOBKEY] (--until TIME | --for DURATION) [--reason TEXT]", true,
     "pause scheduling (every job, or JOBKEY) for a maintenance window; audit-logged",
     "Pauses the scheduling of every job, or of JOBKEY only, until TIME (ISO 8601) or for DURATION (`2h`, `90m`; at "
     "most 30 days), replacing an earlier pause of the same scope, and prints the pause as JSON. While paused, the "
     "scheduler enqueues nothing for the jobs covered and records their slots as `paused` in the missed-slot "
     "ledger; when the pause ends each job's misfire policy decides (`once`: one catch-up run). Manual runs still "
     "work. Audit-logged (actor `admin-token`, `via: cli:$USER`); the admin pages show a banner while it lasts."},
    {"resume", "[JOBKEY]", true, "end a pause early (of every job, or of JOBKEY)",
     "Ends the pause of JOBKEY, or without it the pause of every job, now. Exit status 1 when no such pause is in "
     "force. Audit-logged like `pause`."},
    {"doctor", "", true,
     "check the database (and the settings) against every job's contract; exit 0 all fine, 1 findings or cannot "
     "check, 2 usage error",
     "Checks the connected database, as the connected role, against what every job and daemon feature declares it "
     "needs (tables, columns and compatible types, privileges, the indexes that keep it fast) and prints, in plain "
     "words, what is missing or mismatched with the DDL or GRANT that would fix it, the id types found (uuid or "
     "bigint), the migrations still pending and the accelerators installed. It also checks the settings a job "
     "needs in the configuration it was given (`--config`): a job without them (`metadata.dump_refresh` without "
     "the active provider's `[provider.NAME] dump`) is listed as `not configured` with the INI lines to add. "
     "`serve` runs the same check at start: a job that fails it, or is not configured, is shown unavailable and is "
     "not scheduled. It also checks that the session connection (`direct_url`, else `url`) has a PostgreSQL "
     "session of its own, not one pooled per transaction (`serve`, `run` and `migrate` refuse to start on such a "
     "one). Exit status 1 when an enabled job cannot run on the database, migrations are pending or the session "
     "connection is pooled; a job that is only not configured does not change it. Exit status 0 when every check "
     "passes; 1 when there are findings, or when the check cannot be made (a configuration error, the database "
     "unreachable); 2 on a usage error (nothing is checked)."},
    {"grants", "ROLE [--accelerators]", true,
     "print the statements ROLE needs (run them as an administrator, before migrate)",
     "Prints, as a psql script, what role ROLE needs on this database for the enabled jobs and the daemon: the "
     "schemas for comicbatch's own objects, column-level SELECTs and the writes each job declares, and for the "
     "partition jobs either membership in the partitioned tables' owner or (recommended, printed in full) a "
     "SECURITY DEFINER function the owner installs that can only create next months' partitions. "
     "`--accelerators` adds the TRIGGER privileges that let ROLE install the accelerators itself."},
    {"accelerators", "install|remove [NAME...] | status", true,
     "the optional triggers and storage tuning on the platform's tables, each with its write-path cost",
     "Installs or removes the accelerators (all, or the NAMEs given), or lists them all (`status`): triggers that let library.hasnew, "
     "comics.counts_recalc, comics.ratings_recalc, library.viewhistory_cap and crawler.source_health work in "
     "proportion to what changed, and fillfactor tuning for the view-counter flush. `migrate` never installs them "
     "and every job is correct without them. An install rebuilds the incremental state in the same transaction; a "
     "removal leaves no trigger or function of comicbatch on the platform's tables. `status` lists each with what "
     "it speeds up and its measured write-path cost."},
};

static const struct cli_option options[] = {
    {"--config", "FILE", "INI settings file, see comicbatch.ini(5); the environment overrides it"},
    {"--log-format", "FORMAT", "logfmt (default) or json: one JSON object per log line on stderr"},
    {"--help", NULL, "print this text; COMMAND --help (or -h) prints that command's"},
    {"--version", NULL, "print the version"},
};

const struct cli_command *cli_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}

const struct cli_option *cli_options(size_t *n)
{
    *n = sizeof options / sizeof options[0];
    return options;
}

const struct cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

bool cli_command_takes_value(const struct cli_command *c, const char *arg)
{
    size_t n = strlen(arg);
    if (n < 3 || strncmp(arg, "--", 2))
        return false;
    for (const char *p = strstr(c->args, arg); p; p = strstr(p + 1, arg))
        if ((p == c->args || strchr(" [(|", p[-1])) && p[n] == ' ' && p[n + 1] >= 'A' && p[n + 1] <= 'Z')
            return true;
    return false;
}

void cli_command_synopsis(FILE *out, const struct cli_command *c)
{
    fprintf(out, "usage: comicbatch %s%s%s%s\n", c->config ? "[--config FILE] " : "", c->name, *c->args ? " " : "",
            c->args);
}

/*
 * "  NAME ARGS" padded to `width`, then the text wrapped at 100 columns; a long left part gets a line of its own.
 * With `left` "" and `width` 2, a paragraph indented by two.
 */
static void print_row(FILE *out, const char *left, const char *text, int width)
{
    int col = fprintf(out, "  %s", left);
    if (col >= width && *left)
        col = fprintf(out, "\n%*s", width, "") - 1;
    else
        col += fprintf(out, "%*s", width - col, "");
    for (const char *p = text; *p;) {
        int w = (int)strcspn(p, " ");
        if (col > width && col + 1 + w > 100)
            col = fprintf(out, "\n%*s", width, "") - 1;
        else if (col > width)
            col += fprintf(out, " ");
        col += fprintf(out, "%.*s", w, p);
        p += w + strspn(p + w, " ");
    }
    fputc('\n', out);
}

void cli_command_usage(FILE *out, const struct cli_command *c)
{
    cli_command_synopsis(out, c);
    fputc('\n', out);
    print_row(out, "", c->details ? c->details : c->summary, 2);
    if (c->config)
        fputs("\n  The global options --config FILE and --log-format FORMAT may stand before or after the command.\n",
              out);
    fputs("\nSee comicbatch --help and comicbatch(1).\n", out);
}

void cli_usage_print(FILE *out)
{
    char left[160];
    fprintf(out, "comicbatch " COMICBATCH_VERSION " — batch jobs and maintenance back office for a comic platform\n\n"
                 "Usage: comicbatch [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        snprintf(left, sizeof left, "%s%s%s", commands[i].name, *commands[i].args ? " " : "", commands[i].args);
        print_row(out, left, commands[i].summary, 33);
    }
    fprintf(out, "\nOptions (--config and --log-format before or after the command):\n");
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        snprintf(left, sizeof left, "%s%s%s", options[i].name, options[i].arg ? " " : "",
                 options[i].arg ? options[i].arg : "");
        print_row(out, left, options[i].help, 24);
    }
    fprintf(out, "\nEnvironment (overrides the file):");
    size_t nk;
    const struct config_key *keys = config_keys(&nk);
    for (size_t i = 0, col = 80; i < nk; i++) {
        if (!keys[i].env)
            continue;
        size_t len = strlen(keys[i].env) + 1;
        if (col + len > 78) {
            fprintf(out, "\n ");
            col = 1;
        }
        fprintf(out, " %s", keys[i].env);
        col += len;
    }
    fprintf(out, "\n\nSee comicbatch(1) and comicbatch.ini(5).\n");
}

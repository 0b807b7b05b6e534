/* args — see args.h. */
#include "cli/args.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/usage.h"
#include "config.h"
#include "util/xalloc.h"
#include "version.h"

/* `v` is one of the choices of `[log] format` ("logfmt|json"). */
static bool log_format_known(const char *v)
{
    return config_choice_index(config_key_find("log", "format")->choices, v) >= 0;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("comicbatch: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cmd)
        cli_command_synopsis(stderr, cmd);
    else
        fputs("usage: comicbatch [--config FILE] [--log-format FORMAT] COMMAND [ARGS] (see comicbatch --help)\n",
              stderr);
    return CLI_EXIT_USAGE;
}

int cli_no_args(const struct cli_command *cmd, int argc, char **argv)
{
    return argc ? cli_usage_error(cmd, "unexpected argument \"%s\": %s takes none", argv[0], cmd->name) : 0;
}

/*
 * A global option taking a value at argv[*i]: stores it and steps over the value. 1 when it was one, 0 when not,
 * -1 after a usage error (no value, a log format that does not exist; said on stderr).
 */
static int global_option(int argc, char **argv, int *i, const struct cli_command *cmd, struct cli_args *out)
{
    bool config = !strcmp(argv[*i], "--config"), logfmt = !strcmp(argv[*i], "--log-format");
    if (!config && !logfmt)
        return 0;
    if (cmd && !cmd->config) {
        cli_usage_error(cmd, "unexpected argument \"%s\": %s reads no settings", argv[*i], cmd->name);
        return -1;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value (%s)", argv[*i], config ? "FILE" : "FORMAT");
        return -1;
    }
    const char *v = argv[++*i];
    if (config) {
        out->config_path = v;
        return 1;
    }
    if (!log_format_known(v)) {
        cli_usage_error(cmd, "--log-format: expected one of %s, got \"%s\"", config_key_find("log", "format")->choices,
                        v);
        return -1;
    }
    setenv("COMICBATCH_LOG_FORMAT", v, 1); /* the same as the environment variable */
    return 1;
}

/* `--help [COMMAND]` and `--version` before the command: the exit status (they end the command line). */
static int help_or_version(int argc, char **argv, int i)
{
    if (!strcmp(argv[i], "--version")) {
        if (i + 1 < argc)
            return cli_usage_error(NULL, "unexpected argument \"%s\" after --version", argv[i + 1]);
        printf("comicbatch %s\n", COMICBATCH_VERSION);
        return 0;
    }
    const struct cli_command *c = i + 1 < argc ? cli_command_find(argv[i + 1]) : NULL;
    if (i + 1 < argc && (!c || i + 2 < argc))
        return cli_usage_error(NULL, "unexpected argument \"%s\" after %s (give at most a command name)",
                               argv[i + 1 + (c != NULL)], argv[i]);
    if (c)
        cli_command_usage(stdout, c);
    else
        cli_usage_print(stdout);
    return 0;
}

/* The options before the command; returns the command's index, or -(exit status) - 1 to stop. */
static int before_command(int argc, char **argv, struct cli_args *out)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (is_help(argv[i]) || !strcmp(argv[i], "--version"))
            return -help_or_version(argc, argv, i) - 1;
        int g = global_option(argc, argv, &i, NULL, out);
        if (g < 0)
            return -CLI_EXIT_USAGE - 1;
        if (!g)
            return -cli_usage_error(NULL, "unknown option \"%s\"", argv[i]) - 1;
    }
    if (i >= argc || !cli_command_find(argv[i])) { /* a command without a row in cli/usage.c does not exist */
        if (i < argc)
            fprintf(stderr, "comicbatch: unknown command \"%s\"\n\n", argv[i]);
        cli_usage_print(stderr);
        return -CLI_EXIT_USAGE - 1;
    }
    return i;
}

/* The command's own arguments after argv[i]: global options taken out, `--help` answered. -1 or the exit status. */
static int after_command(int argc, char **argv, int i, struct cli_args *out)
{
    const struct cli_command *cmd = out->cmd;
    out->argv = xcalloc((size_t)(argc - i) + 1, sizeof *out->argv);
    for (int j = i + 1; j < argc; j++) {
        if (cli_command_takes_value(cmd, argv[j]) && j + 1 < argc) { /* its value is the command's, whatever it is */
            out->argv[out->argc++] = argv[j++];
            out->argv[out->argc++] = argv[j];
            continue;
        }
        if (is_help(argv[j])) {
            cli_command_usage(stdout, cmd);
            return 0;
        }
        int g = global_option(argc, argv, &j, cmd, out);
        if (g < 0)
            return CLI_EXIT_USAGE;
        if (!g)
            out->argv[out->argc++] = argv[j];
    }
    return -1;
}

int cli_args_parse(int argc, char **argv, struct cli_args *out)
{
    memset(out, 0, sizeof *out);
    int i = before_command(argc, argv, out);
    if (i < 0)
        return -i - 1;
    out->cmd = cli_command_find(argv[i]);
    return after_command(argc, argv, i, out);
}

void cli_args_finish(struct cli_args *a)
{
    free(a->argv);
    a->argv = NULL;
}

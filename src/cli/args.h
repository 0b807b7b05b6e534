/*
 * args — reading the command line before a command runs: the global options (`--config FILE`, `--log-format
 * FORMAT`) wherever they stand, before or after the command; `--help`/`-h` (the whole text, or after a command that
 * command's own) and `--version`; and the usage errors every command reports the same way. The command table is
 * cli/usage.h: an option of a command that takes a value is written "--name VALUE" in its `args`, so that value is
 * never mistaken for a global option or for `--help`.
 *
 * Exit statuses (comicbatch(1)): 0 success, 1 failure (configuration, database, a failed or cancelled run), 2
 * usage error (nothing was done), 3 `run`: the job is busy.
 */
#ifndef COMICBATCH_CLI_ARGS_H
#define COMICBATCH_CLI_ARGS_H

#include <stdbool.h>

struct cli_command;

/** Exit status of a usage error (a bad or unexpected argument; nothing was done). */
#define CLI_EXIT_USAGE 2

/** The command line, read. */
struct cli_args {
    const struct cli_command *cmd; /* the command's row (cli/usage.h) */
    const char *config_path;       /* `--config FILE`, or NULL */
    int argc;                      /* the command's own arguments, global options taken out */
    char **argv;                   /* heap array of borrowed strings (argv's), argc + 1 long; cli_args_finish */
};

/**
 * Reads `argv`. Returns -1 when the command in `out` should run, else the exit status main returns at once: 0 after
 * printing the help (global, or the command's for `CMD --help`) or the version, CLI_EXIT_USAGE after saying what is
 * wrong on stderr (unknown option or command, an option without its value, an argument after --version, …).
 * `--log-format FORMAT` is checked here and set as COMICBATCH_LOG_FORMAT. Release `out` with cli_args_finish.
 */
int cli_args_parse(int argc, char **argv, struct cli_args *out);

/** Frees what cli_args_parse allocated. */
void cli_args_finish(struct cli_args *a);

/**
 * Says `comicbatch: <message>` and the command's usage line on stderr; returns CLI_EXIT_USAGE, for
 * `return cli_usage_error(cmd, "…", …);`.
 */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** 0 when the command got no arguments, else a usage error naming the first one (CLI_EXIT_USAGE). */
int cli_no_args(const struct cli_command *cmd, int argc, char **argv);

#endif

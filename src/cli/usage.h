/*
 * usage — the one description of the command line: a table of commands and a table of global options. `--help`
 * prints from it, `main` refuses a command that has no row, and the build-time generator (cli/docgen.c) writes the
 * man page comicbatch(1) and the README's CLI block from the same rows. Adding a command is adding a row here (and
 * its branch in main.c's dispatch).
 */
#ifndef COMICBATCH_CLI_USAGE_H
#define COMICBATCH_CLI_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** One subcommand. */
struct cli_command {
    const char *name;    /* "run" */
    const char *args;    /* what follows the name: "JOBKEY [--params JSON] [--dry-run]", or "" */
    bool config;         /* reads the settings (its synopsis shows [--config FILE]) */
    const char *summary; /* one line, for --help and the README */
    const char *details; /* the man page's paragraph; `code` in backticks */
};

/** One global option (before the command). */
struct cli_option {
    const char *name; /* "--config" */
    const char *arg;  /* "FILE", or NULL */
    const char *help; /* one line */
};

/** The command table (static storage, in the order shown); `*n` gets its length. */
const struct cli_command *cli_commands(size_t *n);

/** The global option table (static storage); `*n` gets its length. */
const struct cli_option *cli_options(size_t *n);

/** The row for command `name`, or NULL when there is none (main answers "unknown command"). */
const struct cli_command *cli_command_find(const char *name);

/**
 * True when `arg` is an option of command `c` that takes a value: its `args` spell it "--name VALUE" (an upper-case
 * word after it), as `--params JSON` of `run`.
 */
bool cli_command_takes_value(const struct cli_command *c, const char *arg);

/** Prints "usage: comicbatch [--config FILE] NAME ARGS" (one line) on `out`. */
void cli_command_synopsis(FILE *out, const struct cli_command *c);

/** Prints `NAME --help`: the synopsis, the command's paragraph wrapped, and where global options may stand. */
void cli_command_usage(FILE *out, const struct cli_command *c);

/** Prints the `--help` text: version line, usage, commands, options, environment. */
void cli_usage_print(FILE *out);

#endif

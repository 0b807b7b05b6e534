/*
 * docgen — writes the documents that come from the CLI table (cli/usage.h) and the settings table (config.h): the
 * man pages comicbatch(1) and comicbatch.ini(5), the example configuration file with every setting and its default,
 * and the two generated blocks of the README (CLI synopsis, configuration table). Run at build time by the
 * `comicbatch-docgen` tool (cli/docgen_main.c); tests compare the README's blocks with this output.
 *
 * The man pages and the example file say `@SYSCONFDIR@` where the installed path goes; scripts/install.sh
 * substitutes it. Output is deterministic (no dates) and the man pages are plain ASCII roff.
 */
#ifndef COMICBATCH_CLI_DOCGEN_H
#define COMICBATCH_CLI_DOCGEN_H

#include <stdio.h>

/** comicbatch(1): synopsis, commands, options, environment, signals, files, exit status. */
void docgen_man1(FILE *out);

/** comicbatch.ini(5): the file format, reload, and every setting by section. */
void docgen_man5(FILE *out);

/** comicbatch.ini.example: every setting commented out with its default (or an example value) and its help. */
void docgen_ini_example(FILE *out);

/** The README's CLI block (the lines inside its ``` fence). */
void docgen_readme_cli(FILE *out);

/** The README's configuration table (Markdown, header included). */
void docgen_readme_config(FILE *out);

#endif

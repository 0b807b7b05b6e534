/*
 * comicbatch-docgen — build-time tool: prints one generated document on stdout (see cli/docgen.h).
 * Usage: comicbatch-docgen man1|man5|ini|readme-cli|readme-config
 */
#include <stdio.h>
#include <string.h>

#include "cli/docgen.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*write)(FILE *);
    } docs[] = {
        {"man1", docgen_man1},
        {"man5", docgen_man5},
        {"ini", docgen_ini_example},
        {"readme-cli", docgen_readme_cli},
        {"readme-config", docgen_readme_config},
    };
    for (size_t i = 0; argc == 2 && i < sizeof docs / sizeof docs[0]; i++)
        if (!strcmp(argv[1], docs[i].name)) {
            docs[i].write(stdout);
            return fflush(stdout) ? 1 : 0;
        }
    fprintf(stderr, "usage: comicbatch-docgen man1|man5|ini|readme-cli|readme-config\n");
    return 2;
}

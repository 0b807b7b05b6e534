/* embed — files compiled into the binary by scripts/embed.c: the migrations, the accelerator scripts and the admin web pages. */
#ifndef COMICBATCH_EMBED_H
#define COMICBATCH_EMBED_H

#include <stddef.h>

struct embedded_file {
    const char *name;          /* path relative to its root, e.g. "001_run_model.sql", "jobs.html" */
    const unsigned char *data; /* NUL-terminated for convenience; `len` excludes the NUL */
    size_t len;
};

/** Migrations in file-name order; terminated by an entry with name NULL. */
extern const struct embedded_file migrations_files[];
extern const unsigned migrations_count;

/** Accelerator scripts ("NAME.install.sql", "NAME.remove.sql"); terminated by an entry with name NULL. */
extern const struct embedded_file accelerators_files[];
extern const unsigned accelerators_count;

/** Admin web assets; terminated by an entry with name NULL. */
extern const struct embedded_file web_files[];
extern const unsigned web_count;

#endif

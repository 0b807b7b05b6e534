/*
 * notifications — system.notification rows comicbatch raises itself (the run model's alerts). Jobs that write
 * notifications as part of their own set-based statement (crawler.source_health) keep that SQL with the job.
 */
#ifndef COMICBATCH_NOTIFICATIONS_H
#define COMICBATCH_NOTIFICATIONS_H

#include <jansson.h>
#include <libpq-fe.h>

/** Inserts one notification (`level` e.g. "critical"); `details` borrowed, may be NULL. Returns 0 or -1. */
int notifications_add(PGconn *c, const char *level, const char *title, const char *message, const json_t *details);

#endif

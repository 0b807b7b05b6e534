/* routes — the table of every API route: method, pattern, handler, access and the handler's data. */
#ifndef COMICBATCH_ROUTES_H
#define COMICBATCH_ROUTES_H

#include <stddef.h>

#include "http/router.h"

/** The data of a per-job trigger route (the seed's POST /admin/batch/sessions/cleanup, …). */
struct trigger_route {
    const char *jobkey;
    const char *path_param; /* route param copied into the params, or NULL */
    const char *param_name; /* … under this name */
};

/** The route table (static storage); `*n` gets its length. Given to the HTTP server by app.c. */
const struct route *api_routes(size_t *n);

#endif

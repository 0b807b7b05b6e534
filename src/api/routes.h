/* routes — the table of every API route: method, pattern, handler and whether it needs an admin. */
#ifndef COMICBATCH_ROUTES_H
#define COMICBATCH_ROUTES_H

#include <stddef.h>

#include "http/request.h"
#include "http/router.h"

typedef void (*api_handler)(struct http_req *r);

enum route_access { ROUTE_PUBLIC = 0, ROUTE_ADMIN = 1 };

struct api_route {
    api_handler fn;
    enum route_access access;
};

/** The route table (static storage); `*n` gets its length. Each route's data points at a struct api_route. */
const struct route *api_routes(size_t *n);

#endif

/* static — serves the embedded admin pages under /admin/ with their security headers. */
#ifndef COMICBATCH_STATIC_H
#define COMICBATCH_STATIC_H

#include <stdbool.h>

#include "http/request.h"

/** True when `path` belongs to the admin pages (/admin, /admin/…). */
bool static_owns(const char *path);

/** Answers a GET/HEAD of an admin page or asset (404 envelope if absent). */
void static_serve(struct http_req *r);

#endif

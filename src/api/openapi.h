/*
 * openapi — GET /api/v1/openapi.json: the OpenAPI 3.1 document of every route (docs/openapi.json, embedded in the
 * binary at build time by web/meson.build). tests/integration/openapi.test.mjs fails when a registered route is
 * missing from it or a real response does not validate against it.
 */
#ifndef COMICBATCH_API_OPENAPI_H
#define COMICBATCH_API_OPENAPI_H

#include "http/request.h"
#include "util/embed.h"

/** The embedded document: one entry ("openapi.json"), then the NULL terminator. */
extern const struct embedded_file openapi_files[];
extern const unsigned openapi_count;

/** GET /api/v1/openapi.json — answers the embedded document (public). */
void api_openapi(struct http_req *r);

#endif

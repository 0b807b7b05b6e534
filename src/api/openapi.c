/* openapi — see openapi.h. */
#include "api/openapi.h"

void api_openapi(struct http_req *r)
{
    reply_bytes(r, 200, "application/json; charset=utf-8", openapi_files[0].data, openapi_files[0].len);
}

/* head — see head.h. */
#include "http/head.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/router.h"

/* libmicrohttpd's pool bookkeeping per header or query argument (struct MHD_HTTP_Header is 56 bytes, rounded). */
#define HEAD_ENTRY_OVERHEAD 64

struct head_scan {
    size_t bytes;
    bool length_bad;   /* a Content-Length is not a decimal number, or two differ */
    bool chunked;      /* a Transfer-Encoding header */
    const char *first; /* the first Content-Length value */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                   const char *value, size_t value_size)
{
    struct head_scan *h = cls;
    h->bytes += key_size + value_size + 4 + HEAD_ENTRY_OVERHEAD;
    if (kind != MHD_HEADER_KIND)
        return MHD_YES;
    if (!strcasecmp(key, "Transfer-Encoding"))
        h->chunked = true;
    if (strcasecmp(key, "Content-Length"))
        return MHD_YES;
    if (!value_size || strspn(value, "0123456789") != value_size || (h->first && strcmp(h->first, value)))
        h->length_bad = true;
    if (!h->first)
        h->first = value;
    return MHD_YES;
}

void http_head_check(struct MHD_Connection *conn, const char *url, const char *method, size_t max_body,
                     struct http_head *out)
{
    struct head_scan h = {.bytes = strlen(url) + strlen(method) + sizeof " HTTP/1.1\r\n\r\n"};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND | MHD_FOOTER_KIND, scan_header, &h);
    unsigned long long length = h.first && !h.length_bad ? strtoull(h.first, NULL, 10) : 0;
    *out = (struct http_head){.too_big = h.bytes > HTTP_HEAD_MAX,
                              .length_bad = h.length_bad,
                              .body_too_large = length > max_body,
                              .declares_body = length > 0 || h.chunked};
}

bool http_path_ok(const char *path)
{
    char buf[ROUTER_MAX_PATH + 1];
    size_t n = strlen(path);
    return n <= ROUTER_MAX_PATH && router_decode(path, n, buf) >= 0;
}

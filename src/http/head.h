/*
 * head — what the server checks of a request's head before it dispatches it or reads a byte of its body: the
 * head's size (it shares the connection's memory with the reply's head), the Content-Length headers (RFC 9112
 * §6.3: repeated ones must agree), an announced body, and a path that decodes once to UTF-8 text without NUL.
 */
#ifndef COMICBATCH_HTTP_HEAD_H
#define COMICBATCH_HTTP_HEAD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The largest request head served (request line, headers and libmicrohttpd's bookkeeping for each in the
 * connection's pool). The head and the reply's head share the connection's memory (16 KiB); a head past this is
 * answered 431 before it is dispatched, which leaves at least 4 KiB for the reply's head (ours are under 1 KiB).
 * Before, a head of ~15 KiB ran its handler and then the reply could not be made: the client saw the connection
 * close and retried.
 */
#define HTTP_HEAD_MAX (12 * 1024)

/** What http_head_check found. */
struct http_head {
    bool too_big;        /* over HTTP_HEAD_MAX: 431 */
    bool length_bad;     /* a Content-Length that is not a decimal number, or two that differ: 400 */
    bool body_too_large; /* a (valid) Content-Length over the body limit: 413 before reading it */
    bool declares_body;  /* a non-zero Content-Length or any Transfer-Encoding */
};

/** Checks the head of the request on `conn` (`url` and `method` as libmicrohttpd gave them) into `out`. */
void http_head_check(struct MHD_Connection *conn, const char *url, const char *method, size_t max_body,
                     struct http_head *out);

/** Whether the path as sent decodes (once) to UTF-8 text without NUL, within the router's length. */
bool http_path_ok(const char *path);

#endif

/*
 * fetch — see fetch.h. One easy handle per hop, never shared, so no connection or DNS entry outlives the checks
 * made for it. The write callback is where the streaming rules live: it drops the body of any non-200 answer
 * (a redirect's or an error's), enforces the byte cap, sniffs the first bytes and abandons a non-image, and feeds
 * the SHA-256 that becomes the ETag.
 */
#include "covers/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define COVER_MAX_REDIRECT_BODY 65536

struct fctx {
    const struct fetch_opts *o;
    CURL *h;
    int fd;
    EVP_MD_CTX *md;
    long status;
    int64_t size;
    size_t discarded; /* bytes of a redirect's body, read and dropped */
    uint8_t head[SNIFF_BYTES];
    size_t headlen;
    enum image_type type;
    bool sniffed, blocked, too_large, not_image, io_error, non200;
    char blocked_addr[INET6_ADDRSTRLEN];
    enum addr_class blocked_class;
};

static enum cover_err fail(struct fetch_result *res, enum cover_err e, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum cover_err fail(struct fetch_result *res, enum cover_err e, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof res->detail, fmt, ap);
    va_end(ap);
    res->err = e;
    res->reason = reason;
    return e;
}

static int add_resolve(struct fetch_opts *o, const char *tok, size_t n, char *err, size_t errlen)
{
    char buf[300];
    if (n >= sizeof buf)
        goto bad;
    memcpy(buf, tok, n);
    buf[n] = '\0';
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || c1 == buf || !c2 || c2 == c1 + 1 || !c2[1] || strspn(c1 + 1, "0123456789") != (size_t)(c2 - c1 - 1))
        goto bad;
    struct curl_slist *l = xcheck(curl_slist_append(o->resolve, buf));
    o->resolve = l;
    return 0;
bad:
    snprintf(err, errlen, "storage.cover_resolve: \"%.*s\" is not host:port:address", (int)(n > 200 ? 200 : n), tok);
    return -1;
}

int fetch_opts_init(struct fetch_opts *o, const char *allowed_hosts, bool allow_loopback, int64_t max_bytes,
                    int64_t timeout_ms, const char *ca_file, const char *resolve, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (urlpol_allowlist_parse(allowed_hosts, &o->allow, err, errlen))
        return -1;
    o->allow_loopback = allow_loopback;
    o->max_bytes = max_bytes;
    o->timeout_ms = (long)timeout_ms;
    long ct = o->timeout_ms / 2;
    o->connect_timeout_ms = ct > 5000 ? 5000 : ct < 50 ? 50 : ct;
    if (ca_file && *ca_file)
        o->ca_file = xstrdup(ca_file);
    for (const char *p = resolve ? resolve : ""; *p;) {
        size_t skip = strspn(p, ", \t"), n;
        p += skip;
        if (!*p)
            break;
        n = strcspn(p, ", \t");
        if (add_resolve(o, p, n, err, errlen)) {
            fetch_opts_finish(o);
            return -1;
        }
        p += n;
    }
    return 0;
}

void fetch_opts_finish(struct fetch_opts *o)
{
    free(o->ca_file);
    curl_slist_free_all(o->resolve);
    o->ca_file = NULL;
    o->resolve = NULL;
}

enum cover_err fetch_check_url(const struct fetch_opts *o, const char *url, struct url_parts *u,
                               struct fetch_result *res)
{
    enum urlpol_err e = urlpol_normalize(url, u);
    if (e == URLPOL_OK)
        e = urlpol_check_allowed(&o->allow, u);
    if (e == URLPOL_OK)
        return COVER_OK;
    bool host = e == URLPOL_NOT_ALLOWED || e == URLPOL_PORT_NOT_ALLOWED;
    return fail(res, host ? COVER_EHOST : COVER_EURL, urlpol_reason(e), "%s", urlpol_strerror(e));
}

/* CURLOPT_OPENSOCKETFUNCTION: the connect-time address check, for every address of every hop. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct fctx *c = ud;
    if (purpose != CURLSOCKTYPE_IPCXN || !urlpol_addr_allowed(&a->addr, a->addrlen, c->o->allow_loopback)) {
        c->blocked = true;
        c->blocked_class = urlpol_classify(&a->addr, a->addrlen);
        const void *raw = a->family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr
                                                : (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
        if (!inet_ntop(a->family, raw, c->blocked_addr, sizeof c->blocked_addr))
            snprintf(c->blocked_addr, sizeof c->blocked_addr, "?");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Keeps the first SNIFF_BYTES; once they are all in, decides. Returns false to abandon the transfer. */
static bool sniff_more(struct fctx *c, const char *p, size_t n)
{
    size_t take = SNIFF_BYTES - c->headlen < n ? SNIFF_BYTES - c->headlen : n;
    memcpy(c->head + c->headlen, p, take);
    c->headlen += take;
    if (c->headlen < SNIFF_BYTES)
        return true;
    c->sniffed = true;
    c->type = image_sniff(c->head, c->headlen);
    c->not_image = !image_mime(c->type);
    return !c->not_image;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct fctx *c = ud;
    size_t n = size * nmemb;
    if (!c->status)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    if (c->status >= 300 && c->status < 400 && c->discarded + n <= COVER_MAX_REDIRECT_BODY) {
        c->discarded += n; /* curl works out the redirect target only for a transfer that completes */
        return n;
    }
    if (c->status != 200) {
        c->non200 = true;
        return 0;
    }
    if (c->size + (int64_t)n > c->o->max_bytes) {
        c->too_large = true;
        return 0;
    }
    if (!c->sniffed && !sniff_more(c, p, n))
        return 0;
    if (write_all(c->fd, p, n)) {
        c->io_error = true;
        log_error("msg=\"cover: cannot write temp file\" err=\"%s\"", strerror(errno));
        return 0;
    }
    EVP_DigestUpdate(c->md, p, n);
    c->size += (int64_t)n;
    return n;
}

static void setup(struct fctx *c, const struct url_parts *u, long timeout_ms, struct curl_slist *hdrs)
{
    CURL *h = c->h;
    curl_easy_setopt(h, CURLOPT_URL, u->normalized);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an environment proxy: it would be what we connect to */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     c->o->connect_timeout_ms < timeout_ms ? c->o->connect_timeout_ms : timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o->max_bytes);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "comicbatch-cover-proxy/1");
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->o->ca_file);
    if (c->o->resolve)
        curl_easy_setopt(h, CURLOPT_RESOLVE, c->o->resolve);
}

static enum cover_err on_status(struct fctx *c, const struct url_parts *u, struct fetch_result *res, char *next,
                                size_t nextlen)
{
    long s = c->status;
    if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
        char *loc = NULL;
        curl_easy_getinfo(c->h, CURLINFO_REDIRECT_URL, &loc);
        if (!loc || strlen(loc) >= nextlen)
            return fail(res, COVER_EUPSTREAM, "bad_redirect", "%s answered %ld without a usable Location", u->host, s);
        snprintf(next, nextlen, "%s", loc);
        return COVER_OK;
    }
    if (s == 404 || s == 410)
        return fail(res, COVER_ENOTFOUND, "upstream_not_found", "%s has no such image (HTTP %ld)", u->host, s);
    if (s != 200)
        return fail(res, COVER_EUPSTREAM, "upstream_status", "%s answered HTTP %ld", u->host, s);
    if (!c->sniffed) {
        c->type = image_sniff(c->head, c->headlen);
        c->not_image = !image_mime(c->type);
    }
    if (c->not_image)
        return COVER_ENOTIMAGE; /* caller words it */
    unsigned mdlen = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    EVP_DigestFinal_ex(c->md, md, &mdlen);
    for (unsigned i = 0; i < 32 && i < mdlen; i++)
        snprintf(res->sha256 + 2 * i, 3, "%02x", md[i]);
    res->type = c->type;
    res->size = c->size;
    return COVER_OK;
}

/* Turns the transfer's outcome into a result. `next` gets a redirect target, if any. */
static enum cover_err outcome(struct fctx *c, CURLcode rc, const struct url_parts *u, struct fetch_result *res,
                              char *next, size_t nextlen)
{
    if (!c->status) /* a body-less answer never reached on_body */
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    res->upstream_status = c->status;
    if (c->blocked && rc != CURLE_OK && !c->status)
        return fail(res, COVER_EADDR, "blocked_address", "%s resolves to %s, a %s address the proxy never connects to",
                    u->host, c->blocked_addr, urlpol_class_name(c->blocked_class));
    if (c->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return fail(res, COVER_ETOOLARGE, "too_large", "the image is larger than storage.cover_max_bytes (%lld)",
                    (long long)c->o->max_bytes);
    if (c->io_error)
        return fail(res, COVER_EIO, "io", "the cover cache could not be written");
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return fail(res, COVER_ETIMEOUT, "timeout", "%s did not answer within storage.cover_timeout (%ld ms)", u->host,
                    c->o->timeout_ms);
    enum cover_err e = COVER_ENOTIMAGE;
    if (!c->not_image) {
        if (rc != CURLE_OK && !c->non200)
            return fail(res, COVER_ECONNECT, "upstream_unreachable", "%s could not be fetched: %s", u->host,
                        curl_easy_strerror(rc));
        e = on_status(c, u, res, next, nextlen);
    }
    if (e == COVER_ENOTIMAGE && c->type == IMG_SVG)
        return fail(res, COVER_ESVG, "svg", "SVG covers are not served (only JPEG, PNG, GIF, WebP, AVIF)");
    if (e == COVER_ENOTIMAGE)
        return fail(res, COVER_ENOTIMAGE, "not_image",
                    "the upstream body is not a JPEG, PNG, GIF, WebP or AVIF "
                    "image");
    return e;
}

static enum cover_err fetch_hop(const struct fetch_opts *o, const struct url_parts *u, int fd, long timeout_ms,
                                struct fetch_result *res, char *next, size_t nextlen)
{
    struct fctx c = {.o = o, .fd = fd, .h = xcheck(curl_easy_init()), .md = xcheck(EVP_MD_CTX_new())};
    struct curl_slist *hdrs = xcheck(
        curl_slist_append(NULL, "Accept: image/avif,image/webp,image/png,image/jpeg,image/gif"));
    EVP_DigestInit_ex(c.md, EVP_sha256(), NULL);
    setup(&c, u, timeout_ms, hdrs);
    CURLcode rc = curl_easy_perform(c.h);
    enum cover_err e = outcome(&c, rc, u, res, next, nextlen);
    curl_easy_cleanup(c.h);
    curl_slist_free_all(hdrs);
    EVP_MD_CTX_free(c.md);
    if (e != COVER_OK)
        log_info("msg=\"cover fetch refused\" host=%s reason=%s detail=\"%s\"", u->host, res->reason, res->detail);
    return e;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum cover_err fetch_to_fd(const struct fetch_opts *o, const struct url_parts *u, int fd, struct fetch_result *res)
{
    memset(res, 0, sizeof *res);
    res->reason = "ok";
    struct url_parts cur = *u;
    int64_t deadline = now_ms() + o->timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return fail(res, COVER_ETIMEOUT, "timeout", "the redirects took longer than storage.cover_timeout");
        char next[URLPOL_MAX_URL + 1] = "";
        enum cover_err e = fetch_hop(o, &cur, fd, (long)left, res, next, sizeof next);
        if (e != COVER_OK || !next[0])
            return e;
        if (res->hops == COVER_MAX_REDIRECTS)
            return fail(res, COVER_EREDIRECTS, "too_many_redirects", "more than %d redirects", COVER_MAX_REDIRECTS);
        if (fetch_check_url(o, next, &cur, res) != COVER_OK) {
            char why[sizeof res->detail];
            snprintf(why, sizeof why, "%s", res->detail);
            return fail(res, res->err, res->reason, "a redirect was refused: %s", why);
        }
        res->hops++;
    }
}

/*
 * fetch — one upstream cover fetch with libcurl under the SSRF rules of DESIGN §5:
 *   - https only (CURLOPT_PROTOCOLS_STR), no proxy (environment proxies ignored), no cookies, no auth, no
 *     forwarded client headers;
 *   - every address libcurl is about to connect to — each one DNS gave, on every hop — is checked in the
 *     CURLOPT_OPENSOCKETFUNCTION callback (url_policy's connect rule) and refused before a socket exists, so a name
 *     that resolves to a private address, or re-resolves to one (DNS rebinding), never gets a connection;
 *   - redirects are followed by hand, at most COVER_MAX_REDIRECTS, each target normalised and checked against the
 *     allowlist like the first URL;
 *   - the body is streamed to a file descriptor and the transfer aborted past the size cap (and refused up front
 *     when Content-Length already says so), and past the total timeout (connect timeout shorter);
 *   - the body must be a JPEG, PNG, GIF, WebP or AVIF by its magic bytes (decided after the first SNIFF_BYTES, so a
 *     non-image is abandoned early); SVG is refused by name.
 * Test-only switches, off by default: loopback upstreams (exactly 127.0.0.1/::1), a CA file for a self-signed
 * upstream, and pinned name resolutions.
 */
#ifndef COMICBATCH_FETCH_H
#define COMICBATCH_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covers/sniff.h"
#include "covers/url_policy.h"

#define COVER_MAX_REDIRECTS 3

/** Why a cover could not be had. Numbered once, never renumbered; covers_http_status() maps them to HTTP. */
enum cover_err {
    COVER_OK = 0,
    COVER_EURL = 1,       /* the URL (or a redirect's) is malformed or not https — 400 */
    COVER_EHOST = 2,      /* the host (or a redirect's) is not allowlisted — 403 */
    COVER_EADDR = 3,      /* every address of the host is a blocked one — 403 */
    COVER_EREDIRECTS = 4, /* more than COVER_MAX_REDIRECTS hops — 502 */
    COVER_ETOOLARGE = 5,  /* body larger than storage.cover_max_bytes — 422 */
    COVER_ENOTIMAGE = 6,  /* body is not one of the accepted image types — 422 */
    COVER_ESVG = 7,       /* body is an SVG document — 422 */
    COVER_ETIMEOUT = 8,   /* storage.cover_timeout passed — 422 */
    COVER_EUPSTREAM = 9,  /* upstream answered an error status or no usable redirect — 502 */
    COVER_ECONNECT = 10,  /* DNS, connection or TLS failure — 502 */
    COVER_ENOTFOUND = 11, /* upstream answered 404/410 — 404 */
    COVER_EIO = 12,       /* local disk error — 500 */
    COVER_EBUSY = 13,     /* too many distinct fetches in flight (covers.c) — 503 */
};

/** Fetch settings, built once from the config by fetch_opts_init. */
struct fetch_opts {
    struct urlpol_allowlist allow;
    bool allow_loopback;
    int64_t max_bytes;
    long timeout_ms;
    long connect_timeout_ms;
    char *ca_file;              /* owned; NULL = system CAs */
    struct curl_slist *resolve; /* owned; NULL = ordinary DNS */
};

/** What a fetch produced, or why it failed. */
struct fetch_result {
    enum cover_err err;
    const char *reason; /* stable machine word for details.reason (static storage) */
    char detail[256];   /* human sentence for the error envelope */
    int hops;           /* redirects followed */
    long upstream_status;
    enum image_type type;
    int64_t size;    /* body bytes written */
    char sha256[65]; /* hex SHA-256 of the body */
};

/**
 * Fills `o` from the settings (allowlist text, loopback switch, byte cap, timeout, CA file, pinned resolutions
 * "host:port:addr" separated by commas or spaces). Returns 0, or -1 with `err` naming the setting.
 * Release with fetch_opts_finish.
 */
int fetch_opts_init(struct fetch_opts *o, const char *allowed_hosts, bool allow_loopback, int64_t max_bytes,
                    int64_t timeout_ms, const char *ca_file, const char *resolve, char *err, size_t errlen);

/** Frees what fetch_opts_init allocated. */
void fetch_opts_finish(struct fetch_opts *o);

/** Normalises `url` and checks it against the allowlist. Returns COVER_OK or COVER_EURL/COVER_EHOST with `res`. */
enum cover_err fetch_check_url(const struct fetch_opts *o, const char *url, struct url_parts *u,
                               struct fetch_result *res);

/**
 * Fetches `u` (already checked) and writes the body to `fd` at its current position. Returns res->err; on
 * COVER_OK res->type/size/sha256 describe what was written. On failure some bytes may have been written: the caller
 * discards the file.
 */
enum cover_err fetch_to_fd(const struct fetch_opts *o, const struct url_parts *u, int fd, struct fetch_result *res);

#endif

/*
 * objstore_s3 — the S3-compatible backend (AWS S3, Cloudflare R2, MinIO): path-style URLs
 * `<endpoint>/<bucket>/<key>` signed by libcurl's SigV4 (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3"). One easy handle
 * per store, so consecutive requests reuse the connection.
 * S3's DeleteObject answers 204 whether or not the object existed, so a delete first asks HEAD: 404 → absent,
 * 200 → DELETE. Any other status, or a transport error, is an error: the caller must assume the object still exists.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/objstore_impl.h"
#include "util/sha256.h"
#include "util/xalloc.h"

#define S3_MAX_ERROR_BODY 4096
#define S3_CONNECT_TIMEOUT_MS 5000L
#define S3_TIMEOUT_MS 60000L

struct s3_store {
    CURL *curl;
    char *endpoint, *bucket, *access, *secret;
    char sigv4[160];
};

struct s3_body {
    char buf[S3_MAX_ERROR_BODY + 1];
    size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
    struct s3_body *b = arg;
    size_t n = size * nmemb, room = S3_MAX_ERROR_BODY - b->len;
    memcpy(b->buf + b->len, data, n < room ? n : room);
    b->len += n < room ? n : room;
    b->buf[b->len] = '\0';
    return n;
}

/* Percent-encodes `key` for the URL path (SigV4 canonical form: unreserved characters and '/' stay). */
static void encode_key(const char *key, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && o + 4 < outlen; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~' || c == '/') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* Pulls "<Code>X</Code>" out of an S3 error body for the message. */
static void s3_error_code(const char *body, char *out, size_t outlen)
{
    const char *a = strstr(body, "<Code>"), *b = a ? strstr(a, "</Code>") : NULL;
    if (!a || !b) {
        out[0] = '\0';
        return;
    }
    a += 6;
    snprintf(out, outlen, " (%.*s)", (int)(b - a) > 100 ? 100 : (int)(b - a), a);
}

/*
 * Sends one request: `method` "HEAD", "DELETE" or "PUT" (with `data`). Returns the HTTP status, or -1 on a
 * transport error (with `err`). `*length` gets Content-Length for HEAD when known.
 */
static long s3_request(struct s3_store *st, const char *method, const char *key, const void *data, size_t len,
                       int64_t *length, char *err, size_t errlen)
{
    char enc[OBJSTORE_MAX_KEY * 3 + 1], url[OBJSTORE_MAX_KEY * 3 + 1024];
    encode_key(key, enc, sizeof enc);
    snprintf(url, sizeof url, "%s/%s/%s", st->endpoint, st->bucket, enc);
    struct s3_body body = {.len = 0};
    CURL *c = st->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, S3_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, S3_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, st->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, st->access);
    curl_easy_setopt(c, CURLOPT_PASSWORD, st->secret);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    /* S3 wants the payload hash in a signed header; curl signs the headers we add and uses this value. */
    char hex[65], sha_hdr[96];
    sha256_hex(data ? data : "", data ? len : 0, hex);
    snprintf(sha_hdr, sizeof sha_hdr, "x-amz-content-sha256: %s", hex);
    struct curl_slist *hdrs = curl_slist_append(NULL, sha_hdr);
    if (!strcmp(method, "PUT"))
        hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "S3 %s %.300s: %s", method, key, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t cl = -1;
    if (length && curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl >= 0)
        *length = (int64_t)cl;
    if (status >= 300 && status != 404) {
        char code[128];
        s3_error_code(body.buf, code, sizeof code);
        snprintf(err, errlen, "S3 %s %.300s: HTTP %ld%s", method, key, status, code);
    }
    return status;
}

static int s3_head(void *impl, const char *key, int64_t *size, char *err, size_t errlen)
{
    long st = s3_request(impl, "HEAD", key, NULL, 0, size, err, errlen);
    if (st == 404)
        return OBJSTORE_ABSENT;
    return st >= 200 && st < 300 ? OBJSTORE_OK : OBJSTORE_ERROR;
}

static int s3_del(void *impl, const char *key, char *err, size_t errlen)
{
    int rc = s3_head(impl, key, NULL, err, errlen);
    if (rc != OBJSTORE_OK)
        return rc;
    long st = s3_request(impl, "DELETE", key, NULL, 0, NULL, err, errlen);
    if (st == 404)
        return OBJSTORE_ABSENT;
    return st >= 200 && st < 300 ? OBJSTORE_OK : OBJSTORE_ERROR;
}

static int s3_put(void *impl, const char *key, const void *data, size_t len, char *err, size_t errlen)
{
    long st = s3_request(impl, "PUT", key, data ? data : "", len, NULL, err, errlen);
    if (st == 404)
        snprintf(err, errlen, "S3 PUT %.300s: HTTP 404 (no such bucket?)", key);
    return st >= 200 && st < 300 ? OBJSTORE_OK : OBJSTORE_ERROR;
}

static void s3_destroy(void *impl)
{
    struct s3_store *st = impl;
    if (st->curl)
        curl_easy_cleanup(st->curl);
    free(st->endpoint);
    free(st->bucket);
    free(st->access);
    free(st->secret);
    free(st);
}

static const struct objstore_ops s3_ops = {
    .name = "s3", .del = s3_del, .put = s3_put, .head = s3_head, .destroy = s3_destroy};

static char *dup_or_die(const char *s)
{
    char *d = xstrdup(s);
    return d;
}

struct objstore *objstore_create_s3(const char *endpoint, const char *bucket, const char *region,
                                    const char *access_key, const char *secret_key, char *err, size_t errlen)
{
    if (!endpoint || (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) || strlen(endpoint) > 512) {
        snprintf(err, errlen, "storage.s3_endpoint: expected an http:// or https:// URL");
        return NULL;
    }
    if (!bucket || !*bucket || strchr(bucket, '/') || strlen(bucket) > 63) {
        snprintf(err, errlen, "storage.s3_bucket: expected a bucket name");
        return NULL;
    }
    if (!access_key || !*access_key || !secret_key || !*secret_key) {
        snprintf(err, errlen, "storage.s3_access_key and storage.s3_secret_key are required");
        return NULL;
    }
    const char *reg = region && *region ? region : "auto";
    if (strlen(reg) > 64 || strchr(reg, ':')) {
        snprintf(err, errlen, "storage.s3_region: bad region \"%.64s\"", reg);
        return NULL;
    }
    struct s3_store *st = xcalloc(1, sizeof *st);
    st->endpoint = dup_or_die(endpoint);
    size_t n = strlen(st->endpoint);
    while (n && st->endpoint[n - 1] == '/')
        st->endpoint[--n] = '\0';
    st->bucket = dup_or_die(bucket);
    st->access = dup_or_die(access_key);
    st->secret = dup_or_die(secret_key);
    snprintf(st->sigv4, sizeof st->sigv4, "aws:amz:%s:s3", reg);
    if (!(st->curl = curl_easy_init())) {
        snprintf(err, errlen, "cannot initialise libcurl");
        s3_destroy(st);
        return NULL;
    }
    return objstore__wrap(&s3_ops, st);
}

/*
 * respcache — a listener's small cache of prepared replies that many requests share (libmicrohttpd responses may
 * be queued on any number of connections at once). A cover cache hit served from here costs no open, read, stat
 * or close and no response building: the file stays open inside the prepared reply, which libmicrohttpd sends with
 * sendfile at an explicit offset.
 *
 * Words: an *entry* is one prepared reply with its *key* (the handler's name for what it answers, e.g. a cover's
 * cache key), its *tag* (e.g. the ETag, for a handler that answers 304 without the body) and its *generation*
 * (the handler's counter that its underlying data changed, e.g. bumped by a cover-cache invalidation). An entry is
 * used only while its generation is current and for HTTP_RESPCACHE_TTL_MS after it was prepared, so a change made
 * behind the process's back (a file deleted by hand) is seen within that time. The table is direct-mapped and
 * fixed-size: a new entry replaces whatever shared its slot (no growth, no scan).
 *
 * Entries are reference-counted: the table holds one reference, each request using an entry one more, so an entry
 * replaced while a request still holds it is freed by whichever lets go last. An entry is never changed after it
 * is put, so its response is only ever read by libmicrohttpd.
 */
#ifndef COMICBATCH_HTTP_RESPCACHE_H
#define COMICBATCH_HTTP_RESPCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Response;

#define HTTP_RESPCACHE_SLOTS 256 /* also the most files it keeps open */
#define HTTP_RESPCACHE_TTL_MS 10000
#define HTTP_RESPCACHE_KEY 80
#define HTTP_RESPCACHE_TAG 80

/** One shared prepared reply. */
struct http_shared {
    atomic_int refs;
    struct MHD_Response *resp; /* owned: destroyed with the last reference */
    unsigned status;
    uint64_t size; /* body bytes */
    uint64_t gen;
    int64_t born_ms;
    char key[HTTP_RESPCACHE_KEY];
    char tag[HTTP_RESPCACHE_TAG];
};

struct http_respcache;

/** An empty cache. Destroy it after the listener stopped (no request may hold an entry). */
struct http_respcache *http_respcache_create(void);

/** Drops every entry and frees the cache. NULL is a no-op. */
void http_respcache_destroy(struct http_respcache *c);

/** A new reference to the entry for `key` of generation `gen` if it is fresh at `now_ms`, else NULL. */
struct http_shared *http_respcache_get(struct http_respcache *c, const char *key, uint64_t gen, int64_t now_ms);

/**
 * Wraps `resp` (taken) as an entry and puts it in the cache in place of any entry of its slot. Returns a reference
 * for the caller (the cache keeps its own).
 */
struct http_shared *http_respcache_put(struct http_respcache *c, struct MHD_Response *resp, unsigned status,
                                       uint64_t size, const char *key, const char *tag, uint64_t gen, int64_t now_ms);

/** Drops a reference; the last one destroys the response. NULL is a no-op. */
void http_shared_unref(struct http_shared *e);

#endif

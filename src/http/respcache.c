/* respcache — see respcache.h. One lock guards the slot table; references are atomic. */
#include "http/respcache.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

struct http_respcache {
    pthread_mutex_t mu;
    struct http_shared *slot[HTTP_RESPCACHE_SLOTS];
};

struct http_respcache *http_respcache_create(void)
{
    struct http_respcache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void http_respcache_destroy(struct http_respcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < HTTP_RESPCACHE_SLOTS; i++)
        http_shared_unref(c->slot[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static size_t slot_of(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % HTTP_RESPCACHE_SLOTS;
}

struct http_shared *http_respcache_get(struct http_respcache *c, const char *key, uint64_t gen, int64_t now_ms)
{
    size_t i = slot_of(key);
    pthread_mutex_lock(&c->mu);
    struct http_shared *e = c->slot[i];
    if (e && e->gen == gen && now_ms - e->born_ms < HTTP_RESPCACHE_TTL_MS && !strcmp(e->key, key))
        atomic_fetch_add(&e->refs, 1);
    else
        e = NULL;
    pthread_mutex_unlock(&c->mu);
    return e;
}

struct http_shared *http_respcache_put(struct http_respcache *c, struct MHD_Response *resp, unsigned status,
                                       uint64_t size, const char *key, const char *tag, uint64_t gen, int64_t now_ms)
{
    struct http_shared *e = xcalloc(1, sizeof *e);
    atomic_init(&e->refs, 2); /* the cache's and the caller's */
    e->resp = resp;
    e->status = status;
    e->size = size;
    e->gen = gen;
    e->born_ms = now_ms;
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->tag, sizeof e->tag, "%s", tag ? tag : "");
    size_t i = slot_of(key);
    pthread_mutex_lock(&c->mu);
    struct http_shared *old = c->slot[i];
    c->slot[i] = e;
    pthread_mutex_unlock(&c->mu);
    http_shared_unref(old);
    return e;
}

void http_shared_unref(struct http_shared *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        MHD_destroy_response(e->resp);
        free(e);
    }
}

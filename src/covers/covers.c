/*
 * covers — see covers.h. Lock order: only `mu` exists; it is never held across a fetch, only across the table
 * lookups and the double-checked cache open that makes "miss, then become leader" atomic with respect to a
 * leader that has just committed and left the table.
 */
#include "covers/covers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "store/pg.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* One fetch in flight. Freed by whoever drops the last reference (the leader or the last follower). */
struct inflight {
    char key[COVER_KEY_LEN + 1];
    bool done;
    int refs;
    struct fetch_result res;
    struct inflight *next;
};

struct covers {
    struct fetch_opts fetch;
    struct cover_cache cache;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when any fetch finishes */
    struct inflight *inflight;
    int ninflight;
    atomic_uint_fast64_t generation; /* bumped after each invalidation */
    atomic_uint_fast64_t answers[3]; /* by enum cover_outcome */
    atomic_uint_fast64_t bytes[2];   /* from the cache, from upstream */
    atomic_uint_fast64_t uncached;   /* fetched covers served from memory: the cache could not take them */
    atomic_int_fast64_t uncached_logged_ms;
};

static void attach_counters(struct covers *s, struct metrics *m)
{
    static const char *const outcome[] = {"result=\"hit\"", "result=\"miss\"", "result=\"error\""};
    static const char *const source[] = {"source=\"cache\"", "source=\"upstream\""};
    for (int i = 0; i < 3; i++) {
        atomic_init(&s->answers[i], 0);
        if (m)
            metrics_attach_counter(m, "comicbatch_cover_cache_total", outcome[i], &s->answers[i]);
    }
    for (int i = 0; i < 2; i++) {
        atomic_init(&s->bytes[i], 0);
        if (m)
            metrics_attach_counter(m, "comicbatch_cover_cache_bytes_total", source[i], &s->bytes[i]);
    }
    atomic_init(&s->uncached, 0);
    atomic_init(&s->uncached_logged_ms, 0);
    if (m)
        metrics_attach_counter(m, "comicbatch_cover_uncached_total", "", &s->uncached);
}

void covers_count(struct covers *s, enum cover_outcome o, int64_t bytes)
{
    atomic_fetch_add_explicit(&s->answers[o], 1, memory_order_relaxed);
    if (bytes > 0 && o != COVER_REFUSED)
        atomic_fetch_add_explicit(&s->bytes[o == COVER_MISS], (uint64_t)bytes, memory_order_relaxed);
}

struct covers *covers_create(const struct config *cfg, struct metrics *metrics, char *err, size_t errlen)
{
    struct covers *s = xcalloc(1, sizeof *s);
    if (fetch_opts_init(&s->fetch, cfg->cover_allowed_hosts, cfg->cover_allow_loopback, cfg->cover_max_bytes,
                        cfg->cover_timeout_ms, cfg->cover_ca_file, cfg->cover_resolve, err, errlen)) {
        free(s);
        return NULL;
    }
    if (cover_cache_init(&s->cache, cfg->cover_cache_dir, err, errlen)) {
        fetch_opts_finish(&s->fetch);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    atomic_init(&s->generation, 1);
    attach_counters(s, metrics);
    return s;
}

void covers_destroy(struct covers *s)
{
    if (!s)
        return;
    fetch_opts_finish(&s->fetch);
    cover_cache_finish(&s->cache);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

enum cover_err covers_check_url(const struct covers *s, const char *url, struct url_parts *u, struct fetch_result *res)
{
    return fetch_check_url(&s->fetch, url, u, res);
}

static struct inflight *find(struct covers *s, const char *key)
{
    for (struct inflight *in = s->inflight; in; in = in->next)
        if (!strcmp(in->key, key))
            return in;
    return NULL;
}

/* Caller holds mu. */
static void unref(struct inflight *in)
{
    if (--in->refs == 0)
        free(in);
}

/* Caller holds mu; `in` is in the table. */
static void remove_entry(struct covers *s, struct inflight *in)
{
    for (struct inflight **p = &s->inflight; *p; p = &(*p)->next)
        if (*p == in) {
            *p = in->next;
            s->ninflight--;
            return;
        }
}

static enum cover_err io_error(struct fetch_result *res)
{
    res->err = COVER_EIO;
    res->reason = "io";
    snprintf(res->detail, sizeof res->detail, "the cover cache could not be written");
    return COVER_EIO;
}

/* Counts a cover served without being cached and says so in the log, at most once a minute. */
static void note_uncached(struct covers *s, const char *why)
{
    atomic_fetch_add_explicit(&s->uncached, 1, memory_order_relaxed);
    int64_t now = time_mono_ms(), last = atomic_load(&s->uncached_logged_ms);
    if ((last && now - last < 60000) || !atomic_compare_exchange_strong(&s->uncached_logged_ms, &last, now))
        return;
    log_error("msg=\"cover cache cannot be written: covers are served from memory, not cached, until it can (see "
              "the error above; comicbatch_cover_uncached_total counts them)\" dir=%s step=\"%s\"",
              s->cache.dir, why);
}

/* The answer `f` from a fetched body in `fd` (after COVER_HDR_BYTES, as in a cache file). */
static enum cover_err answer(int fd, const struct fetch_result *res, struct cover_file *f)
{
    f->fd = fd;
    f->size = res->size;
    f->type = res->type;
    memcpy(f->etag, res->sha256, sizeof f->etag);
    return COVER_OK;
}

/*
 * When the cache cannot take a file (disk full, read-only, a path in the way), the reader still gets the cover: the
 * body goes to an anonymous memory file (memfd, the cache file's layout; at most cover_max_bytes) that is served
 * like a cache file and is gone with its reply. The next request fetches it again.
 */
static enum cover_err fetch_uncached(struct covers *s, const struct url_parts *u, struct cover_file *f,
                                     struct fetch_result *res, const char *why)
{
    int fd = memfd_create("comicbatch-cover", MFD_CLOEXEC);
    if (fd < 0 || lseek(fd, COVER_HDR_BYTES, SEEK_SET) != COVER_HDR_BYTES) {
        if (fd >= 0)
            close(fd);
        return io_error(res);
    }
    enum cover_err e = fetch_to_fd(&s->fetch, u, fd, res);
    if (e != COVER_OK) {
        close(fd);
        return e;
    }
    note_uncached(s, why);
    return answer(fd, res, f);
}

/* The leader's work: stream into a temp file, commit it, keep its fd as the answer (from memory when the cache
 * cannot take it: fetch_uncached). */
static enum cover_err fetch_into_cache(struct covers *s, const char *key, const struct url_parts *u,
                                       struct cover_file *f, struct fetch_result *res)
{
    char tmp[4096];
    int fd = cover_cache_create_temp(&s->cache, key, tmp, sizeof tmp);
    if (fd < 0)
        return fetch_uncached(s, u, f, res, "create a temp file");
    enum cover_err e = fetch_to_fd(&s->fetch, u, fd, res);
    if (e != COVER_OK) {
        cover_cache_discard(fd, tmp);
        /* The body could not be written (the disk filled up under it): fetch it again, into memory. */
        return e == COVER_EIO ? fetch_uncached(s, u, f, res, "write a temp file") : e;
    }
    if (cover_cache_commit(&s->cache, key, fd, tmp, res->type, res->sha256))
        note_uncached(s, "commit"); /* the whole body is in the (now unlinked) temp file: serve it from there */
    return answer(fd, res, f);
}

static enum cover_err lead(struct covers *s, struct inflight *in, const struct url_parts *u, struct cover_file *f,
                           struct fetch_result *res)
{
    enum cover_err e = fetch_into_cache(s, in->key, u, f, res);
    pthread_mutex_lock(&s->mu);
    in->res = *res;
    in->done = true;
    remove_entry(s, in);
    pthread_cond_broadcast(&s->cv);
    unref(in);
    pthread_mutex_unlock(&s->mu);
    return e;
}

/* Caller holds mu. Waits for `in` to finish; returns its result's error (COVER_OK: the file is committed). */
static enum cover_err follow(struct covers *s, struct inflight *in, struct fetch_result *res)
{
    in->refs++;
    while (!in->done)
        pthread_cond_wait(&s->cv, &s->mu);
    *res = in->res;
    unref(in);
    return res->err;
}

void covers_key(const struct url_parts *u, char key[COVER_KEY_LEN + 1])
{
    cover_cache_key(u->normalized, key);
}

uint64_t covers_generation(const struct covers *s)
{
    return atomic_load(&s->generation);
}

int covers_open_key(const struct covers *s, const char *key, struct cover_file *f)
{
    return cover_cache_open(&s->cache, key, f);
}

int covers_open_cached(const struct covers *s, const struct url_parts *u, struct cover_file *f)
{
    char key[COVER_KEY_LEN + 1];
    cover_cache_key(u->normalized, key);
    return cover_cache_open(&s->cache, key, f);
}

enum cover_err covers_get(struct covers *s, const struct url_parts *u, struct cover_file *f, struct fetch_result *res,
                          enum cover_source *src)
{
    char key[COVER_KEY_LEN + 1];
    cover_cache_key(u->normalized, key);
    memset(res, 0, sizeof *res);
    *src = COVER_FROM_CACHE;
    /* A follower re-reads the leader's file; an invalidation may remove it first: then it tries again. */
    for (int attempt = 0; attempt < 3; attempt++) {
        if (cover_cache_open(&s->cache, key, f) == 0)
            return COVER_OK;
        pthread_mutex_lock(&s->mu);
        struct inflight *in = find(s, key);
        if (in) {
            enum cover_err e = follow(s, in, res);
            pthread_mutex_unlock(&s->mu);
            if (e != COVER_OK)
                return e;
            continue;
        }
        if (cover_cache_open(&s->cache, key, f) == 0) {
            pthread_mutex_unlock(&s->mu);
            return COVER_OK;
        }
        if (s->ninflight >= COVERS_MAX_INFLIGHT) {
            pthread_mutex_unlock(&s->mu);
            res->err = COVER_EBUSY;
            res->reason = "busy";
            snprintf(res->detail, sizeof res->detail, "too many cover fetches are in flight; try again shortly");
            return COVER_EBUSY;
        }
        in = xcalloc(1, sizeof *in);
        memcpy(in->key, key, sizeof in->key);
        in->refs = 1;
        in->next = s->inflight;
        s->inflight = in;
        s->ninflight++;
        pthread_mutex_unlock(&s->mu);
        *src = COVER_FROM_UPSTREAM;
        return lead(s, in, u, f, res);
    }
    return io_error(res);
}

int covers_invalidate(struct covers *s, int64_t *files, int64_t *bytes)
{
    int rc = cover_cache_invalidate(&s->cache, files, bytes);
    /* After the files are gone: a reply prepared before now (from a file opened before the unlink) is stale. */
    atomic_fetch_add(&s->generation, 1);
    return rc;
}

int covers_comic_url(PGconn *c, const char *id, char **url)
{
    /* The id goes in untyped: Postgres reads it as core.comic.id's own type (bigint or uuid). */
    const char *p[] = {id};
    char state[6] = "";
    PGresult *res = pg_query(c, "covers.comic_url",
                             "SELECT coverurl FROM core.comic WHERE id = $1 AND deletedat IS NULL", 1, p, state);
    *url = NULL;
    if (!res)
        return !strcmp(state, "22P02") || !strcmp(state, "22003") ? 0 : -1; /* not an id of that type: none */
    int found = PQntuples(res) == 1;
    if (found && pg_val(res, 0, 0))
        *url = xstrdup(pg_val(res, 0, 0));
    PQclear(res);
    return found;
}

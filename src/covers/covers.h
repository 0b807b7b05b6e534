/*
 * covers — the cover proxy as a service: checks a URL against the policy, answers from the disk cache, and on a
 * miss fetches the image once however many requests want it at the same moment (single flight: the first asker
 * of a key is its *leader* and fetches; later askers are *followers* that wait on the leader's result and then
 * read the file it committed). The number of distinct fetches in flight is capped (COVERS_MAX_INFLIGHT); past it
 * a miss is refused as busy rather than queued without bound. When the cache cannot take a file (disk full,
 * read-only) the leader answers from memory instead (covers.c fetch_uncached) and its followers, finding no file,
 * fetch in turn: degraded, never broken. Built by app_start, used by api/covers.c.
 */
#ifndef COMICBATCH_COVERS_H
#define COMICBATCH_COVERS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "covers/cache.h"
#include "covers/fetch.h"

#define COVERS_MAX_INFLIGHT 32

struct config;
struct covers;
struct metrics;

enum cover_source { COVER_FROM_CACHE = 0, COVER_FROM_UPSTREAM = 1 };

/**
 * Builds the service from the [storage] cover_* settings; its counters are attached to `metrics` (which must
 * not be rendered after covers_destroy). NULL with `err` naming the setting.
 */
struct covers *covers_create(const struct config *cfg, struct metrics *metrics, char *err, size_t errlen);

/** What one cover request came to, for comicbatch_cover_cache_total. */
enum cover_outcome { COVER_HIT = 0, COVER_MISS = 1, COVER_REFUSED = 2 };

/**
 * Counts one answer and `bytes` of body sent from the cache (a hit) or just fetched (a miss). Lock-free: it runs on
 * every cache hit.
 */
void covers_count(struct covers *s, enum cover_outcome o, int64_t bytes);

/** Frees the service. No request may be using it. */
void covers_destroy(struct covers *s);

/**
 * Reads the cover URL of comic `id` (core.comic.coverurl of a live comic) into `*url` (malloc'd, NULL when the comic
 * has none; caller frees). Returns 1 the comic exists, 0 no such comic (also for an id its column cannot hold),
 * -1 database error.
 */
int covers_comic_url(PGconn *c, const char *id, char **url);

/** Normalises `url` and checks it against the allowlist (COVER_OK, COVER_EURL, COVER_EHOST with `res`). */
enum cover_err covers_check_url(const struct covers *s, const char *url, struct url_parts *u, struct fetch_result *res);

/** The cache key of checked URL `u` (hex SHA-256 of its normalised form) into `key`. */
void covers_key(const struct url_parts *u, char key[COVER_KEY_LEN + 1]);

/**
 * A counter bumped after every invalidation: a reply prepared from a cached file under an older generation must
 * not be used again.
 */
uint64_t covers_generation(const struct covers *s);

/**
 * Opens the cached cover for checked URL `u` without waiting on anything but the file system (safe on an event
 * loop): 0 with `f` filled (the caller owns f->fd), or -1 when it is not cached (then covers_get, on a thread that
 * may block).
 */
int covers_open_cached(const struct covers *s, const struct url_parts *u, struct cover_file *f);

/** covers_open_cached by key. */
int covers_open_key(const struct covers *s, const char *key, struct cover_file *f);

/**
 * The cover for checked URL `u`: from the cache, or fetched (once across concurrent callers) and cached. On COVER_OK
 * `f` is filled — the caller owns f->fd — and `*src` says whether this call fetched it. Otherwise `res` says why
 * (followers of a failed fetch get the leader's result).
 */
enum cover_err covers_get(struct covers *s, const struct url_parts *u, struct cover_file *f, struct fetch_result *res,
                          enum cover_source *src);

/** Deletes every cached file (see cover_cache_invalidate). 0 or -1. */
int covers_invalidate(struct covers *s, int64_t *files, int64_t *bytes);

#endif

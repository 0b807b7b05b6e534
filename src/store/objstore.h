/*
 * objstore — the object storage behind core.mediafile (DESIGN §4, storage.orphan_cleanup). One small interface,
 * two backends chosen by `[storage] backend`:
 *   fs — a local folder (`[storage] dir`, default ${data_dir}/media); a key is a path relative to it.
 *   s3 — an S3-compatible service (AWS S3, Cloudflare R2, MinIO) reached with libcurl's SigV4 signing, path-style
 *        URLs `<s3_endpoint>/<s3_bucket>/<key>`.
 * Words: a *key* is the object's name inside the store (core.mediafile.storagekey). Keys are relative, '/'-separated,
 * and never contain an empty, "." or ".." segment (objstore_key_valid); both backends refuse anything else, so a row
 * can never make us touch a file outside the store.
 * A store is used by one thread at a time (each job run creates its own).
 */
#ifndef COMICBATCH_OBJSTORE_H
#define COMICBATCH_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct objstore;

/** What an operation found. Errors are negative so `if (rc < 0)` reads naturally. */
enum objstore_result {
    OBJSTORE_OK = 0,     /* done (deleted, stored, exists) */
    OBJSTORE_ABSENT = 1, /* the object was not there */
    OBJSTORE_ERROR = -1, /* the store failed or refused; `err` says why; nothing is known about the object */
};

/** Longest key accepted (S3's own limit). */
#define OBJSTORE_MAX_KEY 1024

/** True when `key` is a safe relative key: non-empty, not absolute, no empty/"."/".." segment, no NUL/control/'\\'. */
bool objstore_key_valid(const char *key);

/**
 * Creates the store configured in `cfg` (backend, dir, s3_*). Returns it (free with objstore_destroy) or NULL with
 * `err` naming the setting that is wrong.
 */
struct objstore *objstore_create(const struct config *cfg, char *err, size_t errlen);

/** Creates a local-folder store rooted at `dir` (created on first put). NULL with `err` on failure. */
struct objstore *objstore_create_fs(const char *dir, char *err, size_t errlen);

/**
 * Creates an S3-compatible store: `endpoint` like "https://acc.r2.cloudflarestorage.com" or "http://127.0.0.1:9000",
 * path-style bucket, SigV4 with `region` ("auto" for R2). NULL with `err` on failure.
 */
struct objstore *objstore_create_s3(const char *endpoint, const char *bucket, const char *region,
                                    const char *access_key, const char *secret_key, char *err, size_t errlen);

/** Frees the store (NULL is fine). */
void objstore_destroy(struct objstore *s);

/** "fs" or "s3". */
const char *objstore_backend(const struct objstore *s);

/**
 * Deletes the object `key`: OBJSTORE_OK when it existed and is gone, OBJSTORE_ABSENT when it was not there,
 * OBJSTORE_ERROR (with `err`) when the store failed — then the object may still exist.
 */
int objstore_delete(struct objstore *s, const char *key, char *err, size_t errlen);

/** Stores `len` bytes under `key` (replacing it). OBJSTORE_OK or OBJSTORE_ERROR with `err`. */
int objstore_put(struct objstore *s, const char *key, const void *data, size_t len, char *err, size_t errlen);

/**
 * Looks `key` up: OBJSTORE_OK (with its size in `*size` if not NULL), OBJSTORE_ABSENT, or OBJSTORE_ERROR with `err`.
 */
int objstore_head(struct objstore *s, const char *key, int64_t *size, char *err, size_t errlen);

#endif

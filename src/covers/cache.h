/*
 * cache — the cover proxy's content-addressed disk cache (DESIGN §5). A *key* is the hex SHA-256 of a normalised
 * URL; its file lives at `<dir>/ab/cd/<key>` (the key's first two byte pairs shard the folders). A file is a
 * COVER_HDR_BYTES text header — magic, image type word, hex SHA-256 of the body (the ETag) — then the body, so a
 * hit needs no sidecar and is served with sendfile from offset COVER_HDR_BYTES.
 *
 * Files appear only whole: a body is streamed into `<dir>/tmp/<key>.XXXXXX`, the header written, fsync'd, and
 * renamed into place. The tmp folder is never served and never counted by invalidation; temp files older than an
 * hour (a crashed fetch) are removed when the cache is opened. Invalidation unlinks every keyed file; a reader that
 * already opened one keeps its bytes, and a rename that lands after an invalidation is simply a fresh entry.
 */
#ifndef COMICBATCH_CACHE_H
#define COMICBATCH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "covers/sniff.h"

#define COVER_HDR_BYTES 128
#define COVER_KEY_LEN 64

struct cover_cache {
    char *dir;    /* owned, no trailing slash */
    char *tmpdir; /* owned: <dir>/tmp */
};

/** One cached cover, open for reading. The caller owns `fd` (close it, or hand it to a response). */
struct cover_file {
    int fd;
    int64_t size; /* body bytes, after the header */
    enum image_type type;
    char etag[COVER_KEY_LEN + 1]; /* hex SHA-256 of the body */
};

/** Creates `dir` and its tmp folder if needed and sweeps stale temp files. 0, or -1 with `err`. */
int cover_cache_init(struct cover_cache *c, const char *dir, char *err, size_t errlen);

/** Frees the paths. Files stay on disk. */
void cover_cache_finish(struct cover_cache *c);

/** The key (hex SHA-256) of normalised URL `url` into `key` (65 bytes). */
void cover_cache_key(const char *url, char key[COVER_KEY_LEN + 1]);

/** Opens the cached file for `key`: 0 with `f` filled, or -1 when absent (or unreadable: treated as absent). */
int cover_cache_open(const struct cover_cache *c, const char *key, struct cover_file *f);

/**
 * Creates a temp file for `key`, positioned where the body starts; its path goes to `tmppath`. Returns the fd
 * (O_RDWR) or -1 (logged). Finish with cover_cache_commit or cover_cache_discard.
 */
int cover_cache_create_temp(const struct cover_cache *c, const char *key, char *tmppath, size_t len);

/**
 * Writes the header (`type`, body `sha256`), fsyncs and renames the temp file into place. Returns 0 — `fd` stays
 * open, now naming the cached file — or -1 (logged; the temp file is removed, `fd` is still the caller's to close).
 */
int cover_cache_commit(const struct cover_cache *c, const char *key, int fd, const char *tmppath, enum image_type type,
                       const char *sha256);

/** Closes `fd` and removes the temp file. */
void cover_cache_discard(int fd, const char *tmppath);

/**
 * Unlinks every cached file; `*files` and `*bytes` get how many were removed and their total size on disk (as
 * stat reports it, header included). Temp files are left alone. Returns 0, or -1 if the folder could not be read.
 */
int cover_cache_invalidate(const struct cover_cache *c, int64_t *files, int64_t *bytes);

#endif

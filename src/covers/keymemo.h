/*
 * keymemo — the cache key of the raw cover URLs this thread saw recently. Without it every cache hit by URL parses
 * the URL, checks it against the policy and hashes its normalised form (SHA-256). Only URLs that passed the policy
 * are remembered, and the policy is fixed for the life of the process (`[storage] cover_allowed_hosts` is not
 * reloadable), so a remembered URL would pass again and give the same key.
 *
 * Direct-mapped by a 64-bit FNV-1a hash of the URL, and the whole URL is compared on lookup: a collision is a miss,
 * never a wrong key. One table per thread (_Thread_local, fixed size): no lock, no allocation, nothing to free.
 */
#ifndef COMICBATCH_COVERS_KEYMEMO_H
#define COMICBATCH_COVERS_KEYMEMO_H

#include <stdbool.h>

#include "covers/cache.h"

#define KEYMEMO_SLOTS 64
#define KEYMEMO_URL_MAX 255 /* longer URLs are not remembered (they take the full path every time) */

/** True with `key` filled when this thread remembers `url` (exactly), else false (key untouched). */
bool keymemo_get(const char *url, char key[COVER_KEY_LEN + 1]);

/** Remembers `key` for `url` on this thread (a URL that passed the policy), replacing what shared its slot. */
void keymemo_put(const char *url, const char key[COVER_KEY_LEN + 1]);

#endif

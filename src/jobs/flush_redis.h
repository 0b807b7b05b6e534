/*
 * flush_redis — the Redis half of analytics.flush_counters (DESIGN §4). The platform counts views with INCRBY on
 * string keys `comic:<id>:views` and `chapter:<id>:views`. A flush moves them, atomically per page of keys, into
 * one staging list named by the flush id (`comicbatch:flush:<uuid>`; one element per page, "key count key count …"):
 *   SCAN (never KEYS) finds the counters a page at a time; for each page one Lua script GETDELs every key and pushes
 *   the page's counts. A script runs atomically, so an INCRBY lands either before the move (and is moved) or after
 *   it (and starts a new counter for the next flush): none is lost, none is counted twice.
 * The Postgres half (flush_apply.c) applies the counts and records the flush id in one transaction; only then is
 * the staging list dropped, so after a crash at any step the staging list is either re-applied or, when its id is
 * already recorded, just dropped. Staging lists register themselves in the set `comicbatch:flushes` as they are
 * created, so recovery finds them without walking the keyspace.
 * Counts are collected per kind and handed to Postgres as array literals ("{1,2,3}") for unnest(); malformed keys (not
 * `<kind>:<id>:views`, where <id> has the form of the platform's ids: digits for an integer type, a canonical UUID
 * for uuid) and values that are not integers are left in Redis untouched and only counted.
 */
#ifndef COMICBATCH_FLUSH_REDIS_H
#define COMICBATCH_FLUSH_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct redisContext;

/** Prefix of staging lists; the rest is the flush id (a UUID). */
#define FLUSH_STAGING_PREFIX "comicbatch:flush:"
/** The set of staging lists not yet dropped (recovery reads it instead of scanning the keyspace). */
#define FLUSH_PENDING_SET "comicbatch:flushes"

/** Which form the ids of each kind take on this platform (contract/idtypes.h): digits, or a canonical UUID. */
struct flush_ids {
    bool comic_uuid, chapter_uuid;
};

/** One kind's counts: (id, views) entries, then — after flush_set_seal — two parallel Postgres array literals. */
struct flush_entry {
    char id[37]; /* digits without leading zeros, or a lowercase UUID */
    int64_t views;
};
struct flush_list {
    struct flush_entry *e; /* owned; flush_set_seal sorts by id and merges duplicates (SCAN may repeat keys) */
    size_t len, cap;
    int64_t n;         /* entries (distinct ids with a non-zero sum, once finished) */
    int64_t total;     /* sum of views */
    char *ids, *views; /* "{…}" once finished, in ascending id order; owned */
};

/** What one page (or one staging list) holds. */
struct flush_set {
    struct flush_list comics, chapters;
    int64_t skipped; /* keys left in Redis: malformed name, non-integer value or wrong type */
};

/** Initialises an empty set. */
void flush_set_init(struct flush_set *s);

/**
 * Sorts each list by id, merges repeated ids, drops zero sums and builds the array literals ("{…}"); call once
 * before handing the lists to Postgres. Ascending ids make the UPDATE walk the table and its index in order.
 */
void flush_set_seal(struct flush_set *s);

/** Frees the buffers. */
void flush_set_finish(struct flush_set *s);

/**
 * Parses a counter name (`comic:<id>:views` / `chapter:<id>:views`, also the names in a staged page) whose id has
 * the form `ids` says. Returns 'c' (comic) or 'h' (chapter) with the id in [*id, *id + *idlen), or 0 when the name
 * is malformed.
 */
int flush_parse_key(const char *key, size_t len, const struct flush_ids *ids, const char **id, size_t *idlen);

/** What a whole flush moved (or, dry, would move): ids per kind (merged within a page), views, keys skipped. */
struct flush_totals {
    int64_t comic_keys, chapter_keys, views, skipped;
};

/**
 * Receives one page's moved counts (finished: ids ascending and unique within the page; a later page may repeat an
 * id, so counts are to be added, never set). The set is freed after the call. Returns 0, or -1 to stop the flush.
 */
typedef int (*flush_page_fn)(void *arg, struct flush_set *page);

/**
 * Moves every counter into the staging list `staging` (see above), a SCAN page (COUNT hint `page`) at a time,
 * handing each page to `fn` (may be NULL) while Redis works on the next one; `tot` gets the totals. With `dry`,
 * only reads the counters (MGET) and moves nothing. Returns 0, or -1 with `err` (or after `fn` said stop); what was
 * moved before stays in `staging`.
 */
int flush_stage(struct redisContext *c, const char *staging, const struct flush_ids *ids, bool dry, int page,
                flush_page_fn fn, void *arg, struct flush_totals *tot, char *err, size_t errlen);

/** Reads a staging list (LRANGE, a few pages at a time) into `out`. Returns 0, or -1 with `err`. */
int flush_read_staging(struct redisContext *c, const char *staging, const struct flush_ids *ids, int page,
                       struct flush_set *out, char *err, size_t errlen);

/**
 * Lists the staging lists left in Redis: the members of FLUSH_PENDING_SET and, with `full`, every key of the exact
 * shape `comicbatch:flush:<uuid>` found by SCAN (a safety net used at daemon start). Returns the count, with a
 * malloc'd array of malloc'd names in `*keys` (free with flush_free_keys), or -1 with `err`.
 */
int flush_list_staging(struct redisContext *c, bool full, char ***keys, char *err, size_t errlen);

/** Frees what flush_list_staging returned. */
void flush_free_keys(char **keys, int n);

/** Drops a staging list and its entry in FLUSH_PENDING_SET, atomically. Returns 0 or -1 with `err`. */
int flush_drop_staging(struct redisContext *c, const char *staging, char *err, size_t errlen);

#endif

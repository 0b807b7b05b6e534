/*
 * provider — the metadata provider interface (DESIGN §5). A provider is a named source of canonical series records
 * (providers/record.h); the active one is `[metadata] provider = NAME`, and its settings are `[provider.NAME]`.
 * Its one operation streams every record it publishes to a sink, in order, without holding them all in memory.
 *
 * Words: a *record* is one series as the provider publishes it (canonical form + content hash); a *line* is one
 * line of a JSON-lines dump; a *malformed* line is one that cannot become a record (it is reported, never fatal).
 *
 * Implementations: `dump` (providers/dump.c) — a JSON-lines dump at a local path or an https URL, gzip accepted.
 * A provider section with a `dump` setting uses it. An HTTP API provider may follow behind the same interface.
 */
#ifndef COMICBATCH_PROVIDER_H
#define COMICBATCH_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "providers/record.h"

struct config;
struct provider_settings;

/** Longest dump line kept (bytes); a longer line is malformed ("line too long"). */
#define PROVIDER_MAX_LINE (1024 * 1024)

/** Where the records go. Every callback is optional except `record`. */
struct provider_sink {
    void *user;
    /** One good record (borrowed for the call). Return 0 to go on, -1 to stop the stream (an error). */
    int (*record)(void *user, int64_t lineno, const struct record *rec);
    /** One malformed line and why. */
    void (*malformed)(void *user, int64_t lineno, const char *reason);
    /** Polled between reads: true stops the stream (it then returns PROVIDER_CANCELLED). */
    bool (*cancelled)(void *user);
    /** Bytes read so far of `total` (0 = unknown). */
    void (*progress)(void *user, int64_t bytes, int64_t total);
};

/** What a stream saw; filled even when it fails. */
struct provider_stats {
    int64_t lines; /* lines read, blank ones included */
    int64_t bytes; /* raw bytes read (compressed size for gzip) */
    bool gzip;
};

enum provider_result { PROVIDER_OK = 0, PROVIDER_ERROR = -1, PROVIDER_CANCELLED = -2, PROVIDER_STOPPED = -3 };

struct provider {
    const char *name;                         /* the `[provider.NAME]` name */
    const char *kind;                         /* "dump" */
    const struct provider_settings *settings; /* borrowed from the config */
    /**
     * Streams every record to `sink`. Returns PROVIDER_OK, PROVIDER_CANCELLED, PROVIDER_STOPPED (a sink callback
     * returned -1), or PROVIDER_ERROR with a sentence in `err` (source unreachable, corrupt gzip, …).
     */
    enum provider_result (*stream)(const struct provider *p, const struct provider_sink *sink,
                                   struct provider_stats *stats, char *err, size_t errlen);
};

/**
 * Finds provider `name` (NULL or "" = the active one) in the config. Returns 0 with `out` filled (it borrows from
 * `cfg`), or -1 with a sentence in `err` (unknown provider, no `dump` setting).
 */
int provider_resolve(const struct config *cfg, const char *name, struct provider *out, char *err, size_t errlen);

/** The active provider's name (`[metadata] provider`). Borrowed. */
const char *provider_active_name(const struct config *cfg);

/**
 * Writes `location` (a path or URL) into `buf` with credentials hidden: a URL's userinfo becomes "***" and every
 * query value becomes "***". A path is copied as is.
 */
void provider_redact_location(const char *location, char *buf, size_t buflen);

/** Job lock-scope hook for jobs with a `provider` param: the scope is the provider name (registry.h). */
int provider_lock_scope(const json_t *params, char *buf, size_t buflen);

/** Job resolve_params hook: a null/empty `provider` param becomes the active provider's name. */
void provider_fill_param(const struct config *cfg, json_t *params);

/**
 * Job check_params hooks for jobs with a `provider` param: a provider named in the params must have its
 * `[provider.NAME]` section (provider_check_param), and for an import also its `dump` (provider_check_dump_param).
 * A null param (the active provider) passes: availability covers that one. 0, or -1 with field and err.
 */
int provider_check_param(const struct config *cfg, const json_t *params, char *field, size_t fieldlen, char *err,
                         size_t errlen);
int provider_check_dump_param(const struct config *cfg, const json_t *params, char *field, size_t fieldlen, char *err,
                              size_t errlen);

/** The dump provider's stream (providers/dump.c). */
enum provider_result dump_stream(const struct provider *p, const struct provider_sink *sink,
                                 struct provider_stats *stats, char *err, size_t errlen);

#endif

/*
 * catalog — the provider-backed series rows as the maintenance actions see them (spec: admin-maintenance;
 * DESIGN §5): clearing metadata_hash on every provider-backed core.comic row (manual rows, provider IS NULL, are
 * never touched), and the counts the Providers page shows (records in metadata.providerrecord, the last dump
 * refresh in metadata.providerstate, series rows backed by a provider and manual ones).
 */
#ifndef COMICBATCH_CATALOG_H
#define COMICBATCH_CATALOG_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "store/audit.h"

/** What an invalidation did. */
struct catalog_invalidated {
    int64_t invalidated;    /* provider-backed rows whose hash was cleared now */
    int64_t skipped_manual; /* manual rows (never touched) */
    int64_t already_clear;  /* provider-backed rows that had no hash */
};

/**
 * Clears metadata_hash on every provider-backed row that has one and writes the audit row, in one transaction
 * (both counts see the same snapshot). Returns 0 with `out` filled, or -1 (rolled back).
 */
int catalog_invalidate_hashes(PGconn *c, const struct audit_actor *who, struct catalog_invalidated *out);

/**
 * The Providers page numbers of provider `name`: {recordCount, lastDumpRefresh (object or null), seriesCount,
 * manualSeriesCount}. New reference, or NULL on error.
 */
json_t *catalog_provider_counts(PGconn *c, const char *name);

#endif

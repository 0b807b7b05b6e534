-- demo_metadata.sql — makes the `make run` demo's maintenance actions real: three quarters of the demo comics become
-- provider-backed series of the `dump` provider (the rest stay manual), stamped as refreshed a month ago so the
-- next metadata.series_refresh tick picks them up. Run once, after db/demo.sql, on the demo database only.
-- scripts/run.sh then writes the provider's JSON-lines dump from these rows (every tenth title revised, so a
-- refresh has rows to rewrite and rows to re-stamp) and imports it with `comicbatch run metadata.dump_refresh`.
UPDATE core.comic
SET provider = 'dump',
    providerseriesid = 'demo-' || id,
    metadatarefreshedat = now() - interval '30 days'
WHERE provider IS NULL AND id % 4 <> 0 AND deletedat IS NULL;

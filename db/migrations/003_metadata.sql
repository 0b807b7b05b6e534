-- 003_metadata.sql — metadata providers (DESIGN §5, spec: admin-maintenance). A provider publishes canonical records
-- (src/providers/record.h); metadata.dump_refresh imports them into metadata.providerrecord with a content hash each;
-- metadata.series_refresh rewrites the provider-backed core.comic rows they back (core.comic's provider columns
-- are the platform's: see db/platform/schema.sql and the job's contract).
DO $$
BEGIN
    IF to_regnamespace('metadata') IS NULL THEN
        CREATE SCHEMA metadata;  -- see 001 for why not CREATE SCHEMA IF NOT EXISTS
    END IF;
END $$;

-- One row per series a provider publishes, as of its last import. `record` is the canonical record (its keys:
-- id, title, altTitles, status, year, totalVolumes, totalChapters, coverUrl, description, tags); `hash` is the
-- SHA-256 (hex) of its canonical text, so an import rewrites a row only when the provider's metadata changed.
CREATE TABLE metadata.providerrecord (
    provider    text        NOT NULL,
    providerid  text        NOT NULL,
    hash        text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    record      jsonb       NOT NULL,
    importedat  timestamptz NOT NULL DEFAULT now(),   -- first seen
    updatedat   timestamptz NOT NULL DEFAULT now(),   -- last time its content changed
    PRIMARY KEY (provider, providerid)
);

-- Per provider: the last successful dump refresh (what the Providers page shows).
CREATE TABLE metadata.providerstate (
    provider           text        PRIMARY KEY,
    recordcount        bigint      NOT NULL DEFAULT 0,  -- records after the last successful refresh
    lastdumprefreshat  timestamptz NULL,
    lastdumprunid      uuid        NULL,
    lastdumpmeta       jsonb       NULL,
    updatedat          timestamptz NOT NULL DEFAULT now()
);

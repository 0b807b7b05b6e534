-- 005_providers: metadata providers and provider-backed series rows (DESIGN §5, spec: admin-maintenance).
-- A provider publishes canonical records (src/providers/record.h); metadata.dump_refresh imports them into
-- metadata.providerrecord with a content hash each; metadata.series_refresh rewrites the core.comic rows they back.
CREATE SCHEMA IF NOT EXISTS metadata;

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

-- Series rows: provider-backed rows carry provider + the provider's series id; manual rows carry neither and are
-- never touched by the metadata actions. The denormalised columns are rewritten from the canonical record.
ALTER TABLE core.comic
    ADD COLUMN provider            text        NULL,
    ADD COLUMN providerseriesid    text        NULL,
    ADD COLUMN metadata_hash       text        NULL,  -- hash of the record the row was last rewritten from
    ADD COLUMN metadatarefreshedat timestamptz NULL,  -- last refresh tick that looked at the row
    ADD COLUMN alttitles           text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN year                integer     NULL CHECK (year BETWEEN 1000 AND 9999),
    ADD COLUMN total_volumes       integer     NULL CHECK (total_volumes >= 0),
    ADD COLUMN total_chapters      text        NULL,  -- text: providers publish "10.5"
    ADD COLUMN description         text        NULL,
    ADD COLUMN tags                text[]      NOT NULL DEFAULT '{}',
    ADD CONSTRAINT comic_provider_pair CHECK ((provider IS NULL) = (providerseriesid IS NULL));

CREATE UNIQUE INDEX comic_provider_series_uidx ON core.comic (provider, providerseriesid)
    WHERE provider IS NOT NULL;
-- The refresh tick's selection: a provider's live rows, never-refreshed first, then oldest.
CREATE INDEX comic_provider_refresh_idx ON core.comic (provider, metadatarefreshedat NULLS FIRST, id)
    WHERE provider IS NOT NULL AND deletedat IS NULL;

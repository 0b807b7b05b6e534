-- 004_partition_function.sql — the partition jobs' helper, for a role allowed to create partitions itself.
--
-- PostgreSQL lets only the owner of a partitioned table (or a member of the owning role) create its partitions.
-- When comicbatch's role is such a member, analytics.partition / crawler.partition call this function (SECURITY
-- INVOKER: it can do nothing the caller could not). Otherwise the platform's owner installs
-- system.comicbatch_ensure_partition (SECURITY DEFINER, limited to the three partitioned tables; its text is
-- printed by `comicbatch grants ROLE`), and the jobs call that instead. `comicbatch doctor` says which applies.

-- system.ensure_month_partition(parent, month): make sure <parent>_YYYY_MM exists for the UTC calendar month
-- containing `month`, covering [YYYY-MM-01 00:00 UTC, next month 00:00 UTC). Returns the partition's bare
-- table name (e.g. 'pageview_2026_04', the form meta.partitionsCreated reports) when this call created it,
-- NULL when it already existed. Safe to call concurrently: the loser of a creation race gets NULL.
-- Bounds are written with an explicit +00 so they do not depend on the caller's TimeZone setting; callers
-- should compute `month` in UTC too, e.g. (now() AT TIME ZONE 'UTC')::date.
CREATE FUNCTION system.ensure_month_partition(parent regclass, month date)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
    nsp  name;
    rel  name;
    part text;
    lo   date := date_trunc('month', month)::date;
    hi   date := (date_trunc('month', month) + interval '1 month')::date;
BEGIN
    IF month IS NULL THEN
        RAISE EXCEPTION 'ensure_month_partition: month is NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = parent AND c.relkind = 'p';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ensure_month_partition: % is not a partitioned table', parent
              USING ERRCODE = 'wrong_object_type';
    END IF;
    part := rel || '_' || to_char(lo, 'YYYY_MM');

    IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                       nsp, part, nsp, rel, lo::text || ' 00:00:00+00', hi::text || ' 00:00:00+00');
    EXCEPTION
        -- A concurrent caller created it between our check and our CREATE (duplicate_table), or while we
        -- were inserting the catalog rows (unique_violation on pg_type/pg_class).
        WHEN duplicate_table OR unique_violation THEN
            RETURN NULL;
        -- "would overlap partition": fine if the overlapping one is ours, by name; anything else is a
        -- hand-made partition covering this month, which we refuse to paper over.
        WHEN invalid_object_definition THEN
            IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
                RETURN NULL;
            END IF;
            RAISE;
    END;
    RETURN part;
END
$$;

COMMENT ON FUNCTION system.ensure_month_partition(regclass, date) IS
    'Create <parent>_YYYY_MM for the UTC month containing $2 if missing; returns its name if created, else NULL';

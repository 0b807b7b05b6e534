-- demo_dump.sql — prints the demo provider's JSON-lines dump (one record per provider-backed demo comic) on stdout.
-- Every tenth title differs from the row, so the first refresh rewrites those and only re-stamps the others.
COPY (
    SELECT json_build_object(
        'id', providerseriesid,
        'title', title || CASE WHEN id % 10 = 0 THEN ' (revised)' ELSE '' END,
        'altTitles', json_build_array(upper(left(title, 12))),
        'status', status,
        'year', 1995 + id % 30,
        'totalVolumes', 1 + id % 40,
        'totalChapters', (id % 180) || '.5',
        'coverUrl', coverurl,
        'description', 'Demo series ' || id || ' from the dump provider.',
        'tags', json_build_array('demo', CASE WHEN id % 2 = 0 THEN 'action' ELSE 'romance' END))
    FROM core.comic WHERE provider = 'dump' ORDER BY id
) TO STDOUT;

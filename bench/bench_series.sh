#!/bin/bash
# bench_series.sh — metadata providers (issue 4): the series-row refresh rate (rows/s) on 50k provider-backed
# series, and the dump import rate (lines/s), each beside a row-at-a-time baseline (one UPDATE/INSERT statement
# per row from a client, what a straightforward port of a per-series refresh loop does).
#
# Works in its own database (created from scratch, migrated, dropped at the end) so the shared dataset is left
# alone. Generates a 50k-line JSON-lines dump (realistic field sizes: titles, alt titles, 150-450-byte
# descriptions, tags) and 50k provider-backed core.comic rows plus 2k manual rows, then times with the real
# binary (`comicbatch run`, the same code path as the scheduler):
#   1. dump import, all new; 2. the same dump again (all unchanged: nothing rewritten); 3. a dump with 10% changed;
#   4. series refresh, full rewrite (every metadata_hash NULL, batch_size 50000); 5. restamp-only tick;
#   6. the per-row baselines of 4 and 5 (psql, one statement per row, autocommit).
#
# Called by scripts/bench.sh with COMICBATCH_DATABASE_URL (any migrated database of the bench stack; only its
# server is used), COMICBATCH_BIN and BENCH_OUT; standalone (`bench/bench_series.sh`) it builds ${BUILD:-build}
# (unless COMICBATCH_BIN is set) and starts its own stack (durable settings, not FAST). Knobs: SERIES_ROWS (50000),
# BASELINE_ROWS (5000).
# Prints a markdown table on stdout; raw run JSON goes to $BENCH_OUT/series-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rows=${SERIES_ROWS:-50000}
base_rows=${BASELINE_ROWS:-5000} # the per-row baselines run on this many rows (their rate is what is compared)
[ "$base_rows" -le "$rows" ] || base_rows=$rows
manual=2000

. bench/lib.sh
bench_workdir series
cleanup() {
    [ -n "${admin_url:-}" ] && psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_series" >/dev/null 2>&1
    bench_stop_own_stack
    rm -rf "$work"
}
trap cleanup EXIT

bench_own_stack || true
BIN=${COMICBATCH_BIN:-$root/build/comicbatch}
admin_url=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/postgres?#')
db=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/cbbench_series?#')
psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_series" -c "CREATE DATABASE cbbench_series" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f db/platform/schema.sql >/dev/null
COMICBATCH_DATABASE_URL=$db "$BIN" migrate >/dev/null 2>&1
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

# The dump: one JSON object per line; `rev` changes the metadata of every 10th series.
gen_dump() { # gen_dump FILE REV
    q -c "SELECT json_build_object('id', 'b-' || g, 'title', 'Bench series number ' || g ||
            CASE WHEN $2 > 0 AND g % 10 = 0 THEN ' (rev $2)' ELSE '' END,
          'altTitles', json_build_array('Alternative title ' || g, 'Titre alternatif ' || g),
          'status', (ARRAY['ongoing', 'completed', 'hiatus', 'cancelled'])[1 + g % 4], 'year', 1980 + g % 45,
          'totalVolumes', CASE WHEN g % 5 = 0 THEN NULL ELSE g % 60 END,
          'totalChapters', CASE WHEN g % 7 = 0 THEN (g % 500) || '.5'
                                ELSE (g % 500 + CASE WHEN g % 10 = 0 THEN $2 ELSE 0 END)::text END,
          'coverUrl', 'https://covers.example/bench/' || g || '.jpg',
          'description', repeat('A long-running series about ' || g || '. ', 5 + g % 15),
          'tags', (SELECT json_agg(t) FROM unnest(ARRAY['action', 'drama', 'romance', 'seinen', 'isekai']) t
                   WHERE (g + length(t)) % 3 = 0))
          FROM generate_series(1, $rows) g" > "$1"
}
gen_dump "$work/dump1.jsonl" 0
gen_dump "$work/dump2.jsonl" 2
q -c "INSERT INTO core.comic (title, slug, provider, providerseriesid)
      SELECT 'Local ' || g, 'bench-' || g, 'bench', 'b-' || g FROM generate_series(1, $rows) g;
      INSERT INTO core.comic (title, slug) SELECT 'Manual ' || g, 'manual-' || g FROM generate_series(1, $manual) g"
q -c "VACUUM ANALYZE core.comic"

cfg() { # cfg DUMPFILE → config path
    printf '[metadata]\nprovider = bench\n[provider.bench]\ndump = %s\n[paths]\ndata_dir = %s\n' "$1" "$work" \
        > "$work/cfg.ini"
    echo "$work/cfg.ini"
}

# run_job NAME JOBKEY DUMP [PARAMS] → prints "durationms rowsaffected"; the run JSON goes to $out/series-NAME.json
run_job() {
    local params=${4:-"{}"}
    COMICBATCH_DATABASE_URL=$db "$BIN" --config "$(cfg "$3")" run "$2" --params "$params" \
        > "$out/series-$1.json" 2>"$out/series-$1.log" || { echo "bench_series: $1 failed" >&2; cat "$out/series-$1.json" >&2; exit 1; }
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["durationms"], r["rowsaffected"])' \
        "$out/series-$1.json"
}
meta() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"][sys.argv[2]])' "$out/series-$1.json" "$2"; }

# psql_ms FILE → wall milliseconds to run a SQL file statement by statement (autocommit)
psql_ms() {
    local t0 t1
    t0=$(date +%s%N)
    q -f "$1" >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

read -r imp1_ms imp1_rows < <(run_job import-new metadata.dump_refresh "$work/dump1.jsonl")
read -r imp2_ms imp2_rows < <(run_job import-same metadata.dump_refresh "$work/dump1.jsonl")
read -r imp3_ms imp3_rows < <(run_job import-10pct metadata.dump_refresh "$work/dump2.jsonl")

# Baseline for the import: one INSERT … ON CONFLICT per line (same hash test), from the records just imported.
q -c "SELECT format('INSERT INTO metadata.providerrecord AS p (provider, providerid, hash, record) VALUES (%L, %L, %L, %L)
        ON CONFLICT (provider, providerid) DO UPDATE SET hash = excluded.hash, record = excluded.record,
        updatedat = now() WHERE p.hash IS DISTINCT FROM excluded.hash;', 'benchcopy', providerid, hash, record)
      FROM metadata.providerrecord WHERE provider = 'bench' ORDER BY providerid LIMIT $base_rows" > "$work/base-import.sql"
base_imp_ms=$(psql_ms "$work/base-import.sql")

params="{\"batchsize\": $rows, \"minagedays\": 0}"
read -r rw_ms rw_rows < <(run_job refresh-rewrite metadata.series_refresh "$work/dump2.jsonl" "$params")
[ "$(meta refresh-rewrite rewritten)" = "$rows" ] || echo "bench_series: expected a full rewrite" >&2
read -r rs_ms rs_rows < <(run_job refresh-restamp metadata.series_refresh "$work/dump2.jsonl" "$params")
[ "$(meta refresh-restamp restamped)" = "$rows" ] || echo "bench_series: expected a restamp-only tick" >&2

# Baselines: one UPDATE per row, each reading its record (what a per-series loop does), rewrite then restamp.
q -c "SELECT format('UPDATE core.comic c SET title = r.record->>''title'',
        alttitles = ARRAY(SELECT jsonb_array_elements_text(r.record->''altTitles'')),
        status = COALESCE(r.record->>''status'', c.status), year = (r.record->>''year'')::int,
        total_volumes = (r.record->>''totalVolumes'')::int, total_chapters = r.record->>''totalChapters'',
        coverurl = r.record->>''coverUrl'', description = r.record->>''description'',
        tags = ARRAY(SELECT jsonb_array_elements_text(r.record->''tags'')), metadata_hash = r.hash,
        metadatarefreshedat = now(), updatedat = now() FROM metadata.providerrecord r
        WHERE c.id = %s AND r.provider = c.provider AND r.providerid = c.providerseriesid;', id)
      FROM core.comic WHERE provider = 'bench' ORDER BY id LIMIT $base_rows" > "$work/base-rewrite.sql"
q -c "SELECT format('UPDATE core.comic SET metadatarefreshedat = now() WHERE id = %s;', id)
      FROM core.comic WHERE provider = 'bench' ORDER BY id LIMIT $base_rows" > "$work/base-restamp.sql"
q -c "UPDATE core.comic SET metadata_hash = NULL WHERE provider IS NOT NULL"
base_rw_ms=$(psql_ms "$work/base-rewrite.sql")
base_rs_ms=$(psql_ms "$work/base-restamp.sql")

rate() { awk "BEGIN{printf \"%.0f\", $1 * 1000 / ($2 > 0 ? $2 : 1)}"; }
# speedup ROWS OURS_MS BASE_MS: our rows/s over the baseline's (which ran on base_rows rows)
speedup() { awk "BEGIN{printf \"%.1f×\", ($1 / ($2 > 0 ? $2 : 1)) / ($base_rows / ($3 > 0 ? $3 : 1))}"; }
row() { # row LABEL ROWS_WRITTEN OURS_MS [BASE_MS]
    if [ -n "${4:-}" ]; then
        echo "| $1 | $2 | $3 ms | $(rate "$rows" "$3") | $4 ms | $(rate "$base_rows" "$4") | $(speedup "$rows" "$3" "$4") |"
    else
        echo "| $1 | $2 | $3 ms | $(rate "$rows" "$3") | | | |"
    fi
}
echo "### Series refresh and dump import ($rows provider-backed series, + $manual manual rows)"
echo
echo "| step | rows written | ours | rows/s | per-row baseline ($base_rows rows) | baseline rows/s | speed-up |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "dump import, all new ($rows lines)" "$imp1_rows" "$imp1_ms" "$base_imp_ms"
row "dump import, unchanged" "$imp2_rows" "$imp2_ms"
row "dump import, 10% changed" "$imp3_rows" "$imp3_ms"
row "series refresh, full rewrite (batch_size $rows)" "$rw_rows" "$rw_ms" "$base_rw_ms"
row "series refresh, restamp only" "$rs_rows" "$rs_ms" "$base_rs_ms"
echo
echo "Dump: $(du -h "$work/dump1.jsonl" | cut -f1) of JSON lines. Ours = the run's durationms (\`comicbatch run\`; 1000"
echo "records per import statement, 500 rows per refresh statement). Baseline = psql wall time for the first $base_rows rows,"
echo "one autocommitted statement per row; speed-up compares rows/s. PostgreSQL $(q -c 'SHOW server_version'),"
echo "fsync $(q -c 'SHOW fsync'), synchronous_commit $(q -c 'SHOW synchronous_commit'), shared_buffers"
echo "$(q -c 'SHOW shared_buffers'); $(nproc) cores shared with other work."
echo

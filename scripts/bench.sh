#!/bin/bash
# bench.sh — `make bench`: builds, starts a private PostgreSQL + Redis under $BENCH_DIR (default
# /tmp/comicbatch-bench, kept between runs so a generated dataset is reused), generates the dataset once per scale
# with bench/gen.sql, runs every bench/bench_*.sh in name order and collects their markdown into
# bench/out/results-<scale>.md. The stack is stopped at the end; the data directory stays for the next run.
#
# Knobs: BENCH_SCALE=small|medium (default small; medium is ~5.5 GB and takes minutes to generate),
# BENCH_ONLY='library flush' (run only bench_<name>.sh for these names), BUILD=dir (default build),
# BENCH_DIR=dir, BENCH_REGEN=1 (generate the dataset again even if it is current).
#
# Each bench script gets: COMICBATCH_DATABASE_URL (the generated dataset, database cbgen_<scale>; scripts that
# change data work on their own copy or database), COMICBATCH_REDIS_URL, COMICBATCH_BIN, BENCH_SCALE, BENCH_OUT (a
# directory for raw output) and BENCH_PGDATA (the cluster's data directory).
#
# The server runs with durable settings (fsync and synchronous_commit on, unlike the test stack) and a
# production-like memory setup: shared_buffers 1GB, effective_cache_size 4GB, maintenance_work_mem 512MB,
# max_wal_size 4GB, random_page_cost 1.1 (SSD). Autovacuum is off so that no background vacuum lands inside a
# timed step: the bench scripts VACUUM explicitly between steps.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scale=${BENCH_SCALE:-small}
case $scale in small | medium) ;; *) echo "bench: BENCH_SCALE must be small or medium" >&2; exit 2 ;; esac
bdir=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/comicbatch-bench}

WITH_BENCH=1 scripts/install-deps.sh # wrk, nginx-light, hyperfine for the HTTP benchmarks
[ -f "$bdir/build.ninja" ] || meson setup "$bdir" >/dev/null
ninja -C "$bdir" >/dev/null || ninja -C "$bdir"
export COMICBATCH_BIN=$root/$bdir/comicbatch

mkdir -p "$dir"
stop() { scripts/stack.sh stop "$dir" >/dev/null 2>&1 || true; }
trap stop EXIT
trap 'exit 130' INT TERM
envlines=$(scripts/stack.sh start "$dir")
while IFS= read -r l; do export "${l?}"; done <<<"$envlines"
export BENCH_PGDATA=$dir/pg/data
base_url=$COMICBATCH_DATABASE_URL
admin_url=${base_url/\/comicbatch\?//postgres?}

# Server settings (restart only when they change).
settings="shared_buffers=1GB effective_cache_size=4GB maintenance_work_mem=512MB max_wal_size=4GB
random_page_cost=1.1 autovacuum=off"
changed=0
for kv in $settings; do
    k=${kv%%=*} v=${kv#*=}
    cur=$(psql -X -At -d "$admin_url" -c "SHOW $k")
    if [ "$cur" != "$v" ]; then
        psql -X -q -d "$admin_url" -c "ALTER SYSTEM SET $k = '$v'"
        changed=1
    fi
done
if [ "$changed" = 1 ]; then
    scripts/pg-scratch.sh stop "$dir/pg" >/dev/null
    scripts/pg-scratch.sh start "$dir/pg" >/dev/null
fi

# The dataset: regenerated when gen.sql, the platform schema, the migrations or the accelerators changed since it
# was made. Order: the platform's tables, their rows, then comicbatch (migrate; every accelerator, which rebuilds
# its state from the rows). bench_library.sh measures both modes on copies (it removes them on one).
gendb=cbgen_$scale
export COMICBATCH_DATABASE_URL=${base_url/\/comicbatch\?//$gendb?}
stamp=$(cat bench/gen.sql db/platform/*.sql db/migrations/*.sql db/accelerators/*.sql | sha256sum | cut -c1-16)
have=$(psql -X -At -d "$admin_url" -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database
                                       WHERE datname = '$gendb'" || true)
if [ "${BENCH_REGEN:-0}" = 1 ] || [ "$have" != "$stamp" ]; then
    echo "bench: generating the $scale dataset (gen.sql; medium takes several minutes)" >&2
    psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $gendb" -c "CREATE DATABASE $gendb"
    psql -X -q -v ON_ERROR_STOP=1 -f db/platform/schema.sql -d "$COMICBATCH_DATABASE_URL" >/dev/null
    t0=$(date +%s)
    psql -X -q -v ON_ERROR_STOP=1 -v scale="$scale" -f bench/gen.sql -d "$COMICBATCH_DATABASE_URL" \
        >"$dir/gen-$scale.log" 2>&1 || { tail -20 "$dir/gen-$scale.log" >&2; exit 1; }
    "$COMICBATCH_BIN" migrate >/dev/null
    "$COMICBATCH_BIN" accelerators install >>"$dir/gen-$scale.log"
    psql -X -q -d "$COMICBATCH_DATABASE_URL" -c "VACUUM ANALYZE" >/dev/null
    psql -X -q -d "$admin_url" -c "COMMENT ON DATABASE $gendb IS '$stamp'"
    echo "bench: generated in $(($(date +%s) - t0)) s (log: $dir/gen-$scale.log)" >&2
fi

out=bench/out
mkdir -p "$out/raw-$scale"
export BENCH_SCALE=$scale BENCH_OUT=$root/$out/raw-$scale
results=$out/results-$scale.md
{
    echo "# comicbatch benchmarks — scale $scale"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$results"
status=0
for b in bench/bench_*.sh; do
    name=$(basename "$b" .sh)
    name=${name#bench_}
    if [ -n "${BENCH_ONLY:-}" ] && ! [[ " $BENCH_ONLY " == *" $name "* ]]; then continue; fi
    echo "bench: $b" >&2
    if "$b" >"$out/raw-$scale/$name.md" 2>"$out/raw-$scale/$name.err"; then
        cat "$out/raw-$scale/$name.md" >>"$results"
    else
        status=1
        echo "bench: $b failed (see $out/raw-$scale/$name.err)" >&2
        tail -5 "$out/raw-$scale/$name.err" >&2
        printf '\n**%s failed** (exit status non-zero; see raw-%s/%s.err)\n' "$b" "$scale" "$name" >>"$results"
    fi
    echo >>"$results"
done
cat "$results"
echo "bench: results in $results" >&2
exit $status

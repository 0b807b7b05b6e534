#!/bin/bash
# bench_flush.sh — analytics.flush_counters (issue 3; owner h5): our flush (SCAN + Lua staging hash + one
# set-based apply transaction with the ledger row) beside the seed's own loop (KEYS, then per key GETDEL and one
# autocommit UPDATE: bench/flush_seed.c, a line-for-line port of batch-jobs-api.md §4), on the same counters.
# Targets (issue 3): 10k keys < 100 ms, 1M keys < 10 s; the seed reports 9,660 keys in 4,120 ms.
#
# Works in its own database (cbbench_flush: created, migrated, filled with FLUSH_COMICS comics and FLUSH_CHAPTERS
# chapters, dropped at the end) and its own Redis database (FLUSH_REDIS_DB, default 13, emptied before and after),
# so the shared dataset and other benches are left alone. Counters are written server-side by a Lua loop (distinct
# ids, counts 1..50) and each flush is timed by the run's own durationms (`comicbatch run`, the scheduler's code
# path). Scenarios: 10k keys (1,240 comics + 8,760 chapters, the seed's proportions; median of 3), 100k keys,
# and with BENCH_SCALE=medium 1M keys (40k comics + 960k chapters) twice: the first touch of freshly loaded rows and
# a second flush (steady state). The seed's loop runs on 10k and FLUSH_SEED_MAX keys (default 100k; small: 20k,
# with 200k chapters), scaled to 100k and 1M from that rate (at 1M it would take minutes). Every run is checked: the views added to
# Postgres equal the views written to Redis.
#
# Called by scripts/bench.sh with COMICBATCH_DATABASE_URL (any database of the bench stack; only its server is
# used), COMICBATCH_REDIS_URL, COMICBATCH_BIN, BENCH_SCALE and BENCH_OUT; standalone (`bench/bench_flush.sh`) it
# builds ${BUILD:-build} (unless COMICBATCH_BIN is set) and starts its own durable stack.
# Prints a markdown table on stdout; raw run JSON goes to $BENCH_OUT/flush-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scale=${BENCH_SCALE:-small}
ncomics=${FLUSH_COMICS:-52000}
rdb=${FLUSH_REDIS_DB:-13}
if [ "$scale" = medium ]; then
    nchapters=${FLUSH_CHAPTERS:-1040000}
    seed_max=${FLUSH_SEED_MAX:-100000}
else # small: no 1M-key rows, so fewer chapters and a shorter seed loop
    nchapters=${FLUSH_CHAPTERS:-200000}
    seed_max=${FLUSH_SEED_MAX:-20000}
fi

. bench/lib.sh
bench_workdir flush
cleanup() {
    [ -n "${admin_url:-}" ] && psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_flush" >/dev/null 2>&1
    [ -n "${rurl:-}" ] && rcli FLUSHDB >/dev/null 2>&1
    bench_stop_own_stack
    rm -rf "$work"
}
trap cleanup EXIT

if bench_own_stack; then
    # The server settings scripts/bench.sh uses (durable; 1GB buffer cache; no autovacuum inside timed steps).
    for kv in shared_buffers=1GB effective_cache_size=4GB maintenance_work_mem=512MB max_wal_size=4GB \
        random_page_cost=1.1 autovacuum=off; do
        psql -X -q -d "$COMICBATCH_DATABASE_URL" -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
    done
    scripts/pg-scratch.sh stop "$work/stack/pg" >/dev/null 2>&1
    scripts/pg-scratch.sh start "$work/stack/pg" >/dev/null 2>&1
fi
BIN=${COMICBATCH_BIN:-$root/build/comicbatch}
admin_url=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/postgres?#')
db=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/cbbench_flush?#')
case $COMICBATCH_REDIS_URL in
unix:*) rsock=${COMICBATCH_REDIS_URL#unix:}; rsock=${rsock%%\?*}; rurl="unix:$rsock?db=$rdb"
        rcli() { redis-cli -s "$rsock" -n "$rdb" "$@"; } ;;
*)      rhost=$(printf '%s' "$COMICBATCH_REDIS_URL" | sed -E 's#redis://([^:/]+).*#\1#')
        rport=$(printf '%s' "$COMICBATCH_REDIS_URL" | sed -nE 's#redis://[^:/]+:([0-9]+).*#\1#p')
        rurl="redis://$rhost:${rport:-6379}/$rdb"
        rcli() { redis-cli -h "$rhost" -p "${rport:-6379}" -n "$rdb" "$@"; } ;;
esac

psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_flush" -c "CREATE DATABASE cbbench_flush" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f db/platform/schema.sql >/dev/null
COMICBATCH_DATABASE_URL=$db "$BIN" migrate >/dev/null 2>&1
COMICBATCH_DATABASE_URL=$db "$BIN" accelerators install fillfactor >/dev/null # the HOT-update tuning it measured
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
q -c "INSERT INTO core.comic (id, title, slug) SELECT g, 'Bench comic ' || g, 'bench-comic-' || g
      FROM generate_series(1, $ncomics) g"
q -c "INSERT INTO core.chapter (id, comicid, number, title)
      SELECT g, 1 + (g - 1) % $ncomics, 1 + (g - 1) / $ncomics, 'Chapter ' || (1 + (g - 1) / $ncomics)
      FROM generate_series(1, $nchapters) g"
q -c "VACUUM ANALYZE core.comic, core.chapter"
cc -O2 -o "$work/flush_seed" bench/flush_seed.c $(pkg-config --cflags --libs libpq hiredis)
rcli FLUSHDB >/dev/null

# counters KC KH: KC distinct comic counters and KH distinct chapter counters (7919 is prime: i*7919 mod n is a
# permutation when n is not a multiple of it), counts 1..50. Prints the views written.
counters() {
    rcli EVAL "local v = 0
        for i = 1, tonumber(ARGV[1]) do local n = 1 + i % 50; v = v + n
          redis.call('INCRBY', 'comic:' .. (1 + (i * 7919) % tonumber(ARGV[3])) .. ':views', n) end
        for i = 1, tonumber(ARGV[2]) do local n = 1 + (i * 7) % 50; v = v + n
          redis.call('INCRBY', 'chapter:' .. (1 + (i * 7919) % tonumber(ARGV[4])) .. ':views', n) end
        return v" 0 "$1" "$2" "$ncomics" "$nchapters"
}
pg_views() { q -c "SELECT (SELECT sum(viewcount) FROM core.comic) + (SELECT sum(viewcount) FROM core.chapter)"; }

# ours NAME → "durationms rows"; checks the views against what was written.
ours() {
    local before written
    written=$2
    before=$(pg_views)
    COMICBATCH_DATABASE_URL=$db COMICBATCH_REDIS_URL=$rurl "$BIN" run analytics.flush_counters \
        > "$out/flush-$1.json" 2>"$out/flush-$1.log" || { echo "bench_flush: $1 failed" >&2; cat "$out/flush-$1.json" >&2; exit 1; }
    [ $(($(pg_views) - before)) -eq "$written" ] || { echo "bench_flush: $1: views lost or doubled" >&2; exit 1; }
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["durationms"], r["rowsaffected"])' \
        "$out/flush-$1.json"
}
# seed NAME WRITTEN → "ms rows"
seed() {
    local before res
    before=$(pg_views)
    res=$("$work/flush_seed" "$db" "$rurl")
    echo "$res" > "$out/flush-$1.txt"
    [ $(($(pg_views) - before)) -eq "$2" ] || { echo "bench_flush: seed $1: views differ" >&2; exit 1; }
    set -- $res
    echo "$4 $2"
}
timings() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["meta"].get("timingsMs",{}); print("moving %s / finishing %s ms (waiting for Postgres %s)" % (t.get("moving"), t.get("finishing"), t.get("waitingForPostgres")))' "$out/flush-$1.json"; }
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; } # of "ms tag" lines

echo "| analytics.flush_counters | keys | seed loop | ours (durationms) | rows written (seed / ours) | speedup | ours: where |"
echo "|---|---|---|---|---|---|---|"
row() { # row LABEL KEYS SEED_MS SEED_ROWS OURS_MS OURS_ROWS NAME [NOTE]
    local sp
    sp=$(awk "BEGIN{printf \"%.0f×\", $3 / ($5 > 0 ? $5 : 1)}")
    echo "| $1 | $2 | $3 ms${8:-} | $5 ms | $4 / $6 | $sp | $(timings "$7") |"
}

# 10k keys: the seed once, ours three times (median).
w=$(counters 1240 8760); read -r s10_ms s10_rows < <(seed seed-10k "$w")
runs=()
for i in 1 2 3; do w=$(counters 1240 8760); read -r ms rows < <(ours "10k-$i" "$w"); runs+=("$ms $i"); done
med=$(median3 "${runs[@]}")
row "10k keys (median of 3)" 10000 "$s10_ms" "$s10_rows" "${med% *}" "$rows" "10k-${med#* }"

# 100k keys (the seed's loop on FLUSH_SEED_MAX keys, scaled to 100k when fewer).
kc=$((seed_max * 124 / 1000)); w=$(counters "$kc" $((seed_max - kc)))
read -r sb_ms sb_rows < <(seed seed-base "$w")
s100_ms=$((sb_ms * 100000 / seed_max))
w=$(counters 12400 87600); read -r o100_ms o100_rows < <(ours 100k "$w")
note=""; [ "$seed_max" -eq 100000 ] || note=" (scaled from $seed_max keys)"
row "100k keys" 100000 "$s100_ms" "$((sb_rows * 100000 / seed_max))" "$o100_ms" "$o100_rows" 100k "$note"

if [ "$scale" = medium ]; then
    for pass in first steady; do
        q -c "VACUUM core.comic, core.chapter" # the hourly flush runs on vacuumed tables in steady state
        w=$(counters 40000 960000); read -r o1m_ms o1m_rows < <(ours "1m-$pass" "$w")
        row "1M keys ($pass)" 1000000 "$((sb_ms * 1000000 / seed_max))" "$((sb_rows * 1000000 / seed_max))" \
            "$o1m_ms" "$o1m_rows" "1m-$pass" " (extrapolated)"
    done
fi
q -c "VACUUM core.comic, core.chapter" >/dev/null
echo
echo "(load average after the flush bench: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs)"

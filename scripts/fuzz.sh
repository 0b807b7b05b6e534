#!/bin/bash
# fuzz.sh — `make fuzz`: builds the libFuzzer targets (clang, ASan+UBSan, coverage-instrumented core) in
# $FUZZ_BUILD (default build-fuzz) and runs each for FUZZ_SECONDS (default 20) on a corpus kept in
# $FUZZ_BUILD/corpus/<target> (seeded below, grown by every run). Prints `fuzz <target>: passed|failed` per target
# and `N passed, N failed` last; exits non-zero if any target found a crash. A crash leaves its input in
# $FUZZ_BUILD/artifacts/<target>/ (replay: $FUZZ_BUILD/fuzz_<target> <file>).
# Knobs: FUZZ_TARGETS='router params' (default: every target in meson.build), FUZZ_SECONDS, FUZZ_BUILD.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-20}
bdir=${FUZZ_BUILD:-build-fuzz}
# Every target meson.build declares (its `foreach f : [...]` list), unless narrowed.
targets=${FUZZ_TARGETS:-$(sed -n "s/^ *foreach f : \[\(.*\)\].*/\1/p" meson.build | tr -d "',")}

FUZZ=1 scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; } # clang
command -v clang >/dev/null || { echo "fuzz: clang is not installed"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -f "$bdir/build.ninja" ]; then
    CC=clang meson setup "$bdir" -Dfuzz=true -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false \
        >/dev/null || { echo "fuzz: meson setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
build_targets=""
for t in $targets; do build_targets="$build_targets fuzz_$t"; done
# shellcheck disable=SC2086
ninja -C "$bdir" $build_targets >/dev/null || ninja -C "$bdir" $build_targets || { echo "0 passed, 1 failed"; exit 1; }

# seed NAME TEXT…: one corpus file per TEXT (the corpus only grows; existing files are kept).
seed() {
    local dir=$bdir/corpus/$1 i=0; shift
    mkdir -p "$dir"
    for s in "$@"; do printf '%s' "$s" > "$dir/seed-$i"; i=$((i + 1)); done
}
seed cron '*/15 * * * *' '0 2 * * *' '30 0 1 * *' '0 3 * * 0' '@hourly' '0 9-17/2 * JAN-MAR mon-fri' '5,10 */6 1,15 * 7'
seed slots '*/15 * * * *' 'CRON_TZ=Europe/Berlin 30 2 * * *' 'CRON_TZ=America/New_York 30 1 * * *' \
    'CRON_TZ=Australia/Lord_Howe 15 2 * * *' '0 9-17 * * 1-5' '30 0 1 * *' '* * * * *'
seed duration '24h' '90d' '1h30m' '1.5h' '250ms' '+5m' '1µs' '9223372036854775807ns'
seed params '{}' 'null' '{"seconds":5,"fail":true}' '{"olderthan":"90d","comicid":"42"}' \
    '{"userid":"0195310a-7b2c-7d3e-8f40-123456789abc","label":"x","note":null}' '[1]'
seed router 'G/api/v1/admin/batch/jobs/system.canary/run' 'A/api/v1/admin/batch/jobs/a%2Eb' '@/healthz/' \
    'B/api/v1/a/1/2/3/4' 'C//api//v1/admin/batch/schedule/%41%zz'

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
for t in $targets; do
    art=$bdir/artifacts/$t/
    mkdir -p "$art" "$bdir/corpus/$t" # a target without seeds starts from an empty corpus
    log=$bdir/fuzz_$t.log
    if "$bdir/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$art" "$bdir/corpus/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz $t: passed (${runs:-?} inputs in ${secs}s)"
        passed=$((passed + 1))
    else
        echo "fuzz $t: failed — see $log and $art"
        grep -m1 -A15 'ERROR: \|runtime error\|==ERROR' "$log" | head -30
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# test.sh — `make test`: installs what is missing, builds, starts a throwaway PostgreSQL + Redis in a temp dir,
# runs every suite (unit, integration; and in CI or with SANITIZE=1 the same again on an ASan+UBSan build),
# stops them, prints `N passed, N failed` last and exits non-zero on any failure.
#
# Knobs for working on one area (several people may run this at once): BUILD=dir (default build),
# ONLY='tests/integration/x*.test.mjs' (integration files to run), UNIT=0 (skip unit tests),
# BROWSER=0 (skip browser tests), BROWSER_ONLY='tests/browser/x*.test.mjs' (browser files to run),
# UPDATE_SCREENSHOTS=1 (write the browser tests' screenshots into docs/screenshots/ instead of the temp dir),
# SANITIZE=1 (add the ASan+UBSan pass outside CI).
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
[ "${BROWSER:-1}" = 0 ] || export WITH_BROWSER=${WITH_BROWSER:-1} # chromium for the browser stage
export WITH_TEST_TOOLS=1 # systemd-analyze, promtool/prometheus, groff (scripts/install-deps.sh)
scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
note_fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

build() { # build DIR [meson args…]
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then meson setup "$dir" "$@" >/dev/null || return 1; fi
    ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

run_unit() { # run_unit BUILDDIR
    local t out
    for t in "$1"/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue # skip meson's test_X.p object folders
        out=$("$t" 2>&1)
        local rc=$?
        local line
        line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
        local p f c
        p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
        f=$(printf '%s' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
        c=$(printf '%s' "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
            printf '%s\n' "$out" | tail -40
            [ "${f:-0}" -gt 0 ] || note_fail "$t (exit $rc)"
        fi
        echo "unit $(basename "$t"): ${p:-0} passed, ${f:-0} failed${c:+ (crashing $c)}"
    done
}

run_node() { # run_node LABEL CONCURRENCY TAPFILE BIN FILES…: one node --test run, counted from its TAP summary
    local label=$1 conc=$2 tapfile=$3 bin=$4 out
    shift 4
    out=$(COMICBATCH_BIN="$bin" node --test --test-reporter=tap --test-concurrency="$conc" "$@" 2>&1)
    local rc=$?
    printf '%s\n' "$out" > "$tapfile"
    local p f
    p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        # the failing subtests themselves (indented), not only the suites that contain them
        printf '%s\n' "$out" | grep -B2 -A40 '^ *not ok' | head -300
        [ "${f:-0}" -gt 0 ] || note_fail "$label exited $rc"
    fi
    echo "$label: ${p:-0} passed, ${f:-0} failed"
}

run_format() { # every C file as the committed .clang-format lays it out (clang-format --dry-run): one check
    local files bad
    files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench scripts -path '*/node_modules' -prune -o -name '*.[ch]' -print)
    bad=$(printf '%s\n' "$files" | xargs clang-format --dry-run --Werror 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/\1/p' | sort -u)
    if [ -n "$bad" ]; then
        note_fail "format: run clang-format -i on: $(echo $bad)"
    else
        passed=$((passed + 1))
        echo "format: every C file matches .clang-format"
    fi
}

run_integration() { # run_integration BIN LABEL
    local files
    files=$(ls ${ONLY:-tests/integration/*.test.mjs} 2>/dev/null)
    [ -n "$files" ] || return 0
    run_node "integration ($2)" 2 "$tmp/integration-$2.tap" "$1" $files
}

run_browser() { # run_browser BIN: tests/browser in headless Chromium, one file at a time (BROWSER_ONLY narrows)
    # The committed screenshots change only on purpose (UPDATE_SCREENSHOTS=1); otherwise they go to the temp dir.
    [ "${UPDATE_SCREENSHOTS:-0}" = 1 ] || export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$tmp/screenshots/}
    mkdir -p "${SCREENSHOT_DIR:-docs/screenshots}"
    local files
    files=$(ls ${BROWSER_ONLY:-tests/browser/*.test.mjs} 2>/dev/null)
    [ -n "$files" ] || return 0
    run_node browser 1 "$tmp/browser.tap" "$1" $files
}

bdir=${BUILD:-build}
build "$bdir" || { echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d /tmp/cbtest.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/stack.sh stop "$tmp/stack" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
envlines=$(FAST=1 scripts/stack.sh start "$tmp/stack") || { echo "0 passed, 1 failed"; exit 1; }
while IFS= read -r l; do export "${l?}"; done <<< "$envlines"
make_template() {
    # The template every test database is copied from, built the way a platform would adopt comicbatch: the
    # platform's tables owned by their own role (cbplatform), then `comicbatch grants` applied by an administrator,
    # then `comicbatch migrate` and the trigger accelerators installed AS the least-privileged role the daemon runs
    # as (cbapp: no superuser, no ownership of the platform's tables). Tests use the superuser URL for their own
    # SQL; tests/integration/lib.mjs starts the daemon as cbapp.
    local admin=${COMICBATCH_DATABASE_URL/\/comicbatch\?//postgres?} t=${COMICBATCH_DATABASE_URL/\/comicbatch\?//cbtemplate?}
    local app=${t/user=postgres/user=cbapp}
    {
        psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c 'CREATE DATABASE cbtemplate' -c 'CREATE ROLE cbplatform' \
            -c 'CREATE ROLE cbapp LOGIN' &&
            psql -X -q -v ON_ERROR_STOP=1 -d "$t" -c 'GRANT CREATE ON DATABASE cbtemplate TO cbplatform' \
                -c 'SET ROLE cbplatform' -f db/platform/schema.sql &&
            COMICBATCH_DATABASE_URL=$t "$bdir/comicbatch" grants cbapp --accelerators | psql -X -q -v ON_ERROR_STOP=1 -d "$t" &&
            COMICBATCH_DATABASE_URL=$app "$bdir/comicbatch" migrate &&
            COMICBATCH_DATABASE_URL=$app "$bdir/comicbatch" accelerators install hasnew counts ratings viewhistory crawler
    } >"$tmp/template.log" 2>&1 || { cat "$tmp/template.log"; return 1; }
    export COMICBATCH_DATABASE_URL=$t COMICBATCH_APP_ROLE=cbapp
}
make_template || note_fail "template database (platform schema, grants, migrate, accelerators)"

[ "${UNIT:-1}" = 0 ] || { run_format; run_unit "$bdir"; }
run_integration "$root/$bdir/comicbatch" plain
# Browser stage: skipped with BROWSER=0, and when ONLY narrows the run to integration files without BROWSER_ONLY.
[ "${BROWSER:-1}" = 0 ] || { [ -n "${ONLY:-}" ] && [ -z "${BROWSER_ONLY:-}" ]; } || run_browser "$root/$bdir/comicbatch"

if [ "${CI:-}" = true ] || [ "${SANITIZE:-0}" = 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp
    if build "$bdir-asan" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
        [ "${UNIT:-1}" = 0 ] || run_unit "$bdir-asan"
        run_integration "$root/$bdir-asan/comicbatch" asan
    else
        note_fail "sanitizer build"
    fi
fi

# The release build a packager makes (-O3: gcc's flow analysis warns where -O2 does not; -Werror fails it), in CI.
if [ "${CI:-}" = true ]; then
    if { [ -f "$bdir-release/build.ninja" ] || meson setup "$bdir-release" -Dbuildtype=release -Dtests=disabled >/dev/null; } &&
        ninja -C "$bdir-release" comicbatch >"$tmp/release.log" 2>&1; then
        passed=$((passed + 1)); echo "release build: passed"
    else
        tail -20 "$tmp/release.log"; note_fail "release build (-Dbuildtype=release)"
    fi
fi

# Fuzz smoke in CI (FUZZ=1 elsewhere): every libFuzzer target for FUZZ_SECONDS (5), one test each.
if [ "${CI:-}" = true ] || [ "${FUZZ:-0}" = 1 ]; then
    fout=$(FUZZ_SECONDS=${FUZZ_SECONDS:-5} FUZZ_BUILD="$bdir-fuzz" scripts/fuzz.sh 2>&1)
    printf '%s\n' "$fout" | grep -v '^[0-9]* passed, [0-9]* failed$'
    fp=$(printf '%s\n' "$fout" | grep -c '^fuzz .*: passed')
    ff=$(printf '%s\n' "$fout" | grep -c '^fuzz .*: failed')
    passed=$((passed + fp))
    failed=$((failed + ff))
    [ $((fp + ff)) -gt 0 ] || { printf '%s\n' "$fout" | tail -20; note_fail "fuzz build"; }
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# install-deps.sh — installs the Debian 12 packages comicbatch builds, runs and tests with, if any is missing,
# and the pinned npm packages of the test harness (tests/package-lock.json). Idempotent; quiet when all is there.
# DEPS=build (what `make install` uses): only the compiler and the -dev libraries the daemon links with — no
# PostgreSQL or Redis server, no Node, no test harness — so installing on a service host adds nothing else to it.
set -eu
build_pkgs="build-essential pkg-config meson ninja-build libmicrohttpd-dev libjansson-dev libpq-dev libhiredis-dev
libcurl4-openssl-dev libinih-dev libssl-dev zlib1g-dev libsystemd-dev tzdata"
pkgs="$build_pkgs libcriterion-dev postgresql-15 postgresql-client-15 redis-server redis-tools nodejs npm"
[ "${DEPS:-all}" = build ] && pkgs=$build_pkgs
[ "${WITH_BROWSER:-0}" = 1 ] && pkgs="$pkgs chromium"
# make test: systemd-analyze (unit checks), promtool + prometheus (alert rules, dashboard queries), groff (man pages),
# pgbouncer (the failover tests put one in transaction mode in front of PostgreSQL), clang-format (the style check)
[ "${WITH_TEST_TOOLS:-0}" = 1 ] && pkgs="$pkgs systemd prometheus groff-base pgbouncer clang-format"
[ "${WITH_BENCH:-0}" = 1 ] && pkgs="$pkgs nginx-light wrk hyperfine"
{ [ "${CI:-}" = true ] || [ "${FUZZ:-0}" = 1 ]; } && pkgs="$pkgs clang" # libFuzzer targets (scripts/fuzz.sh)
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node/npm may come from elsewhere on a developer machine; only insist on the Debian packages when absent.
case "$missing" in *nodejs*|*npm*) command -v node >/dev/null && command -v npm >/dev/null &&
    missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//') ;; esac
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
    echo "install-deps: installing:$missing" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "${DEPS:-all}" != build ] && [ -d tests ] && [ -f tests/package.json ]; then
    # npm ci writes node_modules/.package-lock.json last: its absence means an empty or half-written tree.
    stamp=tests/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ tests/package-lock.json -nt "$stamp" ]; then
        (cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
fi

#!/bin/sh
# gen-docs.sh — rewrites the README's generated blocks (between `<!-- BEGIN GENERATED x -->` and
# `<!-- END GENERATED x -->`) from the tables in the code, through the build's comicbatch-docgen: `readme-cli` (the
# CLI synopsis, src/cli/usage.c) and `readme-config` (the settings table, src/config_keys.c).
# Usage: scripts/gen-docs.sh [--check]   (--check changes nothing and exits 1 with a diff when the README is stale)
# BUILD=dir picks the build directory (default build).
set -eu
cd "$(dirname "$0")/.."
docgen=${BUILD:-build}/comicbatch-docgen
[ -x "$docgen" ] || { echo "gen-docs: $docgen is missing: build first (make build)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp".*' EXIT
"$docgen" readme-cli > "$tmp.readme-cli"
"$docgen" readme-config > "$tmp.readme-config"
awk -v dir="$tmp" '
    /^<!-- BEGIN GENERATED [a-z-]+ / { print; name = $4; skip = 1
        fence = (name == "readme-cli"); if (fence) print "```"
        while ((getline l < (dir "." name)) > 0) print l
        if (fence) print "```"
        next }
    /^<!-- END GENERATED / { skip = 0 }
    !skip { print }' README.md > "$tmp"
if [ "${1:-}" = --check ]; then
    diff -u README.md "$tmp" && exit 0
    echo "gen-docs: README.md is stale: run scripts/gen-docs.sh" >&2
    exit 1
fi
cmp -s README.md "$tmp" || cp "$tmp" README.md

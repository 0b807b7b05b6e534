#!/bin/bash
# run.sh — `make run`: a private PostgreSQL + Redis under ./var/ standing in for the platform's database (its tables
# from db/platform/schema.sql, the demo dataset), comicbatch migrated onto it with every accelerator installed, and
# the daemon on http://127.0.0.1:8080 (COMICBATCH_LISTEN overrides). Prints the admin token and the admin URL.
# Ctrl-C stops everything. Data persists in ./var/ between runs; `rm -rf var` starts over (a var/ made before the
# platform schema moved out of the migrations is refused by `migrate` with that advice).
set -eu
cd "$(dirname "$0")/.."
mkdir -p var
stackdir=${STACK_DIR:-$(pwd)/var/stack}
envlines=$(scripts/stack.sh start "$stackdir")
while IFS= read -r l; do export "${l?}"; done <<< "$envlines"
stop() { scripts/stack.sh stop "$stackdir" >/dev/null 2>&1 || true; }
trap stop EXIT

# The platform's side first (as the platform would have it), then comicbatch's: its migrations record the crawler
# history already there as history, and installing the accelerators rebuilds their state from the demo's rows.
if [ ! -f var/.demo-loaded ]; then
    if [ "$(psql -X -At -d "$COMICBATCH_DATABASE_URL" -c "SELECT to_regclass('core.comic') IS NULL")" = t ]; then
        echo "creating the platform's tables (db/platform/schema.sql)…"
        psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/platform/schema.sql >/dev/null
    fi
    echo "loading the demo dataset…"
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo.sql >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo_metadata.sql >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo_dump.sql > var/demo-dump.jsonl
    touch var/.demo-loaded
fi
build/comicbatch migrate
if [ ! -f var/.accelerators-installed ]; then
    build/comicbatch accelerators install && touch var/.accelerators-installed
fi
# Without a comicbatch.ini of your own, the demo's settings: the dump provider reads var/demo-dump.jsonl.
if [ ! -f comicbatch.ini ] && [ ! -f var/comicbatch.ini ]; then
    printf '[metadata]\nprovider = dump\n\n[provider.dump]\ndump = %s\n' "$(pwd)/var/demo-dump.jsonl" > var/comicbatch.ini
fi
if [ ! -s var/admin-token ]; then
    (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > var/admin-token)
fi
export COMICBATCH_ADMIN_TOKEN=${COMICBATCH_ADMIN_TOKEN:-$(cat var/admin-token)}
export COMICBATCH_DATA_DIR=${COMICBATCH_DATA_DIR:-$(pwd)/var/data}
export COMICBATCH_LISTEN=${COMICBATCH_LISTEN:-127.0.0.1:8080}
mkdir -p "$COMICBATCH_DATA_DIR"
cfg=(--config var/comicbatch.ini)
[ -f comicbatch.ini ] && cfg=(--config comicbatch.ini)
if [ ! -f var/.demo-imported ]; then
    build/comicbatch "${cfg[@]}" run metadata.dump_refresh >/dev/null && touch var/.demo-imported
fi
cat <<MSG

  comicbatch is starting on http://$COMICBATCH_LISTEN/
  admin pages:  http://$COMICBATCH_LISTEN/admin/
  admin token:  $COMICBATCH_ADMIN_TOKEN
  try:          curl -H "Authorization: Bearer $COMICBATCH_ADMIN_TOKEN" http://$COMICBATCH_LISTEN/api/v1/admin/batch/schedule

  Ctrl-C stops the daemon, PostgreSQL and Redis.

MSG
build/comicbatch "${cfg[@]}" serve

#!/bin/bash
# run.sh — `make run`: a private PostgreSQL + Redis under ./var/, migrated, with the demo dataset, and the daemon
# on http://127.0.0.1:8080 (COMICBATCH_LISTEN overrides). Prints the admin token and the admin URL. Ctrl-C stops
# everything. Data persists in ./var/ between runs; `rm -rf var` starts over.
set -eu
cd "$(dirname "$0")/.."
mkdir -p var
stackdir=${STACK_DIR:-$(pwd)/var/stack}
envlines=$(scripts/stack.sh start "$stackdir")
while IFS= read -r l; do export "${l?}"; done <<< "$envlines"
stop() { scripts/stack.sh stop "$stackdir" >/dev/null 2>&1 || true; }
trap stop EXIT

build/comicbatch migrate
if [ ! -f var/.demo-loaded ] && [ -f db/demo.sql ]; then
    echo "loading the demo dataset…"
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo.sql >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo_metadata.sql >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/demo_dump.sql > var/demo-dump.jsonl
    touch var/.demo-loaded
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

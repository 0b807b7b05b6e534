#!/bin/sh
# stack.sh — the private PostgreSQL 15 + Redis 7 a comicbatch needs, under one directory.
#
#   scripts/stack.sh start DIR   start both (PostgreSQL via pg-scratch.sh in DIR/pg, Redis on DIR/redis.sock, no
#                                TCP port for either) and print the two environment lines to use them:
#                                COMICBATCH_DATABASE_URL=…  COMICBATCH_REDIS_URL=unix:…
#   scripts/stack.sh stop DIR    stop both (no-op for what is not running)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: stack.sh start|stop DIR" >&2; exit 2; }
dir=$2

start_redis() {
    mkdir -p "$dir"
    sock="$dir/redis.sock"
    if [ -S "$sock" ] && redis-cli -s "$sock" ping >/dev/null 2>&1; then
        return 0
    fi
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
        --save '' --appendonly no >/dev/null
    i=0
    until redis-cli -s "$sock" ping >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "stack: redis did not start (see $dir/redis.log)" >&2; exit 1; }
        sleep 0.05
    done
}

case $1 in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    uri=$("$here/pg-scratch.sh" start "$dir/pg")
    start_redis
    echo "COMICBATCH_DATABASE_URL=$uri"
    echo "COMICBATCH_REDIS_URL=unix:$dir/redis.sock"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/redis.pid" ]; then
        redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
        rm -f "$dir/redis.pid"
    fi
    [ -d "$dir/pg" ] && "$here/pg-scratch.sh" stop "$dir/pg" || true
    ;;
*)
    echo "usage: stack.sh start|stop DIR" >&2; exit 2 ;;
esac

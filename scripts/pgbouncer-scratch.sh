#!/bin/sh
# pgbouncer-scratch.sh — a private PgBouncer (Debian's package) in TRANSACTION pooling mode in front of a
# pg-scratch.sh cluster, for the tests of issue 11. Unix socket only (DIR/.s.PGSQL.6432), no TCP.
#
#   scripts/pgbouncer-scratch.sh start DIR PG_DIR [USER…]   write DIR/pgbouncer.ini, start it (daemonized), print
#                                   the libpq URI prefix `postgresql:///?host=DIR&port=6432` (add the database, user)
#   scripts/pgbouncer-scratch.sh stop DIR                   stop it
#
# Every database of the cluster is served (`* = …`); USERs (default postgres) may log in, without a password
# (auth_type trust: safe only because DIR is mode 0700, like pg-scratch.sh's socket directory). A small pool
# (default_pool_size 4) makes clients really share server connections, which is what breaks session state.
# PgBouncer refuses to run as root: as root it runs as `postgres`, like the cluster.
set -eu
PORT=6432
say() { printf 'pgbouncer-scratch: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then RUN_AS=postgres; else RUN_AS=$(id -un); fi
as_owner() { if [ "$(id -u)" -eq 0 ]; then (cd "$DIR" && runuser -u "$RUN_AS" -- "$@"); else (cd "$DIR" && "$@"); fi; }
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || die "pgbouncer not found (scripts/install-deps.sh)"
BIN=$(command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer)

case ${1:-} in
start)
    [ $# -ge 3 ] || die "usage: pgbouncer-scratch.sh start DIR PG_DIR [USER…]"
    DIR=$(realpath -m "$2") pg=$(realpath "$3")
    shift 3
    pgport=$(sed -n "s/^port = \([0-9]*\)$/\1/p" "$pg/data/scratch.conf")
    mkdir -p "$DIR"
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_AS": "$DIR"; fi
    chmod 0700 "$DIR"
    users=${*:-postgres}
    : >"$DIR/userlist.txt"
    for u in $users; do printf '"%s" ""\n' "$u" >>"$DIR/userlist.txt"; done
    cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=$pg port=$pgport

[pgbouncer]
listen_addr =
listen_port = $PORT
unix_socket_dir = $DIR
unix_socket_mode = 0700
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 4
max_client_conn = 500
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_AS": "$DIR/pgbouncer.ini" "$DIR/userlist.txt"; fi
    as_owner "$BIN" -d -q "$DIR/pgbouncer.ini" || { tail -20 "$DIR/pgbouncer.log" >&2; die "pgbouncer did not start"; }
    i=0
    until [ -S "$DIR/.s.PGSQL.$PORT" ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { tail -20 "$DIR/pgbouncer.log" >&2; die "no socket after 5 s"; }
        sleep 0.05
    done
    printf 'postgresql:///?host=%s&port=%s\n' "$DIR" "$PORT"
    ;;
stop)
    [ $# -eq 2 ] || die "usage: pgbouncer-scratch.sh stop DIR"
    DIR=$(realpath -m "$2")
    [ -f "$DIR/pgbouncer.pid" ] || exit 0
    pid=$(cat "$DIR/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    rm -f "$DIR/pgbouncer.pid"
    ;;
*)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

#!/bin/sh
# pg-replica.sh — the moves of a failover, on private pg-scratch.sh clusters (tests of issue 11; loopback only: the
# servers listen on unix sockets in their own directories, no TCP).
#
#   scripts/pg-replica.sh standby PRIMARY_DIR DIR PORT   a streaming standby of the pg-scratch.sh cluster in
#                                     PRIMARY_DIR: pg_basebackup -R (as the clusters' owner, over the primary's socket)
#                                     into DIR/data, started by pg-scratch.sh on DIR/.s.PGSQL.PORT; prints its URI
#   scripts/pg-replica.sh sync PRIMARY_DIR   make the primary's commits wait for the standby (synchronous_standby_names
#                                     = '*', set after the base backup so a promoted standby does not inherit it)
#   scripts/pg-replica.sh promote DIR       pg_ctl promote, waiting until the node accepts writes
#   scripts/pg-replica.sh crash DIR         pg_ctl stop -m immediate: the server dies as if killed (no checkpoint)
#   scripts/pg-replica.sh restart DIR       stop -m fast (sessions get "terminating connection due to administrator
#                                     command"), then start again
# Same owner rules as pg-scratch.sh (run as root: the clusters run as `postgres`). PG_BINDIR as there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
say() { printf 'pg-replica: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then RUN_AS=postgres; else RUN_AS=$(id -un); fi
as_owner() { # as_owner DIR CMD...: run CMD as the clusters' owner from DIR
    d=$1; shift
    if [ "$(id -u)" -eq 0 ]; then (cd "$d" && runuser -u "$RUN_AS" -- "$@"); else (cd "$d" && "$@"); fi
}
port_of() { sed -n "s/^port = \([0-9]*\)$/\1/p" "$1/data/scratch.conf"; }
psql_at() { # psql_at DIR SQL: as the superuser over DIR's socket
    env -u PGHOST -u PGPORT -u PGDATABASE -u PGUSER "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 \
        -h "$1" -p "$(port_of "$1")" -U postgres -d postgres -c "$2"
}

case ${1:-} in
standby)
    [ $# -eq 4 ] || die "usage: pg-replica.sh standby PRIMARY_DIR DIR PORT"
    primary=$(realpath "$2") dir=$(realpath -m "$3") port=$4
    [ -f "$primary/data/scratch.conf" ] || die "$primary is not a running pg-scratch.sh cluster"
    [ ! -d "$dir/data" ] || die "$dir/data exists already"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_AS": "$dir"; fi
    chmod 0700 "$dir"
    as_owner "$dir" "$PG_BINDIR/pg_basebackup" -D "$dir/data" -R -X stream -c fast -h "$primary" \
        -p "$(port_of "$primary")" -U postgres >"$dir/basebackup.log" 2>&1 ||
        { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
    # pg-scratch.sh start finds the copied cluster, rewrites scratch.conf for this directory and port, starts it
    # (pg_ctl -w returns once it accepts read-only connections) and prints the URI.
    PGPORT_SCRATCH=$port "$here/pg-scratch.sh" start "$dir"
    ;;
sync)
    [ $# -eq 2 ] || die "usage: pg-replica.sh sync PRIMARY_DIR"
    psql_at "$(realpath "$2")" "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
    psql_at "$(realpath "$2")" "SELECT pg_reload_conf()" >/dev/null
    ;;
promote)
    [ $# -eq 2 ] || die "usage: pg-replica.sh promote DIR"
    d=$(realpath "$2")
    as_owner "$d" "$PG_BINDIR/pg_ctl" -D "$d/data" -w -t 60 promote >/dev/null
    ;;
crash)
    [ $# -eq 2 ] || die "usage: pg-replica.sh crash DIR"
    d=$(realpath "$2")
    as_owner "$d" "$PG_BINDIR/pg_ctl" -D "$d/data" -m immediate -w -t 60 stop >/dev/null
    ;;
restart)
    [ $# -eq 2 ] || die "usage: pg-replica.sh restart DIR"
    d=$(realpath "$2")
    as_owner "$d" "$PG_BINDIR/pg_ctl" -D "$d/data" -m fast -w -t 60 stop >/dev/null
    PGPORT_SCRATCH=$(port_of "$d") "$here/pg-scratch.sh" start "$d" >/dev/null
    ;;
*)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

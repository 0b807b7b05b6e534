#!/bin/sh
# pg-scratch.sh — a private, throwaway PostgreSQL 15 cluster for `make run` and `make test`.
#
#   scripts/pg-scratch.sh start DIR    init DIR (first time), start it, create database comicbatch,
#                                      print the libpq URI on stdout (and nothing else on stdout)
#   scripts/pg-scratch.sh stop DIR     stop it (fast shutdown); a no-op if it is not running
#   scripts/pg-scratch.sh status DIR   exit 0 if running, 3 if not
#   scripts/pg-scratch.sh uri DIR      print the URI without touching the cluster
#
# Layout: DIR/data is the cluster, DIR/postgres.log its log, and DIR itself is the unix socket directory
# (DIR/.s.PGSQL.$PORT). The server listens on no TCP address at all (listen_addresses = ''), so several
# clusters (one per test run, one under var/ for `make run`) never collide on a port.
#
# Who runs it: PostgreSQL refuses to run as root. Started as root, this script chowns DIR to the `postgres`
# OS user and runs initdb/pg_ctl as that user (runuser). Started as any other user, it runs them as that
# user. Either way the database superuser is named `postgres` (initdb -U postgres) and local connections use
# `trust`: that is safe only because the socket directory DIR is mode 0700, so just its owner (and root)
# can reach the socket. Never widen DIR's mode.
#
# Paths: the `postgres` user must be able to traverse every parent of DIR (o+x). /tmp/... and a repository
# under /work, /home/<user> (0755) or /srv are fine. A repository under /root/... is NOT: /root is 0700 and
# we deliberately do not chmod it. Use a DIR under /tmp there (e.g. make run with PGDIR=/tmp/comicbatch-pg)
# or run `chmod o+x /root` yourself if you accept that. The script checks and says which directory blocks.
# A unix socket path is limited to 107 bytes, so DIR must be short enough for DIR/.s.PGSQL.5432.
#
# Environment: FAST=1 turns off fsync, synchronous_commit and full_page_writes (tests only: a crash loses
# the cluster). PGPORT_SCRATCH picks the socket's port number (default 5432; only names the socket file).
# PG_BINDIR overrides /usr/lib/postgresql/15/bin.
set -eu

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PORT=${PGPORT_SCRATCH:-5432}
DBNAME=comicbatch
PGSUPER=postgres

say() { printf 'pg-scratch: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -eq 2 ] || usage
CMD=$1
RAW_DIR=$2
[ -n "$RAW_DIR" ] || usage

for b in initdb pg_ctl postgres psql; do
    [ -x "$PG_BINDIR/$b" ] || die "$PG_BINDIR/$b not found (install postgresql-15)"
done

# The OS user that owns and runs the cluster.
if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=postgres
    id "$RUN_AS" >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run the server as"
else
    RUN_AS=$(id -un)
fi

# as_owner CMD...: run a command as the cluster's owner, from a directory it can read.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$DIR" && runuser -u "$RUN_AS" -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

# uri_escape STRING: percent-encode what would break a libpq URI query value.
uri_escape() {
    printf '%s' "$1" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/&/%26/g' -e 's/#/%23/g' \
        -e 's/?/%3F/g' -e 's/=/%3D/g' -e 's/+/%2B/g'
}

# check_traversable DIR: fail, naming the culprit, if RUN_AS cannot reach DIR.
check_traversable() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$RUN_AS" -- test -x "$1" && runuser -u "$RUN_AS" -- test -w "$1" && return 0
    else
        [ -x "$1" ] && [ -w "$1" ] && return 0
    fi
    d=$1
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        perms=$(stat -c '%A' "$d")
        case $perms in
            *x) ;;
            *) die "$d ($perms) is not traversable (o+x) by '$RUN_AS'; choose a DIR whose parents all are, e.g. under /tmp (see the header of $0)" ;;
        esac
    done
    die "'$RUN_AS' cannot write to $1"
}

prepare_dir() {
    DIR=$(realpath -m "$RAW_DIR")
    [ "$DIR" != / ] || die "refusing to use / as the cluster directory"
    # sun_path is 108 bytes including the terminating NUL.
    sock="$DIR/.s.PGSQL.$PORT"
    [ "${#sock}" -le 107 ] || die "socket path $sock is longer than 107 bytes; use a shorter DIR"
    mkdir -p "$DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$RUN_AS": "$DIR"
        [ ! -d "$DIR/data" ] || chown -R "$RUN_AS": "$DIR/data"
    fi
    chmod 0700 "$DIR"
    check_traversable "$DIR"
}

resolve_dir() {
    [ -d "$RAW_DIR" ] || die "$RAW_DIR does not exist"
    DIR=$(realpath "$RAW_DIR")
}

print_uri() {
    # The port names the socket file (.s.PGSQL.PORT): say it when it is not libpq's default.
    portq=""
    [ "$PORT" = 5432 ] || portq="&port=$PORT"
    printf 'postgresql:///%s?host=%s%s&user=%s\n' "$DBNAME" "$(uri_escape "$DIR")" "$portq" "$PGSUPER"
}

is_running() {
    [ -f "$DIR/data/PG_VERSION" ] || return 1
    as_owner "$PG_BINDIR/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

psql_super() {
    # Connect through the socket only; ignore any PG* environment that could point elsewhere.
    env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGSERVICE -u PGOPTIONS -u PGDATABASE -u PGUSER \
        "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
        "postgresql:///postgres?host=$(uri_escape "$DIR")&port=$PORT&user=$PGSUPER" "$@"
}

write_conf() {
    # Rewritten on every start so FAST can differ between runs; postgresql.conf includes it (see init).
    conf="$DIR/data/scratch.conf"
    {
        echo "# written by pg-scratch.sh on every start; edit the script, not this file"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$(printf '%s' "$DIR" | sed "s/'/''/g")'"
        echo "unix_socket_permissions = 0700"
        echo "port = $PORT"
        echo "max_connections = 200"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if [ "${FAST:-0}" = 1 ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >"$conf.tmp"
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_AS": "$conf.tmp"; fi
    mv "$conf.tmp" "$conf"
}

init_cluster() {
    if [ -f "$DIR/data/PG_VERSION" ]; then
        v=$(cat "$DIR/data/PG_VERSION")
        [ "$v" = 15 ] || die "$DIR/data holds a PostgreSQL $v cluster, not 15"
        return 0
    fi
    say "initdb $DIR/data"
    as_owner "$PG_BINDIR/initdb" -D "$DIR/data" -U "$PGSUPER" --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'scratch.conf'" >>"$DIR/data/postgresql.conf"
}

start() {
    prepare_dir
    # Serialise concurrent `start DIR` calls (parallel test runners sharing one DIR).
    exec 9>"$DIR/.pg-scratch.lock"
    flock 9
    init_cluster
    if is_running; then
        say "already running in $DIR"
    else
        write_conf
        # 9>&-: the postmaster must not inherit the lock's descriptor, or it would hold the lock forever.
        as_owner "$PG_BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 start >/dev/null 9>&- ||
            { tail -n 30 "$DIR/postgres.log" >&2 || true; die "server did not start (log: $DIR/postgres.log)"; }
    fi
    exists=$(psql_super -At -c "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")
    [ "$exists" = 1 ] || psql_super -c "CREATE DATABASE $DBNAME"
    print_uri
}

stop() {
    [ -d "$RAW_DIR" ] || { say "$RAW_DIR does not exist; nothing to stop"; return 0; }
    resolve_dir
    if is_running; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null
    else
        say "not running in $DIR"
    fi
}

case $CMD in
    start) start ;;
    stop) stop ;;
    status) resolve_dir; if is_running; then echo running; else echo stopped; exit 3; fi ;;
    uri) resolve_dir; print_uri ;;
    *) usage ;;
esac

#!/bin/bash
# lib.sh — what the standalone bench scripts share; sourced (`. bench/lib.sh`), never run. scripts/bench.sh hands
# every script COMICBATCH_DATABASE_URL, COMICBATCH_REDIS_URL, COMICBATCH_BIN and BENCH_OUT; run alone, a script
# builds the daemon and starts a private stack of its own with these helpers.
#
#   bench_workdir NAME        $work: a new /tmp/cbbench-NAME.* folder (readable by the postgres user);
#                             $out: BENCH_OUT, or $work/out
#   bench_own_stack [fast]    only when COMICBATCH_DATABASE_URL is unset: builds ${BUILD:-build} unless
#                             COMICBATCH_BIN is set, starts PostgreSQL + Redis under $work/stack (`fast`: no fsync,
#                             for benches that do not measure commits) and exports their URLs; sets own_stack=1.
#                             Returns 0 when it started one (the caller then prepares the database), 1 otherwise.
#   bench_stop_own_stack      stops that stack (for the caller's cleanup trap; a no-op otherwise)
#   bench_stop_servers        kills the processes in the caller's `pids` array and the nginx of $work/nginx.pid,
#                             then waits for them
#   free_port                 a free TCP port on 127.0.0.1

bench_workdir() {
    work=$(mktemp -d "/tmp/cbbench-$1.XXXXXX")
    chmod 755 "$work"
    out=${BENCH_OUT:-$work/out}
    mkdir -p "$out"
}

bench_own_stack() {
    [ -z "${COMICBATCH_DATABASE_URL:-}" ] || return 1
    if [ -z "${COMICBATCH_BIN:-}" ]; then
        local bdir=${BUILD:-build}
        [ -f "$bdir/build.ninja" ] || meson setup "$bdir" >/dev/null
        ninja -C "$bdir" >/dev/null
        export COMICBATCH_BIN=$PWD/$bdir/comicbatch
    fi
    own_stack=1
    local fast=0 l
    [ "${1:-}" = fast ] && fast=1
    while IFS= read -r l; do export "${l?}"; done < <(FAST=$fast scripts/stack.sh start "$work/stack")
    return 0
}

bench_stop_own_stack() {
    [ -n "${own_stack:-}" ] && scripts/stack.sh stop "$work/stack" >/dev/null 2>&1 || true
}

bench_stop_servers() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

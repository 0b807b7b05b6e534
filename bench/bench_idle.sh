#!/bin/bash
# bench_idle.sh — 10,000 concurrent idle connections held by the daemon (issue 12, benchmark (b)): its resident
# memory, and how long a fresh request takes meanwhile (target < 50 ms), with nginx holding the same connections
# on the same machine in the same run as the anchor.
#
# Steps: `comicbatch serve` with its defaults except head_timeout = keepalive_timeout = 15s (so the connections
# live long enough to be measured, and the run also shows them cut); bench/idle_conns.c opens IDLE_CONNS (10,000)
# connections, IDLE_PER_SOURCE (100) from each loopback source address 127.1.x.y (so the default per-client limit
# of 128 admits them), and holds them. Round "idle" sends nothing; round "half" sends half a request head on each
# (the issue's slowloris script). While they are held: the daemon's RSS (VmRSS) and threads, and LATENCY_SAMPLES
# (20) fresh requests each of GET /healthz (event loop) and GET /api/v1/admin/batch/jobs (handler pool + database)
# from 127.0.0.1 with curl, p50 and max of curl's time_total. The client holds for IDLE_HOLD (25) seconds and
# reports how many connections were still open at the end (the head deadline closes them at 15 s). nginx
# (`nginx-light`, generated config, worker_processes auto, worker_connections 16384) gets the same two rounds.
#
# Called by scripts/bench.sh (COMICBATCH_DATABASE_URL, COMICBATCH_REDIS_URL, COMICBATCH_BIN, BENCH_OUT) or
# standalone (builds ${BUILD:-build} unless COMICBATCH_BIN is set, starts its own stack). Knobs: IDLE_CONNS,
# IDLE_PER_SOURCE, IDLE_HOLD, LATENCY_SAMPLES. Prints a markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
conns=${IDLE_CONNS:-10000}
per=${IDLE_PER_SOURCE:-100}
hold=${IDLE_HOLD:-25}
samples=${LATENCY_SAMPLES:-20}

for c in nginx curl python3 cc; do
    command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || { echo "bench_idle: $c is missing (WITH_BENCH=1 scripts/install-deps.sh)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((conns + 512)) ] || { echo "bench_idle: open-file limit $(ulimit -n) is too low for $conns connections" >&2; exit 1; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

. bench/lib.sh
bench_workdir idle
pids=()
cleanup() {
    bench_stop_servers
    bench_stop_own_stack
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if bench_own_stack fast; then
    "$COMICBATCH_BIN" migrate >/dev/null
fi
BIN=${COMICBATCH_BIN:-$root/build/comicbatch}
cc -O2 -Wall -o "$work/idle_conns" bench/idle_conns.c

# comicbatch.
token=bench-admin-token-0123456789
cat > "$work/comicbatch.ini" <<EOF
[server]
port_file = $work/cb.port
head_timeout = 15s
keepalive_timeout = 15s
[runs]
scheduler = false
workers = 1
[paths]
data_dir = $work/data
EOF
# A session of its own, like nginx (see bench_covers.sh: autogroup scheduling).
COMICBATCH_LISTEN=127.0.0.1:0 COMICBATCH_ADMIN_TOKEN=$token setsid "$BIN" --config "$work/comicbatch.ini" serve \
    2>"$out/idle-daemon.log" &
cb_pid=$!
pids+=("$cb_pid")
for _ in $(seq 200); do [ -s "$work/cb.port" ] && break; sleep 0.05; done
[ "$(cat "/proc/$cb_pid/comm")" = comicbatch ] || cb_pid=$(pgrep -P "$cb_pid" -x comicbatch) # setsid forked
cb_port=$(cat "$work/cb.port")
curl -sf -o /dev/null "http://127.0.0.1:$cb_port/healthz" || { echo "bench_idle: daemon not answering" >&2; exit 1; }

# nginx: /healthz and the "admin" path answered from a small static file (no upstream: the anchor is holding
# connections, not running handlers).
ng_port=$(free_port)
mkdir -p "$work/www/api/v1/admin/batch" "$work/ngx-tmp"
echo '{"status":"ok"}' > "$work/www/healthz"
echo '{"data":[]}' > "$work/www/api/v1/admin/batch/jobs"
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 40000;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon on;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $work/ngx-tmp;
    proxy_temp_path $work/ngx-tmp;
    fastcgi_temp_path $work/ngx-tmp;
    uwsgi_temp_path $work/ngx-tmp;
    scgi_temp_path $work/ngx-tmp;
    server { listen 127.0.0.1:$ng_port backlog=4096; root $work/www; }
}
EOF
"$NGINX" -c "$work/nginx.conf" -p "$work" 2>"$out/idle-nginx-start.log"
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$ng_port/healthz" && break; sleep 0.05; done

rss_kb() { # rss_kb PID… → summed VmRSS in KiB
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status"))); done
    echo "$t"
}
server_pids() { if [ "$1" = nginx ]; then echo "$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"; else echo "$cb_pid"; fi; }
latency() { # latency URL [TOKEN] → "p50_ms max_ms failures"
    local i codes=0
    : > "$work/lat"
    for i in $(seq "$samples"); do
        if ! curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer ${2:-none}" "$1" >> "$work/lat"; then
            echo "000 99" >> "$work/lat"
        fi
    done
    codes=$(awk '$1 != 200' "$work/lat" | wc -l)
    sort -k2 -n "$work/lat" | awk -v n="$samples" -v bad="$codes" \
        '{t[NR] = $2 * 1000} END {printf "%.1f %.1f %d\n", t[int((n + 1) / 2)], t[n], bad}'
}

echo "### $conns idle connections held (bench/idle_conns.c, $per per source address)"
echo
echo "Load average at start: $load_start ($(nproc) CPUs)."
echo
echo "| server | round | connected | RSS before | RSS held | per connection | threads | fresh /healthz p50 / max | fresh admin API p50 / max | open after ${hold} s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in comicbatch nginx; do
    port=$cb_port
    [ "$name" = nginx ] && port=$ng_port
    for mode in idle half; do
        # shellcheck disable=SC2046
        rss0=$(rss_kb $(server_pids "$name"))
        "$work/idle_conns" "$port" "$conns" "$per" "$hold" $([ "$mode" = half ] && echo half) \
            > "$work/client.out" 2>"$out/idle-client-$name-$mode.err" &
        client=$!
        for _ in $(seq 600); do grep -q '^connected' "$work/client.out" && break; sleep 0.1; done
        connected=$(awk '/^connected/ {print $2}' "$work/client.out")
        sleep 1
        # shellcheck disable=SC2046
        rss1=$(rss_kb $(server_pids "$name"))
        threads=0
        for p in $(server_pids "$name"); do threads=$((threads + $(awk '/^Threads:/ {print $2}' "/proc/$p/status"))); done
        read -r h50 hmax hbad < <(latency "http://127.0.0.1:$port/healthz")
        read -r a50 amax abad < <(latency "http://127.0.0.1:$port/api/v1/admin/batch/jobs" "$token")
        wait "$client"
        left=$(awk '/^open/ {print $2}' "$work/client.out")
        per_conn=$(awk -v a="$rss0" -v b="$rss1" -v n="${connected:-0}" 'BEGIN{printf "%.1f KiB", (n > 0 ? (b - a) / n : 0)}')
        fails=""
        [ "$hbad$abad" = 00 ] || fails=" ($hbad + $abad non-200)"
        echo "| $name | $mode | ${connected:-0} | $((rss0 / 1024)) MiB | $((rss1 / 1024)) MiB | $per_conn | $threads | $h50 / $hmax ms | $a50 / $amax ms$fails | ${left:-?} |"
        sleep 2
    done
done
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). comicbatch: head_timeout = keepalive_timeout = 15s, so"
echo "\"open after ${hold} s\" = 0 is its head deadline at work; nginx's client_header_timeout is 60 s."
echo

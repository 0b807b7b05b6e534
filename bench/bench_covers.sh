#!/bin/bash
# bench_covers.sh — cover-proxy cache hits per second, measured with wrk beside nginx serving the same bytes from
# the same disk on the same machine in the same run (issue 4: goal ≥ 70% of nginx; issue 12: ≥ 100% of nginx's
# requests/s and ≥ 90% of its requests per CPU-second, at 32 and 1,000 connections).
#
# Steps: an HTTPS upstream (openssl s_server -WWW, self-signed cert trusted through the test-only cover_ca_file)
# serves one image; `comicbatch serve` with the loopback test switch fetches it once (a miss), then every request is
# a cache hit answered with sendfile from <data_dir>/cache/covers. nginx (Debian package, generated config,
# sendfile on, access log off, worker_processes auto) serves the same image from the same temp directory. Both
# servers run in sessions of their own (see the setsid below). wrk runs the same load against both, in turns
# (nginx, comicbatch, nginx, comicbatch, …); the best of each is reported, with
# the CPU time the server used during that run (from /proc: all comicbatch threads, all nginx workers), so
# requests per CPU-second can be compared too: throughput alone flatters whichever server has more runnable
# threads when other processes compete for the cores (the kernel shares CPU per thread, not per process).
#
# Called by scripts/bench.sh with COMICBATCH_DATABASE_URL (migrated), COMICBATCH_REDIS_URL, COMICBATCH_BIN and
# BENCH_OUT; standalone (`bench/bench_covers.sh`) it builds ${BUILD:-build} (unless COMICBATCH_BIN is set) and
# starts its own stack. Knobs: COVER_BYTES (image size, default 65536), WRK_CONNS (connection counts, default
# "32 1000"), WRK_SECS (default 8), WRK_THREADS (default 2), WRK_ROUNDS (turns per server, default 3).
# comicbatch runs with its defaults (event_threads = one per CPU, like nginx's worker_processes auto) except
# max_connections_per_client = 0: wrk opens every connection from 127.0.0.1.
# Prints a markdown table on stdout; raw wrk output goes to $BENCH_OUT/covers-*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bytes=${COVER_BYTES:-65536}
conn_list=${WRK_CONNS:-32 1000}
secs=${WRK_SECS:-8}
threads=${WRK_THREADS:-2}
rounds=${WRK_ROUNDS:-3}

for c in wrk nginx openssl python3 curl; do
    command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || { echo "bench_covers: $c is missing (WITH_BENCH=1 scripts/install-deps.sh)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n "$(ulimit -Hn)" # 1,000 connections: wrk and both servers need more than the default 1,024 descriptors
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

. bench/lib.sh
bench_workdir covers
pids=()
cleanup() {
    bench_stop_servers
    bench_stop_own_stack
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if bench_own_stack fast; then
    psql -X -q -v ON_ERROR_STOP=1 -d "$COMICBATCH_DATABASE_URL" -f db/platform/schema.sql >/dev/null
    "$COMICBATCH_BIN" migrate >/dev/null
fi
BIN=${COMICBATCH_BIN:-$root/build/comicbatch}

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench_covers: nothing listening on $1" >&2
    return 1
}

# The image: JPEG magic, then random bytes (the proxy only looks at the magic).
mkdir -p "$work/www"
{ printf '\xff\xd8\xff\xe0'; head -c $((bytes - 4)) /dev/urandom; } > "$work/www/cover.jpg"
chmod 644 "$work/www/cover.jpg"

# The HTTPS upstream.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
up_port=$(free_port)
(cd "$work/www" && exec openssl s_server -quiet -accept "127.0.0.1:$up_port" -cert "$work/cert.pem" \
    -key "$work/key.pem" -WWW) >/dev/null 2>&1 &
pids+=($!)
wait_port "$up_port"

# comicbatch.
cat > "$work/comicbatch.ini" <<EOF
[server]
port_file = $work/cb.port
max_connections_per_client = 0
[runs]
scheduler = false
workers = 1
[paths]
data_dir = $work/data
[storage]
cover_allowed_hosts = localhost:$up_port
cover_allow_loopback = true
cover_ca_file = $work/cert.pem
cover_resolve = localhost:$up_port:127.0.0.1
EOF
# In a session of its own (setsid), like nginx, which daemonizes: with the kernel's autogroup scheduling
# (/proc/sys/kernel/sched_autogroup_enabled) each session shares CPU as one group, so a daemon started in this
# script's session would share wrk's group while nginx got one to itself (measured: ~half of nginx's requests/s at
# 1,000 connections on the loaded machine for the same CPU per request).
COMICBATCH_LISTEN=127.0.0.1:0 COMICBATCH_ADMIN_TOKEN=bench-admin-token-0123456789 \
    setsid "$BIN" --config "$work/comicbatch.ini" serve 2>"$out/covers-daemon.log" &
cb_pid=$!
pids+=("$cb_pid")
for _ in $(seq 200); do [ -s "$work/cb.port" ] && break; sleep 0.05; done
[ "$(cat "/proc/$cb_pid/comm")" = comicbatch ] || cb_pid=$(pgrep -P "$cb_pid" -x comicbatch) # setsid forked
cb_port=$(cat "$work/cb.port")
url="https://localhost:$up_port/cover.jpg"
cb_url="http://127.0.0.1:$cb_port/api/v1/covers/by-url?url=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$url")"
curl -sf -o "$work/first.jpg" "$cb_url" || { echo "bench_covers: the first (miss) request failed" >&2; cat "$out/covers-daemon.log" >&2; exit 1; }
cmp -s "$work/first.jpg" "$work/www/cover.jpg" || { echo "bench_covers: proxy bytes differ" >&2; exit 1; }

# nginx on the same file, same disk.
ng_port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon on;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $work/ngx-tmp;
    proxy_temp_path $work/ngx-tmp;
    fastcgi_temp_path $work/ngx-tmp;
    uwsgi_temp_path $work/ngx-tmp;
    scgi_temp_path $work/ngx-tmp;
    types { image/jpeg jpg; }
    server {
        listen 127.0.0.1:$ng_port;
        root $work/www;
        add_header Cache-Control "public, max-age=3600";
    }
}
EOF
mkdir -p "$work/ngx-tmp"
"$NGINX" -c "$work/nginx.conf" -p "$work" 2>"$out/covers-nginx-start.log"
wait_port "$ng_port"
ng_url="http://127.0.0.1:$ng_port/cover.jpg"
curl -sf -o "$work/ng.jpg" "$ng_url" && cmp -s "$work/ng.jpg" "$work/www/cover.jpg"

cpu_ticks() { # cpu_ticks PID… → user+system clock ticks of those processes (all their threads)
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    echo "$t"
}
server_pids() { # server_pids NAME → the processes doing the serving
    if [ "$1" = nginx ]; then pgrep -P "$(cat "$work/nginx.pid")"; else echo "$cb_pid"; fi
}
run_wrk() { # run_wrk NAME URL CONNS ROUND → prints "requests/s cpu-seconds"
    local pids0 t0 t1
    pids0=$(server_pids "$1")
    # shellcheck disable=SC2086
    t0=$(cpu_ticks $pids0)
    wrk -t"$threads" -c"$3" -d"${secs}s" --latency "$2" > "$out/covers-$1-c$3-$4.txt" 2>&1
    # shellcheck disable=SC2086
    t1=$(cpu_ticks $pids0)
    awk -v cpu="$(awk "BEGIN{print ($t1 - $t0) / $(getconf CLK_TCK)}")" '/^Requests\/sec:/ {print $2, cpu}' \
        "$out/covers-$1-c$3-$4.txt"
}
p50() { awk '$1 == "50%" {print $2}' "$out/covers-$1-c$2-$3.txt"; }
p99() { awk '$1 == "99%" {print $2}' "$out/covers-$1-c$2-$3.txt"; }
errs() { awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' "$out/covers-$1-c$2-$3.txt"; }
mbs() { awk "BEGIN{printf \"%.0f\", $1 * $bytes / 1048576}"; }
per_cpu() { awk "BEGIN{printf \"%.0f\", ($2 > 0 ? $1 * $secs / $2 : 0)}"; } # requests per server CPU-second

echo "### Cover cache hits vs nginx ($((bytes / 1024)) KiB image, wrk -t$threads -d${secs}s, best of $rounds per row)"
echo
echo "Load average at start: $load_start ($(nproc) CPUs)."
echo
echo "| conns | server | requests/s | MiB/s | p50 | p99 | server CPU s | requests / CPU-s | req/s vs nginx | req/CPU-s vs nginx |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for conns in $conn_list; do
    best_ng=0 best_cb=0 ng_round=1 cb_round=1 ng_cpu=0 cb_cpu=0
    for round in $(seq "$rounds"); do
        read -r r c < <(run_wrk nginx "$ng_url" "$conns" $round)
        if awk "BEGIN{exit !($r > $best_ng)}"; then best_ng=$r; ng_cpu=$c; ng_round=$round; fi
        read -r r c < <(run_wrk comicbatch "$cb_url" "$conns" $round)
        if awk "BEGIN{exit !($r > $best_cb)}"; then best_cb=$r; cb_cpu=$c; cb_round=$round; fi
    done
    for n in nginx comicbatch; do
        e=$(for round in $(seq "$rounds"); do errs $n "$conns" "$round"; done)
        [ -z "$e" ] || echo "bench_covers: $n at $conns connections: $e" >&2
    done
    ratio=$(awk "BEGIN{printf \"%.0f\", 100 * $best_cb / $best_ng}")
    eff_ng=$(per_cpu "$best_ng" "$ng_cpu")
    eff_cb=$(per_cpu "$best_cb" "$cb_cpu")
    eff_ratio=$(awk "BEGIN{printf \"%.0f\", ($eff_ng > 0 ? 100 * $eff_cb / $eff_ng : 0)}")
    echo "| $conns | nginx $("$NGINX" -v 2>&1 | sed 's|.*nginx/||') (sendfile, $(nproc) workers) | $best_ng | $(mbs "$best_ng") | $(p50 nginx "$conns" $ng_round) | $(p99 nginx "$conns" $ng_round) | $ng_cpu | $eff_ng | 100% | 100% |"
    echo "| $conns | comicbatch /api/v1/covers/by-url (hit) | $best_cb | $(mbs "$best_cb") | $(p50 comicbatch "$conns" $cb_round) | $(p99 comicbatch "$conns" $cb_round) | $cb_cpu | $eff_cb | $ratio% | $eff_ratio% |"
done
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
curl -s "http://127.0.0.1:$cb_port/metrics" | grep '^comicbatch_cover_cache' > "$out/covers-metrics.txt" || true
misses=$(awk -F' ' '/result="miss"/ {print $2}' "$out/covers-metrics.txt")
[ "${misses:-0}" = 1 ] || echo "bench_covers: expected exactly one miss, metrics say ${misses:-none}" >&2
echo

#!/bin/bash
# chaos_leader.sh — the leader under fire (issue 11; NOT part of `make test` or `make bench`: it takes
# CHAOS_SECONDS, 10 minutes by default). Three instances on one private PostgreSQL; three jobs scheduled every
# minute; a long canary kept in flight (triggered again as soon as one ends, on a random instance) so that runs are
# interrupted too. At random intervals (CHAOS_GAP_MIN..MAX s) the current leader is SIGKILLed (and restarted two
# seconds later) or paused with SIGSTOP for 2–25 s (some pauses longer than the leader lease, some shorter) and then
# resumed with SIGCONT. Afterwards (once the cluster has settled for a lease) it prints, as markdown:
#   duplicates        two runs of one (job, slot), or two active runs of one lock key overlapping in time
#   lost slots        minute slots of the scheduled jobs with no run, from the first to the last expected slot
#   stuck runs        runs still queued/running at the end whose heartbeat is stale or that nobody claimed, and the
#                     longest any run of a killed or paused instance stayed `running` after its last heartbeat
#   takeovers         for every kill and every pause longer than the lease: action → a new leader's `takenat`
#                     (the longest is the figure of merit: at most one lease plus the retry interval)
# Knobs: CHAOS_SECONDS (600), CHAOS_LEASE (leader_lease_seconds, 5), CHAOS_GAP_MIN/MAX (8/25 s), CHAOS_SEED (random),
# BUILD (build), CHAOS_DIR (a new temp dir; kept with every instance's log when CHAOS_KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${CHAOS_SECONDS:-600}
lease=${CHAOS_LEASE:-5}
gap_min=${CHAOS_GAP_MIN:-8}
gap_max=${CHAOS_GAP_MAX:-25}
seed=${CHAOS_SEED:-$$}
RANDOM=$seed
[ -x "$root/${BUILD:-build}/comicbatch" ] || { echo "chaos: build first (make build)" >&2; exit 2; }
dir=${CHAOS_DIR:-$(mktemp -d /tmp/cbchaos.XXXXXX)}
mkdir -p "$dir"
chmod 755 "$dir"
bin=$dir/comicbatch # a copy: a rebuild during the run must not change the instances restarted after a kill
cp "$root/${BUILD:-build}/comicbatch" "$bin"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

pids=("" "" "")
cleanup() {
    for p in "${pids[@]}"; do [ -n "$p" ] && { kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; } || true; done
    sleep 1
    scripts/stack.sh stop "$dir/stack" >/dev/null 2>&1 || true
    [ "${CHAOS_KEEP:-0}" = 1 ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

envlines=$(FAST=1 scripts/stack.sh start "$dir/stack")
while IFS= read -r l; do export "${l?}"; done <<<"$envlines"
admin=${COMICBATCH_DATABASE_URL/\/comicbatch\?//postgres?}
export COMICBATCH_DATABASE_URL=${COMICBATCH_DATABASE_URL/\/comicbatch\?//cbchaos?}
db=$COMICBATCH_DATABASE_URL
psql -X -q -d "$admin" -c "CREATE DATABASE cbchaos"
[ ! -f db/platform/schema.sql ] || psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f db/platform/schema.sql >/dev/null
"$bin" migrate >/dev/null
q() { psql -X -q -At -d "$db" -c "$1"; }
export COMICBATCH_ADMIN_TOKEN=chaos-admin-token-0123456789 COMICBATCH_LISTEN=127.0.0.1:0

start_instance() { # start_instance SLOT
    local s=$1 d="$dir/i$1"
    mkdir -p "$d"
    rm -f "$d/port"
    cat >"$d/comicbatch.ini" <<INI
[server]
port_file = $d/port
[paths]
data_dir = $d
[runs]
heartbeat_seconds = 1
lease_seconds = 10
leader_lease_seconds = $lease
workers = 2
INI
    "$bin" --config "$d/comicbatch.ini" serve >>"$d/log" 2>&1 &
    pids[$s]=$!
    for _ in $(seq 100); do [ -s "$d/port" ] && return 0; sleep 0.1; done
    echo "chaos: instance $s did not start (log: $d/log)" >&2
    return 1
}
port_of() { cat "$dir/i$1/port"; }
api() { # api SLOT METHOD PATH [BODY]
    curl -s -m 5 -X "$2" -H "Authorization: Bearer $COMICBATCH_ADMIN_TOKEN" -H 'Content-Type: application/json' \
        ${4:+--data "$4"} "http://127.0.0.1:$(port_of "$1")$3" || true
}
slot_of_pid() { local i; for i in 0 1 2; do [ "${pids[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }

for s in 0 1 2; do start_instance "$s"; done
for _ in $(seq 100); do [ "$(q "SELECT epoch FROM system.batchleader")" -ge 1 ] && break; sleep 0.1; done
jobs=(sessions.cleanup announcements.expire comics.counts_recalc)
for j in "${jobs[@]}"; do
    api 0 PATCH "/api/v1/admin/batch/schedule/$j" '{"cron":"* * * * *","isenabled":true}' >/dev/null
done
t_start=$(date +%s)
first_slot=$(((t_start / 60 + 1) * 60))
echo "chaos: $duration s, 3 instances, leader lease $lease s, logs in $dir" >&2

keep_canary_busy() { # a long run in flight most of the time, on a random live instance
    while :; do
        local s=$((RANDOM % 3))
        api "$s" POST /api/v1/admin/batch/jobs/system.canary/run '{"params":{"seconds":20}}' >/dev/null
        sleep 3
    done
}
keep_canary_busy &
busy_pid=$!

kills=0 pauses_long=0 pauses_short=0
: >"$dir/takeovers"
t_end=$((t_start + duration))
while [ "$(date +%s)" -lt "$t_end" ]; do
    sleep $((gap_min + RANDOM % (gap_max - gap_min + 1)))
    [ "$(date +%s)" -lt "$t_end" ] || break
    read -r epoch inst < <(q "SELECT epoch, instance FROM system.batchleader" | tr '|' ' ')
    pid=$(echo "$inst" | cut -d: -f2)
    s=$(slot_of_pid "$pid")
    [ "$s" -ge 0 ] || continue
    t0=$(date +%s%3N)
    if [ $((RANDOM % 2)) = 0 ]; then
        kill -9 "$pid"
        kills=$((kills + 1))
        what=kill
        sleep 2
        start_instance "$s"
    else
        secs=$((2 + RANDOM % 24))
        kill -STOP "$pid"
        sleep "$secs"
        kill -CONT "$pid"
        if [ "$secs" -gt "$lease" ]; then pauses_long=$((pauses_long + 1)); what="pause ${secs}s"; else
            pauses_short=$((pauses_short + 1)); what="pause ${secs}s (<= lease)"; fi
    fi
    # A takeover is the next epoch's takenat; a short pause may have none (the leader resumed in time).
    for _ in $(seq 150); do
        row=$(q "SELECT epoch, round(extract(epoch FROM takenat) * 1000)::bigint FROM system.batchleader")
        [ "${row%%|*}" -gt "$epoch" ] && break
        sleep 0.1
    done
    if [ "${row%%|*}" -gt "$epoch" ]; then
        echo "$what $((${row#*|} - t0))" >>"$dir/takeovers"
    else
        echo "$what none" >>"$dir/takeovers"
    fi
done
kill "$busy_pid" 2>/dev/null || true
wait "$busy_pid" 2>/dev/null || true
last_slot=$((($(date +%s) - 5) / 60 * 60))
echo "chaos: settling for $((lease + 15)) s" >&2
sleep $((lease + 15))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

dups=$(q "SELECT count(*) FROM (SELECT 1 FROM system.batchrun WHERE scheduledfor IS NOT NULL
          GROUP BY jobkey, scheduledfor HAVING count(*) > 1) x")
overlaps=$(q "SELECT count(*) FROM system.batchrun a JOIN system.batchrun b ON a.lockkey = b.lockkey AND a.id < b.id
              WHERE a.startedat IS NOT NULL AND b.startedat IS NOT NULL
              AND tstzrange(a.startedat, coalesce(a.finishedat, now())) && tstzrange(b.startedat, coalesce(b.finishedat, now()))")
expected=$(((last_slot - first_slot) / 60 + 1))
lost=0
lost_list=""
for j in "${jobs[@]}"; do
    n=$(q "SELECT count(*) FROM generate_series(to_timestamp($first_slot), to_timestamp($last_slot), interval '1 minute') g
           WHERE NOT EXISTS (SELECT 1 FROM system.batchrun r WHERE r.jobkey = '$j' AND r.scheduledfor = g)")
    lost=$((lost + n))
    [ "$n" = 0 ] || lost_list="$lost_list $j:$n"
done
stuck=$(q "SELECT count(*) FROM system.batchrun WHERE (status = 'running' AND heartbeatat < now() - interval '10 s')
           OR (status = 'queued' AND createdat < now() - interval '30 s')")
rescued=$(q "SELECT count(*) FROM system.batchrun WHERE lasterror LIKE 'instance % died%' OR lasterror LIKE 'instance % stopped heartbeating%'")
lost_conn=$(q "SELECT count(*) FROM system.batchrun WHERE lasterror LIKE 'database connection lost%'")
dead_max=$(q "SELECT coalesce(round(max(extract(epoch FROM finishedat - heartbeatat))::numeric, 1), 0) FROM system.batchrun
              WHERE lasterror LIKE 'instance %'")
runs=$(q "SELECT sum(n) || ' (' || string_agg(status || ' ' || n, ', ' ORDER BY status) || ')' FROM
          (SELECT status, count(*) n FROM system.batchrun GROUP BY 1) x")
skew=$(q "SELECT round(max(extract(epoch FROM startedat - scheduledfor))::numeric, 1) FROM system.batchrun
          WHERE scheduledfor IS NOT NULL AND startedat IS NOT NULL")
longest=$(awk '$NF != "none" { if ($NF > m) m = $NF } END { print m + 0 }' "$dir/takeovers")
longest_kill=$(awk '$1 == "kill" && $NF != "none" { if ($NF > m) m = $NF } END { print m + 0 }' "$dir/takeovers")
longest_pause=$(awk '$1 == "pause" && $NF != "none" { if ($NF > m) m = $NF } END { print m + 0 }' "$dir/takeovers")
epochs=$(q "SELECT epoch FROM system.batchleader")
ledger="no ledger in this build"
if [ "$(q "SELECT to_regclass('system.batchmissed') IS NOT NULL")" = t ]; then # issue 13's missed-slot ledger
    ledger=$(q "SELECT coalesce(string_agg(reason || ' ' || n, ', ' ORDER BY reason), 'empty') FROM
                (SELECT reason, sum(slots) n FROM system.batchmissed WHERE jobkey <> 'system.canary' GROUP BY 1) x")
fi

cat <<MD
### Chaos: the leader killed and paused at random ($((duration / 60)) min, 3 instances)

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $load_start at start, $load_end at the end; leader lease
$lease s, run lease 10 s, heartbeat 1 s; jobs ${jobs[*]} every minute, a 20 s canary kept in flight.
Command: \`CHAOS_SECONDS=$duration CHAOS_LEASE=$lease bench/chaos_leader.sh\` (\`CHAOS_SEED=$seed\` repeats the choices).

| | |
|---|---|
| chaos actions | $kills SIGKILLs, $pauses_long pauses longer than the lease, $pauses_short not longer (pauses of 2–25 s) |
| leadership epochs | $epochs |
| duplicates | $dups runs sharing a (job, slot); $overlaps overlapping active runs of one lock key |
| lost slots | $lost of $((expected * ${#jobs[@]})) expected ($expected minute slots × ${#jobs[@]} jobs)${lost_list:+:$lost_list}; missed-slot ledger of the scheduled jobs: $ledger |
| stuck runs | $stuck at the end; the longest a run of a killed or paused instance stayed \`running\` after its last heartbeat before the rescue failed it: $dead_max s (run lease 10 s) |
| runs | $runs; $rescued failed by the rescue (instance died/stopped), $lost_conn ended by their owner after a lost connection |
| longest takeover | $longest ms (after a SIGKILL: $longest_kill ms; after a pause longer than the lease: $longest_pause ms) |
| largest schedule skew | ${skew:-0} s (slot → run start) |

Takeovers (action → the new leader's \`takenat\`, ms):
\`\`\`
$(cat "$dir/takeovers")
\`\`\`
MD

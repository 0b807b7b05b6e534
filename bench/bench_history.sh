#!/bin/bash
# bench_history.sh — run history at 1,000,000 runs (issue 12, benchmark c): latency of every run-history read
# through the real HTTP API, before (the daemon as it was before migration 010, built from git) and after (this
# tree), on the same data in the same run; and what the counting costs the writes (enqueue, claim, heartbeat,
# finish, a retention batch) on both schemas.
#
# Data: bench/history_fill.sql fills system.batchrun with HISTORY_RUNS (default 1000000) runs over the last 6.9
# days (so all of them are inside the API's default 7-day window): 70% library.hasnew, mostly per comic
# (`library.hasnew:comic:N`), every other job in decreasing shares, scheduler and admin triggers, ~94% done / 4%
# failed / 2% cancelled, the newest per-comic runs queued or running. It is generated once per schema into a
# template database (cbhist_before_tpl, cbhist_after_tpl; regenerated when the fill or the migrations change) and
# copied for each measurement, so runs the daemons' workers finish do not accumulate.
#
# Reads: bench/history_client.mjs, one keep-alive connection, requests one after another: the list unfiltered
# (page 1, random pages, ?page=2000&limit=200, the last pages), each filter alone and combined, from/to windows,
# one job's history, the schedule with lastrun, one run by id. HISTORY_N (200) timed requests per shape after 5
# untimed ones; for the old daemon, whose list takes seconds to a minute per request, HISTORY_N_BEFORE (10) with
# no warm-up, and its page counts are taken from the new daemon's answers (same data). Each shape stops after
# HISTORY_SECONDS (60; HISTORY_SECONDS_BEFORE 30) whatever the count. Both daemons run with scheduler = false and
# one worker. Besides wall-time percentiles the client reports the CPU time the daemon and the whole PostgreSQL
# cluster (the bench cluster serves nobody else) spent per request: on a shared machine the wall time mostly
# measures the other tenants, the CPU time what a request costs.
#
# Writes: pgbench (-r: per-statement latency, -M extended like libpq's PQexecParams) runs the run store's
# statements (runstore.c) on a copy of each database: insert a queued run, claim it (FOR UPDATE SKIP LOCKED), a
# heartbeat, finish it — HISTORY_WRITES (600) times per round, HISTORY_ROUNDS (5) rounds alternately. The durable
# commit's wait dominates those numbers and varies with the machine, so the server's CPU time for HISTORY_LOOPS
# (2000) run lifecycles in a loop (no commit wait) is measured too, and a retention batch (DELETE of 10,000
# finished runs, rolled back) three times.
#
# Knobs: HISTORY_BEFORE_REV (git revision of "before"; default the main commit the history work started from),
# HISTORY_RUNS, HISTORY_N, HISTORY_N_BEFORE, HISTORY_SECONDS, HISTORY_SECONDS_BEFORE, HISTORY_WRITES, HISTORY_ROUNDS,
# HISTORY_LOOPS,
# HISTORY_REGEN=1, HISTORY_SKIP_BEFORE=1 (reads of the new daemon only, e.g. while tuning), HISTORY_SHAPES (a regular
# expression: only the read shapes whose name matches).
# Called by scripts/bench.sh (COMICBATCH_DATABASE_URL names a database on the bench cluster, COMICBATCH_BIN,
# BENCH_OUT); prints a markdown section on stdout, raw outputs in $BENCH_OUT/history-*.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
: "${COMICBATCH_DATABASE_URL:?run through scripts/bench.sh}" "${COMICBATCH_BIN:?}" "${BENCH_OUT:?}"
rev=${HISTORY_BEFORE_REV:-d1d2e6e7ec8776e49a54ea7b505d848ca2d2898d}
runs=${HISTORY_RUNS:-1000000}
n_after=${HISTORY_N:-200}
n_before=${HISTORY_N_BEFORE:-10}
secs=${HISTORY_SECONDS:-60}
secs_before=${HISTORY_SECONDS_BEFORE:-30}
writes=${HISTORY_WRITES:-600}
out=$BENCH_OUT
mkdir -p "$out"
admin_url=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/postgres?#')
url() { printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E "s#/[^/?]+\\?#/$1?#"; }
adm() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$admin_url" "$@"; }
pgbench=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
work=${TMPDIR:-/tmp}/comicbatch-bench-history
mkdir -p "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    adm -c "DROP DATABASE IF EXISTS cbhist_before" -c "DROP DATABASE IF EXISTS cbhist_after" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ---- the "before" binary: the tree at $rev, built once per revision -------------------------------------------
full_rev=$(git rev-parse --verify "$rev^{commit}")
before_bin=$work/before-$full_rev/build/comicbatch
if [ ! -x "$before_bin" ]; then
    echo "bench_history: building the before binary ($full_rev)" >&2
    rm -rf "$work/before-$full_rev"
    mkdir -p "$work/before-$full_rev/src"
    git archive "$full_rev" | tar -x -C "$work/before-$full_rev/src"
    meson setup "$work/before-$full_rev/build" "$work/before-$full_rev/src" -Dtests=disabled >/dev/null 2>&1 ||
        meson setup "$work/before-$full_rev/build" "$work/before-$full_rev/src" >/dev/null
    ninja -C "$work/before-$full_rev/build" comicbatch >/dev/null
fi

# ---- the data: one template per schema ---------------------------------------------------------------------------
# template NAME BIN SCHEMA: (re)creates NAME_tpl, migrated by BIN and filled, unless its stamp (the fill, SCHEMA: what
# the migrations are, and the size) is current and it is less than 4 hours old.
template() {
    local name=$1 bin=$2 stamp have made
    stamp=$( (cat bench/history_fill.sql; echo "$3") | sha256sum | cut -c1-16)-$runs
    have=$(adm -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '${name}_tpl'")
    # The runs are dated from the fill's moment: after a few hours the oldest would leave the 7-day window.
    made=${have##* }
    [[ $made =~ ^[0-9]+$ ]] || made=0
    if [ "${HISTORY_REGEN:-0}" = 1 ] || [ "${have% *}" != "$stamp" ] || [ $(($(date +%s) - made)) -gt 14400 ]; then
        echo "bench_history: filling ${name}_tpl with $runs runs" >&2
        adm -c "DROP DATABASE IF EXISTS ${name}_tpl" -c "CREATE DATABASE ${name}_tpl"
        # Since issue 9 the migrations create only comicbatch's objects: the platform's tables come first, from
        # db/platform/schema.sql (the build from before has them in its migrations).
        if [ "$name" = cbhist_after ]; then
            psql -X -q -v ON_ERROR_STOP=1 -f db/platform/schema.sql -d "$(url "${name}_tpl")" >/dev/null
        fi
        COMICBATCH_DATABASE_URL=$(url "${name}_tpl") "$bin" migrate >/dev/null 2>&1
        psql -X -q -v ON_ERROR_STOP=1 -v runs="$runs" -f bench/history_fill.sql -d "$(url "${name}_tpl")" \
            >"$out/history-fill-$name.log" 2>&1
        psql -X -q -d "$(url "${name}_tpl")" -c "VACUUM ANALYZE" >/dev/null
        adm -c "COMMENT ON DATABASE ${name}_tpl IS '$stamp $(date +%s)'"
    fi
}
template cbhist_before "$before_bin" "$full_rev"
template cbhist_after "$COMICBATCH_BIN" "$(cat db/platform/schema.sql db/migrations/*.sql)"
fresh() { adm -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE $1_tpl"; }

# ---- reads through HTTP ---------------------------------------------------------------------------------------
token=bench-history-token-0123456789
# serve NAME BIN PORTFILE: starts a daemon on a free loopback port (scheduler off, one worker); sets $port.
serve() {
    local dir=$work/serve-$1
    rm -rf "$dir" && mkdir -p "$dir"
    printf '[server]\nport_file = %s\n\n[runs]\nworkers = 1\nscheduler = false\n\n[paths]\ndata_dir = %s\n' \
        "$dir/port" "$dir" >"$dir/comicbatch.ini"
    COMICBATCH_DATABASE_URL=$(url "$1") COMICBATCH_LISTEN=127.0.0.1:0 COMICBATCH_ADMIN_TOKEN=$token \
        "$2" --config "$dir/comicbatch.ini" serve >"$out/history-serve-$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
    port=$(cat "$dir/port")
}
reads() { # reads NAME BIN N SECONDS WARMUP [PAGES_FROM]
    local name=$1 bin=$2
    shift 2
    fresh "$name"
    psql -X -q -At -d "$(url "$name")" -c "SELECT id FROM system.batchrun TABLESAMPLE SYSTEM (1) LIMIT 2000" \
        >"$work/ids-$name.txt"
    serve "$name" "$bin"
    echo "bench_history: reads on $name (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    NOW_MS=$now_ms DAEMON_PID=${pids[-1]} PGDATA=${BENCH_PGDATA:-} node bench/history_client.mjs "http://127.0.0.1:$port" "$token" \
        "$work/ids-$name.txt" "$@" >"$out/history-reads-$name.jsonl"
    kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null || true
}
load_reads_start=$(cut -d' ' -f1-3 /proc/loadavg)
now_ms=$(($(date +%s) * 1000)) # the from/to windows of both runs are drawn from this moment
reads cbhist_after "$COMICBATCH_BIN" "$n_after" "$secs" 5
[ "${HISTORY_SKIP_BEFORE:-0}" = 1 ] ||
    reads cbhist_before "$before_bin" "$n_before" "$secs_before" 0 "$out/history-reads-cbhist_after.jsonl"
load_reads_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- writes: the run store's statements ------------------------------------------------------------------------
# (a) what a caller waits: pgbench, each statement its own durable transaction, HISTORY_ROUNDS alternating rounds.
# (b) what the counting costs the server: the backend's CPU time for HISTORY_LOOPS run lifecycles (insert, claim,
#     heartbeat, finish, each statement committed, without waiting for the disk: synchronous_commit off) in a DO
#     loop, and for as many heartbeats alone; the minimum of three alternating rounds. Then a retention batch
#     (DELETE of 10,000 finished runs, rolled back).
cat >"$work/writes.sql" <<'EOF'
\set n random(1, 1000000000)
INSERT INTO system.batchrun AS r (id, jobkey, lockkey, status, triggeredby, params, dryrun, timeoutms) VALUES (gen_random_uuid(), 'library.hasnew', concat('library.hasnew', chr(58), 'comic', chr(58), 'b', CAST(:n AS text)), 'queued', 'admin', '{"comicid": 1}'::jsonb, false, 1800000) ON CONFLICT DO NOTHING RETURNING r.id;
UPDATE system.batchrun r SET status = 'running', startedat = clock_timestamp(), heartbeatat = now(), instance = 'bench', instanceno = 1 WHERE r.id = (SELECT id FROM system.batchrun WHERE status = 'queued' ORDER BY createdat, id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING r.id AS rid \gset
UPDATE system.batchrun SET heartbeatat = now() WHERE instanceno = 1 AND status = 'running' AND id = :rid::uuid;
UPDATE system.batchrun SET status = 'done', finishedat = clock_timestamp(), durationms = 5, rowsaffected = 0, lasterror = NULL, meta = '{"entriesChecked": 0}'::jsonb, heartbeatat = now() WHERE id = :rid::uuid AND status = 'running' AND instanceno = 1;
EOF
loops=${HISTORY_LOOPS:-2000}
cat >"$work/cpu.sql" <<EOF
SET synchronous_commit = off;
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\! awk '{print \$14 + \$15}' /proc/\$PID/stat > $work/cpu.a
DO \$\$ DECLARE rid uuid; BEGIN FOR i IN 1..$loops LOOP
  INSERT INTO system.batchrun AS r (id, jobkey, lockkey, status, triggeredby, params, dryrun, timeoutms)
    VALUES (gen_random_uuid(), 'library.hasnew', 'library.hasnew:comic:c' || i || '-' || clock_timestamp(), 'queued',
    'admin', '{"comicid": 1}', false, 1800000) ON CONFLICT DO NOTHING;
  COMMIT;
  UPDATE system.batchrun r SET status = 'running', startedat = clock_timestamp(), heartbeatat = now(), instance = 'bench',
    instanceno = 1 WHERE r.id = (SELECT id FROM system.batchrun WHERE status = 'queued' ORDER BY createdat, id
    FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING r.id INTO rid;
  COMMIT;
  UPDATE system.batchrun SET heartbeatat = now() WHERE instanceno = 1 AND status = 'running' AND id = rid;
  COMMIT;
  UPDATE system.batchrun SET status = 'done', finishedat = clock_timestamp(), durationms = 5, rowsaffected = 0,
    meta = '{"entriesChecked": 0}', heartbeatat = now() WHERE id = rid AND status = 'running' AND instanceno = 1;
  COMMIT;
END LOOP; END \$\$;
\! awk '{print \$14 + \$15}' /proc/\$PID/stat > $work/cpu.b
DO \$\$ DECLARE rid uuid; BEGIN
  INSERT INTO system.batchrun (id, jobkey, lockkey, status, triggeredby, timeoutms, instance, instanceno, startedat,
    heartbeatat) VALUES (gen_random_uuid(), 'system.canary', 'bench:' || clock_timestamp(), 'running', 'admin', 1000,
    'bench', 1, now(), now()) RETURNING id INTO rid;
  COMMIT;
  FOR i IN 1..$loops LOOP
    UPDATE system.batchrun SET heartbeatat = now() WHERE instanceno = 1 AND status = 'running' AND id = rid;
    COMMIT;
  END LOOP;
  UPDATE system.batchrun SET status = 'done', finishedat = now() WHERE id = rid;
END \$\$;
\! awk '{print \$14 + \$15}' /proc/\$PID/stat > $work/cpu.c
EOF
cat >"$work/retention.sql" <<'EOF'
BEGIN;
\timing on
DELETE FROM system.batchrun WHERE id IN (SELECT id FROM system.batchrun WHERE finishedat < now() - interval '3 days' LIMIT 10000);
\timing off
ROLLBACK;
EOF
for db in cbhist_before cbhist_after; do
    fresh "$db"
    # The queued runs the fill made would be claimed first: end them so the claims take the benchmark's own.
    psql -X -q -d "$(url "$db")" -c "UPDATE system.batchrun SET status = 'cancelled', finishedat = now()
      WHERE status IN ('queued', 'running')" -c "VACUUM ANALYZE system.batchrun" >/dev/null
done
: >"$out/history-writes.txt"
for round in $(seq "${HISTORY_ROUNDS:-5}"); do
    for db in cbhist_before cbhist_after; do
        echo "== $db round $round (load $(cut -d' ' -f1-3 /proc/loadavg))" >>"$out/history-writes.txt"
        "$pgbench" -n -r -M extended -c 1 -t "$writes" -f "$work/writes.sql" "$(url "$db")" >>"$out/history-writes.txt" 2>&1
    done
done
hz=$(getconf CLK_TCK)
for round in 1 2 3; do
    for db in cbhist_before cbhist_after; do
        psql -X -q -d "$(url "$db")" -f "$work/cpu.sql" >/dev/null
        a=$(cat "$work/cpu.a") b=$(cat "$work/cpu.b") c=$(cat "$work/cpu.c")
        echo "== cpu $db lifecycle_us=$(((b - a) * 1000000 / hz / loops)) heartbeat_us=$(((c - b) * 1000000 / hz / loops))" \
            >>"$out/history-writes.txt"
    done
done
for db in cbhist_before cbhist_after; do
    for i in 1 2 3; do
        echo "== retention $db" >>"$out/history-writes.txt"
        psql -X -q -d "$(url "$db")" -f "$work/retention.sql" >>"$out/history-writes.txt" 2>&1
    done
done

# ---- the report --------------------------------------------------------------------------------------------------
python3 - "$out" "$runs" "$load_reads_start" "$load_reads_end" "$full_rev" <<'EOF'
import json, re, statistics, sys
out, runs, l0, l1, rev = sys.argv[1:6]
def load(name):
    try:
        return {r['shape']: r for r in map(json.loads, open(f'{out}/history-reads-{name}.jsonl'))}
    except FileNotFoundError:
        return {}
a, b = load('cbhist_after'), load('cbhist_before')
print(f'### Run history at {int(runs):,} runs (issue 12, `bench/bench_history.sh`)\n')
print(f'Reads through HTTP, one request at a time; before = `{rev[:10]}` (no migration 010), after = this tree; '
      f'load average {l0} at the start of the reads, {l1} at their end. Milliseconds.\n')
print('| query shape | meta.total | before p50 | before p99 (n) | after p50 | after p99 (n) | p99 before/after | CPU/request before | CPU/request after |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for shape, r in a.items():
    o = b.get(shape)
    tot = f"{r['total']:,}" if r['total'] is not None else ''
    same = '' if not o or o['total'] == r['total'] else f" (before: {o['total']:,})"
    ratio = f"{o['p99'] / r['p99']:.0f}×" if o and r['p99'] > 0 else ''
    bp = f"{o['p50']}" if o else '—'
    bq = f"{o['p99']} ({o['n']})" if o else '—'
    cb = o.get('cpu') if o else None
    ca = r.get('cpu')
    print(f"| {shape} | {tot}{same} | {bp} | {bq} | {r['p50']} | **{r['p99']}** ({r['n']}) | {ratio} |"
          f" {'' if cb is None else cb} | {'' if ca is None else ca} |")
text = open(f'{out}/history-writes.txt').read()
stmts = ['insert (enqueue)', 'claim', 'heartbeat', 'finish']
res = {}
cpu = {}
for block in re.split(r'^== ', text, flags=re.M)[1:]:
    head = block.split('\n', 1)[0]
    db = head.split()[0] if not head.startswith(('retention', 'cpu')) else head.split()[1]
    if head.startswith('cpu'):
        for k, v in re.findall(r'(\w+)_us=(-?\d+)', head):
            cpu.setdefault((db, k), []).append(int(v))
        continue
    if head.startswith('retention'):
        m = re.search(r'Time: ([0-9.]+) ms', block)
        if m: res.setdefault((db, 'retention batch (10,000 runs)'), []).append(float(m.group(1)))
        continue
    lat = re.findall(r'^\s+([0-9.]+)\s+\d+\s+(INSERT|UPDATE)', block, flags=re.M)
    for (ms, _), name in zip(lat, stmts):
        res.setdefault((db, name), []).append(float(ms))
print('\nWrites: the run store\'s statements, each in its own transaction (durable commit), pgbench `-r` '
      'per-statement latency, median of the rounds (ms).\n')
print('| statement | before | after | difference |')
print('|---|---:|---:|---:|')
for name in stmts + ['retention batch (10,000 runs)']:
    x, y = res.get(('cbhist_before', name)), res.get(('cbhist_after', name))
    if not x or not y: continue
    bx, ay = statistics.median(x), statistics.median(y)
    print(f'| {name} | {bx:.3f} | {ay:.3f} | {ay - bx:+.3f} ({(ay / bx - 1) * 100:+.0f}%) |')
if cpu:
    print('\nServer CPU time (µs, the least of three rounds), each statement its own transaction, no wait for the disk:\n')
    print('| what | before | after | difference |')
    print('|---|---:|---:|---:|')
    for k, label in [('lifecycle', 'one run: insert + claim + heartbeat + finish'), ('heartbeat', 'one heartbeat')]:
        x, y = cpu.get(('cbhist_before', k)), cpu.get(('cbhist_after', k))
        if x and y:
            print(f'| {label} | {min(x)} | {min(y)} | {min(y) - min(x):+d} |')
EOF

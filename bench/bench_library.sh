#!/bin/bash
# bench_library.sh — library.hasnew, library.viewhistory_cap, comics.ratings_recalc, comics.counts_recalc (issue 3;
# owner h4): the seed's own SQL (batch-jobs-api.md §2–§3, verbatim below) and our job, on the same data in one run —
# twice (issue 9): with the accelerators (the dataset as bench.sh made it: every accelerator installed) and without
# them (a second copy on which `comicbatch accelerators remove` ran first), each mode on its own fresh copy.
# LIBRARY_MODES='accel plain' (default; 'none': neither) picks the modes; LIBRARY_WRITE_PATH=0 skips the write-path
# section, WP_ROUNDS (default 5) sets its rounds.
#
# Works on a copy of the generated dataset (cbbench_library, made from the database COMICBATCH_DATABASE_URL names,
# which bench.sh generated with bench/gen.sql; dropped at the end). Each seed statement runs inside BEGIN … ROLLBACK,
# so both sides see the same data; VACUUM (not timed) follows every step that left dead rows, so neither side pays
# for the other's garbage. Our side is `comicbatch run JOB` (the scheduler's code path, its own transactions).
# Steps: hasnew full sweep (the dataset carries ~1.1% wrong flags); hasnew scheduled sweep after ~1% of entries
# changed through the platform tables (new chapters, reads, unreads, soft-deletes; the triggers queue them);
# viewhistory_cap with 5% of users over the cap, then with nobody over it; ratings and counts in steady state (our
# second run; nothing changed) and after ~1% changes; and the write-path cost of each accelerator (the same
# single-row statements on a copy with it and a copy without, rolled back). The cheap steady-state steps run three
# times on each side and report the median.
#
# Reported per step: time (ms: the seed's statements as psql's \timing measures them, ours as the run's durationms)
# and rows written for each side, the ratio seed/ours, and the CPU time the whole PostgreSQL cluster spent during
# the step (the machine is shared with other work, so CPU time is the steadier of the two numbers).
# Prints a markdown table on stdout; raw outputs go to $BENCH_OUT/library-*.txt.
#
# Called by scripts/bench.sh with COMICBATCH_DATABASE_URL (the generated dataset), COMICBATCH_REDIS_URL,
# COMICBATCH_BIN, BENCH_SCALE, BENCH_OUT and BENCH_PGDATA (the cluster's data directory, for the CPU reading).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${COMICBATCH_DATABASE_URL:?run through scripts/bench.sh}" "${COMICBATCH_BIN:?}" "${BENCH_OUT:?}"
src_db=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#^[^/]*///([^?]+)\?.*#\1#')
admin_url=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/postgres?#')
db=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/cbbench_library?#')
out=$BENCH_OUT
mkdir -p "$out"
hz=$(getconf CLK_TCK)

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
cleanup() {
    psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_library" -c "DROP DATABASE IF EXISTS cbbench_wp_plain" \
        >/dev/null 2>&1 || true
}
trap cleanup EXIT

# CPU time (ms) of the whole cluster so far: the postmaster, its live children, and its reaped children.
pg_cpu_ms() {
    [ -n "${BENCH_PGDATA:-}" ] && [ -r "$BENCH_PGDATA/postmaster.pid" ] || { echo 0; return; }
    local pm t=0 p f
    pm=$(head -1 "$BENCH_PGDATA/postmaster.pid")
    f=($(sed 's/^.*) //' "/proc/$pm/stat"))
    t=$((f[11] + f[12] + f[13] + f[14]))
    for p in $(pgrep -P "$pm"); do
        f=($(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || echo))
        [ ${#f[@]} -gt 13 ] && t=$((t + f[11] + f[12]))
    done
    echo $((t * 1000 / hz))
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# seed NAME SQL: runs SQL in a transaction that is rolled back; sets S_MS, S_CPU, S_ROWS (sum of command tags).
seed() {
    local t0 c0 log=$out/library-$1-seed.txt
    c0=$(pg_cpu_ms); t0=$(now_ms)
    psql -X -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' -c "BEGIN" -c "$2" -c "ROLLBACK" >"$log" 2>&1
    sleep 0.3 # let the postmaster reap the backend, so its CPU time is counted
    S_CPU=$(($(pg_cpu_ms) - c0))
    S_MS=$(awk '/^Time: / {s += $2} END {printf "%d", s}' "$log")
    S_ROWS=$(grep -E '^(UPDATE|DELETE) [0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
}

# ours NAME JOBKEY PARAMS: `comicbatch run`; sets O_MS, O_CPU, O_ROWS, O_META.
ours() {
    local t0 c0 log=$out/library-$1-ours.json
    c0=$(pg_cpu_ms); t0=$(now_ms)
    COMICBATCH_DATABASE_URL=$db "$COMICBATCH_BIN" run "$2" --params "$3" >"$log" 2>"$out/library-$1-ours.log"
    sleep 0.3
    O_CPU=$(($(pg_cpu_ms) - c0))
    read -r O_MS O_ROWS O_META < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r=r.get("data", r)
assert r["status"] == "done", r
print(r["durationms"], r["rowsaffected"], json.dumps(r["meta"], separators=(",", ":")))' "$log")
}

# median3 TABLES FN NAME ARGS…: runs seed/ours three times (VACUUM TABLES after each), keeps the median time
# (and the CPU of that run).
median3() {
    local tables=$1 fn=$2 i ms=() cpu=()
    shift 2
    for i in 1 2 3; do
        "$fn" "$@"
        vacuum "$tables"
        if [ "$fn" = seed ]; then ms+=("$S_MS:$S_CPU"); else ms+=("$O_MS:$O_CPU"); fi
    done
    read -r i cpu < <(printf '%s\n' "${ms[@]}" | sort -t: -k1,1n | sed -n 2p | tr ':' ' ')
    if [ "$fn" = seed ]; then S_MS=$i S_CPU=$cpu; else O_MS=$i O_CPU=$cpu; fi
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.1f×' % (a / b) if b > 0 else '∞')" "$1" "$2"; }
row() { # row LABEL  (uses S_* and O_*)
    printf '| %s | %s | %s | %s | %s | **%s** | %s / %s | %s | %s |\n' "$1" "$S_MS" "$S_ROWS" "$O_MS" "$O_ROWS" \
        "$(ratio "$S_MS" "$O_MS")" "$S_CPU" "$O_CPU" "$(ratio "$S_CPU" "$O_CPU")" "$O_META"
}
vacuum() { q -c "VACUUM (ANALYZE) $*" >/dev/null; }

# ---- the seed's statements, verbatim (tests/seed/: the same files the tests compare the jobs with) ----------------
SEED_HASNEW=$(cat tests/seed/hasnew.sql)
SEED_CAP=$(cat tests/seed/viewhistory_cap.sql)
SEED_RATINGS=$(cat tests/seed/ratings.sql)
SEED_COUNTS=$(cat tests/seed/counts.sql)
seed_ratings_sql() { # the seed's C is the global mean (exact, as ours), m = 100
    # The seed's job reads C first (its UPDATE takes it as $C): that query is timed with it, as ours is part of our
    # run. Its value is substituted here from an untimed read of the same data.
    local c
    c=$(q -c "SELECT avg(score) FROM social.comicrating")
    printf 'SELECT avg(score) FROM social.comicrating;\n'
    printf '%s' "$SEED_RATINGS" | sed -e "s/\$C/$c/g" -e 's/\$m/100/g'
}

# ---- one mode ----------------------------------------------------------------------------------------------------
# fresh_copy [plain]: cbbench_library from the dataset; `plain` removes the accelerators from it first.
fresh_copy() {
    psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_library" -c "CREATE DATABASE cbbench_library TEMPLATE $src_db" >/dev/null
    if [ "${1:-}" = plain ]; then
        COMICBATCH_DATABASE_URL=$db "$COMICBATCH_BIN" accelerators remove >"$out/library-remove.txt"
        vacuum library.entry, core.comic
    fi
}

run_mode() { # run_mode accel|plain
local mode=$1
fresh_copy "$mode"
entries=$(q -c "SELECT count(*) FROM library.entry")
ngroups=$(q -c "SELECT count(*) FROM core.scanlationgroup")
cat <<EOF
### library / comics jobs — scale \`${BENCH_SCALE:-small}\`, $( [ "$mode" = accel ] && echo "with the accelerators" || echo "without accelerators") ($entries library entries)

$(date -u +%Y-%m-%dT%H:%MZ), load average at the start of this mode: $(cut -d' ' -f1-3 /proc/loadavg).

| step | seed ms | seed rows | ours ms | ours rows | seed/ours (time) | PG CPU ms seed / ours | seed/ours (CPU) | our meta |
|---|---:|---:|---:|---:|---:|---:|---:|---|
EOF

# ---- library.hasnew ----------------------------------------------------------------------------------------------
seed hasnew-full "$SEED_HASNEW"; vacuum library.entry
ours hasnew-full library.hasnew '{"full":true}'; vacuum library.entry
row "hasnew full sweep (~1.1% wrong)"

# ~1% of entries change through the platform's tables; with the accelerator its triggers queue them, without it
# the scheduled run finds them by their timestamps (except the reads deleted: see BENCHMARKS.md).
q -c "UPDATE jobstate.hasnew_state SET fullneeded = false" \
  -c "INSERT INTO core.chapter (comicid, number) SELECT id, 1000 FROM core.comic WHERE id % 260 = 7" \
  -c "UPDATE core.chapter SET deletedat = now() WHERE deletedat IS NULL AND id % 5000 = 3" \
  -c "INSERT INTO library.chapterread (userid, chapterid) SELECT e.userid, ch.id FROM library.entry e
      JOIN core.chapter ch ON ch.comicid = e.comicid AND ch.deletedat IS NULL WHERE e.id % 400 = 1 ON CONFLICT DO NOTHING" \
  -c "DELETE FROM library.chapterread cr USING library.entry e, core.chapter ch WHERE e.id % 500 = 2
      AND cr.userid = e.userid AND cr.chapterid = ch.id AND ch.comicid = e.comicid AND ch.number = 1" >/dev/null
if [ "$mode" = accel ]; then
    queued=$(q -c "SELECT count(*) FROM library.entry e WHERE e.comicid IN (SELECT comicid FROM jobstate.hasnew_queue
      WHERE userid IS NULL) OR (e.userid, e.comicid) IN (SELECT userid, comicid FROM jobstate.hasnew_queue WHERE userid IS NOT NULL)")
    vacuum library.entry, library.chapterread, core.chapter, jobstate.hasnew_queue
else
    vacuum library.entry, library.chapterread, core.chapter
fi
seed hasnew-incr "$SEED_HASNEW"; vacuum library.entry
ours hasnew-incr library.hasnew '{}'; vacuum library.entry
if [ "$mode" = accel ]; then
    row "hasnew scheduled sweep (queue), $queued entries ($(python3 -c "print('%.2f' % (100 * $queued / $entries))")%) changed"
else
    checked=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["entriesChecked"])' "$O_META")
    row "hasnew scheduled sweep (recent), $checked entries ($(python3 -c "print('%.2f' % (100 * $checked / $entries))")%) stamped since the last"
fi

# ---- library.viewhistory_cap -------------------------------------------------------------------------------------
seed cap-over "$SEED_CAP"; vacuum library.viewhistory
ours cap-over library.viewhistory_cap '{}'; vacuum library.viewhistory
row "viewhistory_cap, 5% of users over 500"
median3 library.viewhistory seed cap-none "$SEED_CAP"
median3 library.viewhistory ours cap-none library.viewhistory_cap '{}'
row "viewhistory_cap, nobody over (median of 3)"

# ---- comics.ratings_recalc ---------------------------------------------------------------------------------------
ours ratings-first comics.ratings_recalc '{}'; vacuum core.comic   # the dataset starts with every rating stale
median3 core.comic seed ratings-steady "$(seed_ratings_sql)"
median3 core.comic ours ratings-steady comics.ratings_recalc '{}'
row "ratings_recalc, steady state (median of 3)"
q -c "INSERT INTO social.comicrating (userid, comicid, score) SELECT userid, comicid, 1 + (id % 10)::int
      FROM library.entry WHERE id % 400 = 3 ON CONFLICT DO NOTHING" \
  -c "UPDATE social.comicrating SET score = 1 + (score + 4) % 10 WHERE hashtext(userid::text || comicid) % 300 = 0" \
  -c "DELETE FROM social.comicrating WHERE hashtext(userid::text || comicid) % 500 = 1" >/dev/null
vacuum social.comicrating
seed ratings-changed "$(seed_ratings_sql)"; vacuum core.comic
ours ratings-changed comics.ratings_recalc '{}'; vacuum core.comic
row "ratings_recalc, after ~1% of ratings changed"

# ---- comics.counts_recalc ----------------------------------------------------------------------------------------
ours counts-first comics.counts_recalc '{}'; vacuum core.comic, core.scanlationgroup
median3 "core.comic, core.scanlationgroup" seed counts-steady "$SEED_COUNTS"
median3 "core.comic, core.scanlationgroup" ours counts-steady comics.counts_recalc '{}'
row "counts_recalc, steady state (median of 3)"
q -c "UPDATE core.chapter SET deletedat = now() WHERE deletedat IS NULL AND id % 100 = 11" \
  -c "DELETE FROM library.entry WHERE id % 200 = 13" \
  -c "INSERT INTO core.scanlationgroupfollow (userid, groupid) SELECT id, 1 + abs(hashtext(id::text)) % $ngroups
      FROM users.account WHERE hashtext(id::text) % 40 = 0 ON CONFLICT DO NOTHING" >/dev/null
vacuum core.chapter, library.entry, core.scanlationgroupfollow
seed counts-changed "$SEED_COUNTS"; vacuum core.comic, core.scanlationgroup
ours counts-changed comics.counts_recalc '{}'
row "counts_recalc, after ~1% changes"
}

# ---- write path: what each accelerator costs the platform ---------------------------------------------------------
# The same 2000 single-row statements (a DO loop, rolled back) on a copy with every accelerator ($db) and on one
# without any ($plain_db), alternating between the two copies for WP_ROUNDS rounds (default 5) after a warm-up round
# that is not counted, so load that comes and goes on the shared machine falls on both sides alike. Per statement:
# the median wall time and the median CPU time of the cluster on each side; the cost per row is the difference over
# 2000.
plain_db=$(printf '%s' "$COMICBATCH_DATABASE_URL" | sed -E 's#/[^/?]+\?#/cbbench_wp_plain?#')
wp_one() { # wp_one URL SQL → "ms cpu_ms" for BEGIN; SQL; ROLLBACK
    local t0 c0 ms
    c0=$(pg_cpu_ms); t0=$(now_ms)
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "BEGIN" -c "$2" -c "ROLLBACK" >/dev/null
    ms=$(($(now_ms) - t0))
    sleep 0.3 # let the postmaster reap the backend, so its CPU time is counted
    echo "$ms $(($(pg_cpu_ms) - c0))"
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
WP_NAMES=(hasnew viewhistory counts+hasnew ratings counts crawler)
WP_LABELS=("2000 single-row chapter reads" "2000 single-row view-history rows" "2000 single-row follows (library.entry)"
    "2000 single-row ratings" "2000 single-row group follows" "2000 crawler jobs finishing (insert + status update)")
WP_SQL=(
"DO \$\$ DECLARE r record; BEGIN FOR r IN SELECT e.userid, ch.id FROM library.entry e
    JOIN core.chapter ch ON ch.comicid = e.comicid WHERE e.id % 1000 = 17 LIMIT 2000 LOOP
    INSERT INTO library.chapterread (userid, chapterid) VALUES (r.userid, r.id) ON CONFLICT DO NOTHING; END LOOP; END \$\$"
"DO \$\$ DECLARE u uuid; BEGIN FOR u IN SELECT id FROM users.account LIMIT 2000 LOOP
    INSERT INTO library.viewhistory (userid, comicid) VALUES (u, 1); END LOOP; END \$\$"
"DO \$\$ DECLARE u uuid; BEGIN FOR u IN SELECT id FROM users.account LIMIT 2000 LOOP
    INSERT INTO library.entry (userid, comicid) VALUES (u, 2) ON CONFLICT DO NOTHING; END LOOP; END \$\$"
"DO \$\$ DECLARE u uuid; BEGIN FOR u IN SELECT id FROM users.account LIMIT 2000 LOOP
    INSERT INTO social.comicrating (userid, comicid, score) VALUES (u, 3, 7) ON CONFLICT DO NOTHING; END LOOP; END \$\$"
"DO \$\$ DECLARE u uuid; BEGIN FOR u IN SELECT id FROM users.account LIMIT 2000 LOOP
    INSERT INTO core.scanlationgroupfollow (userid, groupid) VALUES (u, 1) ON CONFLICT DO NOTHING; END LOOP; END \$\$"
"DO \$\$ DECLARE j bigint; s bigint; BEGIN INSERT INTO crawler.source (name, baseurl) VALUES ('bench-src', 'https://b.example')
    RETURNING id INTO s; FOR i IN 1..2000 LOOP
    INSERT INTO crawler.job (sourceid, status) VALUES (s, 'running') RETURNING id INTO j;
    UPDATE crawler.job SET status = 'failed', finishedat = now() WHERE id = j; END LOOP; END \$\$"
)
write_path() {
    local i r n=${#WP_SQL[@]} rounds=${WP_ROUNDS:-5} side m c load wm om wc oc
    declare -A ms cpu
    fresh_copy
    psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_wp_plain" \
        -c "CREATE DATABASE cbbench_wp_plain TEMPLATE $src_db" >/dev/null
    COMICBATCH_DATABASE_URL=$plain_db "$COMICBATCH_BIN" accelerators remove >"$out/library-wp-remove.txt"
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    for r in $(seq 0 "$rounds"); do
        for i in $(seq 0 $((n - 1))); do
            for side in $( ((r % 2)) && echo "with without" || echo "without with"); do
                read -r m c < <(wp_one "$([ "$side" = with ] && echo "$db" || echo "$plain_db")" "${WP_SQL[$i]}")
                [ "$r" = 0 ] && continue
                ms[$side,$i]+="$m " cpu[$side,$i]+="$c "
            done
        done
    done
    psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS cbbench_wp_plain" >/dev/null
    printf '\n%s\n%s\n%s\n\n' \
        "Write path: what each accelerator costs the platform's writers — the same 2000 single-row statements in one" \
        "transaction, rolled back, on a copy with every accelerator and on one without, alternating between the copies;" \
        "median of $rounds rounds after a warm-up (load average at the start: $load). Per row = (with - without) / 2000."
    echo '| statement | accelerators firing | with ms | without ms | per row (wall) | PG CPU ms with / without | per row (CPU) | overhead (CPU) |'
    echo '|---|---|---:|---:|---:|---:|---:|---:|'
    for i in $(seq 0 $((n - 1))); do
        wm=$(median ${ms[with,$i]}) om=$(median ${ms[without,$i]})
        wc=$(median ${cpu[with,$i]}) oc=$(median ${cpu[without,$i]})
        printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n' "${WP_LABELS[$i]}" "${WP_NAMES[$i]}" "$wm" "$om" \
            "$(python3 -c 'import sys; print("%+.0f µs" % ((int(sys.argv[1]) - int(sys.argv[2])) * 1000 / 2000))' "$wm" "$om")" \
            "$wc" "$oc" \
            "$(python3 -c 'import sys; print("%+.0f µs" % ((int(sys.argv[1]) - int(sys.argv[2])) * 1000 / 2000))' "$wc" "$oc")" \
            "$(python3 -c 'import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); print("%+.0f%%" % (100 * (a - b) / b) if b else "-")' "$wc" "$oc")"
    done
}

for m in ${LIBRARY_MODES:-accel plain}; do [ "$m" = none ] || { run_mode "$m"; echo; }; done
[ "${LIBRARY_WRITE_PATH:-1}" = 0 ] || write_path

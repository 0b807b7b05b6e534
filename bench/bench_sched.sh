#!/bin/bash
# bench_sched.sh — the CPU cost of the scheduler's per-slot work (issue 13): zone loads, next-fire in a zone vs UTC,
# a month of missed per-minute slots counted into one ledger span, default deadlines, the next DST-moved fire.
# Pure computation (bench/sched_bench.c, built by meson as bench_sched): no database needed. Prints markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${BUILD:-build}
[ -x "$bdir/bench_sched" ] || ninja -C "$bdir" bench_sched >/dev/null
echo "## Scheduling (issue 13, \`bench/bench_sched.sh\`)"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); CPU time of this process."
echo
"$bdir/bench_sched"

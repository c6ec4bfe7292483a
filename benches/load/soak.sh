#!/usr/bin/env bash
# Soak: full load on scanloop (SQLite, CPU 0) from wrk (CPU 1) for BENCH_MINUTES (default
# 30), printing once a minute the server's resident memory, the scans stored so far and
# the rate over that minute, so growth that a short run hides shows as a trend. Numbers,
# not pass/fail. Run through `BENCH_MODE=soak bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

MINUTES=${BENCH_MINUTES:-30}
CONNS=${BENCH_CONNS:-64}

source benches/load/lib.sh
start_scanloop
seed_codes 5000
server=${pids[0]}

# Scans stored, from the server's own counter (a COUNT over millions of rows would itself
# disturb what is measured).
stored() {
  curl -s "http://127.0.0.1:$SCANLOOP_PORT/metrics" |
    awk '/^scanloop_scans_total/ { total += $NF } END { printf "%d\n", total }'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$server/status"; }

taskset -c 1 wrk -t1 -c"$CONNS" -d"$((MINUTES * 60 + 5))s" -s benches/load/scan.lua \
  "http://127.0.0.1:$SCANLOOP_PORT" >"$work/wrk.out" 2>&1 &
pids+=($!)

printf "%-7s %-10s %-14s %s\n" minute rss_kb scans_stored scans_per_s
printf "%-7s %-10s %-14s %s\n" 0 "$(rss_kb)" "$(stored)" -
before=$(stored)
for minute in $(seq 1 "$MINUTES"); do
  sleep 60
  now=$(stored)
  printf "%-7s %-10s %-14s %s\n" "$minute" "$(rss_kb)" "$now" "$(((now - before) / 60))"
  before=$now
done
echo "peak memory (VmHWM): $(peak_memory "$server")"

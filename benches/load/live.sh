#!/usr/bin/env bash
# Scans while the live feed is watched: wrk (CPU 1, 32 connections) scans 5000 codes of
# scanloop (SQLite, CPU 0) for BENCH_SECONDS with no feed open, then again with
# BENCH_FEEDS (default 50) feeds open, each a curl (CPU 1) reading every event to
# /dev/null (so part of what the feeds cost lands on the CPU that wrk measures with). Prints scans/s and p99 for both runs and their ratio (target: at least 0.95),
# the bytes the feeds read, and scanloop's peak memory. Numbers, not pass/fail. Run through
# `BENCH_MODE=live bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
FEEDS=${BENCH_FEEDS:-50}
CONNS=${BENCH_CONNS:-32}

source benches/load/lib.sh
start_scanloop
seed_codes 5000

read -r alone_rps alone_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
feeds=()
for i in $(seq 1 "$FEEDS"); do
  # Only the bytes are counted: writing them to files would take CPU 1 from wrk.
  taskset -c 1 curl -sN --max-time $((SECONDS_PER_RUN + 2)) -o /dev/null -w '%{size_download}\n' \
    -H "Authorization: Bearer $KEY" \
    "http://127.0.0.1:$SCANLOOP_PORT/api/v1/scans/live" >"$work/feed-$i.size" &
  feeds+=($!)
done
sleep 1
read -r busy_rps busy_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
wait "${feeds[@]}" 2>/dev/null || true

printf '%-22s %10s %9s\n' run "scans/s" "p99 ms"
printf '%-22s %10.0f %9s\n' "no feed open" "$alone_rps" "$alone_p99"
printf '%-22s %10.0f %9s\n' "$FEEDS feeds open" "$busy_rps" "$busy_p99"
python3 -c "print(f'ratio: {$busy_rps / $alone_rps:.2f} (target: at least 0.95)')"
read_bytes=$(cat "$work"/feed-*.size | awk '{ s += $1 } END { print s + 0 }')
echo "the $FEEDS feeds read $((read_bytes / 1024 / 1024)) MiB"
echo "scans stored: $(stored_scans); peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}")"

#!/usr/bin/env bash
# Scans while the live feed is watched: wrk (CPU 1, 32 connections) scans 5000 codes of
# scanloop (SQLite, CPU 0) for BENCH_SECONDS with no feed open, then again with
# BENCH_FEEDS (default 50) feeds open, each a curl (CPU 1) reading every event to
# /dev/null; BENCH_ROUNDS (default 4) rounds of the two, in turns which goes first, so a
# machine that speeds up or slows down during the run, and the database growing, weigh on
# both alike. The feeds ask for gzip as browsers do; curl counts the bytes without
# inflating them, since inflating is the viewers' work on their own machines, not the
# server's. Prints each round's scans/s and
# p99, the ratio of the totals (target: at least 0.95), the bytes the feeds read, and
# scanloop's peak memory. Numbers, not pass/fail. Run through
# `BENCH_MODE=live bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
FEEDS=${BENCH_FEEDS:-50}
CONNS=${BENCH_CONNS:-32}
ROUNDS=${BENCH_ROUNDS:-4}

source benches/load/lib.sh
start_scanloop
seed_codes 5000

alone_total=0
busy_total=0
alone() {
  read -r rps p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
  printf '%-7s %-16s %10.0f %9s\n' "$round" "no feed open" "$rps" "$p99"
  alone_total=$(python3 -c "print($alone_total + $rps)")
}
watched() {
  feeds=()
  for i in $(seq 1 "$FEEDS"); do
    # Only the bytes are counted: writing them to files would take CPU 1 from wrk.
    taskset -c 1 curl -sN --max-time $((SECONDS_PER_RUN + 2)) -o /dev/null -w '%{size_download}\n' \
      -H "Authorization: Bearer $KEY" -H 'Accept-Encoding: gzip' \
      "http://127.0.0.1:$SCANLOOP_PORT/api/v1/scans/live" >"$work/feed-$round-$i.size" &
    feeds+=($!)
  done
  sleep 1
  read -r rps p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
  printf '%-7s %-16s %10.0f %9s\n' "$round" "$FEEDS feeds open" "$rps" "$p99"
  wait "${feeds[@]}" 2>/dev/null || true
  busy_total=$(python3 -c "print($busy_total + $rps)")
}

printf '%-7s %-16s %10s %9s\n' round run "scans/s" "p99 ms"
for round in $(seq 1 "$ROUNDS"); do
  # Every other round goes the other way round: the database grows with every run, and
  # the later run of a round would otherwise always be the one with feeds open.
  if [ $((round % 2)) = 1 ]; then
    alone
    watched
  else
    watched
    alone
  fi
done

python3 -c "print(f'ratio: {$busy_total / $alone_total:.2f} (target: at least 0.95)')"
read_bytes=$(cat "$work"/feed-*.size | awk '{ s += $1 } END { print s + 0 }')
echo "the feeds read $((read_bytes / 1024 / 1024)) MiB (gzipped)"
echo "scans stored: $(stored_scans); peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}")"

#!/usr/bin/env bash
# Scans while a large batch generates: scanloop on SQLite pinned to CPU 0 takes scans of
# 5000 codes from wrk (CPU 1, 32 connections) while a BENCH_BATCH_CODES-code batch (default
# 1,000,000) is created through the API. Prints the scans' status counts, p50/p99/max over
# the generation window, the batch's generation time, and scanloop's peak memory. Numbers,
# not pass/fail. Run through `BENCH_MODE=batch bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

BATCH_CODES=${BENCH_BATCH_CODES:-1000000}
CONNS=${BENCH_CONNS:-32}

source benches/load/lib.sh
start_scanloop
seed_codes 5000

# wrk stops on SIGINT and still prints its summary; the run covers the whole generation.
taskset -c 1 wrk -t1 -c"$CONNS" -d3600s --latency -s benches/load/scan_status.lua \
  "http://127.0.0.1:$SCANLOOP_PORT" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
sleep 2

started=$(date +%s.%N)
batch=$(api -d "{\"campaign_id\":$campaign,\"channel_id\":$channel,\"name\":\"big\",\"mode\":\"unique\",\"quantity\":$BATCH_CODES}" "$base/batches" | json_field id)
while [ "$(api "$base/batches/$batch" | json_field status)" != ready ]; do sleep 0.2; done
finished=$(date +%s.%N)
sleep 1
kill -INT "$wrk_pid"
wait "$wrk_pid" || true

read -r _ requests p50 p99 max statuses < <(grep '^RESULT' "$work/wrk.out")
printf 'batch of %s codes generated in %.1f s while scans ran\n' "$BATCH_CODES" \
  "$(python3 -c "print($finished - $started)")"
echo "scans: $requests answered ($statuses); p50 $p50 ms, p99 $p99 ms, max $max ms"
echo "scans answered: $requests, stored: $(stored_scans)"
echo "peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}")"

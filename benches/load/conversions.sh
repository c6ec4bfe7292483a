#!/usr/bin/env bash
# Conversions in, and reports over many of them. Numbers, not pass/fail. Run through
# `BENCH_MODE=conversions bash benches/load/run.sh`.
#
# 1. 20,000 bottles (a unique batch) are scanned about twice each; then scans (wrk, 32
#    connections, CPU 1) of 5000 other codes alone, then again while a second wrk
#    reports bottle purchases through POST /api/v1/conversions at a paced rate (44 connections,
#    BENCH_CONV_DELAY_MS (16) between requests on each: about 2,200/s); prints both
#    scan rates, their ratio and the conversions/s. Then conversions alone (64 connections),
#    as fast as they go.
# 2. BENCH_SCANS (default 10,000,000) scans over the last 90 days written by
#    `scanloop-bench-fill` (benches/load/fill.rs) through the scan writer's own write path,
#    with what the folds keep beside them (as the server would have), BENCH_CONVERSIONS
#    (default 100,000) conversions imported as one CSV through
#    POST /api/v1/conversions/import (its rate and scanloop's peak memory); once the server
#    has folded the days into the day tier and credited them into the credit tier (both
#    timed), the channel report with each model, and every report over 90 and 30 days, best
#    of 5 and median; then `rollups rebuild` over all of it. The scans are spread over five
#    campaigns (20 channels, 200 stores, skewed), and the first campaign's are timed.
#
# On SQLite, or on the local PostgreSQL with BENCH_DATABASE=postgres (see lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
SCANS=${BENCH_SCANS:-10000000}
CONVERSIONS=${BENCH_CONVERSIONS:-100000}
PACED_CONNS=${BENCH_CONV_CONNS:-44}
export BENCH_CONV_DELAY_MS=${BENCH_CONV_DELAY_MS:-16}

source benches/load/lib.sh
export BENCH_KEY="$KEY"
start_scanloop
seed_codes 5000

bottles=$(api -d "{\"campaign_id\":$campaign,\"channel_id\":$channel,\"name\":\"bottles\",\"mode\":\"unique\",\"quantity\":20000}" "$base/batches" | json_field id)
until api "$base/batches/$bottles" | grep -q '"status":"ready"'; do sleep 0.2; done
api "$base/batches/$bottles/codes.csv" | tail -n +2 | cut -d, -f2 >"$work/bottles.txt"
export BENCH_CONV_TOKENS="$work/bottles.txt"
BENCH_TOKENS="$work/bottles.txt" taskset -c 1 wrk -t1 -c32 -d2s -s benches/load/scan.lua \
  "http://127.0.0.1:$SCANLOOP_PORT" >/dev/null

echo "== conversions while scans run"
read -r alone_rps alone_p99 _ < <(wrk_run 32 benches/load/scan.lua)
wrk_run "$PACED_CONNS" benches/load/conversion.lua >"$work/paced.out" &
paced=$!
sleep 1
read -r busy_rps busy_p99 _ < <(wrk_run 32 benches/load/scan.lua)
wait "$paced"
read -r conv_rps conv_p99 conv_bad <"$work/paced.out"
read -r fast_rps fast_p99 fast_bad < <(BENCH_CONV_DELAY_MS=0 wrk_run 64 benches/load/conversion.lua)
printf '%-34s %10s %9s\n' run "req/s" "p99 ms"
printf '%-34s %10.0f %9s\n' "scans alone" "$alone_rps" "$alone_p99"
printf '%-34s %10.0f %9s\n' "scans with paced conversions" "$busy_rps" "$busy_p99"
printf '%-34s %10.0f %9s\n' "  the paced conversions" "$conv_rps" "$conv_p99"
printf '%-34s %10.0f %9s\n' "conversions alone, unpaced" "$fast_rps" "$fast_p99"
python3 -c "print(f'scan rate with conversions: {$busy_rps / $alone_rps:.2f} of alone (target: at least 0.90)')"
[ "$conv_bad" = 0 ] && [ "$fast_bad" = 0 ] || echo "  non-2xx conversion answers: $conv_bad paced, $fast_bad unpaced"

echo "== a channel report over $CONVERSIONS conversions and $SCANS scans"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids=("${pids[@]:1}")
target/release/scanloop-bench-fill fill "$DB_URL" "$SCANS" "$CONVERSIONS" "$work/conversions.csv" |
  tee "$work/fill.out"
campaign=$(awk '/^timed campaign/ {print $3}' "$work/fill.out")
start_scanloop
# The server folds the 90 days into the day tier as it starts: wait for it (yesterday's
# fold may wait for the grace minutes after midnight).
target/release/scanloop-bench-fill wait days "$DB_URL"
started=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' --data-binary @"$work/conversions.csv" \
  "$base/conversions/import" | tail -c 200 | tr -d '\n'
echo
python3 -c "import time; s=$started; d=time.time()-s; print(f'imported $CONVERSIONS rows in {d:.1f} s: {$CONVERSIONS/d:.0f} rows/s')"
echo "scanloop peak memory (VmHWM) after the import: $(peak_memory "${pids[0]}")"
# The import made the 90 days' credit stale: the server credits them again within a minute
# (each day once it is over); wait for that before timing.
target/release/scanloop-bench-fill wait credits "$DB_URL"
if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then
  # What autovacuum does on its own after a load this size (it is on by default; some
  # servers, this machine's among them, run with it off): plans need the tables' statistics.
  psql -q "$DB_URL" -c 'VACUUM ANALYZE'
  echo "vacuumed and analysed the database, as autovacuum would"
fi
for model in last_touch first_touch linear time_decay position_based; do
  for _ in 1 2 3 4 5; do
    curl -s -o "$work/report.json" -w '%{time_total}\n' -H "Authorization: Bearer $KEY" \
      "$base/reports/channels?campaign_id=$campaign&model=$model"
  done | sort -n | python3 -c "
import json, sys
t = [float(x) * 1000 for x in sys.stdin]
total = json.load(open('$work/report.json'))['total']
print(f'channel report, $model: best {t[0]:.0f} ms, median {t[2]:.0f} ms (conversions {total[\"conversions\"]:.0f}, revenue {total[\"revenue_cents\"]})')"
done
for _ in 1 2 3 4 5; do
  curl -s -o "$work/funnel.json" -w '%{time_total}\n' -H "Authorization: Bearer $KEY" \
    "$base/reports/funnel?campaign_id=$campaign"
done | sort -n | python3 -c "
import json, sys
t = [float(x) * 1000 for x in sys.stdin]
steps = {s['step']: s['count'] for s in json.load(open('$work/funnel.json'))['steps']}
print(f'funnel report: best {t[0]:.0f} ms, median {t[2]:.0f} ms (conversions {steps[\"conversions\"]:.0f}, repeat purchasers {steps[\"repeat_purchasers\"]:.0f})')"
# Every report over the whole 90 days, then over the last 30 (from a time to the second,
# so its first hour is read from the raw scans).
days30="from=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)"
for range in "90 days" "30 days"; do
  extra=$([ "$range" = "30 days" ] && echo "&$days30" || true)
  for report in channels funnel batches stores "time?interval=day" "time?interval=week" devices \
    regions "regions?level=city" cohorts "cohorts?interval=month"; do
    path="${report%%\?*}"
    query="${report#"$path"}"
    for _ in 1 2 3 4 5; do
      curl -s -o "$work/other.json" -w '%{time_total} %{http_code}\n' -H "Authorization: Bearer $KEY" \
        "$base/reports/$path?campaign_id=$campaign&${query#\?}$extra"
    done | sort -n | python3 -c "
import sys
lines = [l.split() for l in sys.stdin]
t = [float(l[0]) * 1000 for l in lines]
codes = sorted({l[1] for l in lines})
print(f'{\"$report\":22} $range: best {t[0]:4.0f} ms, median {t[2]:4.0f} ms (status {\",\".join(codes)})')"
  done
done
echo "== rollups rebuilt from the raw scans while the server runs"
target/release/scanloop rollups rebuild --database-url "$DB_URL"

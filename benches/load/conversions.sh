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
# 2. BENCH_SCANS (default 10,000,000) scans over the last 90 days written straight into the
#    database with their rollups and touches (as the scan writer and the fold would have),
#    BENCH_CONVERSIONS (default 100,000) conversions imported as one CSV through
#    POST /api/v1/conversions/import (its rate and scanloop's peak memory), then the channel
#    report with each model and the funnel, best of 5 and median.
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

# Prints "requests_per_s p99_ms" of a wrk run: $1 connections, $2 script.
wrk_run() {
  taskset -c 1 wrk -t1 -c"$1" -d"${SECONDS_PER_RUN}s" --latency -s "$2" \
    "http://127.0.0.1:$SCANLOOP_PORT" |
    python3 -c '
import re, sys
out = sys.stdin.read()
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
v, unit = float(m.group(1)), m.group(2)
p99 = v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1), f"{p99:.2f}", bad.group(1) if bad else 0)'
}

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
python3 - "$work/bench.db" "$SCANS" "$CONVERSIONS" "$work/conversions.csv" <<'PY'
import sqlite3, sys, time
path, scans, conversions, csv_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(path)
started = time.time()
now = int(time.time() * 1000)
span = 90 * 86_400_000 - 3_600_000
start = now - 90 * 86_400_000
# A campaign of its own (the first part's conversions have long paths of their own), with
# four channels, one shared batch each.
db.execute("INSERT INTO campaigns (slug, name, created_at) VALUES ('report-bench', 'Report bench', ?)", (now,))
campaign = db.execute("SELECT last_insert_rowid()").fetchone()[0]
print(campaign, file=open(csv_path + ".campaign", "w"))
codes = []
for n in range(4):
    db.execute("INSERT INTO channels (slug, name, kind, created_at) VALUES (?, ?, 'other', ?)", (f"bench-{n}", f"Bench {n}", now))
    channel = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    db.execute("INSERT INTO batches (campaign_id, channel_id, name, mode, quantity, cost_cents, created_at, generation, codes_generated) VALUES (?, ?, ?, 'shared', 1, 100000, ?, 'ready', 1)", (campaign, channel, f"b{n}", now))
    batch = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    db.execute("INSERT INTO codes (token, batch_id, serial) VALUES (?, ?, 1)", (f"BENCHCODE{n:04d}", batch))
    codes.append((db.execute("SELECT last_insert_rowid()").fetchone()[0], batch, channel))
visitors = max(scans // 5, 1)
def rows():
    for i in range(scans):
        code, batch, channel = codes[i % 4]
        yield (start + i * span // scans, code, batch, campaign, channel, f"bv{i % visitors}")
db.executemany("INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, visitor_id, is_new_visitor, device, is_bot, outcome) VALUES (?, ?, ?, ?, ?, ?, 0, 'phone', 0, 'destination')", rows())
db.execute("INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, store_id, scans, bot_scans, new_visitors) SELECT scanned_at - scanned_at % 3600000, batch_id, '', device, campaign_id, channel_id, NULL, COUNT(*), 0, 0 FROM scans WHERE visitor_id LIKE 'bv%' GROUP BY 1, 2, 4 ON CONFLICT DO UPDATE SET scans = scans + excluded.scans")
db.execute("INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, campaign_id, channel_id, store_id) SELECT id, scanned_at, visitor_id, code_id, batch_id, campaign_id, channel_id, store_id FROM scans WHERE visitor_id LIKE 'bv%'")
# What the touches fold keeps beside the touches: places, and each visitor's first scan.
db.execute("INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, bot_scans) SELECT campaign_id, scanned_at - scanned_at % 3600000, '', '', '', COUNT(*), 0 FROM scans WHERE visitor_id LIKE 'bv%' GROUP BY 1, 2")
db.execute("INSERT INTO campaign_visitors (campaign_id, visitor_id, first_seen) SELECT campaign_id, visitor_id, MIN(scanned_at) FROM scans WHERE visitor_id LIKE 'bv%' GROUP BY 1, 2")
db.execute("INSERT INTO visitor_cohorts (campaign_id, hour, visitors) SELECT campaign_id, first_seen - first_seen % 3600000, COUNT(*) FROM campaign_visitors WHERE campaign_id = ? GROUP BY 1, 2", (campaign,))
for job in ("code_history", "touches"):
    db.execute("INSERT INTO job_watermarks (job, value) VALUES (?, (SELECT MAX(id) FROM scans)) ON CONFLICT (job) DO UPDATE SET value = excluded.value", (job,))
db.commit()
print(f"wrote {scans} scans, their rollups and touches in {time.time() - started:.0f} s", flush=True)
# Each conversion is bought by a visitor an hour after their latest scan.
with open(csv_path, "w") as f:
    f.write("order_id,amount_cents,currency,occurred_at,source,visitor_id\n")
    for k in range(conversions):
        v = k % visitors
        last = max(i for i in range(v, scans, visitors))
        at = min(start + last * span // scans + 3_600_000, now - 60_000)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at / 1000)) + f".{at % 1000:03d}Z"
        f.write(f"R-{k},{100 + k % 9900},CNY,{iso},till,bv{v}\n")
PY
campaign=$(cat "$work/conversions.csv.campaign")
start_scanloop
started=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' --data-binary @"$work/conversions.csv" \
  "$base/conversions/import" | tail -c 200 | tr -d '\n'
echo
python3 -c "import time; s=$started; d=time.time()-s; print(f'imported $CONVERSIONS rows in {d:.1f} s: {$CONVERSIONS/d:.0f} rows/s')"
echo "scanloop peak memory (VmHWM) after the import: $(peak_memory "${pids[0]}")"
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
for report in "time?interval=day" "time?interval=week" "devices" "regions" "regions?level=city" \
  "cohorts" "cohorts?interval=month"; do
  path="${report%%\?*}"
  query="${report#"$path"}"
  for _ in 1 2 3 4 5; do
    curl -s -o "$work/other.json" -w '%{time_total} %{http_code}\n' -H "Authorization: Bearer $KEY" \
      "$base/reports/$path?campaign_id=$campaign&${query#\?}"
  done | sort -n | python3 -c "
import sys
lines = [l.split() for l in sys.stdin]
t = [float(l[0]) * 1000 for l in lines]
codes = sorted({l[1] for l in lines})
print(f'{\"$report\"} report: best {t[0]:.0f} ms, median {t[2]:.0f} ms (status {\",\".join(codes)})')"
done
echo "== rollups rebuilt from the raw scans while the server runs"
target/release/scanloop rollups rebuild --database-url "sqlite://$work/bench.db"

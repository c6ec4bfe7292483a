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
#    POST /api/v1/conversions/import (its rate and scanloop's peak memory); once the server
#    has folded the days into the day tier and credited them into the credit tier (both
#    timed), the channel report with each model, and every report over 90 and 30 days, best
#    of 5 and median; then `rollups rebuild` over all of it. The scans are spread over five campaigns (20
#    channels, 200 stores, skewed), and the first campaign's are timed.
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
# Five campaigns of their own (the first part's conversions have long paths of their
# own), four channels each (20), 200 stores: each campaign has a shared poster code per
# channel and a shelf code in each of its stores. Traffic is skewed: the first campaign
# (the one timed) gets 40% of the scans, then 25, 15, 12 and 8%; its poster channels get
# 40/30/20/10% of its poster scans, and a fifth of its scans are at shelves, most at a few
# big stores.
import random
random.seed(7)
stores = []
for n in range(200):
    db.execute("INSERT INTO stores (code, name, city, created_at) VALUES (?, ?, ?, ?)", (f"BS{n:03d}", f"Bench store {n}", f"City {n % 30}", now))
    stores.append(db.execute("SELECT last_insert_rowid()").fetchone()[0])
campaigns = []
for c in range(5):
    db.execute("INSERT INTO campaigns (slug, name, created_at) VALUES (?, ?, ?)", (f"report-bench-{c}", f"Report bench {c}", now))
    campaign_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    posters, shelves = [], []
    for n in range(4):
        db.execute("INSERT INTO channels (slug, name, kind, created_at) VALUES (?, ?, 'poster', ?)", (f"bench-{c}-{n}", f"Bench {c}-{n}", now))
        channel = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        db.execute("INSERT INTO batches (campaign_id, channel_id, name, mode, quantity, cost_cents, created_at, generation, codes_generated) VALUES (?, ?, ?, 'shared', 1, 100000, ?, 'ready', 1)", (campaign_id, channel, f"b{n}", now))
        batch = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        db.execute("INSERT INTO codes (token, batch_id, serial) VALUES (?, ?, 1)", (f"BENCHCODE{c}{n:03d}", batch))
        posters.append((db.execute("SELECT last_insert_rowid()").fetchone()[0], batch, channel, None))
    # The store channel: one shelf code per store (its batch names the store).
    for k, store in enumerate(stores[c * 40:(c + 1) * 40]):
        db.execute("INSERT INTO batches (campaign_id, channel_id, store_id, name, mode, quantity, cost_cents, created_at, generation, codes_generated) VALUES (?, ?, ?, ?, 'shared', 1, 2000, ?, 'ready', 1)", (campaign_id, posters[3][2], store, f"shelf{k}", now))
        batch = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        db.execute("INSERT INTO codes (token, batch_id, serial) VALUES (?, ?, 1)", (f"BENCHSHELF{c}{k:03d}", batch))
        shelves.append((db.execute("SELECT last_insert_rowid()").fetchone()[0], batch, posters[3][2], store))
    campaigns.append((campaign_id, posters, shelves))
campaign = campaigns[0][0]
print(campaign, file=open(csv_path + ".campaign", "w"))
visitors = max(scans // 5, 1)
last_seen = [None] * visitors
campaign_weights = [40, 25, 15, 12, 8]
poster_weights = [40, 30, 20, 10]
shelf_weights = [1 / (k + 1) for k in range(40)]
devices = ["mobile"] * 17 + ["tablet", "desktop", "other"]
places = [("CN", "SH", "Shanghai"), ("CN", "BJ", "Beijing"), ("CN", "GD", "Guangzhou"), ("CN", "GD", "Shenzhen"), ("CN", "ZJ", "Hangzhou"), ("CN", "SC", "Chengdu"), ("US", "CA", "San Francisco"), (None, None, None)]
place_weights = [30, 25, 12, 12, 8, 7, 3, 3]
def rows():
    rng = random.Random(11)
    picks = rng.choices(range(5), campaign_weights, k=scans)
    for i in range(scans):
        c = picks[i]
        _, posters, shelves = campaigns[c]
        if rng.random() < 0.2:
            code, batch, channel, store = rng.choices(shelves, shelf_weights)[0]
        else:
            code, batch, channel, store = rng.choices(posters, poster_weights)[0]
        country, region, city = rng.choices(places, place_weights)[0]
        # The timed campaign's visitors are the ones who buy (bv...), the others' are apart.
        if c == 0:
            visitor = f"bv{i % visitors}"
            last_seen[i % visitors] = i
        else:
            visitor = f"o{c}v{i % visitors}"
        yield (start + i * span // scans, code, batch, campaigns[c][0], channel, store, visitor, rng.choice(devices), country, region, city)
db.executemany("INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, store_id, visitor_id, is_new_visitor, device, country, region, city, is_bot, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, 'destination')", rows())
first_id = db.execute("SELECT MIN(id) FROM scans WHERE visitor_id LIKE 'bv%' OR visitor_id LIKE 'o%'").fetchone()[0]
db.execute("INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, store_id, scans, bot_scans, new_visitors) SELECT scanned_at - scanned_at % 3600000, batch_id, COALESCE(country, ''), device, campaign_id, channel_id, store_id, COUNT(*), 0, 0 FROM scans WHERE id >= ? GROUP BY 1, 2, 3, 4 ON CONFLICT DO UPDATE SET scans = scans + excluded.scans", (first_id,))
db.execute("INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, campaign_id, channel_id, store_id, device, country, region, city) SELECT id, scanned_at, visitor_id, code_id, batch_id, campaign_id, channel_id, store_id, device, country, region, city FROM scans WHERE id >= ? AND visitor_id LIKE 'bv%'", (first_id,))
# What the touches fold keeps beside the touches: places, and each visitor's first scan.
db.execute("INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, bot_scans) SELECT campaign_id, scanned_at - scanned_at % 3600000, COALESCE(country, ''), COALESCE(region, ''), COALESCE(city, ''), COUNT(*), 0 FROM scans WHERE id >= ? GROUP BY 1, 2, 3, 4, 5", (first_id,))
db.execute("INSERT INTO campaign_visitors (campaign_id, visitor_id, first_seen) SELECT campaign_id, visitor_id, MIN(scanned_at) FROM scans WHERE id >= ? GROUP BY 1, 2", (first_id,))
db.execute("INSERT INTO visitor_cohorts (campaign_id, hour, visitors) SELECT campaign_id, first_seen - first_seen % 3600000, COUNT(*) FROM campaign_visitors WHERE campaign_id IN (SELECT id FROM campaigns WHERE slug LIKE 'report-bench-%') GROUP BY 1, 2")
for job in ("code_history", "touches"):
    db.execute("INSERT INTO job_watermarks (job, value) VALUES (?, (SELECT MAX(id) FROM scans)) ON CONFLICT (job) DO UPDATE SET value = excluded.value", (job,))
# The day tier is folded by the server from these hours once it starts again.
db.execute("DELETE FROM job_watermarks WHERE job = 'days'")
for table in ("day_batches", "day_devices", "day_places", "hour_totals", "day_sketches"):
    db.execute(f"DELETE FROM {table}")
db.commit()
print(f"wrote {scans} scans, their rollups and touches in {time.time() - started:.0f} s", flush=True)
# Each conversion is bought by a visitor of the timed campaign an hour after their latest
# scan of it.
buyers = [v for v in range(visitors) if last_seen[v] is not None]
with open(csv_path, "w") as f:
    f.write("order_id,amount_cents,currency,occurred_at,source,visitor_id\n")
    for k in range(conversions):
        v = buyers[k % len(buyers)]
        last = last_seen[v]
        at = min(start + last * span // scans + 3_600_000, now - 60_000)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at / 1000)) + f".{at % 1000:03d}Z"
        f.write(f"R-{k},{100 + k % 9900},CNY,{iso},till,bv{v}\n")
PY
campaign=$(cat "$work/conversions.csv.campaign")
start_scanloop
# The server folds the 90 days into the day tier as it starts: wait for it (yesterday's
# fold may wait for the grace minutes after midnight).
python3 - "$work/bench.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
started = time.time()
yesterday = (int(time.time()) // 86400 - 1) * 86_400_000
while True:
    row = db.execute("SELECT value FROM job_watermarks WHERE job = 'days'").fetchone()
    if row and row[0] >= yesterday or time.time() - started > 300:
        break
    time.sleep(0.1)
print(f"the day tier folded the 90 days in {time.time() - started:.1f} s", flush=True)
PY
started=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' --data-binary @"$work/conversions.csv" \
  "$base/conversions/import" | tail -c 200 | tr -d '\n'
echo
python3 -c "import time; s=$started; d=time.time()-s; print(f'imported $CONVERSIONS rows in {d:.1f} s: {$CONVERSIONS/d:.0f} rows/s')"
echo "scanloop peak memory (VmHWM) after the import: $(peak_memory "${pids[0]}")"
# The import made the 90 days' credit stale: the server credits them again within a minute
# (each day once it is over); wait for that before timing.
python3 - "$work/bench.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
started = time.time()
yesterday = (int(time.time()) // 86400 - 1) * 86_400_000
while time.time() - started < 300:
    row = db.execute("SELECT value FROM job_watermarks WHERE job = 'credits'").fetchone()
    stale = db.execute("SELECT COUNT(*) FROM stale_credit_days WHERE day < ?", (row[0] if row else 0,)).fetchone()[0]
    if row and row[0] >= yesterday and stale == 0:
        break
    time.sleep(0.2)
print(f"the credit tier folded the imported days within {time.time() - started:.1f} s", flush=True)
PY
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
target/release/scanloop rollups rebuild --database-url "sqlite://$work/bench.db"

#!/usr/bin/env bash
# Scans with redirect rules: wrk (CPU 1, 32 connections) scans 5000 codes of scanloop
# (SQLite, CPU 0) for BENCH_SECONDS with no rules, then again with BENCH_RULES (default 10)
# rules on the campaign that no scan matches, so every scan reads them all; BENCH_ROUNDS
# (default 3) rounds of the two, so a machine that speeds up or slows down during the run
# weighs on both alike. Prints each round's scans/s and p99 and the ratio of the totals
# (target: at least 0.95). Numbers, not pass/fail. Run through
# `BENCH_MODE=rules bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
RULES=${BENCH_RULES:-10}
CONNS=${BENCH_CONNS:-32}
ROUNDS=${BENCH_ROUNDS:-3}

source benches/load/lib.sh
start_scanloop
seed_codes 5000

# Rules that each test several conditions and match no scan of the benchmark (its agent
# is wrk's, its language none, its query empty), the last condition failing.
rules=$(python3 -c "
import json
rules = [{'name': f'rule {i}',
          'if': {'device': ['mobile', 'tablet', 'desktop', 'other'],
                 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
                 'timezone': '+08:00',
                 'query': {'name': 'src', 'value': f'poster-{i}'}},
          'then': {'url': f'https://shop.example.com/rule-{i}'}}
         for i in range($RULES)]
print(json.dumps({'rules': rules}))
")
put_rules() {
  curl -sf -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "$1" "$base/campaigns/$campaign/rules" >/dev/null
}

printf '%-7s %-16s %10s %9s\n' round run "scans/s" "p99 ms"
plain_total=0
ruled_total=0
for round in $(seq 1 "$ROUNDS"); do
  put_rules '{"rules": []}'
  read -r plain_rps plain_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
  printf '%-7s %-16s %10.0f %9s\n' "$round" "no rules" "$plain_rps" "$plain_p99"
  put_rules "$rules"
  read -r ruled_rps ruled_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
  printf '%-7s %-16s %10.0f %9s\n' "$round" "$RULES rules" "$ruled_rps" "$ruled_p99"
  plain_total=$(python3 -c "print($plain_total + $plain_rps)")
  ruled_total=$(python3 -c "print($ruled_total + $ruled_rps)")
done

python3 -c "print(f'ratio: {$ruled_total / $plain_total:.2f} (target: at least 0.95)')"
echo "scans stored: $(stored_scans); peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}")"

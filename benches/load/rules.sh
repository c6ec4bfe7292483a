#!/usr/bin/env bash
# Scans with redirect rules: wrk (CPU 1, 32 connections) scans 5000 codes of scanloop
# (SQLite, CPU 0) for BENCH_SECONDS with no rules, then again with BENCH_RULES (default 10)
# rules on the campaign that no scan matches, so every scan reads them all; BENCH_ROUNDS
# (default 4) rounds of the two, in turns which goes first, so a machine that speeds up or
# slows down during the run, and the database growing, weigh on both alike. Prints each round's scans/s and p99 and the ratio of the totals
# (target: at least 0.95). Numbers, not pass/fail. Run through
# `BENCH_MODE=rules bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
RULES=${BENCH_RULES:-10}
CONNS=${BENCH_CONNS:-32}
ROUNDS=${BENCH_ROUNDS:-4}

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
# Saving rules empties the code cache; a second of scans loads the codes again before the
# measured run, which is about scans, not a rule change.
put_rules() {
  curl -sf -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "$1" "$base/campaigns/$campaign/rules" >/dev/null
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s -s benches/load/scan.lua "http://127.0.0.1:$SCANLOOP_PORT" >/dev/null
}

plain_total=0
ruled_total=0
# One run of scans with `$1` saved; adds its rate to the totals.
measure() {
  put_rules "$1"
  read -r rps p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
  if [ "$1" = "$rules" ]; then
    printf '%-7s %-16s %10.0f %9s\n' "$round" "$RULES rules" "$rps" "$p99"
    ruled_total=$(python3 -c "print($ruled_total + $rps)")
  else
    printf '%-7s %-16s %10.0f %9s\n' "$round" "no rules" "$rps" "$p99"
    plain_total=$(python3 -c "print($plain_total + $rps)")
  fi
}

printf '%-7s %-16s %10s %9s\n' round run "scans/s" "p99 ms"
none='{"rules": []}'
for round in $(seq 1 "$ROUNDS"); do
  # Every other round goes the other way round: the database grows with every run, and
  # the later run of a round would otherwise always be the one with rules.
  if [ $((round % 2)) = 1 ]; then
    measure "$none"
    measure "$rules"
  else
    measure "$rules"
    measure "$none"
  fi
done

python3 -c "print(f'ratio: {$ruled_total / $plain_total:.2f} (target: at least 0.95)')"
echo "scans stored: $(stored_scans); peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}")"

#!/usr/bin/env bash
# Redirect load benchmark: scanloop (release, SQLite, every scan durably stored before its
# 302) against a minimal axum server answering 302s from a HashMap, both pinned to CPU 0,
# wrk pinned to CPU 1. Prints requests/s, p50 and p99 for each and the ratio. Numbers, not
# pass/fail. Needs wrk and taskset (Debian: wrk, util-linux).
#
#   bash benches/load/run.sh            # 15 s per run, 2 interleaved rounds
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 bash benches/load/run.sh
#   BENCH_MODE=batch bash benches/load/run.sh   # scans while a large batch generates (batch.sh)
#   BENCH_MODE=soak BENCH_MINUTES=30 bash benches/load/run.sh   # memory per minute (soak.sh)
#   BENCH_MODE=export bash benches/load/run.sh  # codes.csv and export.zip rates (export.sh)
#   BENCH_MODE=uploads bash benches/load/run.sh # scans while 20 clients upload photos (uploads.sh)
#   BENCH_MODE=conversions bash benches/load/run.sh # conversions in, reports over 100k (conversions.sh)
#   BENCH_MODE=live bash benches/load/run.sh    # scans while 50 live feeds are open (live.sh)
#   BENCH_MODE=rules bash benches/load/run.sh   # scans with 10 redirect rules, none matching (rules.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."

case "${BENCH_MODE:-ratio}" in
  ratio) ;;
  batch) exec bash benches/load/batch.sh ;;
  soak) exec bash benches/load/soak.sh ;;
  export) exec bash benches/load/export.sh ;;
  uploads) exec bash benches/load/uploads.sh ;;
  conversions) exec bash benches/load/conversions.sh ;;
  live) exec bash benches/load/live.sh ;;
  rules) exec bash benches/load/rules.sh ;;
  *) echo "BENCH_MODE must be ratio, batch, soak, export, uploads, conversions, live or rules" >&2; exit 2 ;;
esac

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-2}
CODES=${BENCH_CODES:-5000}
BASELINE_PORT=18482

source benches/load/lib.sh
start_scanloop
seed_codes "$CODES"

taskset -c 0 target/release/scanloop-bench-baseline "$work/tokens.txt" "127.0.0.1:$BASELINE_PORT" &
pids+=($!)
wait_for "http://127.0.0.1:$BASELINE_PORT/s/x"

# Prints "requests_per_s p50_ms p99_ms requests non_3xx" for one wrk run.
run_wrk() {
  taskset -c 1 wrk -t1 -c"$1" -d"${SECONDS_PER_RUN}s" --latency -s benches/load/scan.lua "$2" |
    python3 -c '
import re, sys
out = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s+" + label + r"\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = re.search(r"Socket errors: .*", out)
p50, p99 = ms("50%"), ms("99%")
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {total} {int(bad.group(1)) if bad else 0}")
if errors: print(errors.group(0), file=sys.stderr)
'
}

scanloop_requests=0
printf '%-6s %-5s %-10s %12s %9s %9s %8s\n' conns round server "req/s" "p50 ms" "p99 ms" ratio
for conns in 32 64; do
  for round in $(seq 1 "$ROUNDS"); do
    read -r b_rps b_p50 b_p99 _ b_bad < <(run_wrk "$conns" "http://127.0.0.1:$BASELINE_PORT")
    read -r s_rps s_p50 s_p99 s_total s_bad < <(run_wrk "$conns" "http://127.0.0.1:$SCANLOOP_PORT")
    scanloop_requests=$((scanloop_requests + s_total))
    ratio=$(python3 -c "print(f'{$s_rps / $b_rps:.2f}x')")
    printf '%-6s %-5s %-10s %12s %9s %9s %8s\n' "$conns" "$round" baseline "$b_rps" "$b_p50" "$b_p99" ""
    printf '%-6s %-5s %-10s %12s %9s %9s %8s\n' "$conns" "$round" scanloop "$s_rps" "$s_p50" "$s_p99" "$ratio"
    [ "$b_bad" = 0 ] && [ "$s_bad" = 0 ] || echo "  non-3xx answers: baseline $b_bad, scanloop $s_bad"
  done
done

# Every answered scan must be stored: compare the report's total with what wrk counted
# (wrk may cut requests in flight at the end of a run, so stored >= answered).
echo "scans answered by scanloop (wrk count): $scanloop_requests, stored: $(stored_scans)"
echo "peak memory (VmHWM): scanloop $(peak_memory "${pids[0]}"), baseline $(peak_memory "${pids[1]}")"

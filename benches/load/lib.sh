# Shared by the load benchmark's modes: build, start scanloop pinned to CPU 0 (or the CPUs in
# SCANLOOP_CPUS) on a fresh SQLite database, talk to its API, seed codes, and clean up.
# Sourced, not run.

KEY="bench-key-0123456789abcdef"
SCANLOOP_PORT=${SCANLOOP_PORT:-18481}

cargo build --release --locked --bin scanloop --bin scanloop-bench-baseline --bin scanloop-bench-qr --bin scanloop-bench-fill >&2

work=$(mktemp -d)
pids=()
# SQLite in the work directory, or with BENCH_DATABASE=postgres a fresh database
# `scanloop_bench` on the local PostgreSQL (BENCH_POSTGRES_URL names the server).
if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then
  pg_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
  psql "$pg_server/postgres" -q -c 'DROP DATABASE IF EXISTS scanloop_bench' \
    -c 'CREATE DATABASE scanloop_bench' 2>&1 | grep -v 'does not exist' >&2 || true
  DB_URL="$pg_server/scanloop_bench"
else
  DB_URL="sqlite://$work/bench.db"
fi
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] && cp "$work"/scanloop.log "$work"/bench.db* /tmp/ 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "server at $1 did not start" >&2
  exit 1
}

# Starts scanloop; its pid is ${pids[0]}.
start_scanloop() {
  SCANLOOP_DATABASE_URL="$DB_URL" SCANLOOP_BIND="127.0.0.1:$SCANLOOP_PORT" \
    SCANLOOP_INITIAL_API_KEY="$KEY" SCANLOOP_TRUSTED_PROXIES="127.0.0.1" RUST_LOG=${BENCH_LOG:-warn} \
    taskset -c "${SCANLOOP_CPUS:-0}" target/release/scanloop serve >"$work/scanloop.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$SCANLOOP_PORT/healthz"
}

api() { curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' "$@"; }
base="http://127.0.0.1:$SCANLOOP_PORT/api/v1"
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# Seeds a campaign, a channel and a batch of $1 codes; sets $campaign and $channel and
# writes the tokens to $work/tokens.txt (exported as BENCH_TOKENS for the wrk scripts).
seed_codes() {
  campaign=$(api -d '{"name":"Bench","destination_url":"https://shop.example.com/p"}' "$base/campaigns" | json_field id)
  channel=$(api -d '{"name":"Bench bottles","kind":"packaging"}' "$base/channels" | json_field id)
  local batch
  batch=$(api -d "{\"campaign_id\":$campaign,\"channel_id\":$channel,\"name\":\"b\",\"mode\":\"unique\",\"quantity\":$1}" "$base/batches" | json_field id)
  api "$base/batches/$batch/codes.csv" | tail -n +2 | cut -d, -f2 >"$work/tokens.txt"
  export BENCH_TOKENS="$work/tokens.txt"
}

# Scans the report counts as stored, bots included.
stored_scans() {
  api "$base/reports/channels?campaign_id=$campaign" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(sum(x["scans"] + x["bot_scans"] for x in r))'
}

peak_memory() { grep VmHWM "/proc/$1/status" | awk '{print $2, $3}'; }

# Prints "requests_per_s p99_ms non_2xx_3xx" of a wrk run on CPU 1: $1 connections, $2
# script.
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

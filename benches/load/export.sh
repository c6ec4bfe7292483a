#!/usr/bin/env bash
# Exports: the bare QR encoders' single-core rates (qrcode; fast_qr, the fastest library;
# and scanloop's own), then, on scanloop using every core, codes.csv and export.zip (SVG) of
# a BENCH_EXPORT_CODES-code batch (default 100,000): rows/s against 500,000, and the
# export's codes/s against 80% of (fast_qr's rate x cores); then sheet.pdf of the same
# batch: labels/s and bytes per label.
# With BENCH_EXPORT_BIG set (e.g. 1000000) it then exports a batch that large and prints
# scanloop's peak memory (target: under 200 MiB). Numbers, not pass/fail. Run through
# `BENCH_MODE=export bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

CODES=${BENCH_EXPORT_CODES:-100000}
BIG=${BENCH_EXPORT_BIG:-}
cores=$(nproc)

source benches/load/lib.sh
rates=$(taskset -c 0 target/release/scanloop-bench-qr 20000 2>/dev/null)
echo "$rates" | while read -r library rate; do echo "$library, one core: $rate codes/s to encode"; done
library_rate=$(echo "$rates" | awk '$1 == "fast_qr" { print $2 }')

SCANLOOP_CPUS="0-$((cores - 1))" start_scanloop
seed_codes 1

# Seconds a GET takes, its body thrown away (the client is curl, sharing the cores).
timed_get() { curl -sf -H "Authorization: Bearer $KEY" -o /dev/null -w '%{time_total}' "$1"; }
# Seconds and bytes of a GET.
timed_size() { curl -sf -H "Authorization: Bearer $KEY" -o /dev/null -w '%{time_total} %{size_download}' "$1"; }

# Creates a unique batch of $1 codes, waits until it is ready, prints its id.
ready_batch() {
  local id
  id=$(api -d "{\"campaign_id\":$campaign,\"channel_id\":$channel,\"name\":\"export\",\"mode\":\"unique\",\"quantity\":$1}" "$base/batches" | json_field id)
  while [ "$(api "$base/batches/$id" | json_field status)" != ready ]; do sleep 0.2; done
  echo "$id"
}

batch=$(ready_batch "$CODES")
csv_s=$(timed_get "$base/batches/$batch/codes.csv")
svg_s=$(timed_get "$base/batches/$batch/export.zip?format=svg")
python3 - "$CODES" "$csv_s" "$svg_s" "$library_rate" "$cores" <<'PY'
import sys
codes, csv_s, svg_s, rate, cores = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
target = 0.8 * rate * cores
print(f"codes.csv of {codes} codes: {csv_s:.2f} s, {codes / csv_s:,.0f} rows/s (target 500,000)")
print(f"export.zip (SVG) of {codes} codes: {svg_s:.2f} s, {codes / svg_s:,.0f} codes/s; "
      f"target 80% of {rate:,.0f} x {cores} cores = {target:,.0f} ({codes / svg_s / target:.2f}x of it)")
PY
read -r pdf_s pdf_bytes <<<"$(timed_size "$base/batches/$batch/sheet.pdf")"
python3 -c "print(f'sheet.pdf of $CODES labels: {$pdf_s:.2f} s, {$CODES / $pdf_s:,.0f} labels/s, {$pdf_bytes / $CODES:,.0f} bytes per label')"
echo "peak memory (VmHWM) so far: $(peak_memory "${pids[0]}")"

if [ -n "$BIG" ]; then
  big=$(ready_batch "$BIG")
  echo "batch of $BIG codes ready; peak memory (VmHWM) before its export: $(peak_memory "${pids[0]}")"
  big_s=$(timed_get "$base/batches/$big/export.zip?format=svg")
  python3 -c "print(f'export.zip (SVG) of $BIG codes: {$big_s:.1f} s, {$BIG / $big_s:,.0f} codes/s')"
  echo "peak memory (VmHWM) after it: $(peak_memory "${pids[0]}")"
fi

#!/usr/bin/env bash
# Scans while consumers upload photos: wrk (CPU 1, 32 connections) scans 5000 codes of
# scanloop (SQLite, CPU 0) for BENCH_SECONDS alone, then again while BENCH_UPLOADERS
# (default 20) connections of a second wrk upload a 12-megapixel photo over and over, each
# from a random network so the rate limits do not stop them. Prints scans/s and p99 for both runs, their
# ratio, the uploads stored and refused, and scanloop's peak memory. Numbers, not
# pass/fail. Run through `BENCH_MODE=uploads bash benches/load/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
UPLOADERS=${BENCH_UPLOADERS:-20}
CONNS=${BENCH_CONNS:-32}

source benches/load/lib.sh
start_scanloop
seed_codes 5000
slug=$(api "$base/campaigns/$campaign" | json_field slug)

# A 4000 x 3000 PNG (a camera's 12 megapixels): decoding, resizing and encoding it is the
# work an upload costs.
python3 - "$work/photo.png" <<'PY'
import struct, sys, zlib
w, h = 4000, 3000
rows = b"".join(b"\0" + bytes((x * 7 + y) % 256 for x in range(w)) * 3 for y in range(0, h, 1))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
PY
echo "photo: $(du -k "$work/photo.png" | cut -f1) KB PNG, 4000 x 3000"
# The form as a browser sends it; wrk posts it (lighter than a process per upload, which
# would take CPU from the wrk that measures scans).
{
  printf -- '--scanloopbenchboundary\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\n'
  printf 'Content-Type: image/png\r\n\r\n'
  cat "$work/photo.png"
  printf '\r\n--scanloopbenchboundary--\r\n'
} >"$work/form.bin"
export BENCH_UPLOAD_BODY="$work/form.bin" BENCH_UPLOAD_PATH="/c/$slug/photos"

rss() { awk '/VmRSS/ { print $2, $3 }' "/proc/${pids[0]}/status"; }
read -r alone_rps alone_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
before=$(rss)
taskset -c 1 wrk -t1 -c"$UPLOADERS" -d"$((SECONDS_PER_RUN + 4))s" -s benches/load/upload.lua \
  "http://127.0.0.1:$SCANLOOP_PORT" >"$work/uploads.out" 2>&1 &
uploads=$!
sleep 2
read -r busy_rps busy_p99 _ < <(wrk_run "$CONNS" benches/load/scan.lua)
wait "$uploads" || true

printf '%-26s %10s %9s\n' run "scans/s" "p99 ms"
printf '%-26s %10.0f %9s\n' "scans alone" "$alone_rps" "$alone_p99"
printf '%-26s %10.0f %9s\n' "with $UPLOADERS uploaders" "$busy_rps" "$busy_p99"
python3 -c "print(f'ratio: {$busy_rps / $alone_rps:.2f} (target: at least 0.90)')"
echo "uploads: $(grep -E 'requests in|Non-2xx' "$work/uploads.out" | tr -s ' ' | tr '\n' ';')"
echo "photos stored: $(api "$base/photos?campaign_id=$campaign&limit=500" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"

echo "memory (VmRSS): $before before the uploads, $(rss) after; peak (VmHWM) $(peak_memory "${pids[0]}")"

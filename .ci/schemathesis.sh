#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with schemathesis (from PyPI) for a bounded
# number of examples per operation. Every check runs except positive_data_acceptance: a
# schema cannot say that campaign_id must name an existing campaign or that a slug is
# still free, so schema-valid requests are rightly refused with 422 or 409 there.
# Revoking a key and changing a user are left out: fuzzed, they revoke the fuzzer's own
# key or demote or disable its user, and every later request is refused (the accounts
# tests cover both). So is the live scan feed: a stream that never ends (the live tests
# cover it).
# One worker: with two, hypothesis's ast.parse from two threads once failed inside CPython
# 3.11 ("AST constructor recursion depth mismatch"), an error of the tool, not of the API.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${SCHEMATHESIS_EXAMPLES:-60}
PORT=18490
KEY="sl_schemathesis_$(date +%s%N)"
work=$(mktemp -d)
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/scanloop-schemathesis}"

if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi

cargo build --release --locked
target/release/scanloop serve --database-url "sqlite://$work/fuzz.db" --bind "127.0.0.1:$PORT" \
  --data-dir "$work/data" --initial-api-key "$KEY" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

"$venv/bin/st" --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $KEY" -n "$EXAMPLES" --workers 1 \
  --checks all --exclude-checks positive_data_acceptance \
  --exclude-path '/api/v1/keys/{id}' --exclude-path '/api/v1/users/{id}' \
  --exclude-path '/api/v1/scans/live'

if grep -Ei "panicked|request failed" "$work/server.log"; then
  echo "the server logged a panic or an internal error during the fuzzing" >&2
  exit 1
fi

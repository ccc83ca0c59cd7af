#!/usr/bin/env bash
# Sets up and runs every test Hearth has: formatting and lints, unit tests, the
# integration suite on SQLite (files in a directory), the browser tests, then the suite
# again on a real PostgreSQL with files in a real S3-compatible server (s3s-fs). Installs and starts whatever it needs (as root, from Debian's packages)
# and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh
trap stop_services EXIT

# A test run that never ends fails with a message here, long before CI would stop the
# whole run: each is built first (a clean machine's build takes as long as it takes),
# then given at most `bounded`'s time.
bounded() {
  local limit=$1
  shift
  timeout --kill-after=10s "$limit" "$@" && return 0
  local status=$?
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || echo "== timed out after $limit: $*"
  return "$status"
}

# Proves hearth-load works end to end (the real figures come from BENCHMARKS.md runs).
load_smoke() {
  cargo build --quiet -p hearth -p hearth-load
  local bin="${CARGO_TARGET_DIR:-target}/debug" dir status=0 server url
  dir=$(mktemp -d)
  HEARTH_MESSAGE_RATE=1000 HEARTH_MESSAGE_BURST=1000 RUST_LOG=info \
    HEARTH_AUTH_ATTEMPTS=100000 HEARTH_ROOMS_PER_HOUR=100000 HEARTH_SOCKETS_PER_USER=1000 \
    "$bin/hearth" --addr 127.0.0.1:0 --database-url "sqlite:$dir/hearth.db" >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "listening on" "$dir/server.log" && break; sleep 0.1; done
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/server.log" | head -n1)
  bounded 5m "$bin/hearth-load" fanout --url "$url" --server-pid "$server" \
    --rooms 2 --subscribers 5 --senders 1 --rate 20 --duration 2 || status=$?
  kill "$server"; wait "$server" || true
  rm -rf "$dir"
  [ "$status" -eq 0 ] || { echo "load smoke run failed ($status)"; return 1; }
}

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --features cluster-tests --quiet -- -D warnings

echo "== unit tests and the integration suite on SQLite"
cargo test --quiet --workspace --no-run
bounded 20m cargo test --quiet --workspace

echo "== the load tool: a few seconds of fan-out against a throwaway server"
load_smoke

# The pages end to end in Debian's Chromium (never a downloaded browser), driven by
# playwright-core and checked with axe-core; both are pinned in tests/browser and
# used only here. A CJK font makes the Chinese screenshots readable.
#
# Each test has two minutes (`it` in tests/browser/helpers.js; the slowest takes 20 s
# on a machine kept busy by another program), and each file ten: a step that never
# returns fails its test, and a file that never ends fails, instead of holding the run
# until CI gives up on it. A file that fails is run once more, so a fault is told from
# a one-off: it is printed either way, and only a file that fails twice fails the run.
browser_tests() {
  need_packages chromium chromium-driver fonts-wqy-microhei fonts-noto-color-emoji
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  cargo build --quiet
  local file once=()
  for file in tests/browser/*.test.js; do
    browser_file "$file" && continue
    echo "== $file failed; running it once more"
    browser_file "$file" || { echo "== $file failed twice"; return 1; }
    once+=("$file")
  done
  [ ${#once[@]} -eq 0 ] || echo "== NOTE: failed once, then passed: ${once[*]} (see above)"
}
browser_file() {
  bounded 10m node --test "$1"
}
echo "== the pages in headless Chromium"
browser_tests

echo "== the integration suite on PostgreSQL, files in S3"
start_postgres
start_s3
bounded 20m cargo test --quiet --test suite

echo "== several nodes on PostgreSQL, Redis and S3"
need_packages redis-server
cargo test --quiet --features cluster-tests --test cluster --no-run
bounded 15m cargo test --quiet --features cluster-tests --test cluster

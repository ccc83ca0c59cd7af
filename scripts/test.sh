#!/usr/bin/env bash
# Sets up and runs every test Hearth has: formatting and lints, unit tests, the
# integration suite on SQLite, then again on a real PostgreSQL. Installs and starts
# whatever it needs (as root, from Debian's packages) and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh
trap stop_services EXIT

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings

echo "== unit tests and the integration suite on SQLite"
cargo test --quiet

echo "== the integration suite on PostgreSQL"
start_postgres
cargo test --quiet --test suite

echo "== several nodes on PostgreSQL and Redis"
need_packages redis-server
cargo test --quiet --features cluster-tests --test cluster

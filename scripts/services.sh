#!/usr/bin/env bash
# Helpers for scripts/test.sh: install missing Debian packages (as root), and start a
# throwaway PostgreSQL and an S3-compatible server on loopback with their data under
# /tmp. Source it: it exports HEARTH_TEST_DATABASE_URL, the HEARTH_TEST_S3_* settings
# and the AWS credentials, and a stop_services function. (The cluster tests
# start their own Redis servers, so they can stop and restart them.)
set -euo pipefail

# Under /tmp, not the checkout: the postgres user must be able to reach the data
# directory, and a checkout under /root is closed to it.
SERVICES=$(mktemp -d /tmp/hearth-services.XXXXXX)
PG_PORT=${HEARTH_TEST_PG_PORT:-55432}

need_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
      return 1
    fi
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  need_packages postgresql
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  local data="$SERVICES/pg"
  mkdir -p "$SERVICES"
  if [ "$(id -u)" = 0 ]; then chown postgres "$SERVICES"; fi
  as_pg "$bin/initdb" -D "$data" -U hearth --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # fsync off: this server holds throwaway test data and should be quick (the
  # benchmarks set PG_FSYNC=on, PostgreSQL's own default). The first free port from
  # PG_PORT on is taken (another server may hold one).
  local port started=""
  for port in $(seq "$PG_PORT" $((PG_PORT + 20))); do
    if as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -o \
      "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=400" start >/dev/null 2>&1; then
      started=$port
      break
    fi
  done
  [ -n "$started" ] || { echo "PostgreSQL did not start: see $data/server.log" >&2; return 1; }
  PG_PORT=$started
  export HEARTH_TEST_DATABASE_URL="postgres://hearth@127.0.0.1:$PG_PORT/postgres"
  PG_STOP="$bin/pg_ctl -D $data stop -m fast"
}

# s3s-fs: an S3 server over a directory, from crates.io (no S3 server is packaged in
# Debian here). It checks SigV4 signatures like any S3 service; it is built once into
# a cache directory beside the target directory and reused.
S3S_VERSION=0.14.1
start_s3() {
  local root="${CARGO_TARGET_DIR:-target}/tools"
  if [ ! -x "$root/bin/s3s-fs" ] || ! "$root/bin/s3s-fs" --version | grep -q "$S3S_VERSION"; then
    echo "installing s3s-fs $S3S_VERSION from crates.io"
    cargo install --quiet --locked --root "$root" --features binary "s3s-fs@$S3S_VERSION"
  fi
  local data="$SERVICES/s3" port started=""
  mkdir -p "$data/hearth"
  export AWS_ACCESS_KEY_ID=hearth-test AWS_SECRET_ACCESS_KEY=hearth-test-secret AWS_REGION=us-east-1
  for port in $(seq 59014 59034); do
    "$root/bin/s3s-fs" --host 127.0.0.1 --port "$port" \
      --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$data" \
      >"$SERVICES/s3.log" 2>&1 &
    S3_PID=$!
    for _ in $(seq 50); do
      kill -0 "$S3_PID" 2>/dev/null || break
      # Listening yet? (bash's own /dev/tcp: no curl needed on a fresh machine.) And
      # still running a moment later: not some other server that held the port.
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        sleep 0.2
        kill -0 "$S3_PID" 2>/dev/null && started=$port
        break
      fi
      sleep 0.1
    done
    [ -n "$started" ] && break
    kill "$S3_PID" 2>/dev/null || true
  done
  [ -n "$started" ] || { echo "s3s-fs did not start: see $SERVICES/s3.log" >&2; return 1; }
  export HEARTH_TEST_S3_URL="http://127.0.0.1:$started" HEARTH_TEST_S3_BUCKET=hearth
}

stop_services() {
  if [ -n "${PG_STOP:-}" ]; then as_pg $PG_STOP >/dev/null 2>&1 || true; fi
  if [ -n "${S3_PID:-}" ]; then kill "$S3_PID" 2>/dev/null || true; fi
  rm -rf "$SERVICES"
}

#!/usr/bin/env bash
# Helpers for scripts/test.sh: install missing Debian packages (as root), and start a
# throwaway PostgreSQL on loopback with its data under /tmp. Source it: it
# exports HEARTH_TEST_DATABASE_URL and a stop_services function. (The cluster tests
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
  # fsync off: this server holds throwaway test data and should be quick. The first
  # free port from PG_PORT on is taken (another server may hold one).
  local port started=""
  for port in $(seq "$PG_PORT" $((PG_PORT + 20))); do
    if as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -o \
      "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null 2>&1; then
      started=$port
      break
    fi
  done
  [ -n "$started" ] || { echo "PostgreSQL did not start: see $data/server.log" >&2; return 1; }
  PG_PORT=$started
  export HEARTH_TEST_DATABASE_URL="postgres://hearth@127.0.0.1:$PG_PORT/postgres"
  PG_STOP="$bin/pg_ctl -D $data stop -m fast"
}

stop_services() {
  if [ -n "${PG_STOP:-}" ]; then as_pg $PG_STOP >/dev/null 2>&1 || true; fi
  rm -rf "$SERVICES"
}

#!/usr/bin/env bash
# Starts the throwaway PostgreSQL and Redis servers the test suite uses, on loopback,
# with their data under target/services. Source it: it exports the URLs and a
# stop_services function. Installs the Debian packages first when they are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVICES="$ROOT/target/services"
PG_PORT=${HEARTH_TEST_PG_PORT:-55432}
REDIS_PORT=${HEARTH_TEST_REDIS_PORT:-56379}

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
  as_pg "$bin/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$data"
  as_pg "$bin/initdb" -D "$data" -U hearth --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # fsync off: this server holds throwaway test data and should be quick.
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -o \
    "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null
  export HEARTH_TEST_DATABASE_URL="postgres://hearth@127.0.0.1:$PG_PORT/postgres"
  PG_STOP="$bin/pg_ctl -D $data stop -m fast"
}

start_redis() {
  need_packages redis-server
  local dir="$SERVICES/redis"
  mkdir -p "$dir"
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export HEARTH_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export HEARTH_TEST_REDIS_PORT="$REDIS_PORT"
}

stop_services() {
  if [ -n "${PG_STOP:-}" ]; then as_pg $PG_STOP >/dev/null 2>&1 || true; fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

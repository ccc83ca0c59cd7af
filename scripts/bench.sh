#!/usr/bin/env bash
# Measures Hearth with hearth-load, the way BENCHMARKS.md reports it: a release build,
# each scenario 3 times against a fresh server on a fresh SQLite file (rate and abuse
# limits raised), on loopback, the server and the tool on the same box. Prints each run's
# JSON line and then the medians. Takes about ten minutes.
#   bash scripts/bench.sh [scenario ...]   # default: all but growth and growthpg
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
PORT=${PORT:-8100}
OUT=${OUT:-target/bench}
mkdir -p "$OUT"
cargo build --release --quiet -p hearth -p hearth-load
ulimit -n "$(ulimit -Hn)"

# Starts Hearth on the database at $1, listening on port $2, with the rate and abuse
# limits raised and any further VAR=value settings given; its pid in SERVER.
serve() {
  local url=$1 port=$2
  shift 2
  env "$@" HEARTH_MESSAGE_RATE=1000000 HEARTH_MESSAGE_BURST=1000000 RUST_LOG=warn \
    HEARTH_MAX_UPLOAD_BYTES=$((101 * 1024 * 1024)) HEARTH_PUSH_ALLOW_LOOPBACK_HTTP=true \
    HEARTH_AUTH_ATTEMPTS=1000000 HEARTH_ROOMS_PER_HOUR=1000000 HEARTH_SOCKETS_PER_USER=1000 \
    DATABASE_URL="$url" ./target/release/hearth --addr "127.0.0.1:$port" &
  SERVER=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.02; done
}

start_server() {
  rm -f "$OUT"/bench.db*
  rm -rf "$OUT"/hearth-files
  serve "sqlite:$OUT/bench.db" "$PORT"
}

stop_server() {
  kill "$SERVER"
  wait "$SERVER" || true
}

# Keeps a run's JSON line (from log $2) in results.jsonl under the name $1, with any
# further `"key":value,` fields given as $3.
keep() {
  grep '^{"scenario":' "$2" | sed "s/^{/{\"name\":\"$1\",${3:-}/" >>"$OUT/results.jsonl" || true
}

# scenario name, then hearth-load arguments
run() {
  local name=$1
  shift
  for i in $(seq "$RUNS"); do
    start_server
    ./target/release/hearth-load "$@" --url "http://127.0.0.1:$PORT" --server-pid "$SERVER" \
      >"$OUT/$name.$i.log" 2>&1 || echo "($name run $i reported a problem: see $OUT/$name.$i.log)"
    keep "$name" "$OUT/$name.$i.log"
    tail -n 1 "$OUT/$name.$i.log"
    stop_server
  done
}

# Hearth on PostgreSQL (started here as the tests start it, but with fsync on, its
# default): NODES=1 is one node alone; NODES=2 is two nodes linked through a Redis
# started here. A fresh database per run. The load goes to node A, except that the
# fanout scenario puts its subscribers on node B and its senders on node A, so every
# delivery crosses Redis. Prints each node's CPU where the scenario reports it.
run_pg() {
  local nodes=$1 name=$2
  shift 2
  # shellcheck source=scripts/services.sh
  source scripts/services.sh
  trap stop_services EXIT
  PG_FSYNC=on start_postgres >/dev/null
  local redis="" link=()
  if [ "$nodes" = 2 ]; then
    need_packages redis-server
    local redis_port=$((PORT + 9))
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
    redis=$!
    until (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; do sleep 0.02; done
    link=(REDIS_URL="redis://127.0.0.1:$redis_port")
  fi
  local ports=("$PORT" $((PORT + 2)))
  for i in $(seq "$RUNS"); do
    local db="hearth_bench_${i}_$$"
    psql "$HEARTH_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
    local url="${HEARTH_TEST_DATABASE_URL%/*}/$db"
    local pids=()
    for port in "${ports[@]:0:$nodes}"; do
      serve "$url" "$port" "${link[@]}"
      pids+=("$SERVER")
    done
    local target=(--url "http://127.0.0.1:${ports[0]}" --server-pid "${pids[0]}")
    if [ "$1" = fanout ] && [ "$nodes" = 2 ]; then
      target=(--url "http://127.0.0.1:${ports[1]}" --server-pid "${pids[1]}"
        --send-url "http://127.0.0.1:${ports[0]}" --send-server-pid "${pids[0]}")
    fi
    ./target/release/hearth-load "$@" "${target[@]}" \
      >"$OUT/$name.$i.log" 2>&1 || echo "($name run $i reported a problem: see $OUT/$name.$i.log)"
    keep "$name" "$OUT/$name.$i.log"
    tail -n 2 "$OUT/$name.$i.log"
    kill "${pids[@]}"
    wait "${pids[@]}" || true
    psql "$HEARTH_TEST_DATABASE_URL" -qc "DROP DATABASE $db" >/dev/null
  done
  [ -z "$redis" ] || kill "$redis"
  stop_services
  trap - EXIT
}

# Cost as history grows (BENCHMARKS.md's growth table), on $1 = sqlite or pg: for each
# size in GROWTH_SIZES, `seed` fills one database (10,000 users, 1,000 rooms, the
# viewer in 50 rooms with up to 10,000 unread each), and each run gets a fresh copy of
# it, a server on the copy, and the page (as that viewer, and a new room of 50), post,
# search, join and login scenarios, 10 s each.
growth() {
  local db=$1 size i seed_url url
  if [ "$db" = pg ]; then
    # shellcheck source=scripts/services.sh
    source scripts/services.sh
    trap stop_services EXIT
    PG_FSYNC=on start_postgres >/dev/null
  fi
  for size in ${GROWTH_SIZES:-10000 100000 1000000}; do
    local name="growth_${db}_$size"
    if [ "$db" = pg ]; then
      psql "$HEARTH_TEST_DATABASE_URL" -qc "CREATE DATABASE hearth_growth_seed" >/dev/null
      seed_url="${HEARTH_TEST_DATABASE_URL%/*}/hearth_growth_seed"
    else
      rm -f "$OUT"/growth-seed.db*
      seed_url="sqlite:$OUT/growth-seed.db"
    fi
    ./target/release/hearth-load seed --database-url "$seed_url" --messages "$size" >"$OUT/$name.seed.log" 2>&1
    keep "${name}_seed" "$OUT/$name.seed.log"
    tail -n 1 "$OUT/$name.seed.log"
    for i in $(seq "$RUNS"); do
      if [ "$db" = pg ]; then
        psql "$HEARTH_TEST_DATABASE_URL" -qc "CREATE DATABASE hearth_growth TEMPLATE hearth_growth_seed" >/dev/null
        url="${HEARTH_TEST_DATABASE_URL%/*}/hearth_growth"
      else
        rm -rf "$OUT"/growth.db* "$OUT"/hearth-files
        cp "$OUT/growth-seed.db" "$OUT/growth.db"
        url="sqlite:$OUT/growth.db"
      fi
      serve "$url" "$PORT"
      local target=(--url "http://127.0.0.1:$PORT" --server-pid "$SERVER")
      local scenario
      for scenario in "viewerpage page --seeded-viewer --concurrency 64" \
        "page page --concurrency 64" "post post --concurrency 64" "search search --requests 30" \
        "join join --seeded --concurrency 64" "login login --seeded --concurrency 4"; do
        read -r -a args <<<"$scenario"
        local log="$OUT/$name.${args[0]}.$i.log"
        ./target/release/hearth-load "${args[@]:1}" "${target[@]}" >"$log" 2>&1 ||
          echo "($name ${args[0]} run $i reported a problem: see $log)"
        keep "${name}_${args[0]}" "$log"
        tail -n 1 "$log"
      done
      stop_server
      if [ "$db" = pg ]; then
        psql "$HEARTH_TEST_DATABASE_URL" -qc "DROP DATABASE hearth_growth" >/dev/null
      fi
    done
    if [ "$db" = pg ]; then
      psql "$HEARTH_TEST_DATABASE_URL" -qc "DROP DATABASE hearth_growth_seed" >/dev/null
    fi
  done
  if [ "$db" = pg ]; then
    stop_services
    trap - EXIT
  fi
}

cold_start() {
  for i in $(seq "$RUNS"); do
    rm -f "$OUT"/cold.db*
    local t0 t1
    t0=$(date +%s%N)
    DATABASE_URL="sqlite:$OUT/cold.db" RUST_LOG=warn ./target/release/hearth --addr "127.0.0.1:$PORT" &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.001; done
    t1=$(date +%s%N)
    stop_server
    echo "{\"name\":\"cold_start\",\"scenario\":\"cold_start\",\"ms\":$(((t1 - t0) / 1000000))}" | tee -a "$OUT/results.jsonl"
  done
}

: >"$OUT/results.jsonl"
scenarios=("$@")
pick() { [ ${#scenarios[@]} -eq 0 ] || [[ " ${scenarios[*]} " == *" $1 "* ]]; }

pick fanout1000 && run fanout1000 fanout --rooms 1 --subscribers 1000 --senders 1 --rate 200 --duration 10 --sockets-per-user 10
pick fanout1000push && run fanout1000push fanout --rooms 1 --subscribers 1000 --senders 1 --rate 200 --duration 10 --sockets-per-user 10 --push-members 100 --push-delay-ms 2000
pick fanout100 && run fanout100 fanout --rooms 1 --subscribers 100 --senders 1 --rate 500 --duration 10
pick rooms100 && run rooms100 fanout --rooms 100 --subscribers 10 --senders 1 --rate 20 --duration 10 --sockets-per-user 5
pick fanout1000pg && run_pg 1 fanout1000pg fanout --rooms 1 --subscribers 1000 --senders 1 --rate 200 --duration 10 --sockets-per-user 10
pick fanout1000twonodes && run_pg 2 fanout1000twonodes fanout --rooms 1 --subscribers 1000 --senders 1 --rate 200 --duration 10 --sockets-per-user 10
# Issue 15's logins-during-fan-out row: fan-out 1 room × 100 at 100 msg/s alone, and
# the same with one user logging in 20 times a second (each login one argon2id
# verification, sent on schedule by the load tool) from 4 s in until sending ends.
pick fanout100quiet && run fanout100quiet fanout --rooms 1 --subscribers 100 --senders 1 --rate 100 --duration 10
pick fanout100logins && run fanout100logins fanout --rooms 1 --subscribers 100 --senders 1 \
  --rate 100 --duration 10 --logins-per-second 20 --logins-after 4
pick hold && run hold hold --connections 10000 --duration 20 --sockets-per-user 100
pick post && run post post --concurrency 64 --duration 10
pick postpg && run_pg 1 postpg post --concurrency 64 --duration 10
pick posttwonodes && run_pg 2 posttwonodes post --concurrency 64 --duration 10
pick pagepg && run_pg 1 pagepg page --concurrency 64 --duration 10
pick pagetwonodes && run_pg 2 pagetwonodes page --concurrency 64 --duration 10
pick upload && run upload upload --size-mib 100
if pick page || pick roomspage || pick searchpage; then
  # The bare render of the same template, loaded right after Hearth in each run: the
  # page scenarios print Hearth's req/s as a ratio of it.
  CEILING_PORT=$((PORT + 1))
  ./target/release/page-ceiling --addr "127.0.0.1:$CEILING_PORT" &
  CEILING=$!
  until curl -sf "http://127.0.0.1:$CEILING_PORT/healthz" >/dev/null; do sleep 0.02; done
  ceiling=(--concurrency 64 --duration 10 --ceiling-url "http://127.0.0.1:$CEILING_PORT")
  pick page && run page page "${ceiling[@]}"
  pick roomspage && run roomspage page --page rooms "${ceiling[@]}"
  pick searchpage && run searchpage page --page search "${ceiling[@]}"
  kill "$CEILING"
  wait "$CEILING" || true
fi
pick cold && cold_start
# Long (about half an hour each): run only when named.
[[ " ${scenarios[*]} " == *" growth "* ]] && growth sqlite
[[ " ${scenarios[*]} " == *" growthpg "* ]] && growth pg

echo "== medians of $RUNS runs"
python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["name"], []).append(r)
def walk(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from walk(v, prefix + k + ".")
        elif isinstance(v, list):
            # search's terms: each by its term
            for i, item in enumerate(v):
                if isinstance(item, dict):
                    yield from walk(item, f"{prefix}{k}.{item.get('term', i)}.")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield prefix + k, v
for name, rs in runs.items():
    keys = {}
    for r in rs:
        for k, v in walk(r):
            keys.setdefault(k, []).append(v)
    print(name, json.dumps({k: statistics.median(v) for k, v in keys.items()}))
PY

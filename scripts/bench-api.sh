#!/usr/bin/env bash
# bench-api.sh — GET session-detail throughput of the REST API against nginx serving the same
# document as a static file, in the same run (issue 5's goal: >= 50 % of nginx, p99 <= 10 ms,
# with 1,000 sessions in the database).
#
# ENGINE=sqlite (default): a temporary SQLite file; ENGINE=postgres: a PostgreSQL server of the
# script's own (scripts/pg.sh, stopped at exit) and a database on it, the server run with
# `--database URL --state-dir WORK` (on PostgreSQL the GET document cache is keyed on the
# database's snapshot: one round trip to the server per GET, api/cache.rs). Either gets one
# cluster, a 2-brick master volume and SESSIONS sessions with 2 detail rows each (one seed
# text for both engines); the release server runs with a fake gluster that always fails (no
# cluster is touched: the sync interval is an hour, its first cycle marks the cluster
# unreadable, so no probe is scheduled) and a bearer token; the health scheduler evaluates
# every session every 5 s all along. nginx serves the document fetched from the server.
# The ceiling (examples/bench_ceiling.rs): the server's own stack (axum, hyper, tokio, mimalloc)
# answering the same bytes and headers with nothing in front, in the same run: what any REST
# GET of georep's can reach on this machine (`ceiling_ratio`: it against nginx; `of_ceiling`:
# georep against it).
# wrk: THREADS threads, CONNS connections, DURATION, --latency.
# PROBE_INTERVAL: --probe-interval of the server (default 600, georep's own default).
# PERF=FILE: perf record (call graphs) of the server during its wrk run, into FILE.
# BIN=PATH: that georep binary, nothing built (a commit before, to compare in the same session;
# CEILING=PATH the same for the ceiling).
# PIN=1: the servers (georep, then nginx) on CPU 0 and wrk on CPU 1 (taskset), so that the
# latency tail is the server's queue, not wrk and the server taking turns on the same cores
# (with ENGINE=postgres, PostgreSQL's postmaster and the backends it forks on CPU 0 too).
#
# Usage: [ENGINE=postgres] bash scripts/bench-api.sh
#   (needs wrk, nginx-light, sqlite3 or psql and PostgreSQL's server: scripts/setup.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"
# shellcheck disable=SC1091
. "$ROOT/scripts/bench-seed.sh"
SESSIONS=${SESSIONS:-1000}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
ENGINE=${ENGINE:-sqlite}
case $ENGINE in
  sqlite) CLIENT=sqlite3 ;;
  postgres) CLIENT=psql ;;
  *) echo "bench-api: ENGINE must be sqlite or postgres, not $ENGINE" >&2; exit 1 ;;
esac

say() { printf '=== bench-api: %s\n' "$*" >&2; }
for t in wrk nginx "$CLIENT" curl; do command -v "$t" >/dev/null || { echo "bench-api: $t missing (run scripts/setup.sh)" >&2; exit 1; }; done

if [[ -z ${BIN:-} ]]; then
  say "cargo build --release -p georep (and the ceiling: examples/bench_ceiling.rs)"
  (cd "$ROOT" && cargo build --release -q -p georep --bin georep --example bench_ceiling)
  BIN=$CARGO_TARGET_DIR/release/georep
fi
CEILING=${CEILING:-$CARGO_TARGET_DIR/release/examples/bench_ceiling}

WORK=$(mktemp -d /tmp/georep-bench.XXXXXX)
chmod 755 "$WORK"   # nginx workers run as www-data
PIDS=()
PG_STARTED=0
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  if ((PG_STARTED)); then
    # georep's connections first (at most 10 s), so that the fast stop does not cut a statement
    for _ in $(seq 1 100); do
      local alive=0
      for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    pg_stop || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if [[ $ENGINE == postgres ]]; then
  # shellcheck disable=SC1091
  . "$ROOT/scripts/pg.sh"
  # a server of our own, whatever the caller's shell started
  unset GEOREP_TEST_PG GEOREP_PG_DIR
  say "pg_start"
  pg_start
  PG_STARTED=1
  psql "$GEOREP_TEST_PG" -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE georep_bench TEMPLATE template0'
  DB=${GEOREP_TEST_PG%/postgres}/georep_bench
  DB_ARGS=(--database "$DB" --state-dir "$WORK")
  seed() { psql "$DB" -q -v ON_ERROR_STOP=1; }
  # the seed's per-engine parts: text built into a UUID column needs a cast on PostgreSQL
  PRAGMA='' UUID=uuid
else
  DB=$WORK/georep.db
  DB_ARGS=(--database "$DB")
  seed() { sqlite3 -bail "$DB"; }
  PRAGMA='PRAGMA foreign_keys = ON;' UUID=TEXT
fi
printf '#!/bin/sh\nexit 1\n' > "$WORK/gluster"; chmod 755 "$WORK/gluster"

# the schema (migrations run on open), a reader and its token
"$BIN" "${DB_ARGS[@]}" user add bench --role viewer >/dev/null
TOKEN=$("$BIN" "${DB_ARGS[@]}" token add bench --name wrk)

say "seeding $SESSIONS sessions ($ENGINE)"
bench_seed_sql "$SESSIONS" | seed

SERVER_CPUS=() CLIENT_CPUS=()
if [[ ${PIN:-0} == 1 ]]; then
  command -v taskset >/dev/null || { echo "bench-api: PIN=1 needs taskset (util-linux)" >&2; exit 1; }
  SERVER_CPUS=(taskset -c 0) CLIENT_CPUS=(taskset -c 1)
  if [[ $ENGINE == postgres ]]; then
    taskset -p -c 0 "$(head -n 1 "$GEOREP_PG_DIR/data/postmaster.pid")" >/dev/null
  fi
fi
"${SERVER_CPUS[@]}" "$BIN" "${DB_ARGS[@]}" --gluster-command "$WORK/gluster" serve --listen 127.0.0.1:0 \
  --sync-interval 3600 --probe-interval "${PROBE_INTERVAL:-600}" --site-root "$WORK" 2> "$WORK/server.log" &
PIDS+=($!)
ADDR=$(listening_addr "$WORK/server.log")
# a session in the middle of the table
PATH_S=/api/clusters/00000000-0000-4000-8000-000000000001/glustervolumes/00000000-0000-4000-8000-000000000003/georeplication-sessions/$(printf '10000000-0000-4000-8000-%012d' $((SESSIONS / 2)))
curl -fsS -D "$WORK/session.headers" -H "Authorization: Bearer $TOKEN" "$ADDR$PATH_S" > "$WORK/session.xml"
say "document: $(wc -c < "$WORK/session.xml") bytes"

# the ceiling: the same stack answering the same bytes and headers with nothing in front
"${SERVER_CPUS[@]}" "$CEILING" 127.0.0.1:0 "$WORK/session.headers" "$WORK/session.xml" > "$WORK/ceiling.log" 2>&1 &
PIDS+=($!)
CEILING_ADDR=$(listening_addr "$WORK/ceiling.log")
curl -fsS "$CEILING_ADDR/session.xml" | cmp - "$WORK/session.xml"

# nginx: the same bytes as a static file, one worker per core, access log off
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/www" "$WORK/ngtmp"
cp "$WORK/session.xml" "$WORK/www/session.xml"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/ngtmp; proxy_temp_path $WORK/ngtmp; fastcgi_temp_path $WORK/ngtmp;
  uwsgi_temp_path $WORK/ngtmp; scgi_temp_path $WORK/ngtmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/www; default_type application/xml; }
  }
}
NGINX
"${SERVER_CPUS[@]}" nginx -c "$WORK/nginx.conf"
curl -fsS "http://127.0.0.1:$NGINX_PORT/session.xml" | cmp - "$WORK/session.xml"

# wrk's Lua hook adds the bearer token
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" > "$WORK/auth.lua"
run() { "${CLIENT_CPUS[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@"; }
say "wrk georep"
if [[ -n ${PERF:-} ]]; then
  # the server's CPU profile over the middle of its run (perf report -i "$PERF")
  secs=${DURATION%s}
  (sleep 1; perf record -q -F 499 -g -p "${PIDS[0]}" -o "$PERF" -- sleep $(( secs > 3 ? secs - 2 : 1 )) 2>/dev/null) &
  PERF_PID=$!
fi
GEOREP_OUT=$(run -s "$WORK/auth.lua" "$ADDR$PATH_S")
[[ -z ${PERF:-} ]] || wait "$PERF_PID"
say "wrk ceiling"
CEILING_OUT=$(run "$CEILING_ADDR/session.xml")
say "wrk nginx"
NGINX_OUT=$(run "http://127.0.0.1:$NGINX_PORT/session.xml")
rps() { awk '/^Requests\/sec/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }
errors() { awk '/Non-2xx|Socket errors/' ; }
G=$(rps <<<"$GEOREP_OUT"); N=$(rps <<<"$NGINX_OUT"); C=$(rps <<<"$CEILING_OUT")
echo "$GEOREP_OUT" | errors >&2
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
printf 'engine\t%s\nsessions\t%s\ndocument_bytes\t%s\ngeorep_rps\t%s\ngeorep_p99\t%s\nceiling_rps\t%s\nceiling_p99\t%s\nnginx_rps\t%s\nnginx_p99\t%s\nratio\t%s\nceiling_ratio\t%s\nof_ceiling\t%s\n' \
  "$ENGINE" "$SESSIONS" "$(wc -c < "$WORK/session.xml")" "$G" "$(p99 <<<"$GEOREP_OUT")" "$C" "$(p99 <<<"$CEILING_OUT")" \
  "$N" "$(p99 <<<"$NGINX_OUT")" "$(pct "$G" "$N")" "$(pct "$C" "$N")" "$(pct "$G" "$C")"

#!/usr/bin/env bash
# bench-login.sh — a flood of anonymous Basic logins with made-up user names (issue 15 item 3)
# against georep's memory and the latency of an authenticated client beside it.
#
# The server runs on loopback with a temporary database, a fake gluster that always fails and
# an hour between syncs. FLOOD_THREADS threads each send FLOOD_LOGINS Basic logins with made-up
# user names (keep-alive, one connection per thread), at most FLOOD_SECONDS in all. Meanwhile
# wrk GETs /api/clusters with a bearer token over one connection (another client: the token's
# user, no argon2), and the server's VmRSS is sampled every 100 ms.
# SPREAD=1 (the default): the server trusts loopback as a proxy and every login names another
# X-Forwarded-For address, as a flood from many addresses would (one address alone is stopped
# by its own failure limit after 20 attempts; this measures the bound on argon2 itself).
# GEOREP_BIN: the binary to measure (default: a release build made here).
#
# Prints: RSS before, peak, after; the flood's answers by status; wrk's latency distribution.
# Usage: bash scripts/bench-login.sh   (needs wrk, curl, python3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"
FLOOD_THREADS=${FLOOD_THREADS:-64}
FLOOD_LOGINS=${FLOOD_LOGINS:-40}
FLOOD_SECONDS=${FLOOD_SECONDS:-60}
SPREAD=${SPREAD:-1}

say() { printf '=== bench-login: %s\n' "$*" >&2; }
for t in wrk curl python3; do command -v "$t" >/dev/null || { echo "bench-login: $t missing" >&2; exit 1; }; done
if [[ -z ${GEOREP_BIN:-} ]]; then
  say "cargo build --release -p georep"
  (cd "$ROOT" && cargo build --release -q -p georep)
  GEOREP_BIN=$CARGO_TARGET_DIR/release/georep
fi

WORK=$(mktemp -d /tmp/georep-bench-login.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
DB=$WORK/georep.db
printf '#!/bin/sh\nexit 1\n' > "$WORK/gluster"; chmod 755 "$WORK/gluster"
"$GEOREP_BIN" --database "$DB" user add bench --role viewer >/dev/null
TOKEN=$("$GEOREP_BIN" --database "$DB" token add bench --name wrk)

PROXY=()
[[ $SPREAD == 1 ]] && PROXY=(--trusted-proxy 127.0.0.1)
GEOREP_ADMIN_PASSWORD=bench-admin-pw RUST_LOG=info "$GEOREP_BIN" --database "$DB" \
  --gluster-command "$WORK/gluster" serve --listen 127.0.0.1:0 --site-root "$WORK" \
  --sync-interval 3600 --probe-interval 0 "${PROXY[@]}" > "$WORK/log" 2>&1 &
PID=$!; PIDS+=("$PID")
BASE=$(listening_addr "$WORK/log")
ADDR=${BASE#http://}
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/clusters"
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
say "server $BASE (pid $PID), RSS before: $(rss) kB"

# RSS sampler
( peak=0; while kill -0 "$PID" 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
    (( r > peak )) && { peak=$r; echo "$peak" > "$WORK/peak"; }
    sleep 0.1
  done ) & PIDS+=($!)

# the authenticated client beside the flood
wrk -t1 -c1 -d"$((FLOOD_SECONDS > 20 ? 20 : FLOOD_SECONDS))s" --latency \
  -H "Authorization: Bearer $TOKEN" "$BASE/api/clusters" > "$WORK/wrk" 2>&1 &
WRK=$!; PIDS+=("$WRK")

python3 - "$ADDR" "$FLOOD_THREADS" "$FLOOD_LOGINS" "$FLOOD_SECONDS" "$SPREAD" <<'PY'
import base64, collections, http.client, sys, threading, time
addr, threads, logins, seconds, spread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
host, port = addr.rsplit(":", 1)
deadline = time.monotonic() + seconds
counts = collections.Counter()
lock = threading.Lock()
def flood(t):
    conn = http.client.HTTPConnection(host, int(port), timeout=seconds)
    for i in range(logins):
        if time.monotonic() > deadline:
            break
        cred = base64.b64encode(f"made-up-{t}-{i}:guess{i}".encode()).decode()
        headers = {"Authorization": "Basic " + cred}
        if spread:
            headers["X-Forwarded-For"] = f"10.{t}.{i // 250}.{i % 250 + 1}"
        try:
            conn.request("GET", "/api/clusters", headers=headers)
            r = conn.getresponse(); r.read(); status = r.status
        except Exception as e:
            status = type(e).__name__
            conn.close(); conn = http.client.HTTPConnection(host, int(port), timeout=seconds)
        with lock:
            counts[status] += 1
start = time.monotonic()
ts = [threading.Thread(target=flood, args=(t,)) for t in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
print(f"flood: {sum(counts.values())} logins in {time.monotonic() - start:.1f} s: {dict(counts)}")
PY
wait "$WRK" || true
sleep 2
say "RSS peak: $(cat "$WORK/peak") kB, after: $(rss) kB"
say "authenticated GET (bearer) during the flood:"
sed -n '/Latency Distribution/,/Requests\/sec/p' "$WORK/wrk"

#!/usr/bin/env bash
# load.sh — the release server under a long mixed load on loopback, against the real lab:
# wrk, CONNS (64) connections, DURATION (5m): GETs over the clusters, volumes, the session list,
# one session, its options and the audit trail, and about one write a second (a real option
# set through gluster, alternating sync_jobs 3/4, on a session of our own: mastervol →
# HOST::slavevol8, created for the run and deleted after). Prints requests, errors (non-2xx and
# socket errors), p50/p99 latency and the server's RSS after a 15 s warm-up and at the end.
#
# Holds the lab lock (tests.lock) for the whole run: lab tests wait meanwhile.
# Usage: bash scripts/load.sh   (needs wrk, sqlite3, the lab: scripts/setup.sh, gluster-lab.sh up)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-5m}
SLAVE=slavevol8
HOST=${LAB_HOST:-$(hostname)}
say() { printf '=== load: %s\n' "$*" >&2; }
for t in wrk curl sqlite3 flock; do command -v "$t" >/dev/null || { echo "load: $t missing (run scripts/setup.sh)" >&2; exit 1; }; done

exec 9>/var/lib/georep-lab/tests.lock
say "waiting for the lab lock"
flock 9

say "cargo build --release -p georep"
(cd "$ROOT" && cargo build --release -q -p georep)
BIN=$CARGO_TARGET_DIR/release/georep
WORK=$(mktemp -d /tmp/georep-load.XXXXXX)
SERVER=
cleanup() {
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  bash "$ROOT/scripts/gluster-lab.sh" volume-delete "$SLAVE" 9>&- >/dev/null 2>&1 || true
  [[ -n ${KEEP:-} ]] && echo "load: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
bash "$ROOT/scripts/gluster-lab.sh" volume "$SLAVE" --fresh 9>&- >/dev/null

DB=$WORK/georep.db
"$BIN" --database "$DB" cluster add --name lab --host "$HOST" >/dev/null
"$BIN" --database "$DB" user add load --role admin >/dev/null
TOKEN=$("$BIN" --database "$DB" token add load --name wrk)
"$BIN" --database "$DB" --gluster-timeout 60 serve --listen 127.0.0.1:0 --site-root "$WORK" \
  --sync-interval 5 --probe-interval 0 2> "$WORK/server.log" 9>&- &
SERVER=$!
ADDR=$(listening_addr "$WORK/server.log")
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }
for _ in $(seq 1 60); do
  sqlite3 "$DB" "SELECT 1 FROM gluster_volumes WHERE name = '$SLAVE'" | grep -q 1 && break
  sleep 1
done
C=$(sqlite3 "$DB" "SELECT id FROM clusters")
M=$(sqlite3 "$DB" "SELECT id FROM gluster_volumes WHERE name = 'mastervol'")
V=/api/clusters/$C/glustervolumes/$M
say "creating the session mastervol -> $HOST::$SLAVE"
api -H 'Content-Type: application/xml' -o /dev/null -X POST "$ADDR$V/georeplication-sessions" \
  --data "<georeplication-session><slave_host_name>$HOST</slave_host_name><slavevolume>$SLAVE</slavevolume><force>true</force></georeplication-session>"
SID=$(sqlite3 "$DB" "SELECT session_id FROM gluster_georep_session WHERE slave_volume_name = '$SLAVE'")
S=$V/georeplication-sessions/$SID

# thread 1 writes once a second (one action at a time per session: never a refused second
# write), every other request of every thread is one of the GETs in turn
cat > "$WORK/mixed.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
local gets = { "/api/clusters", "/api/clusters/$C/glustervolumes", "$V/georeplication-sessions",
               "$S", "$S/options", "/api/events?limit=20" }
-- setup() runs in the main state; thread:set makes "id" a global of that thread's state
local counter, next_write, value, writing = 0, 0, 3, false
function setup(thread) counter = counter + 1; thread:set("id", counter) end
-- the next write waits for the answer to the last one (an option document or a fault)
function response(status, headers, body)
  if writing and (body:match("^<%?xml.-%?>%s*<option ") or body:find("<fault>", 1, true)) then
    writing = false
  end
end
-- wrk calls request() once before the run to check for pipelining and drops what it gets:
-- that call must not start a write (its answer would never come and no write would follow)
local checked = false
function request()
  local now = os.time()
  if id == 1 and checked and not writing and now >= next_write then
    next_write, writing = now + 1, true
    value = 7 - value
    -- a headers table replaces wrk.headers: the token again
    return wrk.format("PUT", "$S/options/sync_jobs",
                      { ["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/xml" },
                      "<option><value>" .. value .. "</value></option>")
  end
  checked = true
  counter = counter + 1
  return wrk.format("GET", gets[(counter % #gets) + 1])
end
LUA
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
say "warm-up 15 s"
wrk -t"$THREADS" -c"$CONNS" -d15s -s "$WORK/mixed.lua" "$ADDR" >/dev/null
RSS0=$(rss)
say "wrk $THREADS threads, $CONNS connections, $DURATION (RSS ${RSS0} kB)"
OUT=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout 10s -s "$WORK/mixed.lua" "$ADDR")
RSS1=$(rss)
echo "$OUT" >&2
sqlite3 "$DB" "SELECT 'audit trail:', action, result, count(*) FROM events GROUP BY 2, 3" >&2
WRITES=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = 'option_set' AND result = 'ok'")
REFUSED=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = 'option_set' AND result <> 'ok'")
sqlite3 "$DB" "SELECT result, substr(coalesce(message, ''), 1, 100), count(*) FROM events
  WHERE action = 'option_set' AND result <> 'ok' GROUP BY 1, 2" >&2
ERRORS=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$OUT")
api -o /dev/null -X DELETE "$ADDR$S"
printf 'duration\t%s\nconnections\t%s\nrequests\t%s\nrequests_per_s\t%s\nwrites_ok\t%s\nwrites_not_ok\t%s\nerrors\t%s\np50\t%s\np99\t%s\nrss_start_kb\t%s\nrss_end_kb\t%s\nrss_change\t%s\n' \
  "$DURATION" "$CONNS" "$(awk '/requests in/ {print $1}' <<<"$OUT")" "$(awk '/^Requests\/sec/ {print $2}' <<<"$OUT")" \
  "$WRITES" "$REFUSED" "$ERRORS" "$(awk '$1 == "50%" {print $2}' <<<"$OUT")" "$(awk '$1 == "99%" {print $2}' <<<"$OUT")" \
  "$RSS0" "$RSS1" "$(awk -v a="$RSS0" -v b="$RSS1" 'BEGIN { printf "%+.1f %%", 100 * (b - a) / a }')"
grep -q panicked "$WORK/server.log" && { echo "load: the server panicked" >&2; exit 1; }
[[ $ERRORS == 0 ]] || { echo "load: $ERRORS errors" >&2; exit 1; }

#!/usr/bin/env bash
# bench-page.sh — bytes on the wire and time to interactive of georep's pages in Debian's
# Chromium on a throttled link (CDP network emulation: DOWN_KBIT kbit/s each way, LATENCY ms;
# default 10 Mbit/s and 40 ms, issue 22 item 2), each page with an empty browser cache:
#   login     /login, not logged in
#   session   /sessions/ID of the seeded database, logged in (the page SESSION_PATH)
#   session warm  the same page again, the browser's cache kept (the year-long /pkg files)
# The release site of `build_release` (BUILD=0: the one already built); a temporary SQLite
# database with one seeded session (scripts/bench-seed.sh) and a fake gluster that always
# fails (no cluster is touched; what the page shows is read from the database); RUNS loads of
# each (default 5), medians printed by end2end/bench/page-load.mjs.
#
# Usage: bash scripts/bench-page.sh      (needs scripts/setup.sh: chromium, end2end/node_modules)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"
# shellcheck disable=SC1091
. "$ROOT/scripts/bench-seed.sh"
say() { printf '=== bench-page: %s\n' "$*" >&2; }

if [[ ${BUILD:-1} != 0 ]]; then
  say "build_release"
  (cd "$ROOT" && build_release)
fi
BIN=$CARGO_TARGET_DIR/release/georep
WORK=$(mktemp -d /tmp/georep-bench-page.XXXXXX)
SERVER=
cleanup() { [[ -z $SERVER ]] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
printf '#!/bin/sh\nexit 1\n' > "$WORK/gluster"; chmod 755 "$WORK/gluster"

PASSWORD=bench-page-pw
echo "$PASSWORD" | "$BIN" --database "$WORK/georep.db" user add bench --role admin --password-stdin >/dev/null
PRAGMA='PRAGMA foreign_keys = ON;' UUID=TEXT bench_seed_sql 1 | sqlite3 -bail "$WORK/georep.db"
"$BIN" --database "$WORK/georep.db" --gluster-command "$WORK/gluster" serve --listen 127.0.0.1:0 \
  --sync-interval 3600 --site-root "$GEOREP_SITE_ROOT" 2> "$WORK/server.log" &
SERVER=$!
ADDR=$(listening_addr "$WORK/server.log")
say "$(du -b --apparent-size "$GEOREP_SITE_ROOT/pkg" | cut -f1) bytes in $GEOREP_SITE_ROOT/pkg; server $ADDR"

cd "$ROOT/end2end"
BASE_URL=$ADDR BENCH_USER=bench BENCH_PASSWORD=$PASSWORD \
  SESSION_PATH=/sessions/10000000-0000-4000-8000-000000000001 \
  node bench/page-load.mjs

#!/usr/bin/env bash
# test.sh — set up this machine and run every georep test: Rust unit and integration tests
# (real SQLite, the real binary, the real gluster lab), then the browser tests (Playwright in
# Debian's chromium) against the release build. Artifacts: end2end/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh

echo "== gluster lab"
bash scripts/gluster-lab.sh up
export LAB_HOST=$(hostname)

echo "== two-cluster lab: from nothing (a run killed mid-test can leave gluster state that its reset cannot undo; the first test that needs it brings it up, ~10 s)"
bash scripts/gluster-lab2.sh down --full

echo "== import graph (no module circles)"
python3 scripts/imports.py server/src
python3 scripts/imports.py app/src

echo "== PostgreSQL (a throw-away server: the store's tests run on both engines)"
. scripts/pg.sh
pg_start
trap "pg_stop || true" EXIT
export GEOREP_REQUIRE_PG=1

echo "== cargo test"
cargo test -p georep -p app --no-fail-fast

echo "== the API's tests again with georep on PostgreSQL"
GEOREP_TEST_ENGINE=postgres cargo test -p georep --test it -- api::

echo "== cargo leptos build --release (precompressed site: build_release in env.sh)"
build_release

echo "== end-to-end (Playwright, Debian chromium)"
work=$(mktemp -d /tmp/georep-e2e.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# the same users and roles as the API: an admin and a viewer for the browser tests
export GEOREP_ADMIN_PASSWORD=${GEOREP_ADMIN_PASSWORD:-e2e-admin-pw} GEOREP_VIEWER_PASSWORD=${GEOREP_VIEWER_PASSWORD:-e2e-viewer-pw}
printf '%s\n' "$GEOREP_ADMIN_PASSWORD" | "$CARGO_TARGET_DIR/release/georep" --database "$work/georep.db" \
  user add admin --role admin --password-stdin >/dev/null
printf '%s\n' "$GEOREP_VIEWER_PASSWORD" | "$CARGO_TARGET_DIR/release/georep" --database "$work/georep.db" \
  user add viewer --role viewer --password-stdin >/dev/null
"$CARGO_TARGET_DIR/release/georep" --database "$work/georep.db" serve \
  --listen "127.0.0.1:$port" --site-root "$GEOREP_SITE_ROOT" --sync-interval 2 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; pg_stop || true' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
mkdir -p end2end/test-results
status=0
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
cp "$work/server.log" end2end/test-results/server.log
exit $status

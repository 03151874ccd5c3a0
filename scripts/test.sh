#!/usr/bin/env bash
# test.sh — set up this machine and run every georep test: Rust unit and integration tests
# (real SQLite, the real binary, the real gluster lab), then the browser tests (Playwright in
# Debian's chromium) against the release build. Artifacts: end2end/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
. scripts/env.sh

# The release site (for the browser tests) builds in the background, niced, while the tests
# below mostly wait on gluster: its tools (cargo-leptos, wasm-bindgen-cli: ~3 min of compiling
# on a fresh machine), then `cargo leptos build --release`. cargo locks target/release, the
# tests' build target/debug: the two do not wait for each other.
site_log=$(mktemp /tmp/georep-site-build.XXXXXX)
setsid -w bash -c 'renice -n 19 -p $$ >/dev/null; ionice -c 3 -p $$ 2>/dev/null || true
  bash scripts/setup.sh site-tools && . scripts/env.sh && build_release' >"$site_log" 2>&1 &
site_build=$!
server=
cleanup() {
  if [[ -n $site_build ]]; then kill -- -"$site_build" 2>/dev/null || true; fi
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  pg_stop 2>/dev/null || true
}
trap cleanup EXIT

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
export GEOREP_REQUIRE_PG=1

echo "== cargo test"
cargo test -p georep -p app --no-fail-fast

echo "== the API's tests again with georep on PostgreSQL"
# the same packages as above: the same features, so the same build (-p georep alone rebuilt
# app and georep with other features: 4.5 min on a fresh machine)
GEOREP_TEST_ENGINE=postgres cargo test -p georep -p app --test it -- api::

echo "== the release site (built in the background since the start: build_release in env.sh)"
t_wait=$SECONDS
if ! wait "$site_build"; then
  cat "$site_log"
  echo "test.sh: the release build failed" >&2
  exit 1
fi
site_build=
grep -E '^=== |Finished|Done|error' "$site_log" | tail -5 || true
echo "(waited $((SECONDS - t_wait)) s for it)"

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
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
mkdir -p end2end/test-results
status=0
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
cp "$work/server.log" end2end/test-results/server.log
exit $status

#!/usr/bin/env bash
# run.sh — set up this machine, build georep (release) and serve it on 127.0.0.1:3000 with the
# embedded SQLite database ./data/georep.db. When no cluster is registered yet, the local
# gluster lab (scripts/gluster-lab.sh) is brought up and registered as cluster "lab".
# Knobs: GEOREP_DATABASE, GEOREP_LISTEN, GEOREP_SYNC_INTERVAL, GEOREP_GLUSTER (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
# the compiler first: the server's build (the longest) starts while the rest is set up
bash scripts/setup.sh toolchain
. scripts/env.sh
export GEOREP_DATABASE=${GEOREP_DATABASE:-data/georep.db}
echo "== building georep (release)"
# on a fresh machine the server and the wasm compile while setup.sh installs the rest (apt, the
# wasm32 std) and compiles cargo-leptos and wasm-bindgen-cli, and the site is built (wasm-opt,
# precompression) beside the server's last crates (a second run finds all of it done and fresh)
server_log=$(mktemp /tmp/georep-prebuild-server.XXXXXX)
prebuild_server >"$server_log" 2>&1 &
server=$!
bash scripts/setup.sh base

# A new database will want the lab: it comes up meanwhile (it waits on gluster, not the cores).
lab=
if [[ ! -e $GEOREP_DATABASE ]]; then
  lab_log=$(mktemp /tmp/georep-lab-up.XXXXXX)
  bash scripts/gluster-lab.sh up >"$lab_log" 2>&1 &
  lab=$!
fi
lab_up() {
  if [[ -z $lab ]]; then bash scripts/gluster-lab.sh up; return; fi
  wait "$lab" || { cat "$lab_log"; echo "run.sh: the gluster lab did not come up" >&2; exit 1; }
  lab=
}

wasm_log=$(mktemp /tmp/georep-prebuild-wasm.XXXXXX)
prebuild_wasm >"$wasm_log" 2>&1 &
wasm=$!
failed() { cat "$1"; echo "run.sh: $2 failed" >&2; exit 1; }
bash scripts/setup.sh site-tools
wait "$wasm" || failed "$wasm_log" "the wasm's build"
site_log=$(mktemp /tmp/georep-site.XXXXXX)
build_site >"$site_log" 2>&1 &
site=$!
wait "$server" || failed "$server_log" "the server's build"
wait "$site" || failed "$site_log" "the site's build"
build_server
bin=$CARGO_TARGET_DIR/release/georep

if [[ -z "$("$bin" cluster list)" ]]; then
  echo "== no cluster registered: starting the gluster lab and registering it"
  lab_up
  "$bin" cluster add --name lab --host "$(hostname)" --description "single-machine gluster lab"
else
  # services do not survive a reboot: bring the lab back if it is the registered cluster
  if "$bin" cluster list | cut -f2 | grep -qx lab; then lab_up; fi
fi

echo "== georep on http://${GEOREP_LISTEN:-127.0.0.1:3000} (database $GEOREP_DATABASE)"
exec "$bin" serve --site-root "$GEOREP_SITE_ROOT"

#!/usr/bin/env bash
# run.sh — set up this machine, build georep (release) and serve it on 127.0.0.1:3000 with the
# embedded SQLite database ./data/georep.db. When no cluster is registered yet, the local
# gluster lab (scripts/gluster-lab.sh) is brought up and registered as cluster "lab".
# Knobs: GEOREP_DATABASE, GEOREP_LISTEN, GEOREP_SYNC_INTERVAL, GEOREP_GLUSTER (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh

echo "== building georep (release)"
build_release
bin=$CARGO_TARGET_DIR/release/georep
export GEOREP_DATABASE=${GEOREP_DATABASE:-data/georep.db}

if [[ -z "$("$bin" cluster list)" ]]; then
  echo "== no cluster registered: starting the gluster lab and registering it"
  bash scripts/gluster-lab.sh up
  "$bin" cluster add --name lab --host "$(hostname)" --description "single-machine gluster lab"
else
  # services do not survive a reboot: bring the lab back if it is the registered cluster
  if "$bin" cluster list | cut -f2 | grep -qx lab; then bash scripts/gluster-lab.sh up; fi
fi

echo "== georep on http://${GEOREP_LISTEN:-127.0.0.1:3000} (database $GEOREP_DATABASE)"
exec "$bin" serve --site-root "$GEOREP_SITE_ROOT"

#!/usr/bin/env bash
# bench-events.sh — how fast a change made with the gluster CLI shows in georep's REST when
# gluster pushes its events (issue 21 item 1): the lab test gluster_events.rs, whose server
# polls gluster once an hour, run RUNS times; its "figure:" lines (from the CLI call's return
# to REST showing the change, REST polled every 100 ms) printed per run.
# Usage: bash scripts/bench-events.sh   (the lab up: bash scripts/gluster-lab.sh up)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"
export LAB_HOST=${LAB_HOST:-$(hostname)}
cd "$ROOT"
for run in $(seq 1 "${RUNS:-3}"); do
  echo "== run $run"
  cargo test -q -p georep --test it gluster_events:: -- --nocapture 2>&1 | grep '^figure:' || {
    echo "bench-events: the test failed" >&2; exit 1; }
done

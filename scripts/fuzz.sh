#!/usr/bin/env bash
# fuzz.sh — the mutation fuzzer of server/tests/it/fuzz.rs, long: every parser of outside input
# (gluster's XML, /proc, request bodies, documents, Accept, names, option values) for
# FUZZ_SECONDS (default 600), optimised build. A crash fails the run and keeps its input in
# $CARGO_TARGET_DIR/fuzz-crashes/; FUZZ_SEED=<the seed it printed> replays the run.
#
# Usage: bash scripts/fuzz.sh            (cargo test runs the same harness for 4 s)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. scripts/env.sh
export FUZZ_SECONDS=${FUZZ_SECONDS:-600}
cargo test --release -q -p georep --test it -- --nocapture fuzz:: 2>&1 | grep -E '^fuzz|panicked|test result'

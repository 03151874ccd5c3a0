#!/usr/bin/env bash
# hardening.sh — issue 7's proofs, the long way (about 22 minutes): the hostile-input corpus,
# the web-security and fault tests (hung CLI; glusterd stopped and ssh failing on the
# two-cluster lab), crash consistency CRASH_RUNS times, the fuzzer for
# FUZZ_SECONDS, and the 5-minute load run. The short parts of the same tests run in every
# `cargo test` (scripts/test.sh, CI): the corpus, security, the hang fault, one crash run and
# a 4 s fuzz. Figures: README, "Reliability and security".
#
# Usage: bash scripts/hardening.sh    (FUZZ_SECONDS=600 CRASH_RUNS=5 DURATION=5m by default)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. scripts/env.sh
say() { printf '\n=== hardening: %s\n' "$*" >&2; }
bash scripts/gluster-lab.sh up
export LAB_HOST=${LAB_HOST:-$(hostname)}

say "hostile corpus, web security, faults (hung CLI: 504 and the lock released)"
cargo test -p georep --test it -- --nocapture hostile:: security:: api:: 2>&1 \
  | grep -E 'hostile cases|^test |test result|panicked'

say "faults on the two-cluster lab: glusterd stopped on the master pool, ssh to the slave's host failing"
cargo test -p georep --test it -- --nocapture clusters2:: 2>&1 \
  | grep -E 'glusterd stopped:|ssh to node3|timing: (glusterd|ssh) back|^test |test result|panicked'

say "crash consistency x ${CRASH_RUNS:=5}"
for i in $(seq 1 "$CRASH_RUNS"); do
  cargo test -q -p georep --test it -- --nocapture crash:: 2>&1 | grep -E '^crash:|test result|panicked'
done

say "fuzz ${FUZZ_SECONDS:=600} s"
FUZZ_SECONDS=$FUZZ_SECONDS bash scripts/fuzz.sh

say "load ${DURATION:=5m}"
DURATION=$DURATION bash scripts/load.sh

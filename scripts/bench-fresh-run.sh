#!/usr/bin/env bash
# bench-fresh-run.sh — how long `bash scripts/run.sh` takes to its first page from a fresh clone
# (issue 22 item 5: 20 min on 2 cores), with a timeline of its parts polled every 2 s.
#
#   bash scripts/bench-fresh-run.sh               an empty target dir, neither cargo tool (they
#                                                  are moved to OUT/tools-aside), apt's packages,
#                                                  the wasm32 std and the downloads kept
#   bash scripts/bench-fresh-run.sh --brand-new    also makes this machine brand-new for georep:
#                                                  DESTRUCTIVE, for a bench machine only. Purges
#                                                  the packages setup.sh installs that the machine
#                                                  kind does not start with (and what they alone
#                                                  needed), empties apt's cache, deletes the
#                                                  toolchain georep-web, the crates' downloads,
#                                                  npm's cache and the lab's state.
#
# Nothing else should run beside it. The server run.sh started keeps serving on
# 127.0.0.1:3000 afterwards (GEOREP_DATABASE OUT/clone/data/georep.db); stop it by hand.
# Figures: docs/benchmarks.md, "scripts/run.sh to the first page".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/georep-fresh-run}
BRAND_NEW=
[[ ${1:-} == --brand-new ]] && BRAND_NEW=1
if curl -sf -o /dev/null http://127.0.0.1:3000/; then
  echo "bench-fresh-run: something already answers on 127.0.0.1:3000" >&2; exit 1
fi
rm -rf "$OUT"; mkdir -p "$OUT/tools-aside"
for t in cargo-leptos wasm-bindgen; do
  [[ -e ~/.cargo/bin/$t ]] && mv -f ~/.cargo/bin/$t "$OUT/tools-aside/"
done
if [[ -n $BRAND_NEW ]]; then
  bash "$ROOT/scripts/gluster-lab2.sh" down --full >"$OUT/down.log" 2>&1
  bash "$ROOT/scripts/gluster-lab.sh" down --full >>"$OUT/down.log" 2>&1
  # setup.sh's packages but those a new machine of this kind has (gcc, libc6-dev, pkg-config,
  # openssh-client, psmisc, procps, curl, ca-certificates, sqlite3, postgresql, nodejs); the
  # six libraries at the end came with chromium, but something else recommends them, so
  # --autoremove alone keeps them
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --autoremove rustc-web cargo-web \
    rust-web-src rust-web-llvm lld-22 chromium fonts-liberation glusterfs-server \
    glusterfs-client openssh-server rsync attr wrk nginx-light brotli \
    libgtk-3-0 libgtk-3-common libcolord2 libepoxy0 libwayland-cursor0 libwayland-egl1 \
    >"$OUT/purge.log" 2>&1
  apt-get clean
  rm -f /var/lib/apt/lists/.georep-updated
  rm -rf "${GEOREP_TOOLCHAIN:-/opt/georep-toolchain}" "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/georep-web" \
    "${CARGO_HOME:-$HOME/.cargo}/registry" ~/.npm
fi
git clone -q "$ROOT" "$OUT/clone"
git -C "$OUT/clone" log --oneline -1 >"$OUT/commit"
T=$OUT/target
export CARGO_TARGET_DIR=$T
unset GEOREP_DATABASE GEOREP_SITE_ROOT LEPTOS_SITE_ROOT
# idle core-seconds (idle + iowait, all cores) since the start, beside each mark: what the
# build's order leaves unused
hz=$(getconf CLK_TCK)
idle() { awk -v hz="$hz" '/^cpu /{printf "%d", ($5 + $6) / hz; exit}' /proc/stat; }
idle0=$(idle)
start=$(date +%s)
(cd "$OUT/clone" && exec bash scripts/run.sh) >"$OUT/run.log" 2>&1 &
run=$!
declare -A seen
mark() {
  [[ -n ${seen[$1]:-} ]] && return
  seen[$1]=1
  printf '%-13s %4d s  (idle %4d core-s)\n' "$1" $(( $(date +%s) - start )) $(( $(idle) - idle0 )) \
    | tee -a "$OUT/timeline"
}
while ! curl -sf -o /dev/null http://127.0.0.1:3000/; do
  sleep 2
  grep -q 'setup: toolchain done' "$OUT/run.log" && mark toolchain
  grep -q 'setup: base done' "$OUT/run.log" && mark base
  [[ -x ~/.cargo/bin/cargo-leptos ]] && mark cargo-leptos
  [[ -x ~/.cargo/bin/wasm-bindgen ]] && mark wasm-bindgen
  [[ -e $T/front/wasm32-unknown-unknown/wasm-release/frontend.wasm ]] && mark wasm
  ls "$T"/site/pkg/*.wasm.gz >/dev/null 2>&1 && mark site
  [[ -e $T/release/georep ]] && mark server
  if ! kill -0 "$run" 2>/dev/null; then
    tail -20 "$OUT/run.log"; echo "bench-fresh-run: run.sh ended without serving" >&2; exit 1
  fi
done
mark "first page"

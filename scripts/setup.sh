#!/usr/bin/env bash
# setup.sh — everything georep needs on a fresh Debian 12 machine, idempotent.
#
# rustup cannot fetch the wasm32-unknown-unknown standard library here, so the client is
# built with Debian's rustc-web (its LLVM has the WebAssembly backend): the wasm32 std is
# compiled once from rust-web-src with -Zbuild-std into a private sysroot that rustup knows
# as the toolchain "georep-web". cargo-leptos is built without what a release site build never
# runs (scripts/site-tools), wasm-opt comes from npm's binaryen (Debian's binaryen 108 corrupts
# wasm-bindgen tables) and the JS minifier is npm's terser.
#
# Also installed: Debian chromium (end-to-end tests: parts test and all), the npm packages of end2end/ (never a
# browser download), and glusterfs-server, openssh-server, rsync for the gluster lab.
#
# Usage: bash scripts/setup.sh [PART]   (as root; a second run takes seconds)
#          PART: all (the default: test and site-tools);
#          base (what building and serving need but the two cargo-built tools of the release
#          site: run.sh); test (base and what only the tests and benchmarks need: chromium,
#          nginx, wrk, PostgreSQL, end2end/'s npm packages: test.sh);
#          site-tools (only cargo-leptos and wasm-bindgen-cli, after base: ~3 min of compiling
#          on 2 cores, which test.sh runs beside the lab tests);
#          toolchain (the first part of base: the compiler's packages and the toolchain
#          "georep-web" without its wasm32 std, enough for the server's build, which run.sh
#          starts before the rest of base)
#        source "$GEOREP_TOOLCHAIN/env" afterwards (the run and test scripts do it)
set -euo pipefail
PART=${1:-all}
[[ $PART =~ ^(all|base|test|site-tools|toolchain)$ ]] || { echo "usage: setup.sh [all|base|test|site-tools|toolchain]" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYSROOT=${GEOREP_TOOLCHAIN:-/opt/georep-toolchain}
TOOLCHAIN_NAME=georep-web
CARGO_LEPTOS_VERSION=0.3.11
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.51.4
NPM_TOOLS=$SYSROOT/npm
HOST_TRIPLE=x86_64-unknown-linux-gnu
WASM=wasm32-unknown-unknown
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export PATH="$CARGO_HOME/bin:$PATH"

# wasm-bindgen-cli must be exactly the wasm-bindgen of Cargo.lock
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock" 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}

say() { printf '=== [%s] setup: %s\n' "$(date +%T)" "$*"; }
t0=$(date +%s)

# the parts before the cargo tools: left out with `site-tools` (not indented: a heredoc below)
if [[ $PART != site-tools ]]; then
# ---------------------------------------------------------------- Debian packages
# the compiler's first (`toolchain`), then the rest, which run.sh installs beside the server's build
toolchain_pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 gcc libc6-dev pkg-config)
other_pkgs=(glusterfs-server glusterfs-client openssh-server openssh-client rsync attr psmisc procps
            curl ca-certificates brotli)
# the tests' and benchmarks' only: a server built by run.sh needs none of them
[[ $PART == base ]] || other_pkgs+=(chromium fonts-liberation sqlite3 postgresql wrk nginx-light)
# Node.js may come from another packaging that already ships npm; Debian's npm conflicts then
command -v npm >/dev/null || other_pkgs+=(nodejs npm)
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "apt-get install ${missing[*]}"
  for _ in $(seq 1 60); do
    fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock >/dev/null 2>&1 || break
    sleep 5
  done
  # once for both calls (a stamp younger than an hour)
  local stamp=/var/lib/apt/lists/.georep-updated
  if [[ -z $(find "$stamp" -mmin -60 2>/dev/null) ]]; then apt-get update -qq && touch "$stamp"; fi
  # no systemd here: keep package scripts from starting services (the lab starts its own)
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
}
apt_install "${toolchain_pkgs[@]}"
[[ -e /usr/bin/rust-lld ]] || { echo "setup: /usr/bin/rust-lld is dangling (lld-22 missing)" >&2; exit 1; }
/usr/bin/rustc --print target-list | grep -qx "$WASM" || { echo "setup: rustc-web lacks $WASM" >&2; exit 1; }
SRC=$(readlink -f "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust")
[[ -f "$SRC/library/Cargo.lock" ]] || { echo "setup: rust-web-src not found at $SRC" >&2; exit 1; }

# ---------------------------------------------------------------- the toolchain georep-web
mkdir -p "$SYSROOT/bin" "$SYSROOT/lib/rustlib/src"
ln -sfn "/usr/lib/rustlib/$HOST_TRIPLE" "$SYSROOT/lib/rustlib/$HOST_TRIPLE"
ln -sfn /usr/lib/rustlib/etc "$SYSROOT/lib/rustlib/etc"
ln -sfn "$SRC" "$SYSROOT/lib/rustlib/src/rust"
# Debian's rustc finds its sysroot from librustc_driver's location, so wrap it.
# The wasm is built with -Cpanic=immediate-abort (.cargo/config.toml: no unwinding or panic
# message machinery in the client), an unstable flag: allowed for the wasm32 target only.
for tool in rustc rustdoc; do
  printf '#!/bin/sh\ncase " $* " in *%s*) export RUSTC_BOOTSTRAP=1;; esac\nexec /usr/bin/%s --sysroot "%s" "$@"\n' \
    "$WASM" "$tool" "$SYSROOT" > "$SYSROOT/bin/$tool.new"
  chmod 755 "$SYSROOT/bin/$tool.new"; mv -f "$SYSROOT/bin/$tool.new" "$SYSROOT/bin/$tool"
done
ln -sfn /usr/bin/cargo "$SYSROOT/bin/cargo"

tlink="${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$TOOLCHAIN_NAME"
if [[ "$(readlink -f "$tlink" 2>/dev/null)" != "$(readlink -f "$SYSROOT")" ]]; then
  rm -f "$tlink"
  rustup toolchain link "$TOOLCHAIN_NAME" "$SYSROOT"
fi
# (renamed into place: scripts/env.sh may be sourcing it beside a second setup.sh)
cat > "$SYSROOT/env.new" <<ENV
# sourced by georep's scripts: cargo = Debian rustc-web + the wasm32 sysroot
export PATH="$CARGO_HOME/bin:$SYSROOT/launch:$NPM_TOOLS/bin:\$PATH"
export RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME
ENV
mv -f "$SYSROOT/env.new" "$SYSROOT/env"
if [[ $PART == toolchain ]]; then
  say "toolchain done in $(( $(date +%s) - t0 ))s: $(RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME rustc -V) (its wasm32 std is part of base)"
  exit 0
fi

apt_install "${other_pkgs[@]}"

# ---------------------------------------------------------------- its wasm32 std
# the std must have the wasm's panic strategy (embed-bitcode so that `lto = true` works downstream)
STD_RUSTFLAGS="-Cembed-bitcode=yes -Zunstable-options -Cpanic=immediate-abort"
rustc_id=$( (/usr/bin/rustc -vV; echo "$STD_RUSTFLAGS") | sha256sum | cut -c1-16)
stamp="$SYSROOT/.stamp-$WASM"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$rustc_id" ]]; then
  say "building the wasm32 standard library (once)"
  work=$(mktemp -d /tmp/georep-wasm-std.XXXXXX)
  mkdir -p "$work/src"
  printf '[package]\nname = "sysroot-dummy"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n' > "$work/Cargo.toml"
  echo '#![no_std]' > "$work/src/lib.rs"
  (cd "$work" && env -u RUSTUP_TOOLCHAIN RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
     RUSTC_BOOTSTRAP=1 RUSTFLAGS="$STD_RUSTFLAGS" CARGO_TARGET_DIR="$work/target" \
     /usr/bin/cargo build --release --target "$WASM" -Zbuild-std=std,panic_abort,test -q)
  dst="$SYSROOT/lib/rustlib/$WASM/lib"
  rm -rf "$dst.new"; mkdir -p "$dst.new"
  find "$work/target/$WASM/release/deps" -name '*.rlib' ! -name 'libsysroot_dummy-*' -exec cp {} "$dst.new/" \;
  rm -rf "$dst"; mv "$dst.new" "$dst"; rm -rf "$work"
  echo "$rustc_id" > "$stamp"
fi
# ---------------------------------------------------------------- npm tools
if ! "$NPM_TOOLS/bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*} "; then
  say "npm install binaryen@$BINARYEN_VERSION (wasm-opt)"
  npm install -g --prefix "$NPM_TOOLS" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi
# the release JS's minifier, which cargo-leptos runs (scripts/site-tools/cargo-leptos.patch)
if ! "$NPM_TOOLS/bin/terser" --version 2>/dev/null | grep -qx "terser $TERSER_VERSION"; then
  say "npm install terser@$TERSER_VERSION (the release JS's minifier)"
  npm install -g --prefix "$NPM_TOOLS" --no-audit --no-fund "terser@$TERSER_VERSION" >/dev/null
fi
# npm's wasm-opt is binaryen compiled to wasm, run by node: once per file of the split site
# (69), each run too short for V8's optimising tier to pay for itself. The wasm's baseline
# compiler only (--liftoff-only) gives the same bytes for 45 core-s less per site build
# (docs/benchmarks.md). cargo-leptos finds this launcher first on PATH (the env file's).
mkdir -p "$SYSROOT/launch"
printf '#!/bin/sh\nexec node --liftoff-only "%s/lib/node_modules/binaryen/bin/wasm-opt" "$@"\n' "$NPM_TOOLS" \
  > "$SYSROOT/launch/wasm-opt.new"
chmod 755 "$SYSROOT/launch/wasm-opt.new"; mv -f "$SYSROOT/launch/wasm-opt.new" "$SYSROOT/launch/wasm-opt"
if [[ $PART != base && -f "$ROOT/end2end/package.json" ]]; then
  if [[ ! -d "$ROOT/end2end/node_modules/@playwright/test" || "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]]; then
    say "npm ci in end2end/ (no browser download: Debian chromium is used)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
  fi
fi

fi

# ---------------------------------------------------------------- cargo tools
export RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME
# built in a temporary folder of their own, not in georep's target dir (whose lock the release
# build beside it holds: run.sh, test.sh)
unset CARGO_TARGET_DIR
if [[ $PART == site-tools || $PART == all ]]; then
has() { command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qw "$2"; }
# crates.io's source of NAME VERSION unpacked as DIR/NAME, checked against the checksum of
# crates.io's index (what cargo checks a download against)
crate_source() {
  local name=$1 version=$2 dir=$3 sum
  sum=$(curl -sSfL --retry 3 "https://index.crates.io/${name:0:2}/${name:2:2}/$name" \
    | grep -E "\"vers\": ?\"${version//./\\.}\"" | grep -oE '"cksum": ?"[0-9a-f]{64}"' | grep -oE '[0-9a-f]{64}' || true)
  [[ -n $sum ]] || { echo "setup: $name $version is not in crates.io's index" >&2; return 1; }
  curl -sSfL --retry 3 -o "$dir/$name.crate" "https://static.crates.io/crates/$name/$name-$version.crate"
  echo "$sum  $dir/$name.crate" | sha256sum -c --quiet
  tar -xzf "$dir/$name.crate" -C "$dir" && mv "$dir/$name-$version" "$dir/$name"
}
bins=()
has cargo-leptos "$CARGO_LEPTOS_VERSION" || bins+=(--bin cargo-leptos)
has wasm-bindgen "$WASM_BINDGEN_VERSION" || bins+=(--bin wasm-bindgen)
if ((${#bins[@]})); then
  # One cargo workspace (scripts/site-tools: its manifest, lock and cargo-leptos's patch), so
  # that what the two share compiles once, unoptimised; cargo-leptos without what a release
  # site build never runs (the patch says what), wasm-bindgen-cli for its one binary that
  # cargo-leptos runs, without the test runner's TLS. (docs/benchmarks.md)
  say "cargo-leptos $CARGO_LEPTOS_VERSION and wasm-bindgen-cli $WASM_BINDGEN_VERSION, built in one workspace (${bins[*]})"
  work=$(mktemp -d /tmp/georep-site-tools.XXXXXX)
  cp "$ROOT/scripts/site-tools/Cargo.toml" "$ROOT/scripts/site-tools/Cargo.lock" "$work/"
  crate_source cargo-leptos "$CARGO_LEPTOS_VERSION" "$work"
  crate_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION" "$work"
  (cd "$work/cargo-leptos" && git apply "$ROOT/scripts/site-tools/cargo-leptos.patch")
  # not --locked: a wasm-bindgen of georep's Cargo.lock newer than the kept lock's is resolved
  (cd "$work" && cargo build --release --no-default-features --features cargo-leptos/no_downloads "${bins[@]}")
  for b in "${bins[@]}"; do
    [[ $b == --bin ]] || install -m 755 "$work/target/release/$b" "$CARGO_HOME/bin/$b"
  done
  rm -rf "$work"
fi

fi

tools=$(RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME rustc -V)
[[ $PART == site-tools || $PART == all ]] && tools+=", $(cargo-leptos --version), $(wasm-bindgen --version)"
say "$PART done in $(( $(date +%s) - t0 ))s: $tools"

#!/usr/bin/env bash
# setup.sh — everything georep needs on a fresh Debian 12 machine, idempotent.
#
# rustup cannot fetch the wasm32-unknown-unknown standard library here, so the client is
# built with Debian's rustc-web (its LLVM has the WebAssembly backend): the wasm32 std is
# compiled once from rust-web-src with -Zbuild-std into a private sysroot that rustup knows
# as the toolchain "georep-web". cargo-leptos is built without its download features, and
# wasm-opt comes from npm's binaryen (Debian's binaryen 108 corrupts wasm-bindgen tables).
#
# Also installed: Debian chromium (end-to-end tests), the npm packages of end2end/ (never a
# browser download), and glusterfs-server, openssh-server, rsync for the gluster lab.
#
# Usage: bash scripts/setup.sh [PART]   (as root; a second run takes seconds)
#          PART: all (the default); base (all but the two cargo-built tools of the release
#          site, cargo-leptos and wasm-bindgen-cli: ~6 min of compiling on 2 cores, which
#          test.sh runs beside the lab tests); site-tools (only those two, after base);
#          toolchain (the first part of base: the compiler's packages and the toolchain
#          "georep-web" without its wasm32 std, enough for the server's build, which run.sh
#          starts before the rest of base)
#        source "$GEOREP_TOOLCHAIN/env" afterwards (the run and test scripts do it)
set -euo pipefail
PART=${1:-all}
[[ $PART =~ ^(all|base|site-tools|toolchain)$ ]] || { echo "usage: setup.sh [all|base|site-tools|toolchain]" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYSROOT=${GEOREP_TOOLCHAIN:-/opt/georep-toolchain}
TOOLCHAIN_NAME=georep-web
CARGO_LEPTOS_VERSION=0.3.11
CARGO_LEPTOS_SHA256=2d8cab2c1d4397b3275fd234757d6467c3db7b2fde13377ef9d543a5e80b0be0
BINARYEN_VERSION=132.0.0
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
other_pkgs=(chromium fonts-liberation glusterfs-server glusterfs-client openssh-server openssh-client
            rsync attr psmisc procps curl ca-certificates sqlite3 postgresql wrk nginx-light brotli)
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
# npm's wasm-opt is binaryen compiled to wasm, run by node: once per file of the split site
# (69), each run too short for V8's optimising tier to pay for itself. The wasm's baseline
# compiler only (--liftoff-only) gives the same bytes for 45 core-s less per site build
# (docs/benchmarks.md). cargo-leptos finds this launcher first on PATH (the env file's).
mkdir -p "$SYSROOT/launch"
printf '#!/bin/sh\nexec node --liftoff-only "%s/lib/node_modules/binaryen/bin/wasm-opt" "$@"\n' "$NPM_TOOLS" \
  > "$SYSROOT/launch/wasm-opt.new"
chmod 755 "$SYSROOT/launch/wasm-opt.new"; mv -f "$SYSROOT/launch/wasm-opt.new" "$SYSROOT/launch/wasm-opt"
if [[ -f "$ROOT/end2end/package.json" ]]; then
  if [[ ! -d "$ROOT/end2end/node_modules/@playwright/test" || "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]]; then
    say "npm ci in end2end/ (no browser download: Debian chromium is used)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
  fi
fi

fi

# ---------------------------------------------------------------- cargo tools
export RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME
# cargo install builds in a temporary folder of its own, not in georep's target dir (whose lock
# the release build beside it holds: run.sh, test.sh)
unset CARGO_TARGET_DIR
if [[ $PART != base ]]; then
has() { command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qw "$2"; }
if ! has cargo-leptos "$CARGO_LEPTOS_VERSION"; then
  say "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads: without a TLS provider or git templates)"
  # crates.io's source with two dependency features off that a no_downloads build never runs:
  # reqwest's TLS provider (aws-lc-sys, a C library) and cargo-generate's git templates (gix:
  # `cargo leptos new` from a local template still works). 806 crates become 654.
  src=$(mktemp -d /tmp/georep-cargo-leptos.XXXXXX)
  curl -sSfL --retry 3 -o "$src/crate.tgz" \
    "https://static.crates.io/crates/cargo-leptos/cargo-leptos-$CARGO_LEPTOS_VERSION.crate"
  echo "$CARGO_LEPTOS_SHA256  $src/crate.tgz" | sha256sum -c --quiet
  tar -xzf "$src/crate.tgz" -C "$src"
  dir=$src/cargo-leptos-$CARGO_LEPTOS_VERSION
  perl -0pi -e 's/(\[dependencies\.cargo-generate\]\nversion = "[^"]*"\n)/$1default-features = false\n/;
                s/(\[dependencies\.reqwest\]\nversion = "[^"]*"\nfeatures = \[\n    "blocking",\n    )"rustls",/$1"rustls-no-provider",/' \
    "$dir/Cargo.toml"
  # (reqwest's and tokio's entries have a default-features = false of their own: look in the block)
  grep -A2 '^\[dependencies\.cargo-generate\]$' "$dir/Cargo.toml" | grep -q '^default-features = false$' \
    && grep -q '"rustls-no-provider"' "$dir/Cargo.toml" \
    || { echo "setup: cargo-leptos $CARGO_LEPTOS_VERSION's manifest is not the expected one" >&2; exit 1; }
  # its lock, pruned of what those features brought (no version changes), for --locked
  cargo metadata --format-version 1 --manifest-path "$dir/Cargo.toml" >/dev/null
  # unoptimised: it only orchestrates cargo, wasm-bindgen and wasm-opt, so a build of the site
  # takes as long with it (51 s either way, same bytes), and it compiles in 5 min, not 33
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --path "$dir" --locked --features no_downloads --force
  rm -rf "$src"
fi
if ! has wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (the wasm-bindgen binary, no TLS)"
  # not --locked: its lock names a crate version the registry no longer serves. Only the binary
  # cargo-leptos runs, without the test runner's TLS (ring), unoptimised: it compiles in 71 s
  # instead of 178 s (opt-level 1) and 235 s (3), and binds the site's wasm to the same bytes in
  # 4 s instead of 1 (once per site build)
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=0 cargo install wasm-bindgen-cli \
    --version "$WASM_BINDGEN_VERSION" --no-default-features --bin wasm-bindgen --force
fi

fi

tools=$(RUSTUP_TOOLCHAIN=$TOOLCHAIN_NAME rustc -V)
[[ $PART == base ]] || tools+=", $(cargo-leptos --version), $(wasm-bindgen --version)"
say "$PART done in $(( $(date +%s) - t0 ))s: $tools"

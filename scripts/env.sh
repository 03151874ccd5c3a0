# Sourced by georep's scripts: the toolchain of scripts/setup.sh and a build cache outside
# the clone, so that a fresh clone (CI) reuses earlier builds.
GEOREP_TOOLCHAIN=${GEOREP_TOOLCHAIN:-/opt/georep-toolchain}
# shellcheck disable=SC1091
. "$GEOREP_TOOLCHAIN/env"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/georep/target}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# a clean clone (CI) never reuses its incremental state, which is gigabytes per run: off there
if [[ -n ${CI:-} ]]; then export CARGO_INCREMENTAL=0; fi
# cargo-leptos writes the site (wasm, js, css) under the target dir
export GEOREP_SITE_ROOT=${GEOREP_SITE_ROOT:-$CARGO_TARGET_DIR/site}
export LEPTOS_SITE_ROOT=$GEOREP_SITE_ROOT
# the scripts' servers and commands read no config file, not even an installed georep's
# /etc/georep/georep.toml (README "Configuration")
export GEOREP_CONFIG=${GEOREP_CONFIG:-/dev/null}

# The address a georep server started with `--listen 127.0.0.1:0` logged to LOG ("listening on
# http://..."): waits up to 10 s, else shows the log and fails.
listening_addr() {
  local log=$1 addr
  for _ in $(seq 1 100); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)
    [[ -n $addr ]] && { echo "$addr"; return 0; }
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}

# The release build: server, wasm and the site with hashed names (hash-files), each file with
# a brotli and a gzip sibling that the server sends as they are (server/src/assets.rs). The
# wasm is split (`--split`): every page but the login one is a lazy route whose code the
# browser loads when it first shows it (app/src/pages/mod.rs).
# The siblings are made here, not by cargo-leptos's --precompress: its gzip (libflate) came
# out 16 % larger than `gzip -9` for the wasm (browsers on plain HTTP are sent gzip: Chromium
# asks for brotli only over HTTPS or from localhost), and its precompression, compiled
# unoptimised with it, took 23.8 s for the site where Debian's brotli takes 5.7 s at the same
# quality (11).
build_release() {
  build_site && build_server
}
# Its two halves: the site (wasm, split, wasm-bindgen, wasm-opt, hashed names, the compressed
# siblings: all that needs only the wasm's build), then the server (whose build finds hash.txt
# beside it). cargo-leptos runs them in this order anyway when hash-files is on.
LEPTOS_BUILD=(cargo leptos build --release --split)
build_site() {
  "${LEPTOS_BUILD[@]}" --frontend-only
  find "$GEOREP_SITE_ROOT" -type f ! -name '*.gz' ! -name '*.br' -exec gzip -9 -k -n -f {} + \
    -exec brotli -q 11 -k -f {} +
}
build_server() {
  "${LEPTOS_BUILD[@]}" --server-only
}

# The two cargo builds of build_release, started before cargo-leptos exists: run.sh runs them
# while setup.sh compiles cargo-leptos and wasm-bindgen-cli on a fresh machine, so that the
# cores are busy in each build's serial tail (linking, the one big crate), and builds the site
# once the wasm is done, beside the server's tail. The commands and the environment are the
# ones cargo-leptos 0.3 gives them (`cargo leptos build -vv` prints the wasm's), so its own
# build finds both fresh; a difference would only cost time (it rebuilds).
PREBUILD_ENV=(LEPTOS_OUTPUT_NAME=georep "LEPTOS_SITE_ROOT=$GEOREP_SITE_ROOT" LEPTOS_SITE_PKG_DIR=pkg
              LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend
              LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=true
              LEPTOS_HASH_FILE_NAME=hash.txt)
prebuild_wasm() {
  env "${PREBUILD_ENV[@]}" RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Clink-args=--emit-relocs" cargo build --package=frontend --lib \
    "--target-dir=$CARGO_TARGET_DIR/front" --target=wasm32-unknown-unknown --no-default-features \
    --profile=wasm-release
}
prebuild_server() {
  env "${PREBUILD_ENV[@]}" cargo build --package=georep --bin=georep --no-default-features --release
}

//! Bytes on the wire. `/pkg` (the wasm, js and css cargo-leptos builds) is served from the
//! brotli and gzip siblings the release build made once (`build_site`, scripts/env.sh), and kept a
//! year by browsers when its name carries its content's hash (cargo-leptos `hash-files`, also
//! on the pieces of a wasm split by `--split`);
//! every other answer is compressed on the fly when the client asks.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// The file cargo-leptos writes the content hashes of the site's js, wasm and css to.
const HASH_FILE: &str = "hash.txt";

/// Where the hash file of the site in `site_root` is: in the site itself (an installed site
/// carries its names with it), else beside this executable, where `cargo leptos build`
/// leaves it (and where leptos looks for a relative name). None: the names are not hashed.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(HASH_FILE)));
    std::iter::once(site_root.join(HASH_FILE))
        .chain(beside_exe)
        .find(|p| p.is_file())
}

/// The hashed names in `/pkg` the pages link to: the wasm, js and css (`georep.<hash>.wasm`,
/// …) and, in a site built with `--split`, the split loader, its manifest and every piece of
/// the wasm the manifest names (`chunk_3.<hash>.wasm`, `split___….<hash>.wasm`).
fn hashed_names(options: &LeptosOptions, pkg: &Path) -> HashSet<String> {
    if !options.hash_files {
        return HashSet::new();
    }
    let text = std::fs::read_to_string(options.hash_file.as_ref()).unwrap_or_default();
    let mut names = HashSet::new();
    for (kind, hash) in text.lines().filter_map(|l| l.split_once(':')) {
        let (kind, hash) = (kind.trim(), hash.trim());
        let name = match kind {
            "js" | "wasm" | "css" => format!("{}.{hash}.{kind}", options.output_name),
            "split" => format!("__wasm_split.{hash}.js"),
            "manifest" => format!("__wasm_split_manifest.{hash}.json"),
            _ => continue,
        };
        if kind == "manifest" {
            names.extend(split_pieces(&pkg.join(&name)));
        }
        names.insert(name);
    }
    names
}

/// The wasm pieces a split manifest names: `{"<route>": ["chunk_3.<hash>", …], …}`.
fn split_pieces(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let routes: std::collections::HashMap<String, Vec<String>> =
        serde_json::from_str(&text).unwrap_or_default();
    routes
        .into_values()
        .flatten()
        .map(|piece| format!("{piece}.wasm"))
        .collect()
}

/// `/pkg/*`: the precompressed sibling the client accepts (`.br`, `.gz`; else the file), with
/// `Cache-Control` for a year on hashed names and a revalidation on any other.
pub fn pkg<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let hashed = hashed_names(options, &dir);
    let wasm = hashed
        .iter()
        .find(|n| n.ends_with(".wasm"))
        .cloned()
        .unwrap_or_else(|| format!("{}.wasm", options.output_name));
    // a page whose wasm is missing renders but never hydrates: say so once, at the start
    if !dir.join(&wasm).is_file() {
        tracing::warn!(
            "no {wasm} in {}: pages will not come alive (cargo leptos build --release)",
            dir.display()
        );
    }
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new().nest_service(
        "/pkg",
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(Arc::new(hashed), cache))
            .service(files),
    )
}

async fn cache(State(hashed): State<Arc<HashSet<String>>>, req: Request, next: Next) -> Response {
    let immutable = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|name| hashed.contains(name));
    let mut resp = next.run(req).await;
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        let h = resp.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                // the same name may hold other bytes after the next build
                "no-cache"
            }),
        );
        // the body is the sibling the client accepted
        h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    resp
}

/// Every other answer (pages, server functions, REST documents) in brotli or gzip when the
/// client asks; tower-http's default leaves out what is already encoded (`/pkg`), tiny
/// bodies, images and `text/event-stream` (the live updates would wait for a compressor's
/// block instead of arriving at once).
pub fn compression() -> CompressionLayer {
    CompressionLayer::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_of_the_hash_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(HASH_FILE);
        std::fs::write(&file, "js: AbC\nwasm: dEf-1\ncss: x_Y\n").unwrap();
        assert_eq!(hash_file(dir.path()), Some(file.clone()));
        let options = LeptosOptions::builder()
            .output_name("georep")
            .hash_files(true)
            .hash_file(file.to_str().unwrap().into())
            .build();
        let names = |options: &LeptosOptions| {
            let mut names: Vec<_> = hashed_names(options, dir.path()).into_iter().collect();
            names.sort();
            names
        };
        assert_eq!(
            names(&options),
            ["georep.AbC.js", "georep.dEf-1.wasm", "georep.x_Y.css"]
        );
        let unhashed = LeptosOptions::builder().output_name("georep").build();
        assert!(hashed_names(&unhashed, dir.path()).is_empty());

        // a split site: its loader, its manifest and the pieces the manifest names
        std::fs::write(&file, "wasm: W\nmanifest: M\nsplit: S\nother: O\n").unwrap();
        std::fs::write(
            dir.path().join("__wasm_split_manifest.M.json"),
            r#"{"__a_route_view_1":["chunk_1.H1","split___a_route_view_1_0.H2"],"__b":["chunk_1.H1"]}"#,
        )
        .unwrap();
        assert_eq!(
            names(&options),
            [
                "__wasm_split.S.js",
                "__wasm_split_manifest.M.json",
                "chunk_1.H1.wasm",
                "georep.W.wasm",
                "split___a_route_view_1_0.H2.wasm"
            ]
        );
    }
}

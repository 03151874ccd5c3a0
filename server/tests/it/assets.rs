//! Bytes on the wire from the real binary: `/pkg` from its precompressed siblings with a year
//! of cache on hashed names, pages and REST documents compressed where the client asks, the
//! live-update stream never. The site is made here: debug test runs have no built site, so
//! the temporary site root gets a fake `pkg/georep.<hash>.wasm` (and an unhashed one), their
//! `.br` siblings (bytes no decoder is asked to read) and `.gz` siblings (real gzip), and the
//! `hash.txt` cargo-leptos would write.
use std::io::{Read, Write};

use crate::common;

const ADMIN_PW: &str = "assets-admin-pw";
const HASH: &str = "Zm9vYmFyYmF6cXV4MTIzNA";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A client that decodes nothing itself (reqwest is built without its decoders: checked by
/// the raw bytes below) and follows no redirect.
async fn get(url: String, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn pkg_precompressed_and_cached_answers_compressed() {
    let dir = tempfile::tempdir().unwrap();
    // the site root of `common::serve` is the database's folder
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..4096u32).flat_map(|i| (i % 7).to_le_bytes()))
        .collect();
    let br = b"fake brotli bytes".to_vec();
    for name in [format!("georep.{HASH}.wasm"), "georep.wasm".into()] {
        std::fs::write(pkg.join(&name), &wasm).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), &br).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), gzip(&wasm)).unwrap();
    }
    std::fs::write(
        dir.path().join("hash.txt"),
        format!("js: J{HASH}\nwasm: {HASH}\ncss: C{HASH}\n"),
    )
    .unwrap();
    let s = common::serve_apart(&dir.path().join("georep.db"), &[], &[], ADMIN_PW);
    let hashed = format!("{}/pkg/georep.{HASH}.wasm", s.base);

    // brotli: the .br sibling as it is, kept a year
    let r = get(hashed.clone(), &[("accept-encoding", "br")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-encoding"), "br");
    assert_eq!(header(&r, "content-type"), "application/wasm");
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&r, "vary").contains("accept-encoding"));
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), br.as_slice());
    // gzip where brotli is not accepted; the file itself where nothing is
    let r = get(hashed.clone(), &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert_eq!(gunzip(&r.bytes().await.unwrap()), wasm);
    let r = get(hashed.clone(), &[]).await;
    assert_eq!(header(&r, "content-encoding"), "");
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    // a name without the hash may hold other bytes after the next build: revalidated
    let r = get(
        format!("{}/pkg/georep.wasm", s.base),
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(header(&r, "content-encoding"), "br");
    assert_eq!(header(&r, "cache-control"), "no-cache");

    // the page links the hashed names of hash.txt, compressed like any answer
    let r = get(format!("{}/login", s.base), &[("accept-encoding", "gzip")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert!(
        header(&r, "cache-control").is_empty(),
        "pages are not cached"
    );
    let html = String::from_utf8(gunzip(&r.bytes().await.unwrap())).unwrap();
    for linked in [
        format!("/pkg/georep.{HASH}.wasm"),
        format!("/pkg/georep.J{HASH}.js"),
        format!("/pkg/georep.C{HASH}.css"),
    ] {
        assert!(html.contains(&linked), "{linked} in {html}");
    }

    // a REST document: gzip-encoded when asked, the same document decoded (cached or not)
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("admin:{ADMIN_PW}")
        )
    );
    for _ in 0..2 {
        let zipped = get(
            format!("{}/api", s.base),
            &[("authorization", &auth), ("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(zipped.status(), 200);
        assert_eq!(header(&zipped, "content-encoding"), "gzip");
        assert!(header(&zipped, "vary").contains("accept-encoding"));
        assert!(header(&zipped, "cache-control").is_empty());
        let plain = get(format!("{}/api", s.base), &[("authorization", &auth)]).await;
        assert_eq!(header(&plain, "content-encoding"), "");
        let plain = plain.bytes().await.unwrap();
        assert!(plain.starts_with(b"<?xml"));
        assert_eq!(gunzip(&zipped.bytes().await.unwrap()), plain);
    }

    // the live updates' stream is never held back by a compressor
    let login = reqwest::Client::new()
        .post(format!("{}/rpc/login", s.base))
        .header("accept", "application/json")
        .form(&[("name", "admin"), ("password", ADMIN_PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = header(&login, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let live = get(
        format!("{}/rpc/live", s.base),
        &[("cookie", &cookie), ("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(live.status(), 200);
    assert!(header(&live, "content-type").starts_with("text/event-stream"));
    assert_eq!(header(&live, "content-encoding"), "");
}

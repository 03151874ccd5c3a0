//! The ceiling of `scripts/bench-api.sh`: the server's own stack (axum on hyper and tokio,
//! mimalloc, served as georep serves: its HTTP workers, `georep::edge`) answering every GET
//! with one fixed document and the headers georep sent with it, with nothing in front: no
//! layer, no authentication, no cache lookup. What georep's REST GET can reach on a machine is
//! at most what this reaches there.
//!
//! Usage: `bench_ceiling ADDR HEADERS BODY` (HEADERS: `name: value` lines, as `curl -D` wrote
//! them; the status line and `content-length` are skipped). Prints `listening on http://ADDR`.
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::Router;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, headers, body] = &args[..] else {
        eprintln!("usage: bench_ceiling ADDR HEADERS BODY");
        std::process::exit(2);
    };
    let mut map = HeaderMap::new();
    for line in std::fs::read_to_string(headers)?.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "content-length" | "date" | "transfer-encoding"
        ) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.trim()),
        ) {
            map.append(n, v);
        }
    }
    let body = Bytes::from(std::fs::read(body)?);
    let app = Router::new().fallback(move || {
        let (map, body) = (map.clone(), body.clone());
        async move { (map, body).into_response() }
    });
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on http://{}", listener.local_addr()?);
    // never stopped: the script kills it
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    georep::edge::serve(listener, None, app, stopped).await
}

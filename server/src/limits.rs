//! Request bodies: one limit per kind of route, enforced for every route before any handler
//! (or leptos' server-function decoder) sees the body, answered with 413 everywhere.
//!
//! A body over the limit is still read and dropped up to `DRAIN` before the 413: a server
//! that answers while the client is still sending closes the connection under it, and the
//! client sees a reset instead of the answer (and a reused connection fails next time).
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The REST API's documents (API.md: 413 over 1 MiB).
pub const API_BODY: usize = 1 << 20;
/// The server functions' arguments (the anonymous login among them) are a few form fields.
pub const RPC_BODY: usize = 32 << 10;
/// Pages and files take no body.
pub const OTHER_BODY: usize = 32 << 10;
/// Read and dropped at most this much of a body over its limit (see the module's comment).
pub const DRAIN: usize = 8 << 20;

/// The limit of a request to `path`.
pub fn body_limit(path: &str) -> usize {
    if path == "/api" || path.starts_with("/api/") {
        API_BODY
    } else if path.starts_with("/rpc/") {
        RPC_BODY
    } else {
        OTHER_BODY
    }
}

/// A body over its limit (or cut off: nobody is left to read the answer then).
#[derive(Debug)]
pub struct TooLarge;

/// The body, at most `limit` bytes; a longer one is drained up to `DRAIN` and refused.
pub async fn read_or_drain(body: Body, limit: usize) -> Result<Bytes, TooLarge> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| TooLarge)?;
        seen += chunk.len();
        if seen > DRAIN {
            return Err(TooLarge);
        }
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(TooLarge);
    }
    Ok(buf.into())
}

/// How the REST API answers 413 in its own format (given by the router: the API is above).
pub type ApiRefusal = fn(&HeaderMap, String) -> Response;

/// Every request: its body read within its limit before the route runs, else 413 in the
/// route's own error format (`<fault>`, the server functions' JSON error, or text).
pub async fn layer(State(api): State<ApiRefusal>, req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    if req.body().size_hint().exact() == Some(0) {
        return next.run(req).await;
    }
    let limit = body_limit(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (parts, body) = req.into_parts();
    let read = match declared {
        // not even drained: more than anyone is made to wait for
        Some(len) if len > DRAIN as u64 => Err(TooLarge),
        _ => read_or_drain(body, limit).await,
    };
    match read {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(TooLarge) => {
            tracing::info!(path = %parts.uri.path(), limit, "request body too large");
            too_large(&parts, limit, api)
        }
    }
}

fn too_large(parts: &axum::http::request::Parts, limit: usize, api: ApiRefusal) -> Response {
    let detail = format!("a request body has at most {limit} bytes");
    let path = parts.uri.path();
    if body_limit(path) == API_BODY {
        return api(&parts.headers, detail);
    }
    if path.starts_with("/rpc/") {
        let e = app::error::AppError::Invalid(detail);
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            serde_json::to_string(&e).unwrap_or_default(),
        )
            .into_response();
    }
    (StatusCode::PAYLOAD_TOO_LARGE, detail).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_by_route() {
        assert_eq!(body_limit("/api/clusters"), API_BODY);
        assert_eq!(body_limit("/api"), API_BODY);
        assert_eq!(body_limit("/apix"), OTHER_BODY);
        assert_eq!(body_limit("/rpc/login"), RPC_BODY);
        assert_eq!(body_limit("/"), OTHER_BODY);
    }

    #[tokio::test]
    async fn a_long_body_is_drained_then_refused() {
        let ok = read_or_drain(Body::from(vec![b'x'; 10]), 10).await.unwrap();
        assert_eq!(ok.len(), 10);
        assert!(read_or_drain(Body::from(vec![b'x'; 11]), 10).await.is_err());
        assert!(read_or_drain(Body::from(vec![b'x'; DRAIN + 1]), 10)
            .await
            .is_err());
    }
}

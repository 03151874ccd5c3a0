//! A REST GET answered before the router, when everything it needs is already at hand: a
//! bearer token the authenticator verified within its cache's lifetime, and the document
//! the cache holds for the current generation. Anything else (another method, a body, Basic
//! or an unknown token, a document not held) goes the whole way: the login gate, the body
//! limit, the API's edge, the cache's fill. The answer is the one the whole way stored, so it
//! is the same bytes and headers; the security headers and compression (a client that accepts
//! gzip or brotli gets the held document encoded, as the whole way's) are layers around both
//! (startup.rs).
//!
//! Why: the whole way is a dozen boxed layers per request, and a cached GET is what REST
//! clients poll (docs/benchmarks.md, "REST throughput").
use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::HttpBody;
use axum::extract::Request;
use axum::http::{header, Method, Uri};
use axum::response::Response;
use futures_util::future::BoxFuture;
use tower::{Service, ServiceExt};

use super::cache::DocCache;
use super::repr::Format;
use crate::service::auth::Authenticator;

/// `inner` (the router) behind the fast path.
#[derive(Clone)]
pub struct CachedGets<S> {
    inner: S,
    docs: DocCache,
    auth: Authenticator,
}

impl<S> CachedGets<S> {
    pub fn new(inner: S, docs: DocCache, auth: Authenticator) -> Self {
        CachedGets { inner, docs, auth }
    }
}

impl<S> Service<Request> for CachedGets<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // the service made ready is the one called; a clone stays for the next request
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        let ask = may_be_held(&self.auth, &req);
        let docs = self.docs.clone();
        Box::pin(async move {
            if let Some((uri, format)) = ask {
                if let Some(resp) = docs.peek(&uri, format).await {
                    return Ok(resp);
                }
            }
            inner.oneshot(req).await
        })
    }
}

/// What to look up for `req` when it may be answered without a step of the whole way.
fn may_be_held(auth: &Authenticator, req: &Request) -> Option<(Uri, Format)> {
    let path = req.uri().path();
    if req.method() != Method::GET
        || !(path == "/api" || path.starts_with("/api/"))
        || req.body().size_hint().exact() != Some(0)
    {
        return None;
    }
    let headers = req.headers();
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = super::scheme_and_rest(value);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    // every user may read every document (cache.rs); the token need only be a known one
    auth.remembered_bearer(token)?;
    Some((req.uri().clone(), Format::from_headers(headers)))
}

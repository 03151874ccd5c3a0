//! Browser-facing protections on every answer: security headers, a Content-Security-Policy
//! (the SSR page's own carries the nonce leptos puts on its hydration scripts), and a
//! same-origin check on every state-changing request (CSRF) — the UI's server functions
//! under `/rpc` and the REST API alike.
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// What a page may load: its own scripts, styles, images and fetches, nothing inline but the
/// scripts that carry the page's nonce (`nonce` None: no inline script at all).
/// `'wasm-unsafe-eval'` lets the hydration script compile the app's WebAssembly; it allows no
/// `eval` of JavaScript.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// For the leptos context of a rendered page: its CSP names the nonce of this render
/// (leptos_axum draws one per page and puts it on every inline script it writes).
pub fn provide_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(resp)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(v) = HeaderValue::try_from(content_security_policy(Some(&nonce))) {
        resp.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The security headers, as layers around the whole server (answers from before the router
/// carry them too): the default CSP unless the answer set its own (a page's, with its nonce),
/// and the three fixed ones.
pub type Headers = tower::layer::util::Stack<
    SetResponseHeaderLayer<HeaderValue>,
    tower::layer::util::Stack<
        SetResponseHeaderLayer<HeaderValue>,
        tower::layer::util::Stack<
            SetResponseHeaderLayer<HeaderValue>,
            tower::layer::util::Stack<
                SetResponseHeaderLayer<HeaderValue>,
                tower::layer::util::Identity,
            >,
        >,
    >,
>;

pub fn headers() -> tower::ServiceBuilder<Headers> {
    let default_csp =
        HeaderValue::try_from(content_security_policy(None)).expect("a constant header value");
    tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            default_csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Adds the same-origin check to every route of `router`.
pub fn same_origin_layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(middleware::from_fn(same_origin))
}

/// Refuses a state-changing request that a browser sent on behalf of another site. The rule is
/// Go's `net/http.CrossOriginProtection`: `Sec-Fetch-Site` when the browser sends it, else
/// `Origin` against `Host`; a request with neither does not come from a browser (curl,
/// automation) and carries no ambient credentials, so it passes.
async fn same_origin(req: Request, next: Next) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    match cross_origin(req.headers(), authority.as_deref()) {
        None => next.run(req).await,
        Some(why) => {
            tracing::warn!(path = %req.uri().path(), %why, "cross-origin request refused");
            let detail = format!("cross-origin request refused: {why}");
            if req.uri().path().starts_with("/api/") {
                crate::api::Fault::new(StatusCode::FORBIDDEN, "Forbidden", detail).into_response()
            } else if req.uri().path().starts_with("/rpc/") {
                // what the UI's server-function client decodes
                crate::web::rpc_error(
                    StatusCode::FORBIDDEN,
                    app::error::AppError::Forbidden(detail),
                )
            } else {
                (StatusCode::FORBIDDEN, detail).into_response()
            }
        }
    }
}

/// Why the request is cross-origin, or None.
fn cross_origin(h: &HeaderMap, uri_authority: Option<&str>) -> Option<String> {
    if let Some(site) = h.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => None,
            other => Some(format!(
                "Sec-Fetch-Site: {}",
                String::from_utf8_lossy(other)
            )),
        };
    }
    let origin = h.get(header::ORIGIN)?;
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(uri_authority);
    let origin_authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a);
    match (origin_authority, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => None,
        _ => Some(format!(
            "Origin {} is not {}",
            String::from_utf8_lossy(origin.as_bytes()),
            host.unwrap_or("this server")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rule() {
        let host = ("host", "127.0.0.1:3000");
        for ok in [
            vec![host],
            vec![host, ("sec-fetch-site", "same-origin")],
            vec![host, ("sec-fetch-site", "none")],
            vec![host, ("origin", "http://127.0.0.1:3000")],
            vec![host, ("origin", "https://127.0.0.1:3000")],
            // Sec-Fetch-Site decides when present
            vec![host, ("sec-fetch-site", "same-origin"), ("origin", "null")],
        ] {
            assert_eq!(cross_origin(&headers(&ok), None), None, "{ok:?}");
        }
        for bad in [
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://127.0.0.1:3001")],
            vec![host, ("origin", "null")],
            vec![("origin", "http://127.0.0.1:3000")],
        ] {
            assert!(cross_origin(&headers(&bad), None).is_some(), "{bad:?}");
        }
        assert_eq!(
            cross_origin(&headers(&[("origin", "http://a:1")]), Some("a:1")),
            None
        );
    }

    #[test]
    fn policy_names_the_nonce_and_no_unsafe_inline() {
        let p = content_security_policy(Some("abc"));
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains("unsafe-inline") && !content_security_policy(None).contains("nonce"));
    }
}

//! The browser's edge: the login gate in front of the pages and the server functions, the
//! backend the server functions call, and the live-update stream.
mod backend;
pub mod client;
pub mod live;

pub use backend::UiBackend;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::backend::{cookie_value, SECURE_SESSION_COOKIE, SESSION_COOKIE};
use app::error::AppError;
use app::rpc::READ_ONLY_ENDPOINTS;
use app::views::Me;

use crate::service::auth::{Authenticator, Principal};

/// Paths that are not the browser's business (own authentication or none needed).
fn ungated(path: &str) -> bool {
    path.starts_with("/api")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/metrics" // its own bearer token (metrics.rs)
        || path.starts_with("/hooks/") // a cluster's bearer token (api/hooks.rs)
        || path == "/favicon.ico"
        || path == "/robots.txt"
}

fn me(p: Principal) -> Me {
    Me {
        name: p.name,
        role: p.role,
    }
}

/// The login gate's state: who checks the cookie, and which cookie (over TLS only the
/// `__Host-` one counts).
#[derive(Clone)]
pub struct Gate {
    pub auth: Authenticator,
    pub tls: bool,
}

/// The login cookie's name on a server with or without TLS.
pub fn cookie_name(tls: bool) -> &'static str {
    if tls {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Every page and server function: who is logged in (by the session cookie). Pages send a
/// stranger to `/login`; server functions answer 401, and 403 to a viewer for anything that
/// changes something. The user travels in the request for the server functions.
pub async fn gate(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    let auth = gate.auth;
    let path = req.uri().path().to_owned();
    if ungated(&path) {
        return next.run(req).await;
    }
    let user = match cookie_value(req.headers(), cookie_name(gate.tls)) {
        Some(c) => match auth.web_session(&c).await {
            Ok(p) => p.map(me),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the browser session");
                return rpc_error(StatusCode::SERVICE_UNAVAILABLE, AppError::Internal);
            }
        },
        None => None,
    };
    if let Some(endpoint) = path.strip_prefix("/rpc/") {
        match &user {
            _ if endpoint == "login" => {}
            None => {
                return rpc_error(
                    StatusCode::UNAUTHORIZED,
                    AppError::Unauthorized("log in first (or the login expired)".into()),
                )
            }
            Some(me) if !me.can_act() && !READ_ONLY_ENDPOINTS.contains(&endpoint) => {
                return rpc_error(
                    StatusCode::FORBIDDEN,
                    AppError::Forbidden(format!("{} may only read", me.name)),
                );
            }
            Some(_) => {}
        }
    } else if user.is_none() && path != "/login" && req.method() == Method::GET {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let to = format!(
            "/login?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish()
        );
        return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    }
    if let Some(me) = user {
        req.extensions_mut().insert(me);
    }
    let rpc = path.starts_with("/rpc/");
    let resp = next.run(req).await;
    if rpc && resp.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return with_error_status(resp).await;
    }
    // no such server function (the site's 404 page) or not with this method (axum's empty
    // 405): answered as every server-function error is, in JSON the UI decodes
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if rpc && !json {
        match resp.status() {
            StatusCode::NOT_FOUND => {
                return rpc_error(
                    StatusCode::NOT_FOUND,
                    AppError::NotFound(format!("no server function {path}")),
                )
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                let mut r = rpc_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    AppError::Invalid(format!("{path} is called with POST")),
                );
                if let Some(allow) = resp.headers().get(header::ALLOW) {
                    r.headers_mut().insert(header::ALLOW, allow.clone());
                }
                return r;
            }
            _ => {}
        }
    }
    resp
}

/// HTTP status of a server function's error. Leptos answers every error with 500; the
/// client decodes any 4xx/5xx the same way, so the status can tell what happened (and the
/// request log shows client mistakes as 4xx, not as server failures).
fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_)
        | AppError::WrongState { .. }
        | AppError::Busy(_)
        | AppError::NotEligible(_) => StatusCode::CONFLICT,
        AppError::Gluster(_) => StatusCode::BAD_GATEWAY,
        AppError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        // on the server, leptos's own errors are the arguments' (missing, malformed)
        AppError::Transport(_) => StatusCode::BAD_REQUEST,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn with_error_status(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(e) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&e);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A server function's error as its client decodes it (JSON `AppError`).
pub(crate) fn rpc_error(status: StatusCode, e: AppError) -> Response {
    let body = serde_json::to_string(&e).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The login cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends
/// it), for the whole site, gone when the session ends; over TLS `Secure` and `__Host-`.
pub fn session_cookie(value: &str, max_age: std::time::Duration, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        cookie_name(tls),
        max_age.as_secs()
    )
}

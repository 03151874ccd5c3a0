//! The REST edge under `/api` (API.md): routes, authentication, faults. Handlers are thin:
//! parse the path and body, call the service as the authenticated user, write the document.
mod cache;
pub mod docs;
mod export;
mod fast;
mod fault;
mod handlers;
pub mod hooks;
mod openapi;
pub mod repr;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use base64::Engine;
use serde::de::DeserializeOwned;

use crate::service::auth::{Authenticator, Principal, Role};
use crate::service::ServiceError;
use crate::state::AppState;
pub use cache::DocCache;
pub use fast::CachedGets;
pub use fault::Fault;
pub use repr::{too_large, Doc, Format};

const S: &str = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}";

/// The REST routes; `docs` is the GET documents' cache (shared with `CachedGets`).
pub fn routes(state: &AppState, docs: &DocCache) -> Router<AppState> {
    use handlers::*;
    let v = "/api/clusters/{cluster}/glustervolumes/{volume}";
    let authenticated = Router::new()
        .route("/api", get(entry_point))
        .route("/api/clusters", get(clusters).post(register_cluster))
        .route(
            "/api/clusters/{cluster}",
            get(cluster).put(edit_cluster).delete(remove_cluster),
        )
        .route(
            "/api/clusters/{cluster}/georeplication-sessions",
            get(cluster_sessions),
        )
        .route(
            "/api/clusters/{cluster}/gluster-events",
            post(enable_gluster_events).delete(disable_gluster_events),
        )
        .route("/api/georeplication-sessions", get(all_sessions))
        .route("/api/clusters/{cluster}/hosts", get(hosts))
        .route("/api/clusters/{cluster}/hosts/{host}", get(host))
        .route("/api/clusters/{cluster}/glustervolumes", get(volumes))
        .route(v, get(volume))
        .route(&format!("{v}/bricks/{{brick}}"), get(brick))
        .route(
            &format!("{v}/georeplication-sessions"),
            get(sessions).post(create_session),
        )
        .route(&format!("{v}/georeplication-preflight"), post(preflight))
        .route(S, get(session).delete(delete_session))
        .route(&format!("{S}/{{action}}"), post(session_action))
        .route(&format!("{S}/options"), get(options))
        .route(&format!("{S}/health"), get(session_health))
        .route(&format!("{S}/lag"), get(session_lag))
        .route(
            &format!("{S}/options/{{key}}"),
            get(option).put(set_option).delete(reset_option),
        )
        .route(&format!("{S}/recovery"), get(recovery))
        .route(
            &format!("{S}/failover"),
            get(failover).post(session_action_failover),
        )
        .route(
            &format!("{S}/schedule"),
            get(schedule).put(set_schedule).delete(delete_schedule),
        )
        .route(
            &format!("{S}/self-healing"),
            axum::routing::put(set_self_healing),
        )
        .route("/api/events", get(events))
        .route("/api/operations", get(operations))
        .route("/api/operations/{operation}", get(operation))
        .route("/api/operations/{operation}/cancel", post(cancel_operation))
        .route(
            "/api/operations/{operation}/confirm",
            post(confirm_operation),
        )
        .route("/api/{*rest}", any(unknown_route))
        .method_not_allowed_fallback(method_not_allowed);
    let authenticated = authenticated
        .layer(middleware::from_fn_with_state(docs.clone(), cache::cached))
        .layer(middleware::from_fn_with_state(state.clone(), edge));
    // a download streams, and is never held by the document cache
    let downloads = Router::new()
        .route("/api/events/export", get(export::export_events))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), edge));
    Router::new()
        .route("/api/openapi.json", get(openapi::serve))
        .merge(authenticated)
        .merge(downloads)
}

/// The audit log page's downloads: the REST export, for the browser behind its login gate
/// (the router's `web::gate` layer; every logged-in user may read the trail).
pub fn browser_downloads() -> Router<AppState> {
    Router::new().route("/events/export", get(export::export_events))
}

/// Every `/api` request: picks the representation, authenticates, applies the role.
async fn edge(State(auth): State<Authenticator>, mut req: Request, next: Next) -> Response {
    let format = Format::from_headers(req.headers());
    let client = req
        .extensions()
        .get::<crate::web::client::ClientAddr>()
        .map(|c| c.0);
    format
        .scope(async move {
            let credentials = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let principal = match authenticate(&auth, credentials.as_deref(), client).await {
                Ok(Some(p)) => p,
                Ok(None) => return unauthorized(),
                Err(e) => {
                    let retry = match &e {
                        ServiceError::TooManyAttempts(wait) => Some(wait.as_secs() + 1),
                        _ => None,
                    };
                    let mut resp = Fault::from(e).into_response();
                    if let Some(secs) = retry {
                        resp.headers_mut()
                            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                    }
                    return resp;
                }
            };
            let reads = matches!(*req.method(), Method::GET | Method::HEAD);
            if principal.role == Role::Viewer && !reads {
                return Fault::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!("{} may only read", principal.name),
                )
                .into_response();
            }
            req.extensions_mut().insert(principal);
            next.run(req).await
        })
        .await
}

async fn authenticate(
    auth: &Authenticator,
    credentials: Option<&str>,
    client: Option<std::net::IpAddr>,
) -> Result<Option<Principal>, ServiceError> {
    let Some(value) = credentials else {
        return Ok(None);
    };
    let (scheme, rest) = scheme_and_rest(value);
    if scheme.eq_ignore_ascii_case("bearer") {
        return auth.bearer(rest, client).await;
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let Some(decoded) = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return Ok(None);
        };
        let Some((user, password)) = decoded.split_once(':') else {
            return Ok(None);
        };
        return auth.basic(user, password, client).await;
    }
    Ok(None)
}

/// An `Authorization` value's scheme and what follows it, trimmed.
fn scheme_and_rest(value: &str) -> (&str, &str) {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    (scheme, rest.trim())
}

fn unauthorized() -> Response {
    let mut resp = Fault::new(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "log in with HTTP Basic (user:password) or Authorization: Bearer <token>",
    )
    .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"georep\""),
    );
    resp
}

async fn unknown_route() -> Fault {
    Fault::new(StatusCode::NOT_FOUND, "Not found", "no such resource")
}

async fn method_not_allowed() -> Fault {
    Fault::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "this resource does not take that method",
    )
}

/// Path parameters, a malformed one (not a UUID) being a 400 fault.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = Fault;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Fault> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Params(p.0))
            .map_err(|e| {
                Fault::new(
                    StatusCode::BAD_REQUEST,
                    "Malformed parameter",
                    e.body_text(),
                )
            })
    }
}

/// Query parameters, malformed ones being a 400 fault.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Fault;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Fault> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| {
                Fault::new(
                    StatusCode::BAD_REQUEST,
                    "Malformed parameter",
                    e.body_text(),
                )
            })
    }
}

//! `POST /hooks/gluster/{cluster}`: where glustereventsd pushes a cluster's events
//! (`service::gluster_events`). Not under /api: no user logs in here; the caller shows the
//! cluster's bearer token, and an unknown cluster or a wrong token are the same 401.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use uuid::Uuid;

use crate::service::gluster_events::Refused;
use crate::service::Service;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/hooks/gluster/{cluster}", post(gluster_event))
}

async fn gluster_event(
    State(service): State<Service>,
    Path(cluster): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let unauthorized = (StatusCode::UNAUTHORIZED, "unauthorized\n".to_owned());
    let Ok(id) = Uuid::parse_str(&cluster) else {
        return unauthorized;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match service.gluster_event_pushed(id, bearer, &body).await {
        Ok(()) => (StatusCode::OK, "ok\n".into()),
        Err(Refused::Unauthorized) => unauthorized,
        Err(Refused::Malformed(why)) => (StatusCode::BAD_REQUEST, format!("{why}\n")),
    }
}

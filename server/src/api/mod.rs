//! The REST edge under `/api`: XML documents (quick-xml serde), faults, routes.
mod xml;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::service::{Service, ServiceError};
use crate::startup::AppState;
pub use xml::Xml;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api", get(entry_point))
        .route("/api/clusters", get(clusters))
        .route("/api/{*rest}", axum::routing::any(unknown_route))
}

#[derive(Serialize)]
#[serde(rename = "api")]
struct EntryPoint {
    #[serde(rename = "link")]
    links: Vec<Link>,
    product_info: ProductInfo,
}

#[derive(Serialize)]
pub struct Link {
    #[serde(rename = "@rel")]
    pub rel: &'static str,
    #[serde(rename = "@href")]
    pub href: String,
}

#[derive(Serialize)]
struct ProductInfo {
    name: &'static str,
    version: &'static str,
}

async fn entry_point() -> Xml<EntryPoint> {
    Xml::ok(EntryPoint {
        links: vec![
            Link { rel: "clusters", href: "/api/clusters".into() },
            Link { rel: "events", href: "/api/events".into() },
        ],
        product_info: ProductInfo { name: "georep", version: env!("CARGO_PKG_VERSION") },
    })
}

#[derive(Serialize)]
#[serde(rename = "clusters")]
struct Clusters {
    #[serde(rename = "cluster")]
    clusters: Vec<ClusterDoc>,
}

#[derive(Serialize)]
struct ClusterDoc {
    #[serde(rename = "@id")]
    id_attr: String,
    #[serde(rename = "@href")]
    href: String,
    id: String,
    name: String,
    description: String,
}

async fn clusters(State(service): State<Service>) -> Result<Xml<Clusters>, Fault> {
    let list = service.list_clusters().await?;
    Ok(Xml::ok(Clusters {
        clusters: list
            .into_iter()
            .map(|c| ClusterDoc {
                id_attr: c.id.to_string(),
                href: format!("/api/clusters/{}", c.id),
                id: c.id.to_string(),
                name: c.name,
                description: c.description,
            })
            .collect(),
    }))
}

async fn unknown_route() -> Fault {
    Fault::new(StatusCode::NOT_FOUND, "Not found", "no such resource")
}

/// `<fault><reason/><detail/></fault>` with its HTTP status.
#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub reason: String,
    pub detail: String,
}

#[derive(Serialize)]
#[serde(rename = "fault")]
struct FaultDoc<'a> {
    reason: &'a str,
    detail: &'a str,
}

impl Fault {
    pub fn new(status: StatusCode, reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Fault { status, reason: reason.into(), detail: detail.into() }
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        Xml(self.status, FaultDoc { reason: &self.reason, detail: &self.detail }).into_response()
    }
}

impl From<ServiceError> for Fault {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => Fault::new(StatusCode::BAD_REQUEST, "Invalid request", m),
            ServiceError::NotFound(m) => Fault::new(StatusCode::NOT_FOUND, "Not found", m),
            ServiceError::Conflict(m) => Fault::new(StatusCode::CONFLICT, "Conflict", m),
            e @ ServiceError::WrongState { .. } => Fault::new(StatusCode::CONFLICT, "Wrong state", e.to_string()),
            e @ ServiceError::Busy(_) => Fault::new(StatusCode::CONFLICT, "Action in progress", e.to_string()),
            e @ ServiceError::NotEligible(_) => Fault::new(StatusCode::CONFLICT, "Not eligible", e.to_string()),
            ServiceError::Gluster(crate::gluster::GlusterError::Timeout(t)) => Fault::new(
                StatusCode::GATEWAY_TIMEOUT,
                "Gluster timed out",
                format!("gluster did not answer within {} s", t.as_secs()),
            ),
            ServiceError::Gluster(g) => Fault::new(StatusCode::BAD_GATEWAY, "Gluster error", g.to_string()),
            ServiceError::Store(crate::store::StoreError::Duplicate(what)) => {
                Fault::new(StatusCode::CONFLICT, "Conflict", format!("{what} already exists"))
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store error");
                Fault::new(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable", "see the server log")
            }
        }
    }
}

//! [`Fault`], the `/api` error document, and how a [`ServiceError`] maps onto its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::docs::FaultDoc;
use super::repr::Doc;
use crate::service::ServiceError;

/// `<fault><reason/><detail/></fault>` with its HTTP status.
#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub reason: String,
    pub detail: String,
}

impl Fault {
    pub fn new(status: StatusCode, reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Fault {
            status,
            reason: reason.into(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        Doc {
            status: self.status,
            doc: FaultDoc {
                reason: self.reason,
                detail: self.detail,
            },
            location: None,
        }
        .into_response()
    }
}

impl From<ServiceError> for Fault {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => Fault::new(StatusCode::BAD_REQUEST, "Invalid request", m),
            ServiceError::NotFound(m) => Fault::new(StatusCode::NOT_FOUND, "Not found", m),
            ServiceError::Conflict(m) => Fault::new(StatusCode::CONFLICT, "Conflict", m),
            ServiceError::Forbidden(m) => Fault::new(StatusCode::FORBIDDEN, "Forbidden", m),
            e @ ServiceError::NotTaken { .. } => Fault::new(
                StatusCode::BAD_GATEWAY,
                "Gluster did not take the value",
                e.to_string(),
            ),
            e @ ServiceError::WrongState { .. } => {
                Fault::new(StatusCode::CONFLICT, "Wrong state", e.to_string())
            }
            e @ ServiceError::Busy(_) => {
                Fault::new(StatusCode::CONFLICT, "Action in progress", e.to_string())
            }
            ServiceError::Incomplete(m) => {
                Fault::new(StatusCode::BAD_GATEWAY, "Incomplete", m)
            }
            e @ ServiceError::Cancelled(_) => {
                Fault::new(StatusCode::CONFLICT, "Cancelled", e.to_string())
            }
            e @ ServiceError::NotEligible(_) => {
                Fault::new(StatusCode::CONFLICT, "Not eligible", e.to_string())
            }
            e @ ServiceError::TooManyAttempts(_) => Fault::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                e.to_string(),
            ),
            ServiceError::Gluster(crate::gluster::GlusterError::Timeout(t)) => Fault::new(
                StatusCode::GATEWAY_TIMEOUT,
                "Gluster timed out",
                format!("gluster did not answer within {} s", t.as_secs()),
            ),
            ServiceError::Gluster(g) => {
                Fault::new(StatusCode::BAD_GATEWAY, "Gluster error", g.to_string())
            }
            ServiceError::Store(crate::store::StoreError::Duplicate(what)) => Fault::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!("{what} already exists"),
            ),
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store error");
                Fault::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Database unavailable",
                    "see the server log",
                )
            }
        }
    }
}

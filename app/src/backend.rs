//! What the server functions need from the server, as a trait object in Leptos context,
//! so that `app` never depends on `server` (the server crate implements it).
use std::sync::Arc;

use crate::domain::{ClusterSummary, NewCluster};
use crate::error::AppError;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn clusters(&self) -> Result<Vec<ClusterSummary>, AppError>;
    async fn add_cluster(&self, new: NewCluster) -> Result<ClusterSummary, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend of the current request (provided by the server's router).
pub fn backend() -> Result<SharedBackend, AppError> {
    leptos::prelude::use_context::<SharedBackend>().ok_or(AppError::Internal)
}

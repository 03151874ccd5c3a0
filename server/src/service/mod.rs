//! The service layer: the one place that decides (validation, state, audit). Both the
//! server functions (through `app::backend::Backend`) and the REST edge call it.
mod clusters;
pub mod names;
pub mod status;

use std::sync::Arc;

use app::error::AppError;

use crate::gluster::{Gluster, GlusterError};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Gluster(#[from] GlusterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ServiceError> for AppError {
    /// The serializable form for server functions: internals are logged, not sent.
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Gluster(GlusterError::Timeout(t)) => {
                AppError::Timeout(format!("no answer within {} s", t.as_secs()))
            }
            ServiceError::Invalid(m) => AppError::Invalid(m),
            ServiceError::NotFound(m) => AppError::NotFound(m),
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Gluster(g) => AppError::Gluster(g.to_string()),
            ServiceError::Store(StoreError::Duplicate(what)) => {
                AppError::Conflict(format!("{what} already exists"))
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store error");
                AppError::Internal
            }
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    gluster: Gluster,
}

impl Service {
    pub fn new(store: Store, gluster: Gluster) -> Self {
        Service { inner: Arc::new(Inner { store, gluster }) }
    }

    pub fn gluster(&self) -> &Gluster {
        &self.inner.gluster
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

#[async_trait::async_trait]
impl app::backend::Backend for Service {
    async fn clusters(&self) -> Result<Vec<app::domain::ClusterSummary>, AppError> {
        Ok(self.list_clusters().await?)
    }

    async fn add_cluster(
        &self,
        new: app::domain::NewCluster,
    ) -> Result<app::domain::ClusterSummary, AppError> {
        Ok(self.register_cluster(new, true).await?)
    }
}

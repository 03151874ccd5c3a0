//! Server functions: the UI's calls into the backend. They live under `/rpc` so that the
//! REST API owns `/api`.
use leptos::prelude::*;

use crate::domain::ClusterSummary;
#[cfg(feature = "ssr")]
use crate::domain::{Connection, NewCluster};
use crate::error::AppError;

#[server(prefix = "/rpc")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    crate::backend::backend()?.clusters().await
}

#[server(prefix = "/rpc")]
pub async fn add_cluster(
    name: String,
    host: String,
    connection: String,
    description: Option<String>,
) -> Result<ClusterSummary, AppError> {
    let connection = Connection::parse(&connection)
        .ok_or_else(|| AppError::Invalid(format!("unknown connection kind {connection:?}")))?;
    crate::backend::backend()?
        .add_cluster(NewCluster {
            name,
            description: description.unwrap_or_default(),
            host,
            connection,
        })
        .await
}

//! Server functions: the UI's calls into the backend. They live under `/rpc` so that the
//! REST API owns `/api`.
use leptos::prelude::*;

use crate::domain::ClusterSummary;
#[cfg(feature = "ssr")]
use crate::domain::{Connection, NewCluster};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "list_clusters")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    crate::backend::backend()?.clusters().await
}

#[server(prefix = "/rpc", endpoint = "add_cluster")]
pub async fn add_cluster(
    name: String,
    host: String,
    connection: String,
    description: Option<String>,
) -> Result<ClusterSummary, AppError> {
    let connection = Connection::parse(&connection)
        .ok_or_else(|| AppError::Invalid(format!("unknown connection kind {connection:?}")))?;
    crate::backend::backend()?
        .add_cluster(
            &crate::backend::actor()?,
            NewCluster {
                name,
                description: description.unwrap_or_default(),
                host,
                connection,
            },
        )
        .await
}

#[server(prefix = "/rpc", endpoint = "create_session")]
pub async fn create_session(
    master_volume_id: uuid::Uuid,
    slave_host: String,
    slave_volume: String,
    slave_user: Option<String>,
    force: bool,
    start: bool,
) -> Result<crate::domain::CreatedSession, AppError> {
    crate::backend::backend()?
        .create_session(
            &crate::backend::actor()?,
            crate::domain::NewSession {
                master_volume_id,
                slave_host,
                slave_volume,
                slave_user,
                force,
                start,
            },
        )
        .await
}

/// start / stop / pause / resume / delete (`reset_sync_time` for delete only).
#[server(prefix = "/rpc", endpoint = "session_action")]
pub async fn session_action(
    id: uuid::Uuid,
    action: crate::domain::SessionAction,
    force: bool,
    reset_sync_time: bool,
) -> Result<crate::domain::ActionOutcome, AppError> {
    crate::backend::backend()?
        .session_action(
            &crate::backend::actor()?,
            id,
            action,
            force,
            reset_sync_time,
        )
        .await
}

#[server(prefix = "/rpc", endpoint = "session_options")]
pub async fn session_options(
    id: uuid::Uuid,
) -> Result<Vec<crate::domain::SessionOption>, AppError> {
    crate::backend::backend()?.session_options(id).await
}

#[server(prefix = "/rpc", endpoint = "set_session_option")]
pub async fn set_session_option(
    id: uuid::Uuid,
    key: String,
    value: String,
) -> Result<crate::domain::SessionOption, AppError> {
    crate::backend::backend()?
        .set_option(&crate::backend::actor()?, id, key, value)
        .await
}

#[server(prefix = "/rpc", endpoint = "reset_session_option")]
pub async fn reset_session_option(
    id: uuid::Uuid,
    key: String,
) -> Result<crate::domain::SessionOption, AppError> {
    crate::backend::backend()?
        .reset_option(&crate::backend::actor()?, id, key)
        .await
}

#[server(prefix = "/rpc", endpoint = "set_checkpoint")]
pub async fn set_checkpoint(
    id: uuid::Uuid,
    at: crate::domain::Checkpoint,
) -> Result<crate::domain::ActionOutcome, AppError> {
    crate::backend::backend()?
        .set_checkpoint(&crate::backend::actor()?, id, at)
        .await
}

#[server(prefix = "/rpc", endpoint = "refresh_session")]
pub async fn refresh_session(id: uuid::Uuid) -> Result<crate::domain::SessionInfo, AppError> {
    crate::backend::actor()?;
    crate::backend::backend()?.refresh_session(id).await
}

/// The audit trail, newest first (at most `limit`, default 100; one session's with `session`).
#[server(prefix = "/rpc", endpoint = "list_events")]
pub async fn list_events(
    session: Option<uuid::Uuid>,
    limit: Option<i64>,
) -> Result<Vec<crate::domain::Event>, AppError> {
    crate::backend::backend()?
        .events(session, limit.unwrap_or(100))
        .await
}

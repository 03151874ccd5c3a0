//! What the server functions need from the server, as a trait object in Leptos context,
//! so that `app` never depends on `server` (the server crate implements it).
use std::sync::Arc;

use crate::domain::{
    ActionOutcome, Checkpoint, ClusterSummary, CreatedSession, Event, NewCluster, NewSession,
    SessionAction, SessionInfo, SessionOption,
};
use crate::error::AppError;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn clusters(&self) -> Result<Vec<ClusterSummary>, AppError>;
    async fn add_cluster(&self, new: NewCluster) -> Result<ClusterSummary, AppError>;
    async fn create_session(&self, new: NewSession) -> Result<CreatedSession, AppError>;
    /// start / stop / pause / resume / delete; `reset_sync_time` only for delete.
    async fn session_action(
        &self,
        id: uuid::Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome, AppError>;
    async fn session_options(&self, id: uuid::Uuid) -> Result<Vec<SessionOption>, AppError>;
    async fn set_option(
        &self,
        id: uuid::Uuid,
        key: String,
        value: String,
    ) -> Result<SessionOption, AppError>;
    async fn reset_option(&self, id: uuid::Uuid, key: String) -> Result<SessionOption, AppError>;
    async fn set_checkpoint(
        &self,
        id: uuid::Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome, AppError>;
    async fn refresh_session(&self, id: uuid::Uuid) -> Result<SessionInfo, AppError>;
    /// The audit trail, newest first.
    async fn events(&self, session: Option<uuid::Uuid>, limit: i64)
        -> Result<Vec<Event>, AppError>;
    async fn session_health(
        &self,
        id: uuid::Uuid,
    ) -> Result<crate::health::SessionHealth, AppError>;
    async fn probe_session(&self, id: uuid::Uuid) -> Result<crate::health::ProbeReport, AppError>;
    async fn restart_stalled(
        &self,
        id: uuid::Uuid,
    ) -> Result<crate::health::RestartOutcome, AppError>;
    async fn lag_history(
        &self,
        id: uuid::Uuid,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<crate::health::LagSample>, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend of the current request (provided by the server's router).
pub fn backend() -> Result<SharedBackend, AppError> {
    leptos::prelude::use_context::<SharedBackend>().ok_or(AppError::Internal)
}

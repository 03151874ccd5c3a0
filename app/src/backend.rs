//! What the server functions need from the server, as a trait object in Leptos context,
//! so that `app` never depends on `server` (the server crate implements it).
use std::sync::Arc;

use crate::domain::{
    ActionOutcome, Checkpoint, ClusterEdit, ClusterSummary, CreatedSession, EventCursor,
    EventFilter, EventPage, GlusterEventsSetup, HostView, Ineligibility, NewCluster, NewSession,
    RemovedCluster, SessionAction, SessionInfo, SessionOption,
};
use crate::error::AppError;
use crate::failover::{FailbackInput, FailoverCheck, FailoverInput};
use crate::operations::{OperationView, RecoveryView, ScheduleInput, ScheduleView};
use crate::views::{
    Me, SessionDetail, SessionFilter, SessionOverview, SessionSort, SessionSummary, SortOrder,
    VolumeView,
};

/// The browser login cookie (HttpOnly, SameSite=Strict) over plain HTTP...
pub const SESSION_COOKIE: &str = "georep_session";
/// ...and over TLS: Secure, and `__Host-` so that the browser takes it only from this very
/// origin over HTTPS, for the whole site (no sibling domain or plain-HTTP answer can set it).
pub const SECURE_SESSION_COOKIE: &str = "__Host-georep_session";

/// Calls that change something take the acting user's name for the audit trail.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn clusters(&self) -> Result<Vec<ClusterSummary>, AppError>;
    /// Registers a cluster, asking gluster on its host first when `verify`.
    async fn add_cluster(
        &self,
        actor: &str,
        new: NewCluster,
        verify: bool,
    ) -> Result<ClusterSummary, AppError>;
    /// The hosts of a cluster, with the ssh host keys georep trusts.
    async fn cluster_hosts(&self, id: uuid::Uuid) -> Result<Vec<HostView>, AppError>;
    /// Changes what `edit` gives; a new ssh user or port is tried on gluster first when
    /// `verify`.
    async fn edit_cluster(
        &self,
        actor: &str,
        id: uuid::Uuid,
        edit: ClusterEdit,
        verify: bool,
    ) -> Result<ClusterSummary, AppError>;
    /// Turns gluster's pushed events on (a new token) or off for a cluster.
    async fn set_gluster_events(
        &self,
        actor: &str,
        id: uuid::Uuid,
        on: bool,
    ) -> Result<GlusterEventsSetup, AppError>;
    /// Forgets a cluster in georep (never a gluster call); one with sessions only with `force`.
    async fn remove_cluster(
        &self,
        actor: &str,
        id: uuid::Uuid,
        force: bool,
    ) -> Result<RemovedCluster, AppError>;
    async fn create_session(
        &self,
        actor: &str,
        new: NewSession,
    ) -> Result<CreatedSession, AppError>;
    /// start / stop / pause / resume / delete; `reset_sync_time` only for delete.
    async fn session_action(
        &self,
        actor: &str,
        id: uuid::Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome, AppError>;
    async fn session_options(&self, id: uuid::Uuid) -> Result<Vec<SessionOption>, AppError>;
    async fn set_option(
        &self,
        actor: &str,
        id: uuid::Uuid,
        key: String,
        value: String,
    ) -> Result<SessionOption, AppError>;
    async fn reset_option(
        &self,
        actor: &str,
        id: uuid::Uuid,
        key: String,
    ) -> Result<SessionOption, AppError>;
    async fn set_checkpoint(
        &self,
        actor: &str,
        id: uuid::Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome, AppError>;
    async fn refresh_session(&self, id: uuid::Uuid) -> Result<SessionInfo, AppError>;
    /// A page of the audit trail, newest first.
    async fn events(
        &self,
        filter: EventFilter,
        cursor: EventCursor,
        limit: i64,
    ) -> Result<EventPage, AppError>;
    async fn session_health(
        &self,
        id: uuid::Uuid,
    ) -> Result<crate::health::SessionHealth, AppError>;
    async fn probe_session(
        &self,
        actor: &str,
        id: uuid::Uuid,
    ) -> Result<crate::health::ProbeReport, AppError>;
    /// A stale session (its slave volume gone) stopped with force and deleted.
    async fn cleanup_session(&self, actor: &str, id: uuid::Uuid)
        -> Result<ActionOutcome, AppError>;
    async fn restart_stalled(
        &self,
        actor: &str,
        id: uuid::Uuid,
    ) -> Result<crate::health::RestartOutcome, AppError>;
    async fn lag_history(
        &self,
        id: uuid::Uuid,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<crate::health::LagSample>, AppError>;

    /// Checks the password and opens a browser session: the `Set-Cookie` value.
    async fn login(&self, name: String, password: String) -> Result<String, AppError>;
    /// Ends the browser session of this cookie value (if any): the clearing `Set-Cookie` value.
    async fn logout(&self, cookie: Option<String>) -> Result<String, AppError>;
    async fn volumes(&self) -> Result<Vec<VolumeView>, AppError>;
    async fn volume_sessions(
        &self,
        id: uuid::Uuid,
    ) -> Result<(VolumeView, Vec<SessionSummary>), AppError>;
    async fn sessions(&self) -> Result<Vec<SessionSummary>, AppError>;
    /// How many sessions of every cluster are not healthy (the title's number).
    async fn not_healthy(&self) -> Result<usize, AppError>;
    /// The sessions of every cluster that `filter` lets through, with health, lag and
    /// recovery point, sorted.
    async fn session_overview(
        &self,
        filter: SessionFilter,
        sort: SessionSort,
        order: SortOrder,
    ) -> Result<SessionOverview, AppError>;
    async fn session_detail(&self, id: uuid::Uuid) -> Result<SessionDetail, AppError>;
    async fn eligibility(
        &self,
        master_volume_id: uuid::Uuid,
        slave_host: String,
        slave_volume: String,
        slave_user: Option<String>,
    ) -> Result<Vec<Ineligibility>, AppError>;
    /// The pre-flight check of a planned session (both clusters read again, nodes asked).
    async fn preflight(&self, new: NewSession) -> Result<crate::preflight::Preflight, AppError>;
    /// Operations newest first: of one session, or all; only unfinished ones if asked.
    async fn operations(
        &self,
        session: Option<uuid::Uuid>,
        unfinished: bool,
        limit: i64,
    ) -> Result<Vec<OperationView>, AppError>;
    async fn cancel_operation(
        &self,
        actor: &str,
        id: uuid::Uuid,
    ) -> Result<OperationView, AppError>;
    async fn recovery(&self, session: uuid::Uuid) -> Result<RecoveryView, AppError>;
    async fn set_schedule(
        &self,
        actor: &str,
        session: uuid::Uuid,
        input: ScheduleInput,
    ) -> Result<ScheduleView, AppError>;
    async fn delete_schedule(&self, actor: &str, session: uuid::Uuid) -> Result<(), AppError>;
    /// Starts a DR sync now; answers with its operation once it runs.
    async fn sync_now(&self, actor: &str, session: uuid::Uuid) -> Result<uuid::Uuid, AppError>;
    async fn set_self_heal(
        &self,
        actor: &str,
        session: uuid::Uuid,
        on: Option<bool>,
    ) -> Result<RecoveryView, AppError>;
    /// The pre-checks of a failover or failback, and the failover in effect.
    async fn failover_check(&self, session: uuid::Uuid) -> Result<FailoverCheck, AppError>;
    /// Starts a failover; answers with its operation once it runs.
    async fn start_failover(
        &self,
        actor: &str,
        session: uuid::Uuid,
        input: FailoverInput,
    ) -> Result<uuid::Uuid, AppError>;
    /// Starts a failback; answers with its operation once it runs.
    async fn start_failback(
        &self,
        actor: &str,
        session: uuid::Uuid,
        input: FailbackInput,
    ) -> Result<uuid::Uuid, AppError>;
    /// Confirms what a running operation waits for (`OperationView::confirm`).
    async fn confirm_operation(
        &self,
        actor: &str,
        id: uuid::Uuid,
    ) -> Result<OperationView, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend of the current request (provided by the server's router).
pub fn backend() -> Result<SharedBackend, AppError> {
    leptos::prelude::use_context::<SharedBackend>().ok_or(AppError::Internal)
}

/// The logged-in user of this request (the server's gate put it in the request).
pub fn current_user() -> Option<Me> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Me>().cloned())
}

/// The user who may change things, for the audit trail; refused for viewers (the gate
/// refuses them first: this is the second lock on the door).
pub fn actor() -> Result<String, AppError> {
    match current_user() {
        Some(me) if me.can_act() => Ok(me.name),
        Some(me) => Err(AppError::Forbidden(format!("{} may only read", me.name))),
        None => Err(AppError::Unauthorized("log in first".into())),
    }
}

/// This request's login cookie value, if it sent one (either name: this is for logging out).
pub fn session_cookie() -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    cookie_value(&parts.headers, SECURE_SESSION_COOKIE)
        .or_else(|| cookie_value(&parts.headers, SESSION_COOKIE))
}

/// The value of cookie `name` in a request's headers.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
